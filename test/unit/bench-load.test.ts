import { describe, expect, it } from 'vitest';
import { buildPool, dayShiftFor, EventStream } from '../bench/load.ts';

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

  it('renders each pass as the pool renamed: new ids, new agents, the stream\'s center', () => {
    const pool = buildPool({ size: 0, rate: 1, queues: 5, spanMin: 10, endMs: nightRun, seed: 3, endsAtLocalMinute: 12 * 60 });
    const n = pool.events.length;
    expect(n).toBeGreaterThan(100);
    const renamed = (i: number, pass: number) => {
      const p = `lbl${pass}`;
      const e = JSON.parse(pool.events[i]!) as Record<string, unknown>;
      const out: Record<string, unknown> = { ...e, id: String(e.id).replace(`${pool.tag}-`, `${pool.tag}${p}-`), center: '中心-7' };
      if (typeof e.contactId === 'string') out.contactId = e.contactId.replace(`${pool.tag}-`, `${pool.tag}${p}-`);
      if (typeof e.agentId === 'string') out.agentId = p + e.agentId;
      return out;
    };
    const stream = new EventStream(pool, '中心-7', 'lbl');
    stream.prepare(n + 10);
    // a batch that wraps into the second pass, then single events (bare objects)
    const first = JSON.parse(stream.next(n - 3).body.toString()) as unknown[];
    const wrap = JSON.parse(stream.next(7).body.toString()) as unknown[];
    const single = JSON.parse(stream.next(1).body.toString()) as unknown;
    expect(first).toEqual(Array.from({ length: n - 3 }, (_, i) => renamed(i, 0)));
    expect(wrap).toEqual([renamed(n - 3, 0), renamed(n - 2, 0), renamed(n - 1, 0), renamed(0, 1), renamed(1, 1), renamed(2, 1), renamed(3, 1)]);
    expect(single).toEqual(renamed(4, 1));
    expect(stream.sent).toBe(n + 5);
  });
});
