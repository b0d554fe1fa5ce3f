import { describe, expect, it } from 'vitest';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, T } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

// Found in review (2026-12-07): PUT /api/v1/forecast stored each day with EX 40 days counted from
// the upload, not from the forecast's own date: a plan uploaded more than 40 days ahead (WFM
// publishes quarter plans) was gone before its day came, and arrivalsVsForecast silently had no
// reference that day.
describe('forecast retention', () => {
  it('a forecast uploaded 45 days before its date is still stored on that date', async () => {
    const h = await alertsApp({ config: baseConfig({}) });
    cleanups.push(() => h.app.close());
    const date = '2027-01-07'; // T = 2026-11-23 10:00 Shanghai; 45 days ahead
    const put = await h.app.inject({
      method: 'PUT', url: '/api/v1/forecast', headers: auth('admin'),
      payload: { date, series: [{ volumes: Array(96).fill(50) }] },
    });
    expect(put.statusCode).toBe(200);
    const ttlSec = await h.app.redis.ttl(h.app.keys.alertForecast('default', date));
    const endOfDate = Date.parse(`${date}T24:00:00+08:00`);
    const neededSec = Math.ceil((endOfDate - T) / 1000);
    // the key must outlive its own day (TTL is relative to the upload time T)
    expect(ttlSec).toBeGreaterThanOrEqual(neededSec);
  });
});
