import { describe, expect, it } from 'vitest';
import { agentTimeMetrics, contactMetrics } from '../../shared/metrics/formulas.ts';
import { emptyContactSums, emptyStateTime } from '../../shared/metrics/raw.ts';

describe('contact formulas (hand-computed)', () => {
  it('returns null, never 0 or NaN, for empty denominators', () => {
    const m = contactMetrics(emptyContactSums());
    expect(m.offered).toBe(0);
    expect(m.serviceLevel).toBeNull();
    expect(m.answerRate).toBeNull();
    expect(m.abandonRate).toBeNull();
    expect(m.asaSec).toBeNull();
    expect(m.avgTalkSec).toBeNull();
    expect(m.ahtSec).toBeNull();
    expect(m.serviceLevelVariants.abandonsInThresholdExcluded).toBeNull();
    expect(m.serviceLevelVariants.abandonsInThresholdMet).toBeNull();
  });

  it('computes service level and its variants', () => {
    // 8 answered (6 within 20 s), 2 abandoned (1 within 20 s), 3 short abandons excluded
    const m = contactMetrics({
      ...emptyContactSums(),
      answered: 8,
      answeredInThreshold: 6,
      answeredWaitMs: 8 * 12_500,
      abandoned: 2,
      abandonedInThreshold: 1,
      shortAbandoned: 3,
      talkCount: 4,
      talkMs: 4 * 180_000,
      handleCount: 2,
      handleMs: 500_000,
    });
    expect(m.offered).toBe(10);
    expect(m.serviceLevel).toBe(0.6);
    expect(m.serviceLevelVariants.abandonsInThresholdExcluded).toBeCloseTo(6 / 9, 12);
    expect(m.serviceLevelVariants.abandonsInThresholdMet).toBe(0.7);
    expect(m.answerRate).toBe(0.8);
    expect(m.abandonRate).toBe(0.2);
    expect(m.asaSec).toBe(12.5);
    expect(m.avgTalkSec).toBe(180);
    expect(m.ahtSec).toBe(250);
  });
});

describe('agent time formulas', () => {
  it('keeps occupancy and utilization distinct', () => {
    const t = { ...emptyStateTime(), available: 100, ringing: 20, on_contact: 250, hold: 50, acw: 100, not_ready: 480 };
    const m = agentTimeMetrics(t);
    expect(m.occupancy).toBe(400 / 500);
    expect(m.utilization).toBe(520 / 1000);
    expect(agentTimeMetrics(emptyStateTime()).occupancy).toBeNull();
  });
});
