import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialTracker, noDataResolveMs, step, type Levels, type Tracker } from '../../server/alerts/hysteresis.ts';

const answerRate: Levels = { comparator: 'lt', warning: 0.9, critical: 0.85, clear: 0.92, sustainedForSec: 60 };

function run(levels: Levels, values: (number | null)[], everyMs = 5000) {
  let t: Tracker = initialTracker;
  const transitions: string[] = [];
  values.forEach((v, i) => {
    const r = step(t, levels, v, i * everyMs);
    t = r.next;
    if (r.transition.kind !== 'none') transitions.push(`${i}:${r.transition.kind}${'severity' in r.transition ? ':' + r.transition.severity : ''}`);
  });
  return { t, transitions };
}

describe('alert hysteresis state machine', () => {
  it('fires only once the breach has lasted sustainedForSec', () => {
    // 5 s steps: breach from step 0, 60 s reached at step 12
    const { transitions } = run(answerRate, Array(14).fill(0.88));
    expect(transitions).toEqual(['12:fire:warning']);
  });

  it('a breach that recovers before sustainedFor never fires', () => {
    const values = [...Array(10).fill(0.88), 0.91, ...Array(10).fill(0.88)];
    expect(run(answerRate, values).transitions).toEqual([]);
  });

  it('oscillating around the warning level raises one alert and resolves only past the clear level', () => {
    const levels = { ...answerRate, sustainedForSec: 0 };
    const values = [0.89, 0.905, 0.88, 0.91, 0.899, 0.915, 0.89, 0.919, 0.93];
    expect(run(levels, values).transitions).toEqual(['0:fire:warning', '8:resolve']);
  });

  it('reaching the clear level exactly clears (inclusive)', () => {
    const levels = { ...answerRate, sustainedForSec: 0 };
    expect(run(levels, [0.8, 0.92]).transitions).toEqual(['0:fire:critical', '1:resolve']);
  });

  it('upgrades warning → critical after the critical breach is sustained, never downgrades', () => {
    const levels = { ...answerRate, sustainedForSec: 10 };
    const values = [0.88, 0.88, 0.88, 0.8, 0.8, 0.8, 0.88, 0.8, 0.88];
    expect(run(levels, values).transitions).toEqual(['2:fire:warning', '5:upgrade:critical']);
  });

  it('gt comparator with a critical-only rule', () => {
    const levels: Levels = { comparator: 'gt', warning: null, critical: 120, clear: 100, sustainedForSec: 0 };
    expect(run(levels, [90, 130, 110, 99]).transitions).toEqual(['1:fire:critical', '3:resolve']);
  });

  it('null values keep an active alert and cancel a pending one', () => {
    const levels = { ...answerRate, sustainedForSec: 10 };
    expect(run(levels, [0.8, null, 0.8, 0.8]).transitions).toEqual([]);
    expect(run(levels, [0.8, 0.8, 0.8, null, null, 0.95]).transitions).toEqual(['2:fire:critical', '5:resolve']);
  });

  it('an active alert without a value for noDataResolveMs resolves (nothing left to judge); a value back in time keeps it', () => {
    const levels = { ...answerRate, sustainedForSec: 10 };
    const minute = 60_000;
    const steps = noDataResolveMs / minute;
    // one step a minute, fired at step 0, then no value for noDataResolveMs
    const quiet = run({ ...levels, sustainedForSec: 0 }, [0.8, ...Array<null>(steps + 1).fill(null)], minute);
    expect(quiet.transitions).toEqual(['0:fire:critical', `${steps + 1}:resolve`]);
    // a value between the warning and clear levels before then: the silence starts again after it
    const back = run({ ...levels, sustainedForSec: 0 }, [0.8, ...Array<null>(steps - 1).fill(null), 0.91, ...Array<null>(steps - 1).fill(null)], minute);
    expect(back.transitions).toEqual(['0:fire:critical']);
    expect(back.t.phase).toBe('active');
  });

  it('property: with a clear gap, values that never cross the clear level resolve nothing and fire at most once', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.5, max: 0.9199, noNaN: true }), { minLength: 1, maxLength: 60 }), (vals) => {
        const { transitions } = run({ ...answerRate, sustainedForSec: 0 }, vals);
        const fires = transitions.filter((t) => t.includes('fire'));
        expect(fires.length).toBeLessThanOrEqual(1);
        expect(transitions.some((t) => t.endsWith('resolve'))).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
