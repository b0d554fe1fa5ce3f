import { describe, expect, it, vi } from 'vitest';
import { rulesStatusResponse, type Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, spreadArrivals, T, week } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
const day = 86_400_000;

// Found in review (2026-12-07): the spike rule needs minWeeks (2) same-weekday weeks of history, so
// on a new install (or a new queue or center) no spike alert could fire for about two weeks, and
// the wall, the lead page, the alerts API and the log all kept quiet about it. The rule now falls
// back to the last few days of the same kind (working day / weekend), names that baseline in its
// text, and GET /api/v1/alerts/rules/status (and a log line at start) says when it is not armed.
const spikeConfig = () =>
  baseConfig({
    rules: [{ id: 'spike', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 }],
    spike: { baselineWeeks: 4, method: 'median', minWeeks: 2, minBaselineArrivals: 20 },
  });

const status = async (h: Awaited<ReturnType<typeof alertsApp>>) => {
  const res = await h.app.inject({ url: '/api/v1/alerts/rules/status', headers: auth('display') });
  expect(res.statusCode).toBe(200);
  return rulesStatusResponse.parse(res.json());
};

describe('traffic spike on a new install (recent-days fallback baseline)', () => {
  it('three working days of history: a spike today raises an alert naming the fallback baseline; the status says armed', async () => {
    const h = await alertsApp({ config: spikeConfig() });
    cleanups.push(() => h.app.close());
    const now = T + min(5); // Monday 2026-11-23 10:05 Shanghai: the window 09:50–10:05 straddles two intervals
    const arrivals = spreadArrivals(h);
    // (09:45 interval, 10:00 interval) per day → that day's share 2/3·a + 1/3·b
    const days: [number, [number, number]][] = [
      [1, [1500, 1500]], // Sunday: weekend, not a Monday's kind of day
      [2, [1500, 1500]], // Saturday: likewise
      [3, [90, 30]], // Friday 70
      [4, [120, 60]], // Thursday 100
      [5, [450, 300]], // Wednesday 400 (the median ignores it)
      [6, [15, 0]], // Tuesday 10: a 4th working day, beyond fallbackDays (3)
      [7, [15, 0]], // last Monday 10: one week of same-weekday history, fewer than minWeeks (2)
    ];
    for (const [d, [a, b]] of days) {
      const base = T - d * day;
      await arrivals(base - min(15), a);
      await arrivals(base, b);
    }
    await arrivals(now - min(15), 156);

    h.clock.set(now);
    expect((await h.app.alerts.evaluateOnce(now)).raised).toBe(1);
    const alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    expect(alerts).toHaveLength(1);
    const spike = alerts[0]!;
    expect(spike).toMatchObject({ rule: 'spike', severity: 'warning', threshold: 1.3, baseline: { kind: 'recentDays', samples: 3, dayKind: 'workday' } });
    expect(spike.value).toBeCloseTo(1.56, 6);
    expect(spike.message.zh).toContain('近15分钟进线 156，为近3个工作日同期基线 100 的 1.56 倍（+56%');
    expect(spike.message.zh).toContain('（同星期基线不足2周）');
    expect(spike.message.en).toContain('156 arrivals in the last 15 min, 1.56× the baseline of 100 from the last 3 working days (+56%');
    expect(spike.message.en).toContain('(fewer than 2 weeks of same-weekday history)');

    const s = await status(h);
    expect(s.rules).toHaveLength(1);
    expect(s.rules[0]).toMatchObject({
      rule: 'spike',
      scope: { center: 'default' },
      armed: true,
      baseline: { kind: 'recentDays', samples: 3, dayKind: 'workday', reference: 100 },
      weeksWithData: 1,
    });
    expect(s.rules[0]!.reason).toBeUndefined();

    // late at night nobody calls, on any day: not armed at this time of day, but not for lack of
    // history, so nothing is logged at start
    h.clock.set(T + 13 * 3_600_000); // Monday 23:00
    const night = (await status(h)).rules[0]!;
    expect(night).toMatchObject({ armed: false, baseline: null, armedFrom: null, reason: { code: 'quiet' } });
    expect(night.reason!.text.en).toContain('no arrivals at this time of day on recent working days');
    expect(await h.app.alerts.logSpikeArming(T + 13 * 3_600_000)).toEqual([]);
    h.clock.set(now);

    // the same-weekday baseline takes over as soon as minWeeks weeks have data: two weeks ago, 210
    // (the median of 10 and 210 is 110: 156 is 1.42×, still a warning)
    await arrivals(T - 2 * week - min(15), 210);
    await arrivals(T - 2 * week, 210);
    h.clock.set(now);
    const w = await status(h);
    expect(w.rules[0]).toMatchObject({ armed: true, baseline: { kind: 'weekday', samples: 2, reference: 110 }, weeksWithData: 2 });
    // and the open alert follows it: its text and its `baseline` field (kept current by the
    // evaluation's refresh, not only at raise / upgrade)
    await h.app.alerts.evaluateOnce(now + 5000);
    const after = ((await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[])[0]!;
    expect(after).toMatchObject({ id: spike.id, severity: 'warning', baseline: { kind: 'weekday', samples: 2 } });
    expect(after.baseline).not.toHaveProperty('dayKind');
    expect(after.message.en).toContain('the baseline of 110');
    expect(after.message.en).not.toContain('working days');
  });

  it('one day of history (3 arrivals): no alert however big the spike; the status and the start log say why and from when', async () => {
    const h = await alertsApp({ config: spikeConfig() });
    cleanups.push(() => h.app.close());
    const now = T + min(5);
    const arrivals = spreadArrivals(h);
    await arrivals(T - 3 * day - min(10), 3); // Friday: 3 arrivals in the stretch
    await arrivals(now - min(15), 156); // today: 156, fifty times Friday's

    h.clock.set(now);
    expect((await h.app.alerts.evaluateOnce(now)).raised).toBe(0);
    expect((await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts).toEqual([]);

    const s = await status(h);
    const r = s.rules[0]!;
    expect(r).toMatchObject({ rule: 'spike', armed: false, baseline: null, weeksWithData: 0, daysWithData: 1, armedFromLocal: '2026-11-24 10:05' });
    expect(r.reason?.code).toBe('history');
    expect(r.armedFrom).toBe(new Date(now + day).toISOString());
    expect(r.reason?.text.en).toContain('needs 2 working days of history (has 1)');
    expect(r.reason?.text.en).toContain('armed from 2026-11-24 10:05 local');
    expect(r.reason?.text.zh).toContain('需至少2个工作日的历史（现有1个）');
    expect(r.reason?.text.zh).toContain('预计 2026-11-24 10:05（当地时间）起生效');

    // the status is for display and up; no token, no status
    expect((await h.app.inject({ url: '/api/v1/alerts/rules/status' })).statusCode).toBe(401);

    const warn = vi.spyOn(h.app.log, 'warn');
    const lines = await h.app.alerts.logSpikeArming(now);
    expect(lines).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1);
    const [fields, text] = warn.mock.calls[0]! as unknown as [Record<string, unknown>, string];
    expect(fields).toMatchObject({ center: 'default', rules: ['spike'] });
    expect(text).toContain('traffic-spike alert not armed');
    expect(text).toContain('armed from 2026-11-24 10:05 local');
  });

  it('a baseline too small to judge by (3 days of 5 arrivals) is not armed either, and says so for this time of day', async () => {
    const h = await alertsApp({ config: spikeConfig() });
    cleanups.push(() => h.app.close());
    const now = T + min(5);
    const arrivals = spreadArrivals(h);
    for (const d of [3, 4, 5]) {
      // 2/3·6 + 1/3·3 = 5 in 09:50–10:05
      await arrivals(T - d * day - min(15), 6);
      await arrivals(T - d * day, 3);
    }
    await arrivals(now - min(15), 156);
    h.clock.set(now);
    expect((await h.app.alerts.evaluateOnce(now)).raised).toBe(0);
    const r = (await status(h)).rules[0]!;
    expect(r).toMatchObject({ armed: false, baseline: { kind: 'recentDays', samples: 3, reference: 5 } });
    expect(r.reason?.code).toBe('lowBaseline');
    expect(r.reason?.text.en).toContain('baseline 5 arrivals below the minimum 20 at this time of day');
    expect(r.armedFrom).toBeNull();
    // not a history problem: nothing logged at start
    expect(await h.app.alerts.logSpikeArming(now)).toEqual([]);
  });

  it('replaying the last working days through the ingest API (as npm run replay does) arms the fallback at once; the same weekday a week back is refused', async () => {
    const base = spikeConfig();
    const h = await alertsApp({
      config: {
        ...base,
        tokens: [...(base.tokens ?? []), { token: 'ingest-token-0123456789', role: 'ingest', name: 'replay' }],
        retention: { lateEventHours: 168 },
      },
    });
    cleanups.push(() => h.app.close());
    const now = T + min(5);
    h.clock.set(now); // the server's clock stays at now: events carry their past times, as a replay sends them
    let n = 0;
    const post = async (from: number, count: number) => {
      const events = Array.from({ length: count }, () => {
        n++;
        return { id: `r${n}`, type: 'contact.queued', ts: new Date(from + Math.floor(((n % count) * min(15)) / count)).toISOString(), contactId: `r${n}`, queue: 'q1', channel: 'voice' };
      });
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { authorization: 'Bearer ingest-token-0123456789' }, payload: events });
      expect(res.statusCode).toBeLessThan(300);
      return (res.json() as { results: { status: string; reason?: string }[] }).results;
    };
    // Wednesday, Thursday, Friday: 2/3·a + 1/3·b in 09:50–10:05 = 400, 100, 70
    for (const [d, a, b] of [[5, 450, 300], [4, 120, 60], [3, 90, 30]] as const) {
      expect((await post(T - d * day - min(15), a)).every((r) => r.status === 'accepted')).toBe(true);
      expect((await post(T - d * day, b)).every((r) => r.status === 'accepted')).toBe(true);
    }
    // last Monday is 7 days back: older than any lateEventHours (at most 168 h), refused
    const lastWeek = await post(T - 7 * day - min(15), 10);
    expect(lastWeek.every((r) => r.status === 'rejected' && /older than 168 h/.test(r.reason ?? ''))).toBe(true);
    await post(now - min(15), 156);

    expect((await h.app.alerts.evaluateOnce(now)).raised).toBe(1);
    const [spike] = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    expect(spike!.message.en).toContain('1.56× the baseline of 100 from the last 3 working days');
    expect((await status(h)).rules[0]).toMatchObject({ armed: true, baseline: { kind: 'recentDays', samples: 3 }, weeksWithData: 0 });
  });

  it('at start, the server logs one line per center whose spike rule lacks history', async () => {
    const h = await alertsApp({ config: spikeConfig(), background: true });
    cleanups.push(() => h.app.close());
    const now = T + min(5);
    const arrivals = spreadArrivals(h);
    await arrivals(T - 3 * day - min(10), 3);
    await arrivals(now - min(15), 40);
    h.clock.set(now);
    const warn = vi.spyOn(h.app.log, 'warn');
    await h.app.ready(); // onReady: the evaluation loop starts, and with it the arming check
    await vi.waitFor(() => expect(warn.mock.calls.some((c) => String(c[1]).startsWith('traffic-spike alert not armed for center default (spike)'))).toBe(true), {
      timeout: 20_000,
    });
    expect(warn.mock.calls.filter((c) => String(c[1]).startsWith('traffic-spike alert not armed'))).toHaveLength(1);
  });
});
