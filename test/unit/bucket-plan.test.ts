import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPlan, decompose, fineRetention, futureSlackMs, pieceKeyPart, pieceKeysOf, windowPlan, type FineRetention } from '../../server/metrics/plan.ts';

const T = Date.parse('2026-03-02T02:00:00Z');
const sizeMs = { 1: 1000, 10: 10_000, 60: 60_000, 900: 900_000 } as const;

describe('bucket decomposition', () => {
  it('covers [a, b) exactly with aligned buckets, greedy from the largest level', () => {
    const pieces = decompose(T - 30 * 60_000 + 7000, T + 3000, T + 3000);
    let x = T - 30 * 60_000 + 7000;
    for (const p of pieces) {
      expect(p.startMs).toBe(x);
      expect(p.startMs % sizeMs[p.level]).toBe(0);
      x += sizeMs[p.level];
    }
    expect(x).toBe(T + 3000);
    // 3 × 1 s, 5 × 10 s, 14 × 60 s, 1 × 900 s, then 0 × 60 s ... 3 × 1 s
    expect(pieces.length).toBeLessThanOrEqual(30);
  });

  it('stays within ~60 reads for any rolling window position', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), fc.constantFrom(15, 30, 60), (offsetSec, minutes) => {
        const asOf = T + offsetSec * 1000;
        const n = decompose(asOf - minutes * 60_000, asOf, asOf).length + decompose(asOf, asOf + futureSlackMs, asOf).length;
        expect(n).toBeLessThanOrEqual(70);
      }),
      { numRuns: 300 },
    );
  });

  it('uses only 900 s buckets where fine buckets have expired, and refuses an impossible range', () => {
    const now = T;
    const old = decompose(now - 24 * 3_600_000, now - 2 * 3_600_000, now);
    expect(old.every((p) => p.level === 900)).toBe(true);
    expect(() => decompose(now - 2 * 3_600_000 + 1000, now - 90 * 60_000, now)).toThrow(/expired/);
    // a 1 s bucket lives until its end + 61 min
    const secondMs = fineRetention.secondMs;
    expect(decompose(now - secondMs, now - secondMs + 1000, now)).toHaveLength(1);
    expect(() => decompose(now - secondMs - 1000, now - secondMs, now)).toThrow(/expired/);
    // a 60 s bucket until its end + 121 min (the trend chart's oldest point looks back that far)
    const minuteMs = fineRetention.minuteMs;
    expect(decompose(now - minuteMs, now - minuteMs + 60_000, now)).toEqual([{ level: 60, startMs: now - minuteMs }]);
    expect(() => decompose(now - minuteMs - 60_000, now - minuteMs, now)).toThrow(/expired/);
    // …unless it started before this version did (created to live 61 min)
    const upgraded = { ...fineRetention, minuteMsSince: now - 30 * 60_000 };
    expect(() => decompose(now - minuteMs, now - minuteMs + 60_000, now, upgraded)).toThrow(/expired/);
    expect(decompose(now - secondMs, now - secondMs + 60_000, now, upgraded)).toEqual([{ level: 60, startMs: now - secondMs }]);
    expect(decompose(now - 20 * 60_000, now - 19 * 60_000, now, upgraded)).toEqual([{ level: 60, startMs: now - 20 * 60_000 }]);
    expect(() => decompose(now + 1, now + 1000, now)).toThrow(/whole seconds/);
  });

  it('plans consecutive rows with agent time clipped at asOf and a tail to asOf + 61 s', () => {
    const asOf = T + 6 * 60_000;
    const plan = buildPlan([{ a: T - 900_000, b: T }, { a: T, b: T + 900_000 }], asOf, asOf);
    expect(plan.rows[0]!.timeEnd).toBe(T);
    expect(plan.rows[0]!.untimed).toEqual([]);
    expect(plan.rows[1]!.timeEnd).toBe(asOf);
    const span = (idx: number[], p = plan) => idx.reduce((s, i) => s + sizeMs[p.pieces[i]!.level], 0);
    expect(span(plan.rows[1]!.timed)).toBe(6 * 60_000);
    expect(span(plan.rows[1]!.untimed)).toBe(9 * 60_000);
    // the rows already reach past asOf + 61 s: no tail
    expect(plan.tail).toEqual([]);
    const live = buildPlan([{ a: asOf - 900_000, b: asOf }], asOf, asOf + 500);
    expect(span(live.tail, live)).toBe(futureSlackMs);
    expect(() => buildPlan([{ a: 0, b: 900_000 }, { a: 1_800_000, b: 2_700_000 }], asOf, asOf)).toThrow(/consecutive/);
  });

  it('plans a whole second alike: one window plan serves every millisecond of its asOf second', () => {
    // windows whose oldest fine buckets die inside the second asked about are the hard case: a
    // start 61–62 min (1 s / 10 s buckets) or 121–122 min (60 s) before asOf, and 60 s buckets
    // older than minuteMsSince (a millisecond instant) that live only 61 min
    let edges = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 86_400 }),
        fc.constantFrom(61 * 60, 62 * 60, 121 * 60, 122 * 60, 15 * 60, 3600),
        fc.oneof(fc.constant(0), fc.constant(1), fc.integer({ min: 0, max: 70 })),
        fc.integer({ min: 0, max: 999 }),
        fc.option(fc.integer({ min: -130 * 60_000, max: 0 }), { nil: undefined }),
        (offsetSec, spanSec, jitterSec, ms, sinceOffset) => {
          const asOf = T + offsetSec * 1000;
          const a = asOf - (spanSec - jitterSec) * 1000;
          const retention: FineRetention = { ...fineRetention, ...(sinceOffset !== undefined ? { minuteMsSince: asOf + sinceOffset + 7 } : {}) };
          const exact = (now: number) => {
            try {
              return buildPlan([{ a, b: asOf }], asOf, now, retention);
            } catch (err) {
              return (err as Error).message;
            }
          };
          const atMs = exact(asOf + ms);
          if (JSON.stringify(exact(asOf)) !== JSON.stringify(exact(asOf + 1000))) edges++;
          let shared: unknown;
          try {
            shared = windowPlan(a, asOf, asOf, asOf + ms, retention);
          } catch (err) {
            shared = (err as Error).message;
          }
          expect(shared).toEqual(atMs);
        },
      ),
      { numRuns: 2000 },
    );
    // the generated windows did reach plans that change from one second to the next
    expect(edges).toBeGreaterThan(20);
  });

  it('plans by the millisecond when retentions are not whole seconds', () => {
    const retention: FineRetention = { secondMs: 61 * 60_000 + 500, minuteMs: fineRetention.minuteMs };
    const asOf = T;
    const a = asOf - retention.secondMs - 500; // its first 1 s bucket dies at asOf + 500 ms
    expect(windowPlan(a, asOf, asOf, asOf + 100, retention)).toEqual(buildPlan([{ a, b: asOf }], asOf, asOf + 100, retention));
    expect(() => windowPlan(a, asOf, asOf, asOf + 600, retention)).toThrow(/expired/);
  });

  it('gives the same plan object, and its piece keys once, within a second', () => {
    const p1 = windowPlan(T - 3_600_000, T, T, T + 3);
    const p2 = windowPlan(T - 3_600_000, T, T, T + 998);
    expect(p2).toBe(p1);
    expect(pieceKeysOf(p1)).toBe(pieceKeysOf(p2));
    expect(pieceKeysOf(p1)).toEqual(p1.pieces.map(pieceKeyPart));
    expect(windowPlan(T - 3_600_000 + 1000, T + 1000, T + 1000, T + 1000)).not.toBe(p1);
  });
});
