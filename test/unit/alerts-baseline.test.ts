import { describe, expect, it } from 'vitest';
import { alignedRange, baselineOf, overlapSum, sameLocalTimeWeeksAgo, spikeRatio, weekMs } from '../../server/alerts/baseline.ts';

const q = 15 * 60_000;

describe('traffic spike baseline math', () => {
  it('overlap-weights 15-minute rows for an unaligned window', () => {
    // window 10:05–10:20 over rows 10:00 (60 arrivals) and 10:15 (30): 2/3·60 + 1/3·30 = 50
    const t0 = Date.UTC(2026, 10, 17, 2, 0);
    const rows = [{ fromMs: t0, arrivals: 60 }, { fromMs: t0 + q, arrivals: 30 }];
    expect(overlapSum(rows, t0 + 5 * 60_000, t0 + 20 * 60_000)).toBeCloseTo(50, 10);
    expect(alignedRange(t0 + 5 * 60_000, t0 + 20 * 60_000)).toEqual({ from: t0, to: t0 + 2 * q });
  });

  it('median ignores an outlier week, mean does not; empty weeks are no data', () => {
    expect(baselineOf([100, 110, 400, null], 'median', 2)).toBe(110);
    expect(baselineOf([100, 110, 400, null], 'mean', 2)).toBeCloseTo(203.333, 2);
    expect(baselineOf([100, 120, 0, null], 'median', 2)).toBe(110);
    expect(baselineOf([100, null, 0, null], 'median', 2)).toBeNull();
  });

  it('ratio needs a reference above the minimum volume', () => {
    expect(spikeRatio(156, 100, 20)).toBeCloseTo(1.56, 10);
    expect(spikeRatio(50, 10, 20)).toBeNull();
    expect(spikeRatio(50, null, 0)).toBeNull();
    // fewer arrivals than the minimum are no spike, whatever the reference: 0, so an open alert clears
    expect(spikeRatio(6, 6, 20)).toBe(0);
    expect(spikeRatio(19, null, 20)).toBe(0);
    expect(spikeRatio(20, 6, 20)).toBeNull();
  });

  it('same weekday k weeks ago keeps local clock time across DST', () => {
    const now = Date.UTC(2026, 10, 24, 2, 0); // Shanghai: no DST, exactly k weeks
    expect(sameLocalTimeWeeksAgo(now, 2, 'Asia/Shanghai')).toBe(now - 2 * weekMs);
    // New York, 2026-03-10 12:00 local (EDT, UTC-4) vs one week earlier (EST, UTC-5): one hour later in UTC
    const ny = Date.UTC(2026, 2, 10, 16, 0);
    expect(sameLocalTimeWeeksAgo(ny, 1, 'America/New_York')).toBe(ny - weekMs + 3_600_000);
  });
});
