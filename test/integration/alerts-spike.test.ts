import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, spreadArrivals, T, week } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

describe('traffic spike', () => {
  it('fires against the same-weekday baseline (median of weeks, overlap-weighted) and against an uploaded forecast, with the ratio in the message', async () => {
    const h = await alertsApp({
      config: baseConfig({
        rules: [
          { id: 'spike', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 },
          { id: 'spike-fc', metric: 'arrivalsVsForecast', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 },
        ],
        spike: { baselineWeeks: 4, method: 'median', minWeeks: 2 },
      }),
    });
    cleanups.push(() => h.app.close());
    const now = T + min(5); // Monday 10:05 Shanghai: the live window 09:50–10:05 straddles two intervals
    /** `count` arrivals spread evenly over [from, from + 15 min), ingested with the clock at that time */
    const arrivals = spreadArrivals(h);
    // per week: (09:45 interval, 10:00 interval) → baseline share 2/3·a + 1/3·b
    const weeks: [number, number][] = [
      [90, 30], // 70
      [120, 60], // 100
      [450, 300], // 400 (an outlier week the median ignores)
    ];
    for (const [k, [a, b]] of weeks.entries()) {
      const base = T - (k + 1) * week;
      await arrivals(base - min(15), a);
      await arrivals(base, b);
    }
    // live: 156 arrivals within [09:50, 10:05)
    await arrivals(now - min(15), 156);

    h.clock.set(now);
    const r = await h.app.alerts.evaluateOnce(now);
    expect(r.raised).toBe(1); // no forecast uploaded yet: only the baseline rule has data
    let alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    expect(alerts).toHaveLength(1);
    const spike = alerts[0]!;
    expect(spike).toMatchObject({ rule: 'spike', severity: 'warning', threshold: 1.3 });
    expect(spike.value).toBeCloseTo(1.56, 6);
    expect(spike.message.zh).toContain('近15分钟进线 156，为同期基线 100 的 1.56 倍（+56%');
    expect(spike.message.en).toContain('156 arrivals in the last 15 min, 1.56× the baseline of 100 (+56%');

    // forecast for Monday 2026-11-23: interval 39 = 09:45, 40 = 10:00 → 2/3·60 + 1/3·60 = 60 → 2.6×
    const volumes = Array(96).fill(10);
    volumes[39] = 60;
    volumes[40] = 60;
    const bad = await h.app.inject({ method: 'PUT', url: '/api/v1/forecast', headers: auth('admin'), payload: { date: '2026-11-23', series: [{ volumes: [1, 2] }] } });
    expect(bad.statusCode).toBe(400);
    const denied = await h.app.inject({ method: 'PUT', url: '/api/v1/forecast', headers: auth('lead'), payload: { date: '2026-11-23', series: [{ volumes }] } });
    expect(denied.statusCode).toBe(403);
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/forecast', headers: auth('admin'), payload: { date: '2026-11-23', series: [{ volumes }] } });
    expect(put.statusCode).toBe(200);

    expect((await h.app.alerts.evaluateOnce(now)).raised).toBe(1);
    alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    const fc = alerts.find((a) => a.rule === 'spike-fc')!;
    expect(fc).toMatchObject({ severity: 'critical', threshold: 1.6 });
    expect(fc.value).toBeCloseTo(2.6, 6);
    expect(fc.message.zh).toContain('为预测量 60 的 2.60 倍（+160%');
    expect(fc.message.en).toContain('2.60× the forecast of 60 (+160%');
  });
});
