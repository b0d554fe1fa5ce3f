import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyHistogram, matchDeliveries, median, percentile, percentileSorted, spreadOf } from '../bench/stats.ts';
import { benchSummary, checkTargets, renderMarkdown, saturatedRate, type BenchSummary } from '../bench/summary.ts';
import { parseBenchArgs } from '../bench/args.ts';
import { topSelfTime } from '../bench/profile.ts';

describe('bench percentiles (nearest rank)', () => {
  it('matches hand-computed ranks', () => {
    const v = [15, 20, 35, 40, 50];
    expect(percentile(v, 5)).toBe(15);
    expect(percentile(v, 30)).toBe(20);
    expect(percentile(v, 40)).toBe(20);
    expect(percentile(v, 50)).toBe(35);
    expect(percentile(v, 100)).toBe(50);
    expect(percentile([3, 1, 2], 0)).toBe(1);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
    expect(() => percentile(v, 101)).toThrow(RangeError);
  });

  it('of 1..100 the p-th percentile is p', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    for (const p of [1, 50, 95, 99, 100]) expect(percentile(v, p)).toBe(p);
  });

  it('is a member of the sample, monotone in p, and bounds the right share of values', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 100 }), (values, p) => {
        const q = percentile(values, p);
        expect(values).toContain(q);
        expect(percentile(values, Math.max(0, p - 1))).toBeLessThanOrEqual(q);
        const atOrBelow = values.filter((x) => x <= q).length;
        expect(atOrBelow / values.length).toBeGreaterThanOrEqual(p / 100);
      }),
      { numRuns: 100 },
    );
  });

  it('median and spread of repetitions', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const s = spreadOf([90, 100, 110]);
    expect(s).toMatchObject({ median: 100, min: 90, max: 110 });
    expect(s.spread).toBeCloseTo(0.2);
    expect(percentileSorted(Float64Array.from([1, 2, 3, 4]), 75)).toBe(3);
  });
});

describe('bench latency histogram', () => {
  it('agrees with exact percentiles within one bin, and keeps the max exact', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 2000, noNaN: true }), { minLength: 1, maxLength: 300 }), (values) => {
        const h = new LatencyHistogram(0.5, 1000);
        for (const v of values) h.add(v);
        for (const p of [50, 95, 99, 100]) {
          const exact = percentile(values, p);
          const binned = h.percentile(p);
          expect(binned).toBeGreaterThanOrEqual(exact - 1e-9);
          expect(binned - exact).toBeLessThanOrEqual(0.5 + 1e-9);
        }
        expect(h.max).toBe(Math.max(...values));
      }),
      { numRuns: 100 },
    );
  });

  it('weights and merges', () => {
    const a = new LatencyHistogram(1, 100);
    a.add(10.2, 3);
    const b = new LatencyHistogram(1, 100);
    b.add(50.5, 1);
    b.add(250, 1);
    b.add(120, 2_000_000);
    a.merge(b.toJSON());
    expect(a.count).toBe(2_000_005);
    expect(a.percentile(99)).toBe(120);
    expect(a.percentile(100)).toBe(250);
    const c = new LatencyHistogram(1, 100);
    c.add(10.2, 3);
    c.add(50.5, 1);
    c.add(250, 1);
    expect(c.count).toBe(5);
    expect(c.percentile(60)).toBe(11);
    expect(c.percentile(80)).toBe(51);
    expect(c.percentile(100)).toBe(250);
    expect(() => a.merge(new LatencyHistogram(1, 50).toJSON())).toThrow();
  });
});

describe('bench delivery matching', () => {
  const batches = [
    { seq: 10, sentAt: 1000, events: 10 },
    { seq: 20, sentAt: 1010, events: 10 },
    { seq: 30, sentAt: 1020, events: 10 },
  ];

  it('a batch reaches a screen with the first payload whose seq covers it', () => {
    const seen: [number, number][] = [];
    const missing = matchDeliveries(batches, [[5, 900], [20, 1100], [20, 1150], [15, 1160], [31, 1300]], (ms, n) => seen.push([ms, n]));
    expect(seen).toEqual([[100, 10], [90, 10], [280, 10]]);
    expect(missing).toBe(0);
  });

  it('reports the events of batches no payload covered', () => {
    const seen: number[] = [];
    expect(matchDeliveries(batches, [[10, 1050]], (ms) => seen.push(ms))).toBe(20);
    expect(seen).toEqual([50]);
    expect(matchDeliveries(batches, [], () => {})).toBe(30);
  });
});

