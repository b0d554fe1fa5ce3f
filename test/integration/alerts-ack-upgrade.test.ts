import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { auth, cleanupsAfterEach, levelHooksApp, min, T, waitingRule } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

// Found in review (2026-12-07): a team lead acknowledges a *warning*; the condition then worsens to
// critical. upgrade() kept the alert acknowledged and notified nobody, and escalate() skips
// non-firing alerts, so the floor manager never heard of the critical, however long it lasted.
// The critical now fires again (a new acknowledgement needed) and escalates.
describe('warning acknowledged, then upgraded to critical', () => {
  it('the critical still reaches the next level after escalateAfterSec', async () => {
    const { rx, h } = await levelHooksApp(cleanups, ['lead', 'floor'], {
      rules: [waitingRule({ sustainedForSec: 0 })], // warning > 2, critical > 4
    });
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
