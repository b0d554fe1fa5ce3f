import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, min, receiver, T, waitingRule } from './alerts-helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Found in review (2026-12-07): a team lead acknowledges a *warning*; the condition then worsens to
// critical. upgrade() kept the alert acknowledged and notified nobody, and escalate() skips
// non-firing alerts, so the floor manager never heard of the critical, however long it lasted.
// The critical now fires again (a new acknowledgement needed) and escalates.
describe('warning acknowledged, then upgraded to critical', () => {
  it('the critical still reaches the next level after escalateAfterSec', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const levels = ['lead', 'floor'].map((name, i) => ({ name: { zh: name, en: name }, channels: [`hook${i}`] }));
    const h = await alertsApp({
      config: baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 })], // warning > 2, critical > 4
        channels: levels.map((_, i) => ({ id: `hook${i}`, type: 'webhook' as const, url: `${rx.base}/level${i}` })),
        escalation: { policies: [{ id: 'default', levels }] },
      }),
    });
    cleanups.push(() => h.app.close());
    await h.queue('q1', 3);
    await h.evaluateAt(T);
    const [a] = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    expect(a).toMatchObject({ severity: 'warning' });
    h.clock.set(T + min(1));
    expect((await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${a!.id}/ack`, headers: auth('lead'), payload: {} })).statusCode).toBe(200);
    await h.queue('q1', 7); // 10 waiting: critical
    for (let m = 2; m <= 20; m++) await h.evaluateAt(T + min(m));
    await h.app.alerts.dispatcher.drain();
    const [now] = (await h.app.inject({ url: '/api/v1/alerts', headers: auth('display') })).json().alerts as Alert[];
    const paths = rx.received.map((r) => r.path);
    expect({ severity: now!.severity, state: now!.state, level: now!.escalationLevel, paths }).toMatchObject({
      severity: 'critical',
      level: 1,
      paths: expect.arrayContaining(['/level1']),
    });
  });
});
