import { afterEach, describe, expect, it } from 'vitest';
import { RedisMetricEngine } from '../../server/metrics/engine.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { engineApp, T0, min, sec } from './engine-helpers.ts';

/**
 * MetricEngine.contactSeries — the trend chart's history — by hand: a window as it stood at each
 * minute end, and null (never a short figure) where the buckets it needs may have expired.
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** one contact per minute for two hours before T0, each answered 10 s after queueing (in threshold) */
function contacts(): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  for (let k = 1; k <= 120; k++) {
    const at = T0 - min(k) + sec(5);
    out.push({ id: `q${k}`, type: 'contact.queued', ts: at, contactId: `c${k}`, queue: 'cards', channel: 'voice' });
    // every fourth waits 30 s: outside the 20 s threshold
    out.push({ id: `a${k}`, type: 'contact.answered', ts: at + (k % 4 === 0 ? sec(30) : sec(10)), contactId: `c${k}`, agentId: 'ag1' });
  }
  return out;
}

const all = { kind: 'all' } as const;

describe('engine: contact series (trend history)', () => {
  it('gives each minute end the figures of the window ending there', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    expect((await h.ingest(contacts())).outcomes.every((o) => o.status === 'accepted')).toBe(true);
    const ends = [T0 - min(60), T0 - min(30), T0];
    const [series] = await h.engine.contactSeries('default', [all], '60m', ends, T0);
    // 60 contacts left the queue in each hour: minutes k = 61..120, 31..90, 1..60
    const inThreshold = (from: number, to: number) => {
      let n = 0;
      for (let k = from; k <= to; k++) if (k % 4 !== 0) n++;
      return n;
    };
    expect(series!.map((m) => m?.offered)).toEqual([60, 60, 60]);
    expect(series!.map((m) => m?.answeredInThreshold)).toEqual([inThreshold(61, 120), inThreshold(31, 90), inThreshold(1, 60)]);
    expect(series![2]!.serviceLevel).toBe(45 / 60);
    // the series agrees with the live query at the last end
    const live = await h.engine.query({ center: 'default', scope: all }, '60m', T0);
    expect(series![2]!.serviceLevel).toBe(live.serviceLevel);
  });

  it('answers null, not a short figure, for windows whose 60 s buckets an older version kept only 61 min', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    await h.ingest(contacts());
    // the data was there before this version started: forget the marker, start a new engine
    const meta = h.app.keys.meta('default');
    await h.app.redis.hdel(meta, 'minuteRetentionSince');
    const upgraded = new RedisMetricEngine(h.app.redis, h.app.keys, h.app.config);
    await upgraded.init(T0);
    expect(Number(await h.app.redis.hget(meta, 'minuteRetentionSince'))).toBe(T0);
    const [series] = await upgraded.contactSeries('default', [all], '60m', [T0 - min(60), T0 - min(1), T0], T0);
    // an hour ago the window reached 120 min back: its oldest 60 s buckets may be gone
    expect(series![0]).toBeNull();
    // windows within the last 61 min are readable with either retention
    expect(series![1]!.offered).toBe(60);
    expect(series![2]!.offered).toBe(60);
  });
});
