import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { TrendPoint } from '../../shared/realtime/events.ts';

const minuteMs = 60_000;
const keepMs = 60 * minuteMs;
const ttlMs = 2 * 60 * minuteMs;

/**
 * Per-minute samples of a wall view's service level and waiting, for its 60-minute trend chart.
 * Waiting is a live figure that the engine does not keep history of, so the push samples it: the
 * last value computed in each minute wins. Samples live in Redis (one hash per view) so a
 * restarted or second server process draws the same chart; the in-memory copy only saves reads.
 */
export class TrendSeries {
  private readonly points = new Map<number, TrendPoint>();
  private loaded = false;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  static forView(redis: Redis, keys: Keys, center: string, viewId: string): TrendSeries {
    return new TrendSeries(redis, keys.trend(center, viewId));
  }

  /** Records the sample of the minute containing `asOfMs`; returns that minute's point. */
  async record(asOfMs: number, serviceLevel: (number | null)[], waiting: (number | null)[]): Promise<TrendPoint> {
    if (!this.loaded) await this.load();
    const minute = Math.floor(asOfMs / minuteMs) * minuteMs;
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
