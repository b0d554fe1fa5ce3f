import type { PublicConfig, PublicBoard } from '../../../shared/realtime/public-config.ts';
import type { RowKey } from '../../../shared/realtime/events.ts';
import { getJson, HttpError } from './api.ts';
import { i18n } from './i18n/index.svelte.ts';

/**
 * The public configuration (centers, queues, boards, thresholds), loaded once per page. A failed
 * request (a proxy's 502 during a deploy, the server restarting) is retried with back-off — 1 s,
 * 2 s, 4 s … at most 30 s apart — until it succeeds, so a screen left alone recovers by itself;
 * meanwhile `error` is 'unavailable' (the page says it is retrying). A refused token (401/403) is
 * not retried: it needs a new sign-in, which calls `load()` again.
 */
const firstRetryMs = 1_000;
const maxRetryMs = 30_000;

class ConfigStore {
  value = $state.raw<PublicConfig | null>(null);
  error = $state<'unauthorized' | 'unavailable' | null>(null);
  /** attempts failed in a row (0 once loaded) */
  failures = $state(0);
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** a newer `load()` supersedes the attempts (and the retry timer) of an older one */
  private generation = 0;

  load(): Promise<void> {
    this.cancelRetry();
    this.failures = 0;
    return this.attempt(++this.generation);
  }

  /** forget the configuration and stop retrying (sign-out) */
  clear(): void {
    this.generation += 1;
    this.cancelRetry();
    this.value = null;
    this.failures = 0;
    this.error = 'unauthorized';
  }

  private cancelRetry(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async attempt(generation: number): Promise<void> {
    try {
      const value = await getJson<PublicConfig>('/api/v1/config/public');
      if (generation !== this.generation) return;
      this.value = value;
      this.error = null;
      this.failures = 0;
    } catch (err) {
      if (generation !== this.generation) return;
      if (err instanceof HttpError && (err.status === 401 || err.status === 403)) {
        this.error = 'unauthorized';
        return;
      }
      this.error = 'unavailable';
      this.failures += 1;
      const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** (this.failures - 1));
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.attempt(generation);
      }, delay);
    }
  }

  center(id: string) {
    return this.value?.centers.find((c) => c.id === id) ?? this.value?.centers[0];
  }

  board(id: string): PublicBoard | undefined {
    return this.value?.boards.find((b) => b.id === id);
  }

  /**
   * a row's label in the current language. Queue, group and team ids are a center's own: two
   * centers may both have a "retail" queue or a team "A", named differently. Given `center`, only
   * that center's name is taken (else the id); without it, the first configured one of that id.
   */
  rowLabel(key: RowKey, center?: string): string {
    const c = this.value;
    const ofCenter = (x: { center: string }) => center === undefined || x.center === center;
    switch (key.kind) {
      case 'center':
        return i18n.t('row.center');
      case 'channel':
        return i18n.t(`channel.${key.channel}`);
      case 'group': {
        const g = c?.groups.find((x) => x.id === key.group && ofCenter(x));
        return g ? i18n.pick(g.name) : key.group;
      }
      case 'queue': {
        const q = c?.queues.find((x) => x.id === key.queue && ofCenter(x));
        return q ? i18n.pick(q.name) : key.queue;
      }
      case 'team':
        return this.teamName(key.team, center);
    }
  }

  /** a team's name in the current language; `center` as for `rowLabel` */
  teamName(id: string | null, center?: string): string {
    if (!id) return '—';
    const t = this.value?.teams.find((x) => x.id === id && (center === undefined || x.center === center));
    return t ? i18n.pick(t.name) : id;
  }
}

export const config = new ConfigStore();
