import type { FastifyInstance } from 'fastify';
import type { Server } from 'socket.io';
import {
  heartbeatMs,
  type ClientToServerEvents,
  type InterServerEvents,
  type ServerToClientEvents,
  type SocketData,
  type TrendPoint,
  type ViewPayload,
  type ViewSpec,
} from '../../shared/realtime/events.ts';
import { computeView } from './compute.ts';
import { samePoint, TrendSeries } from './trend.ts';

type IO = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The longest coalescing window, whatever the load (the push contract's bound). */
const maxCoalesceMs = 250;

/** A full payload is reused for a joining screen when it is at most this old and nothing changed. */
const reuseSnapshotMs = 1_000;

/**
 * A recompute that has not settled by then counts as failed, so the next request starts another.
 * Without it, one Redis call that never answers (a half-open connection) would hold the view's
 * in-flight slot for ever: no update, no heartbeat, and joining screens waiting on it. Its screens
 * turn STALE meanwhile, as for any failure.
 */
export const recomputeTimeoutMs = 15_000;

/**
 * One live view in this process: the figures are computed once and broadcast to the view's room.
 * Everything here is derived from the sockets connected to this process and from Redis, so
 * another process rebuilds the same state from its own sockets.
 */
class LiveView {
  /** last full payload (trend: the whole hour) */
  last: ViewPayload | null = null;
  /** when the last recompute started (the coalescing window counts from it, failed ones too) */
  lastComputedAt = 0;
  /** when the recompute that produced `last` started */
  lastGoodAt = 0;
  lastSentAt = 0;
  /** synchronous time of the last broadcast (encode once, write to every socket of the room) */
  lastCostMs = 0;
  dirty = false;
  /** when the oldest not-yet-pushed ingest notice arrived (push-latency metric) */
  pendingSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<ViewPayload> | null = null;
  readonly trend: TrendSeries | null;

  constructor(
    readonly id: string,
    readonly spec: ViewSpec,
    private readonly hub: ViewHub,
  ) {
    // a trend recompute held back while late batches keep coming asks for a push when it is due
    this.trend = spec.kind === 'board' ? TrendSeries.forView(hub.app.redis, hub.app.keys, spec.center, id, () => this.request()) : null;
  }

  /** Something changed: recompute now if the last one is at least one coalescing window old,
   * else when that window ends. */
  request(): void {
    this.dirty = true;
    if (this.timer || this.inFlight) return; // the pending run (or the one after the in-flight one) covers it
    const wait = Math.max(0, this.lastComputedAt + this.window() - performance.now());
    this.timer = setTimeout(() => void this.run(), wait);
  }

  /**
   * The coalescing window: realtime.coalesceMs, stretched to twice the cost of the last fan-out
   * (one socket write per screen in the room: ≈ 40 µs each on this box) so pushing takes at most
   * about half of this process's CPU; never longer than 250 ms. Measured: 1,000 screens cost
   * 13–44 ms per push (the window stays 100 ms); 3,000 cost 57–178 ms, the window widens to
   * 113–250 ms instead of the process saturating and every screen falling behind (p50 at 200 ev/s
   * went from 536 to 176 ms).
   */
  window(): number {
    return Math.min(maxCoalesceMs, Math.max(this.hub.app.config.realtime.coalesceMs, 2 * this.lastCostMs));
  }

  /** a full payload for a joining screen: the last one if still current, else a fresh (shared) one */
  async snapshot(): Promise<ViewPayload> {
    // only a payload that is itself recent: while Redis is down every recompute fails, and the
    // last good payload would otherwise go to a joining screen as current for the whole outage
    if (this.last && !this.dirty && performance.now() - this.lastGoodAt < reuseSnapshotMs) return this.last;
    if (this.inFlight) return this.inFlight;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    return this.run();
  }

  run(): Promise<ViewPayload> {
    this.timer = null;
    this.dirty = false;
    const startedAt = (this.lastComputedAt = performance.now());
    // notices arriving from here on are covered by the next run, not this one
    const noticeSince = this.pendingSince;
    this.pendingSince = null;
    const started = (async () => {
      try {
        const full = await withTimeout(computeView(this.hub.app, this.id, this.spec, this.trend), recomputeTimeoutMs);
        const previous = this.last;
        this.last = full;
        this.lastGoodAt = startedAt;
        const t0 = performance.now();
        this.broadcast(full, previous, noticeSince);
        // only the synchronous fan-out is this process's own CPU; the recompute's awaits are
        // mostly Redis time
        this.lastCostMs = performance.now() - t0;
        return full;
      } finally {
        this.inFlight = null;
        if (this.dirty && !this.closed) {
          this.dirty = false;
          this.request();
        }
      }
    })();
    this.inFlight = started;
    started.then(
      () => (this.failing = false),
      (err: Error) => {
        // log the transition only: while Redis is down this fails every heartbeat
        if (!this.failing) this.hub.app.log.warn({ err: err.message, view: this.id }, 'view recompute failed; screens will show STALE');
        this.failing = true;
      },
    );
    return started;
  }

  closed = false;
  private failing = false;
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.trend?.close();
  }

  private broadcast(full: ViewPayload, previous: ViewPayload | null, noticeSince: number | null): void {
    if (this.closed) return;
    // updates carry the current minute of the trend and the past points a late event changed;
    // screens merge by minute
    const update = full.trend ? { ...full, trend: trendChanges(previous?.trend, full.trend) } : full;
    // `local`: every process serves its own sockets (all processes learn of events via Redis), so a
    // Redis adapter added later must not fan the same update out a second time.
    this.hub.io.local.to(this.id).emit('view:updated', update);
    this.lastSentAt = performance.now();
    if (noticeSince !== null) this.hub.observePushLatency(this.spec.kind, (this.lastSentAt - noticeSince) / 1000);
  }
}

