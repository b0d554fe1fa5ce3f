import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { clockSkewMs, sealAfterMs } from '../metrics/sealed.ts';
import type { TrendPoint } from '../../shared/realtime/events.ts';

const minuteMs = 60_000;
const keepMs = 60 * minuteMs;
const ttlMs = 2 * 60 * minuteMs;

/**
 * How long after a minute ends a late write can still change its window without moving the
 * center's seal generation: the writer moves it for any write into a bucket that ended
 * `sealAfterMs` before the writer's clock, so a write that does not is at most that plus one minute
 * bucket old, by a writer clock up to `clockSkewMs` behind this process's. 4 min.
 */
export const unsignalledMs = sealAfterMs + minuteMs + clockSkewMs;

/**
 * Whole-chart recomputes (the seal generation moved) at most this often per view and process; the
 * first one at once. A replay's backfill moves the generation with every batch, several times a
 * second; the chart is then corrected at most this long (plus one push) after the last late batch.
 * 5 s, the heartbeat's period: a recompute costs about five pushes' reads (see TrendSeries), so
 * during a backfill it adds about a tenth to what the view's pushes cost; at 1 s it would add half.
 */
export const recomputeEveryMs = 5_000;

/**
 * Service level of each row as of each given minute end (null: no figure, or its buckets expired).
 * Supplied by the push, which knows the board's rows and window (MetricEngine.contactSeries).
 */
export type ServiceLevelHistory = (minuteEnds: number[]) => Promise<(number | null)[][]>;

/** What a push knows of the past: how to read it, and the seal generation read before that. */
export interface TrendPast {
  history: ServiceLevelHistory;
  /** sealGeneration() of the view's center, read before `history` is called */
  generation: string;
}

/**
 * The center's seal generation as the read scripts see it (lib/buckets.lua sealGeneration): it
 * changes with every ingest that writes into a sealed bucket — a late event, a replay, a re-derived
 * contact (server/metrics/sealed.ts) — and says nothing of which time it changed. '' before the
 * first ingest. One HMGET of the meta hash, sent alongside the push's figure read.
 */
export async function sealGeneration(redis: Redis, keys: Keys, center: string): Promise<string> {
  const [epoch, gen] = await redis.hmget(keys.meta(center), 'sealEpoch', 'sealGen');
  return epoch === null || epoch === undefined ? '' : `${epoch}:${gen ?? '0'}`;
}

/**
 * Per-minute samples of a wall view's service level and waiting, for its 60-minute trend chart.
 * Waiting is a live figure that the engine does not keep history of, so the push samples it: the
 * last value computed in each minute wins. Samples live in Redis (one hash per view) so a
 * restarted or second server process draws the same chart; the in-memory copy only saves reads.
 *
 * Service level of a past minute is the board's window as it stood at the minute's end, read from
 * the engine's buckets, and it is re-read whenever it may have changed since (waiting is kept: it
 * cannot be recovered, and a late event does not change what was waiting then):
 * - the whole chart when the center's seal generation moved (a late write into a sealed bucket; the
 *   signal does not say when, so every point), and when the series is first used in this process
 *   (the hash may predate late writes nobody watched; one read, as the fill of unsampled minutes
 *   cost before). Minutes nobody sampled (a new board, a server that was down, history posted by
 *   a replay) are filled then, waiting null.
 * - the points of the last `unsignalledMs`, once a minute: a write that late moves no generation.
 *   Each point is re-read at the first push of each of the five minutes after its own, which also
 *   turns its last live sample (up to a few seconds before the minute's end) into the exact figure.
 *
 * Cost, measured (8-row board of queues, 60m window, two hours of ~1,900 contacts an hour, the
 * test launcher's Redis, a shared 2-core box): a whole-chart recompute is one engine read
 * (contactSeries: one readBuckets script call over 119 one-minute rows per row, nothing kept by the
 * sealed cache since the generation just moved) ≈ 9–14 ms of Redis time and 10–13 ms of this
 * process's CPU (decoding ≈ 950 buckets) — a board push's read after a generation change is ≈ 2.5
 * and 2 ms, a 1-row board's recompute ≈ 1 and 4 ms — plus one HMGET and one pipelined HSET of the
 * points that changed. At most one per `recomputeEveryMs` per view and process: while a backfill
 * runs, ≈ 0.3 % of a Redis core and of a CPU per wall view and process, against ≈ 2.5 % for its
 * pushes. Otherwise: the minute re-read is one read of ≤ 5 ends (≈ 0.5 ms Redis, 1 ms CPU) a minute,
 * and each push adds the generation's HMGET (≈ 20 µs of Redis, sent with the figure read).
 * Nothing here runs on the ingest path; ingest only waits for Redis while a read script runs.
 */
