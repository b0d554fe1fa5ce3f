import { describe, expect, it } from 'vitest';
import { alertsConfig } from '../../shared/contract/alerts.ts';
import { baselineOf } from '../../server/alerts/baseline.ts';

// Found in review (2026-12-07): spike.minWeeks (default 2) could exceed spike.baselineWeeks; the
// config was accepted, the baseline then null on every evaluation, so arrivalsVsBaseline could
// never fire (silently). The config is now refused.
describe('spike config', () => {
  it('rejects baselineWeeks below minWeeks (otherwise the baseline rule can never fire)', () => {
    const parsed = alertsConfig.safeParse({ spike: { baselineWeeks: 1 } });
    if (parsed.success) {
      const { baselineWeeks, method, minWeeks } = parsed.data.spike;
      // even with every looked-back week full of traffic there is no baseline
      expect(baselineOf(Array(baselineWeeks).fill(500), method, minWeeks)).toBeNull();
    }
    expect(parsed.success).toBe(false);
  });
});