export class ViewHub {
  private readonly views = new Map<string, LiveView>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    readonly app: FastifyInstance,
    readonly io: IO,
  ) {}

  get size(): number {
    return this.views.size;
  }

  has(viewId: string): boolean {
    return this.views.has(viewId);
  }

  /** the view (created on first use); the caller has put the socket in the room */
  view(viewId: string, spec: ViewSpec): LiveView {
    let v = this.views.get(viewId);
    if (!v) {
      v = new LiveView(viewId, spec, this);
      this.views.set(viewId, v);
    }
    return v;
  }

  /** drops views whose room is empty in this process */
  release(viewId: string): void {
    const v = this.views.get(viewId);
    if (!v) return;
    const members = this.io.of('/').adapter.rooms.get(viewId)?.size ?? 0;
    if (members === 0) {
      v.close();
      this.views.delete(viewId);
    }
  }

  /** the engine accepted events for a center (any server process): every view of it recomputes */
  centerChanged(center: string): void {
    const at = performance.now();
    for (const v of this.views.values()) {
      if (v.spec.center !== center) continue;
      v.pendingSince ??= at;
      v.request();
    }
  }

  /** ingest notice → update emitted (the ops plugin's histogram, when present) */
  observePushLatency(kind: 'board' | 'lead', seconds: number): void {
    const m = (this.app as unknown as { promMetrics?: { pushLatency?: { observe(l: { kind: string }, v: number): void } } }).promMetrics;
    m?.pushLatency?.observe({ kind }, seconds);
  }

  /** heartbeat: a view that has sent nothing for 5 s recomputes (asOf moves, live figures age) */
  tick(): void {
    const now = performance.now();
    for (const v of this.views.values()) if (now - v.lastSentAt >= heartbeatMs - 100) v.request();
  }

  startHeartbeat(): void {
    this.heartbeat ??= setInterval(() => this.tick(), 500);
    this.heartbeat.unref();
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const v of this.views.values()) v.close();
    this.views.clear();
  }
}

/**
 * The points of a trend that differ from the last payload's (recomputed after late events), and
 * always the current minute; the whole series after no earlier payload. ≈ 60 point comparisons a
 * push: microseconds, against re-sending the hour (≈ 60× the trend bytes) to every screen.
 */
export function trendChanges(previous: TrendPoint[] | undefined, trend: TrendPoint[]): TrendPoint[] {
  if (!previous) return trend;
  const before = new Map(previous.map((p) => [p.t, p]));
  return trend.filter((p, i) => i === trend.length - 1 || !samePoint(before.get(p.t), p));
}

/** `p`, or a rejection once `ms` have passed without it settling */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`view recompute did not settle within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export type { LiveView, IO };