export class TrendSeries {
  private readonly points = new Map<number, TrendPoint>();
  private loaded = false;
  /** the generation the whole chart was last read under; null: not read in this process yet */
  private generation: string | null = null;
  /** when the last whole-chart recompute started (performance.now), failed ones too */
  private recomputedAt = -Infinity;
  /** points of minutes ending at or before this were read `unsignalledMs` after their end, under
   * `generation`: only a new generation can change them */
  private settledThrough = -Infinity;
  /** the minute whose recent points were last re-read (once a minute, failed tries too) */
  private settledMinute: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    /** asks the view for a push: a recompute held back by `recomputeEveryMs` is due */
    private readonly wake?: () => void,
  ) {}

  static forView(redis: Redis, keys: Keys, center: string, viewId: string, wake?: () => void): TrendSeries {
    return new TrendSeries(redis, keys.trend(center, viewId), wake);
  }

  /**
   * Records the sample of the minute containing `asOfMs`; returns that minute's point. With `past`,
   * first re-reads the past points that may have changed (see the class comment). A failed re-read
   * costs only the correction's delay: the live sample matters more.
   */
  async record(asOfMs: number, serviceLevel: (number | null)[], waiting: (number | null)[], past?: TrendPast): Promise<TrendPoint> {
    const minute = Math.floor(asOfMs / minuteMs) * minuteMs;
    if (!this.loaded) await this.load();
    if (past) await this.refreshPast(asOfMs, minute, serviceLevel.length, past);
    const point: TrendPoint = { t: new Date(minute).toISOString(), serviceLevel, waiting };
    const isNewMinute = !this.points.has(minute);
    this.points.set(minute, point);
    const pipeline = this.redis.pipeline().hset(this.key, String(minute / 1000), JSON.stringify(point)).pexpire(this.key, ttlMs);
    if (isNewMinute) {
      const old = [...this.points.keys()].filter((m) => m < asOfMs - keepMs);
      for (const m of old) this.points.delete(m);
      if (old.length > 0) pipeline.hdel(this.key, ...old.map((m) => String(m / 1000)));
    }
    await pipeline.exec();
    return point;
  }

  /** the points of the last 60 minutes up to `asOfMs`, oldest first */
  window(asOfMs: number): TrendPoint[] {
    return [...this.points.entries()]
      .filter(([m]) => m >= asOfMs - keepMs && m <= asOfMs)
      .sort((a, b) => a[0] - b[0])
      .map(([, p]) => p);
  }

  /** stops a pending wake-up (the view is gone) */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async refreshPast(asOfMs: number, minute: number, rowCount: number, past: TrendPast): Promise<void> {
    const pastMinutes: number[] = [];
    for (let m = minute - keepMs; m < minute; m += minuteMs) pastMinutes.push(m);
    // the minute ends a read now settles: only a new generation can change a window that ended
    // unsignalledMs before the read
    const settles = Math.floor((asOfMs - unsignalledMs) / minuteMs) * minuteMs;
    if (past.generation !== this.generation) {
      // a burst of late batches: the first at once, then one per recomputeEveryMs (a wake-up makes
      // sure the last one comes even if nothing else pushes the view)
      const wait = this.recomputedAt + recomputeEveryMs - performance.now();
      if (wait > 0) return this.wakeIn(wait);
      this.recomputedAt = performance.now();
      try {
        await this.reread(pastMinutes, rowCount, past.history);
      } catch {
        return this.wakeIn(recomputeEveryMs);
      }
      this.generation = past.generation;
      this.settledThrough = settles;
      this.settledMinute = minute;
      return;
    }
    if (this.settledMinute === minute) return;
    this.settledMinute = minute;
    const recent = pastMinutes.filter((m) => m + minuteMs > this.settledThrough);
    try {
      await this.reread(recent, rowCount, past.history);
    } catch {
      return; // settledThrough stays: the next minute re-reads these points too
    }
    this.settledThrough = Math.max(this.settledThrough, settles);
  }

  /**
   * Service level of `minutes` read again (each as of its minute's end), in memory and Redis. A
   * minute without a point and without a figure gets none (a gap, as before). The points are taken
   * from Redis first: another process may have sampled one of them since this one loaded the hash,
   * and its waiting figure must not be lost. (A process whose clock is behind may still be
   * sampling the newest of them; if its write falls between this read and write, its waiting is
   * lost until its next push rewrites that minute.)
   */
  private async reread(minutes: number[], rowCount: number, history: ServiceLevelHistory): Promise<void> {
    if (minutes.length === 0) return;
    const byRow = await history(minutes.map((m) => m + minuteMs));
    const fields = minutes.map((m) => String(m / 1000));
    const stored = await this.redis.hmget(this.key, ...fields);
    const pipeline = this.redis.pipeline();
    let writes = 0;
    minutes.forEach((m, i) => {
      const serviceLevel = byRow.map((row) => row[i] ?? null);
      const held = parsePoint(stored[i]) ?? this.points.get(m);
      if (!held && serviceLevel.every((v) => v === null)) return;
      const waiting = held && held.waiting.length === rowCount ? held.waiting : new Array<null>(rowCount).fill(null);
      const point: TrendPoint = { t: new Date(m).toISOString(), serviceLevel, waiting };
      this.points.set(m, point);
      if (held && stored[i] && sameFigures(held.serviceLevel, serviceLevel)) return;
      pipeline.hset(this.key, fields[i]!, JSON.stringify(point));
      writes++;
    });
    if (writes > 0) await pipeline.pexpire(this.key, ttlMs).exec();
  }

  private wakeIn(ms: number): void {
    if (this.timer || !this.wake || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake?.();
    }, ms);
    this.timer.unref();
  }

  private async load(): Promise<void> {
    const all = await this.redis.hgetall(this.key);
    for (const [sec, json] of Object.entries(all)) {
      const p = parsePoint(json);
      if (p) this.points.set(Number(sec) * 1000, p);
    }
    this.loaded = true;
  }
}

/** a stored point, or null (missing, or corrupt: that only loses one minute of the chart) */
function parsePoint(json: string | null | undefined): TrendPoint | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as TrendPoint;
  } catch {
    return null;
  }
}

function sameFigures(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** same minute, same figures */
export function samePoint(a: TrendPoint | undefined, b: TrendPoint): boolean {
  return a !== undefined && a.t === b.t && sameFigures(a.serviceLevel, b.serviceLevel) && sameFigures(a.waiting, b.waiting);
}
