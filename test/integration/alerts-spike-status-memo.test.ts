import { describe, expect, it, vi } from 'vitest';
import { rulesStatusResponse } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, spreadArrivals, T } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
const day = 86_400_000;

// Found 2026-12-08: GET /api/v1/alerts/rules/status, polled every 5 minutes by every lead console,
// read up to 14 whole days per spike rule and scope while the rule had no baseline. The answer is
// now kept until the next quarter hour or until data for a past bucket arrives.
describe('traffic-spike status is kept per quarter hour', () => {
  it('a second ask in the same quarter reads nothing; past data or a new quarter reads again', async () => {
    const h = await alertsApp({
      config: baseConfig({
        rules: [{ id: 'spike', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 }],
        spike: { baselineWeeks: 4, method: 'median', minWeeks: 2, minBaselineArrivals: 20 },
      }),
    });
    cleanups.push(() => h.app.close());
    const arrivals = spreadArrivals(h);
    const friday = T - 3 * day; // one working day of history before Tuesday
    await arrivals(friday - min(15), 60);
    await arrivals(friday, 60);

    const engine = h.app.engine;
    const reads = [vi.spyOn(engine, 'history'), vi.spyOn(engine, 'contactSeries'), vi.spyOn(engine, 'query'), vi.spyOn(engine, 'queryMany')];
    const readCount = () => reads.reduce((n, s) => n + s.mock.calls.length, 0);
    const status = async () => {
      const before = readCount();
      const res = await h.app.inject({ url: '/api/v1/alerts/rules/status', headers: auth('display') });
      expect(res.statusCode).toBe(200);
      return { rule: rulesStatusResponse.parse(res.json()).rules[0]!, reads: readCount() - before };
    };

    const tuesday = T + day + min(5); // Tuesday 10:05
    h.clock.set(tuesday);
    const first = await status();
    expect(first.rule).toMatchObject({ armed: false, reason: { code: 'history' }, daysWithData: 1 });
    expect(first.reads).toBeGreaterThan(3);

    h.clock.set(tuesday + min(4)); // 10:09, same quarter hour
    const second = await status();
    expect(second.reads).toBe(0);
    expect(second.rule).toEqual(first.rule);

    // Monday's traffic arrives late (a replay): written into sealed buckets, so the answer is read again
    const monday = T;
    await h.ingest(
      Array.from({ length: 120 }, (_, i) => ({
        id: `late-${i}`,
        type: 'contact.queued' as const,
        ts: monday - min(15) + i * 15_000,
        contactId: `late-${i}`,
        queue: 'q1',
        channel: 'voice' as const,
      })),
    );
    const afterData = await status();
    expect(afterData.reads).toBeGreaterThan(0);
    expect(afterData.rule).toMatchObject({ armed: true, baseline: { kind: 'recentDays', samples: 2 } });

    h.clock.set(tuesday + min(11)); // 10:16: the next quarter hour
    const nextQuarter = await status();
    expect(nextQuarter.reads).toBeGreaterThan(0);
    expect((await status()).reads).toBe(0);
  });
});
