import { untrack } from 'svelte';
import type { Alert, AlertChange } from '../../../../shared/contract/alerts.ts';
import { mergeAlertChanges, sortAlerts } from './merge.ts';
import { getJson, HttpError, postJson } from '../api.ts';
import { connection } from '../connection.svelte.ts';
import { centerStale } from '../view.svelte.ts';
import { arrivalNow, elapsedSince, type Arrival } from '../now.svelte.ts';
import { findFeedSilent } from './texts.ts';

/**
 * Open alerts of one center, kept current from three sources: a REST snapshot on start and on
 * every socket (re)connect (so nothing missed while offline lingers), the socket's typed
 * `alert:changed` messages (every change of a short window, in order), and a slow poll as a
 * safety net.
 */
const pollMs = 30_000;
/** a resolved alert stays on screen briefly so people see it cleared */
const resolvedLingerMs = 8_000;

/** the started stores on this page (a banner per center and screen), for `feedSilent` */
let started = $state.raw<CenterAlerts[]>([]);

/**
 * The open feed-silence alert of `center` (firing or acknowledged; `feedSilenceSec`, the
 * standard rule `<center>.feedHealth`), or null: while it is open every other figure of the center
 * may be frozen. Reactive (read it in a `$derived`), from the alerts of the banners on the page —
 * null when no banner of that center is on screen.
 */
export function feedSilent(center: string): Alert | null {
  for (const s of started) {
    if (s.center !== center) continue;
    const a = findFeedSilent(s.alerts);
    if (a) return a;
  }
  return null;
}

export class CenterAlerts {
  alerts = $state.raw<Alert[]>([]);
  error = $state<string | null>(null);
  /**
   * when the copy shown of each alert arrived (REST answer or push): the figure its text quotes is
   * at least that old. While the feed is live a copy is replaced within a poll or a push.
   */
  private arrived = $state.raw<Record<string, Arrival>>({});
  /**
   * What the banner shows is not current: the socket is down (no pushes), the last refresh failed,
   * or the figures of the center on this page are STALE (the server computes nothing, so it
   * evaluates no alert either). The banner then greys like the tiles.
   */
  get stale(): boolean {
    return !connection.connected || this.error !== null || centerStale(this.center);
  }
  private readonly stops: (() => void)[] = [];
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>();
  /** per REST refresh in flight: the alerts pushes changed meanwhile (its answer may predate them) */
  private readonly changedDuringRefresh = new Set<Set<string>>();

  constructor(readonly center: string) {}

  start(): void {
    // untracked: the banner starts its store inside an effect, which must not depend on the list
    untrack(() => {
      if (!started.includes(this)) started = [...started, this];
    });
    const s = connection.socket.socket;
    const changed = (changes: AlertChange[]) => this.apply(changes);
    const refresh = () => void this.refresh();
    s.on('alert:changed', changed);
    s.on('connect', refresh);
    this.stops.push(() => {
      s.off('alert:changed', changed);
      s.off('connect', refresh);
    });
    const timer = setInterval(refresh, pollMs);
    this.stops.push(() => clearInterval(timer));
    refresh();
  }

  stop(): void {
    untrack(() => (started = started.filter((x) => x !== this)));
    for (const s of this.stops.splice(0)) s();
    for (const t of this.lingering.values()) clearTimeout(t);
    this.lingering.clear();
  }

  /** ms since the copy shown of alert `id` arrived (0 if unknown) */
  ageMs(id: string): number {
    const a = this.arrived[id];
    return a ? elapsedSince(a) : 0;
  }

  /** unacknowledged alerts: these chime */
  get firing(): Alert[] {
    return this.alerts.filter((a) => a.state === 'firing');
  }

