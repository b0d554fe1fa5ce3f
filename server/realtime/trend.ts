import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { TrendPoint } from '../../shared/realtime/events.ts';

const minuteMs = 60_000;
const keepMs = 60 * minuteMs;
const ttlMs = 2 * 60 * minuteMs;

/**
 * Service level of each row as of each given minute end (null: no figure, or its buckets expired).
 * Supplied by the push, which knows the board's rows and window (MetricEngine.contactSeries).
 */
export type ServiceLevelHistory = (minuteEnds: number[]) => Promise<(number | null)[][]>;

/**
 * Per-minute samples of a wall view's service level and waiting, for its 60-minute trend chart.
 * Waiting is a live figure that the engine does not keep history of, so the push samples it: the
 * last value computed in each minute wins. Samples live in Redis (one hash per view) so a
 * restarted or second server process draws the same chart; the in-memory copy only saves reads.
 *
 * Minutes nobody sampled (a new board, a server that was down, history posted by a replay) are
 * filled once, when the series is loaded: service level exactly as of the minute's end, from the
 * buckets; waiting null, because it cannot be recovered. A filled minute never replaces a sample.
 */
export class TrendSeries {
  private readonly points = new Map<number, TrendPoint>();
  private loaded = false;
  private filled = false;
  /** the minute of the last fill attempt: a failed fill is retried once a minute, not per push */
  private fillTriedAt: number | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  static forView(redis: Redis, keys: Keys, center: string, viewId: string): TrendSeries {
    return new TrendSeries(redis, keys.trend(center, viewId));
  }

  /** Records the sample of the minute containing `asOfMs`; returns that minute's point. */
  async record(
    asOfMs: number,
    serviceLevel: (number | null)[],
    waiting: (number | null)[],
    history?: ServiceLevelHistory,
  ): Promise<TrendPoint> {
    const minute = Math.floor(asOfMs / minuteMs) * minuteMs;
    if (!this.loaded) await this.load();
    if (history && !this.filled && this.fillTriedAt !== minute) {
      this.fillTriedAt = minute;
      try {
        await this.fill(minute, serviceLevel.length, history);
        this.filled = true;
      } catch {
        // the live sample matters more than the history: tried again next minute
      }
    }
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

  /** fills the unsampled minutes of the hour before `currentMinute` (see the class comment) */
  private async fill(currentMinute: number, rowCount: number, history: ServiceLevelHistory): Promise<void> {
    const missing: number[] = [];
    for (let m = currentMinute - keepMs; m < currentMinute; m += minuteMs) if (!this.points.has(m)) missing.push(m);
    if (missing.length === 0) return;
    const byRow = await history(missing.map((m) => m + minuteMs));
    const pipeline = this.redis.pipeline();
    missing.forEach((m, i) => {
      const serviceLevel = byRow.map((row) => row[i] ?? null);
      if (serviceLevel.every((v) => v === null)) return;
      const point: TrendPoint = { t: new Date(m).toISOString(), serviceLevel, waiting: new Array<null>(rowCount).fill(null) };
      this.points.set(m, point);
      // HSETNX: a sample another process recorded meanwhile wins over a filled minute
      pipeline.hsetnx(this.key, String(m / 1000), JSON.stringify(point));
    });
    await pipeline.pexpire(this.key, ttlMs).exec();
  }

  private async load(): Promise<void> {
    const all = await this.redis.hgetall(this.key);
    for (const [sec, json] of Object.entries(all)) {
      try {
        this.points.set(Number(sec) * 1000, JSON.parse(json) as TrendPoint);
      } catch {
        // a corrupt sample only loses one minute of the chart
      }
    }
    this.loaded = true;
  }
}
