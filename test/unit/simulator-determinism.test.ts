import { describe, expect, it } from 'vitest';
import { generateAll } from '../../server/simulator/generate.ts';
import { Simulation } from '../../server/simulator/simulation.ts';
import { simulationOptions } from '../../server/simulator/generate.ts';
import { simulatorParams } from '../../server/simulator/options.ts';
import { Rng } from '../../server/simulator/prng.ts';

const from = Date.parse('2026-03-02T09:00:00+08:00');
const to = from + 45 * 60_000;

describe('simulator determinism', () => {
  it('replays the same stream for the same seed and parameters', () => {
    const a = generateAll({ seed: 42, from, to });
    const b = generateAll({ seed: 42, from, to });
    expect(a.length).toBeGreaterThan(500);
    expect(b).toEqual(a);
  });

  it('gives a different stream for another seed', () => {
    const a = generateAll({ seed: 42, from, to });
    const b = generateAll({ seed: 43, from, to });
    expect(b.map((e) => e.type + e.ts)).not.toEqual(a.map((e) => e.type + e.ts));
  });

  it('does not depend on how time is chunked (real-time ticks vs offline)', () => {
    const params = simulatorParams.parse({ seed: 7 });
    const coarse = new Simulation(simulationOptions(params, from)).runUntil(to);
    const fine = new Simulation(simulationOptions(params, from));
    const ticks = [];
    for (let t = from; t <= to; t += 250) ticks.push(...fine.runUntil(t));
    ticks.push(...fine.runUntil(to));
    expect(ticks).toEqual(coarse);
  });

  it('yields events in non-decreasing time with unique ids', () => {
    const events = generateAll({ seed: 3, from, to });
    for (let i = 1; i < events.length; i++) expect(events[i]!.ts).toBeGreaterThanOrEqual(events[i - 1]!.ts);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.every((e) => e.ts >= from && e.ts <= to)).toBe(true);
  });

  it('has a PRNG that is uniform enough and reproducible', () => {
    const r = new Rng(1);
    const xs = Array.from({ length: 20_000 }, () => r.next());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Rng(1).next()).toBe(xs[0]);
    const ln = new Rng(2);
    const samples = Array.from({ length: 20_000 }, () => ln.lognormal(240, 0.8));
    const lnMean = samples.reduce((a, b) => a + b, 0) / samples.length;
    expect(lnMean).toBeGreaterThan(225);
    expect(lnMean).toBeLessThan(255);
  });
});
