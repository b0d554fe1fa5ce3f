import { describe, expect, it } from 'vitest';
import { buildPool, dayShiftFor } from '../bench/load.ts';

// 2026-12-06 19:30 UTC = 03:30 Asia/Shanghai (the simulator's default time zone)
const nightRun = Date.UTC(2026, 11, 6, 19, 30);
const minute = 60_000;

describe('bench load pool', () => {
  it('the day shift puts the end of the pool at the asked local time', () => {
    expect(dayShiftFor(nightRun, 12 * 60)).toBe(8 * 60 + 30); // 03:30 → 12:00
    expect(dayShiftFor(nightRun + 8 * 60 * minute, 12 * 60)).toBe(30); // 11:30 → 12:00
    expect(dayShiftFor(nightRun + 10 * 60 * minute, 12 * 60)).toBe(-90); // 13:30 → 12:00
    expect(dayShiftFor(nightRun + 8 * 60 * minute + 30 * minute, 12 * 60)).toBe(0);
  });

  it('is the same workload whatever the hour of the run', () => {
    const at = (endMs: number) => buildPool({ size: 0, rate: 1, queues: 10, spanMin: 30, endMs, seed: 3, endsAtLocalMinute: 12 * 60 });
    const night = at(nightRun);
    const noon = at(nightRun + 8 * 60 * minute + 30 * minute);
    expect(night.events.length).toBe(noon.events.length);
    expect(night.types).toEqual(noon.types);
    expect(night.maxTs - night.minTs).toBe(noon.maxTs - noon.minTs);
    // and not the night's traffic: cut at the run's own hour, the same pool is a fraction of it
    const unpinned = buildPool({ size: 0, rate: 1, queues: 10, spanMin: 30, endMs: nightRun, seed: 3 });
    expect(unpinned.events.length).toBeLessThan(night.events.length / 3);
  });
});
