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
    // more than two 5,000-event chunks, so batches cross chunk and pass boundaries
    const pool = buildPool({ size: 0, rate: 1, queues: 20, spanMin: 40, endMs: nightRun, seed: 3, endsAtLocalMinute: 12 * 60 });
    const n = pool.events.length;
    expect(n).toBeGreaterThan(10_000);
    const renamed = (i: number, pass: number) => {
      const p = `lbl${pass}`;
      const e = JSON.parse(pool.events[i]!) as Record<string, unknown>;
      const out: Record<string, unknown> = { ...e, id: String(e.id).replace(`${pool.tag}-`, `${pool.tag}${p}-`), center: '中心-7' };
      if (typeof e.contactId === 'string') out.contactId = e.contactId.replace(`${pool.tag}-`, `${pool.tag}${p}-`);
      if (typeof e.agentId === 'string') out.agentId = p + e.agentId;
      return out;
    };
    const stream = new EventStream(pool, '中心-7', 'lbl');
    stream.prepare(3_000);
    const got: unknown[] = [];
    const want: unknown[] = [];
    let at = 0;
    // odd batch sizes, single events (bare objects) among them, until past the second pass's start
    for (const size of [4_998, 7, 1, 1_999, 1, 3_333]) {
      const body = JSON.parse(stream.next(size).body.toString()) as unknown;
      got.push(...(size === 1 ? [body] : (body as unknown[])));
      for (let k = 0; k < size; k++, at++) want.push(renamed(at % n, Math.floor(at / n)));
    }
    while (at < n + 50) {
      const size = Math.min(2_500, n + 50 - at);
      got.push(...(JSON.parse(stream.next(size).body.toString()) as unknown[]));
      for (let k = 0; k < size; k++, at++) want.push(renamed(at % n, Math.floor(at / n)));
    }
    expect(got.length).toBe(want.length);
    expect(got).toEqual(want);
    expect(stream.sent).toBe(n + 50);
  });
});
