import { afterEach, describe, expect, it } from 'vitest';
import { engineApp, T0 } from './engine-helpers.ts';

/** PUT /api/v1/forecast takes one volume per 15-minute interval of the center's local day. */
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

const adminToken = 'admin-token-0123456789';

async function putForecast(timeZone: string, date: string, volumes: number) {
  const h = await engineApp({
    now: T0,
    config: { centers: [{ id: 'default', name: { zh: '中心', en: 'Center' }, timeZone }], tokens: [{ token: adminToken, role: 'admin', name: 'admin' }] },
  });
  close = () => h.app.close();
  return h.app.inject({
    method: 'PUT',
    url: '/api/v1/forecast',
    headers: { authorization: `Bearer ${adminToken}` },
    payload: { center: 'default', date, series: [{ queue: 'cards', volumes: Array(volumes).fill(10) }] },
  });
}

describe('forecast volumes per local day', () => {
  it('takes 96 on a normal day and refuses 95, naming the field and the count the day has', async () => {
    expect((await putForecast('Asia/Shanghai', '2026-03-03', 96)).statusCode).toBe(200);
    const wrong = await putForecast('Asia/Shanghai', '2026-03-03', 95);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().message).toBe('series.0.volumes: 2026-03-03 has 96 15-minute intervals in Asia/Shanghai, got 95 volumes');
  });

  it('takes 92 on the day the clock springs forward, and refuses 96 there', async () => {
    expect((await putForecast('America/New_York', '2026-03-08', 92)).statusCode).toBe(200);
    expect((await putForecast('America/New_York', '2026-03-08', 96)).statusCode).toBe(400);
  });
});
