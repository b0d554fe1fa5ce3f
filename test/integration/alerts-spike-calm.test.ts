import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, spreadArrivals, T, week } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

// Found in review (2026-12-07): a spike alert whose reference later dropped below
// minBaselineArrivals got a null value for ever after; null "changes nothing for an active alert",
// so it could no longer resolve although live traffic was back at the baseline, and (critical) it
// kept escalating. Fewer arrivals than the minimum now read as no spike (ratio 0).
describe('traffic-spike alert once the baseline becomes too small', () => {
  it('resolves when live arrivals are back at the (small) baseline instead of firing and escalating on', async () => {
    const h = await alertsApp({
      config: baseConfig({
        rules: [{ id: 'spike', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 }],
        spike: { baselineWeeks: 3, method: 'median', minWeeks: 2, minBaselineArrivals: 20 },
      }),
    });
    cleanups.push(() => h.app.close());
    const arrivals = spreadArrivals(h);
    // each of the last 3 Mondays: 100 arrivals per interval 09:45 and 10:00, then 6 per interval (quiet late morning)
    for (let k = 1; k <= 3; k++) {
      const base = T - k * week; // Monday 10:00 local, k weeks ago
      await arrivals(base - min(15), 100);
      await arrivals(base, 100);
      for (let j = 1; j <= 4; j++) await arrivals(base + min(15 * j), 6);
    }
    // today: a spike, 200 in 09:50-10:05 → 2.0× → critical
    await arrivals(T + min(5) - min(15), 200);
    h.clock.set(T + min(5));
    expect((await h.app.alerts.evaluateOnce(T + min(5))).raised).toBe(1);

    // traffic back to normal: 6 arrivals in 10:30-10:45, exactly the baseline of 6 (ratio 1.0)
    await arrivals(T + min(30), 6);
    const seen: string[] = [];
    for (const t of [T + min(45), T + min(50), T + min(55), T + min(60)]) {
      h.clock.set(t);
      await h.app.alerts.evaluateOnce(t);
      const alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
      seen.push(...alerts.map((a) => `${new Date(t).toISOString().slice(11, 16)}Z ${a.severity} ${a.state} value=${a.value} level=${a.escalationLevel}`));
    }
    expect(seen).toEqual([]);
  });
});
