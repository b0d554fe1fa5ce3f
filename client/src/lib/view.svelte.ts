import { SvelteSet } from 'svelte/reactivity';
import { staleAfterMs, type AckErrorCode, type TrendPoint, type ViewPayload, type ViewSpecInput } from '../../../shared/realtime/events.ts';
import { connection } from './connection.svelte.ts';
import { arrivalNow, elapsedSince, type Arrival } from './now.svelte.ts';

const hourMs = 60 * 60_000;

/**
 * The views subscribed on this page. What a screen shows beside them without a view of its own —
 * the alert banner — is as current as they are: when the figures of its center are STALE (nothing
 * for 10 s: the server cannot compute, or does not answer), so is what it shows.
 */
const subscribed = new SvelteSet<LiveView>();

/** whether a view of `center` subscribed on this page is STALE (one the server refused has no
 * figures to age: the page says why instead) */
export function centerStale(center: string): boolean {
  for (const v of subscribed) if ((v.spec.center ?? 'default') === center && v.refused === null && v.stale) return true;
  return false;
}

/**
 * One subscribed view on a screen: the last payload as the server computed it, when it arrived,
 * and whether it is STALE (socket down, or nothing for 10 s: the server recomputes every view at
 * least every 5 s, and sends nothing it could not compute). Payloads are replaced whole
 * (`$state.raw`): the server sends complete figures, so there is nothing to merge but the trend.
 * A payload computed before the one shown (`asOf`) is dropped. "Nothing for 10 s" is timed on the
 * monotonic clock (`elapsedSince`): a device clock stepped back must not keep old figures live. The
 * as-of time shown stays the server's (`asOf`).
 */
export class LiveView {
  payload = $state.raw<ViewPayload | null>(null);
  trend = $state.raw<TrendPoint[]>([]);
  /** when the last payload arrived (null before the first) */
  receivedAt = $state.raw<Arrival | null>(null);
  /** why the server refused the view (e.g. `unknown_team`), null once it accepts it */
  refused = $state<AckErrorCode | null>(null);

  /** ms since the last payload (0 before the first) */
  readonly ageMs = $derived(this.receivedAt === null ? 0 : elapsedSince(this.receivedAt));
  readonly stale = $derived(!connection.connected || this.payload === null || this.ageMs > staleAfterMs);

  constructor(readonly spec: ViewSpecInput) {}

  /** subscribe; returns the unsubscribe function (use in an $effect) */
  start(): () => void {
    subscribed.add(this);
    const stop = connection.socket.watch(
      this.spec,
      (p, kind) => this.apply(p, kind),
      (error) => (this.refused = error),
    );
    return () => {
      subscribed.delete(this);
      stop();
    };
  }

  apply(p: ViewPayload, kind: 'snapshot' | 'update'): void {
    // an older computation arriving late (asOf is the server's second of computation)
    if (this.payload !== null && Date.parse(p.asOf) < Date.parse(this.payload.asOf)) return;
    if (p.trend) this.trend = kind === 'snapshot' ? p.trend : mergeTrend(this.trend, p.trend, Date.parse(p.asOf));
    this.payload = p;
    this.receivedAt = arrivalNow();
  }
}

function mergeTrend(old: TrendPoint[], fresh: TrendPoint[], asOfMs: number): TrendPoint[] {
  const byMinute = new Map(old.map((p) => [p.t, p]));
  for (const p of fresh) byMinute.set(p.t, p);
  return [...byMinute.values()].filter((p) => Date.parse(p.t) >= asOfMs - hourMs).sort((a, b) => a.t.localeCompare(b.t));
}
