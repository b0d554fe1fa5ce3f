import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, sec, T } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

// Found in review (2026-12-07). README "Feed health: seconds since the center's last accepted event, counted only inside
// centers[].openingHours" — the overnight closed stretch must not count as silence.
describe('feed health at opening time', () => {
  it('does not raise a critical "feed silent" the moment the center opens after a quiet night', async () => {
    const cfg = baseConfig({
      rules: [{ id: 'feed', metric: 'feedSilenceSec', comparator: 'gt', warning: 300, critical: 900, clear: 60, sustainedForSec: 0 }],
    });
    cfg.centers = [{ id: 'default', name: { zh: '中心', en: 'Center' }, openingHours: { from: '08:00', to: '20:00' } }];
    const h = await alertsApp({ config: cfg });
    cleanups.push(() => h.app.close());
    // T = Monday 10:00 Asia/Shanghai. Last event: Sunday 19:59 local, one minute before closing.
    h.clock.set(T - min(14 * 60 + 1));
    await h.queue('q1', 1);
    // Sunday 21:00: closed, nothing
    expect((await h.evaluateAt(T - min(13 * 60))).raised).toBe(0);
    // Monday 08:00:05, five seconds after opening: in-hours silence is 1 min (Sun 19:59-20:00) + 5 s
    const r = await h.evaluateAt(T - min(2 * 60) + sec(5));
    const alerts = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    expect(alerts.map((a) => `${a.severity} ${a.value}`)).toEqual([]);
    expect(r.raised).toBe(0);
  });
});