  async refresh(): Promise<void> {
    const changed = new Set<string>();
    this.changedDuringRefresh.add(changed);
    try {
      // fails after api.ts's request timeout when never answered: the banner then keeps what it
      // shows, reports the error, and the next poll or reconnect asks again
      const body = await getJson<{ alerts: Alert[] }>(`/api/v1/alerts?center=${encodeURIComponent(this.center)}`);
      // the answer was read at some moment of the request: an alert a push changed meanwhile
      // keeps its pushed state (raised, acknowledged or resolved after that read)
      const byId = new Map(body.alerts.map((a) => [a.id, a]));
      for (const id of changed) {
        const pushed = this.alerts.find((a) => a.id === id);
        if (pushed) byId.set(id, pushed);
        else byId.delete(id);
      }
      for (const a of this.alerts) if (a.state === 'resolved' && this.lingering.has(a.id) && !byId.has(a.id)) byId.set(a.id, a);
      // this answer's copies are new; a pushed or lingering copy kept keeps its own arrival
      const at = arrivalNow();
      const arrived: Record<string, Arrival> = {};
      for (const [id, a] of byId) arrived[id] = body.alerts.includes(a) ? at : (this.arrived[id] ?? at);
      this.arrived = arrived;
      this.alerts = sortAlerts([...byId.values()]);
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.changedDuringRefresh.delete(changed);
    }
  }

  /** acknowledge over the socket (lead/admin), falling back to the REST API */
  async acknowledge(id: string, note?: string): Promise<boolean> {
    const s = connection.socket.socket;
    const msg = { alertId: id, ...(note ? { note } : {}) };
    if (s.connected) {
      const res = await s.timeout(5000).emitWithAck('alert:acknowledge', msg).catch(() => null);
      if (res?.ok) return true;
    }
    // refused (404, 409 already resolved, …): false; unreachable or no answer within api.ts's
    // request timeout: rejects, so the banner's button is released either way
    try {
      const { alert } = await postJson<{ alert: Alert }>(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, note ? { note } : {});
      this.apply([{ type: 'updated', alert }]);
      return true;
    } catch (err) {
      if (err instanceof HttpError) return false;
      throw err;
    }
  }

  /** a resolved alert leaves the screen after a short while */
  private linger(id: string): void {
    if (this.lingering.has(id)) return;
    this.lingering.set(
      id,
      setTimeout(() => {
        this.lingering.delete(id);
        this.alerts = this.alerts.filter((x) => x.id !== id);
      }, resolvedLingerMs),
    );
  }

  /** changes from the socket or an acknowledgement's answer, in the order they happened */
  private apply(changes: AlertChange[]): void {
    for (const set of this.changedDuringRefresh) for (const c of changes) set.add(c.alert.id);
    const merged = mergeAlertChanges(this.alerts, changes, this.center);
    if (!merged) return;
    const at = arrivalNow();
    const arrived = { ...this.arrived };
    for (const c of changes) if (c.alert.scope.center === this.center) arrived[c.alert.id] = at;
    this.arrived = arrived;
    this.alerts = merged.alerts;
    for (const id of merged.resolved) this.linger(id);
  }
}

/** Banner strings (zh-CN default, en); kept here so the alerts module stays self-contained.
 * Texts with a number (escalation level, "另有 n 条告警") are in texts.ts. */
export const alertText = {
  'zh-CN': {
    critical: '严重',
    warning: '预警',
    acknowledged: '已确认',
    resolved: '已恢复',
    ack: '确认',
    ackNote: '处理说明（可选）',
    enableSound: '启用声音',
    soundOn: '声音已开启',
    soundOff: '声音已关闭',
    speech: '语音播报',
    by: '确认人',
  },
  en: {
    critical: 'Critical',
    warning: 'Warning',
    acknowledged: 'Acknowledged',
    resolved: 'Resolved',
    ack: 'Acknowledge',
    ackNote: 'Note (optional)',
    enableSound: 'Enable sound',
    soundOn: 'Sound on',
    soundOff: 'Sound off',
    speech: 'Spoken alerts',
    by: 'by',
  },
} as const;
