import type { PublicConfig, PublicBoard } from '../../../shared/realtime/public-config.ts';
import type { RowKey } from '../../../shared/realtime/events.ts';
import { getJson, HttpError } from './api.ts';
import { i18n } from './i18n/index.svelte.ts';

/** The public configuration (centers, queues, boards, thresholds), loaded once per page. */
class ConfigStore {
  value = $state.raw<PublicConfig | null>(null);
  error = $state<'unauthorized' | 'unavailable' | null>(null);

  async load(): Promise<void> {
    try {
      this.value = await getJson<PublicConfig>('/api/v1/config/public');
      this.error = null;
    } catch (err) {
      this.error = err instanceof HttpError && (err.status === 401 || err.status === 403) ? 'unauthorized' : 'unavailable';
    }
  }

  center(id: string) {
    return this.value?.centers.find((c) => c.id === id) ?? this.value?.centers[0];
  }

  board(id: string): PublicBoard | undefined {
    return this.value?.boards.find((b) => b.id === id);
  }

  /** a row's label in the current language */
  rowLabel(key: RowKey): string {
    const c = this.value;
    switch (key.kind) {
      case 'center':
        return i18n.t('row.center');
      case 'channel':
        return i18n.t(`channel.${key.channel}`);
      case 'group': {
        const g = c?.groups.find((x) => x.id === key.group);
        return g ? i18n.pick(g.name) : key.group;
      }
      case 'queue': {
        const q = c?.queues.find((x) => x.id === key.queue);
        return q ? i18n.pick(q.name) : key.queue;
      }
    }
  }

  teamName(id: string | null): string {
    if (!id) return '—';
    const t = this.value?.teams.find((x) => x.id === id);
    return t ? i18n.pick(t.name) : id;
  }
}

export const config = new ConfigStore();