describe('bench summary and arguments', () => {
  it('reports a batch size at its best concurrency, and 0 for one that did not run', () => {
    const run = (batch: number, median: number) => ({ batch, eventsPerSec: { median, min: median, max: median, spread: 0, runs: [median] } });
    const runs = [run(100, 21_000), run(100, 27_000), run(1000, 29_000), run(1000, 28_000), run(1, 6_000)];
    expect(saturatedRate(runs, 100)).toBe(27_000);
    expect(saturatedRate(runs, 1000)).toBe(29_000);
    expect(saturatedRate(runs, 1)).toBe(6_000);
    expect(saturatedRate(runs, 10)).toBe(0);
  });

  const summary: BenchSummary = {
    machine: { cpuModel: 'AMD EPYC', cores: 2, memoryGiB: 23.5, node: 'v20.20.2', redis: '7.0.15', os: 'Linux 6' },
    ingest: { batch1: 3000, batch100: 40_000, batch1000: 55_000 },
    redisCeilingOpsPerSec: 900_000,
    latency: [
      {
        screens: 1000,
        eventsPerSec: 2000,
        p50: 80,
        p95: 200,
        p99: 260,
        max: 400,
        achievedEventsPerSec: 1990,
        samples: 10_000,
        undelivered: 0,
        serverCpu: 0.5,
        redisCpu: 0.2,
        screensCpu: 0.6,
        producerCpu: 0.1,
        rssPerScreenKiB: 30,
        clientsMatchApi: true,
      },
    ],
    metricsQuery: { p50: 1.2, p99: 4 },
    lostEvents: 0,
    doubleCounted: 0,
    mode: 'quick',
    startedAt: '2026-11-24T01:00:00.000Z',
    durationSec: 90,
    targets: [],
    details: {
      ingest: [],
      redisCeiling: spreadOf([900_000]),
      memory: { dayEvents: 1, dayQueues: 50, dayAgents: 500, serverRssMiB: 200, redisUsedMemoryMiB: 30, dayIngestEventsPerSec: 1 },
      metricsQuery: { requests: 10, p95: 3, max: 5, queues: 50, agents: 500 },
      correctness: [],
    },
  };

  it('the issue-7 shape validates, and a summary missing a field does not', () => {
    expect(benchSummary.parse(summary)).toEqual(summary);
    const { metricsQuery: _dropped, ...incomplete } = summary;
    expect(benchSummary.safeParse(incomplete).success).toBe(false);
    expect(benchSummary.safeParse({ ...summary, latency: [] }).success).toBe(false);
    expect(benchSummary.safeParse({ ...summary, lostEvents: -1 }).success).toBe(false);
  });

  it('targets: met and missed, with ratios', () => {
    const t = checkTargets(summary);
    expect(t.map((x) => [x.name.split(' ')[0], x.met])).toEqual([
      ['batched', true],
      ['event-to-screen', true],
      ['event-to-screen', false],
      ['metrics', true],
    ]);
    expect(t[0]!.ratio).toBeCloseTo(1.1);
    expect(t[2]!.ratio).toBeCloseTo(260 / 250);
    const none = checkTargets({ ...summary, latency: [{ ...summary.latency[0]!, screens: 100 }] });
    expect(none[1]).toMatchObject({ measured: null, met: false });
    const md = renderMarkdown({ ...summary, targets: t });
    expect(md).toContain('| event-to-screen p99 (1,000 screens, 2,000 ev/s) | ≤ 250 ms | 260.00 ms | 1.04 | **no** |');
    // the latency row says how busy every process sharing the machine was
    expect(md).toContain('| 50 % | 20 % | 60 % | 10 % |');
  });

  it('parses and rejects command lines', () => {
    expect(parseBenchArgs(['--quick', '--json', 'out.json'])).toMatchObject({ quick: true, json: 'out.json', profile: false });
    expect(parseBenchArgs(['--reps=5', '--seconds', '2.5'])).toMatchObject({ quick: false, reps: 5, seconds: 2.5 });
    expect(() => parseBenchArgs(['--reps', '2'])).toThrow();
    expect(() => parseBenchArgs(['--json'])).toThrow();
    expect(() => parseBenchArgs(['--qiuck'])).toThrow();
    expect(() => parseBenchArgs(['quick'])).toThrow();
  });

  it('profile summary ranks functions by self time', () => {
    const top = topSelfTime({
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, hitCount: 0 },
        { id: 2, callFrame: { functionName: 'parse', url: 'file:///x/node_modules/zod/a.js', lineNumber: 9 }, hitCount: 30 },
        { id: 3, callFrame: { functionName: 'ingest', url: 'file:///x/server/metrics/engine.ts', lineNumber: 0 }, hitCount: 70 },
      ],
    });
    expect(top[0]).toEqual({ function: 'ingest', url: 'server/metrics/engine.ts:1', selfPct: 70 });
    expect(top[1]).toEqual({ function: 'parse', url: 'node_modules/zod/a.js:10', selfPct: 30 });
  });
});
