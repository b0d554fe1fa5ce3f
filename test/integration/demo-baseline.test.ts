import { describe, expect, it } from 'vitest';
import { rulesStatusResponse } from '../../shared/contract/alerts.ts';
import { BaselineBackfill, planBaselineDays } from '../../server/cli/demo-baseline.ts';
import { simulatorParams } from '../../server/simulator/options.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, T } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
const ingestToken = 'ingest-token-0123456789';

// Found 2026-12-08: `npm run demo` posted only two hours of today, so its traffic-spike rule was
// never armed (no earlier day had data) and the demo could not show the alert managers care most
// about. The demo now back-fills this time of day on the last working days (server/cli/demo-baseline.ts).
describe('demo baseline back-fill', () => {
  it('arms the traffic-spike rule through the ingest API and leaves today empty', async () => {
    const base = baseConfig();
    const h = await alertsApp({
      config: {
        ...base,
        tokens: [...base.tokens!, { token: ingestToken, role: 'ingest', name: 'demo-simulator' }],
        retention: { lateEventHours: 168 },
      },
    });
    cleanups.push(() => h.app.close());
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const status = async () => rulesStatusResponse.parse((await h.app.inject({ url: '/api/v1/alerts/rules/status', headers: auth('display') })).json());

    const now = T + 86_400_000; // Tuesday 10:00 Shanghai: the last 3 working days are Mon, Fri, Thu (1, 4, 5 days back)
    h.clock.set(now);
    expect((await status()).rules[0]).toMatchObject({ rule: 'default.spikeBaseline', armed: false, reason: { code: 'history' } });

    const plan = planBaselineDays({ nowMs: now, timeZone: 'Asia/Shanghai', fallbackDays: 3, lateEventHours: 168 });
    expect(plan.days.map((d) => [d.date, d.daysAgo])).toEqual([['2026-11-19', 5], ['2026-11-20', 4], ['2026-11-23', 1]]);
    // Monday's simulation stops at the last millisecond before Tuesday (today)
    expect(plan.days[2]!.until).toBe(Date.parse('2026-11-23T16:00:00Z') - 1);
    // a lighter floor than the demo's keeps the test short; the arrivals still pass minBaselineArrivals
    const params = simulatorParams.parse({ seed: 5, rate: 0.5 });
    const backfill = new BaselineBackfill({ params, url, token: ingestToken, plan, timeZone: 'Asia/Shanghai' });
    await backfill.extend(now);
    expect(backfill.rejected).toBe(0);
    expect(backfill.events).toBeGreaterThan(1000);

    // the cached "not armed" answer of the same quarter hour is not served after the back-fill
    const armed = (await status()).rules[0]!;
    expect(armed).toMatchObject({ armed: true, baseline: { kind: 'recentDays', samples: 3, dayKind: 'workday' } });
    expect(armed.baseline!.reference).toBeGreaterThan(20);

    // the demo runs on until midnight: every day is posted to its own midnight, and nothing of
    // the earlier days is in today's figures: no contacts, no agent logged in
    // (Monday's last two hours stand for the whole day here: the extension to its midnight is what matters)
    const lastHours = { days: [{ ...plan.days[2]!, from: Date.parse('2026-11-23T14:00:00Z') }] };
    const toMidnight = new BaselineBackfill({ params, url, token: ingestToken, plan: lastHours, timeZone: 'Asia/Shanghai' });
    await toMidnight.extend(now + 14 * 3_600_000);
    expect(toMidnight.done).toBe(true);
    expect(toMidnight.events).toBeGreaterThan(100);
    expect(toMidnight.rejected).toBe(0);
    const endOfToday = Date.parse('2026-11-24T15:59:00Z');
    h.clock.set(endOfToday);
    const today = await h.app.engine.query({ center: 'default', scope: { kind: 'all' } }, 'today', endOfToday);
    expect(today.offered).toBe(0);
    expect(today.arrivals).toBe(0);
    expect(today.agents?.loggedIn ?? 0).toBe(0);
    expect(today.waiting).toBe(0);
  }, 60_000);

  it('says why not on a weekend: the second weekend day is 7 days back, past the 168 h horizon', () => {
    const sunday = T - 86_400_000; // Sunday 22 November 10:00
    const plan = planBaselineDays({ nowMs: sunday, timeZone: 'Asia/Shanghai', fallbackDays: 3, lateEventHours: 168 });
    expect(plan.days).toEqual([]);
    expect(plan.reason).toContain('only 1 earlier weekend day lies within lateEventHours (168 h)');
  });
});
