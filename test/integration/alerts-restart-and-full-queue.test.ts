import { afterEach, describe, expect, it } from 'vitest';
import { NotificationDispatcher, type AttemptRecord } from '../../server/alerts/notify/dispatcher.ts';
import { notificationChannel, type Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, baseConfig, min, receiver, T, waitingRule } from './alerts-helpers.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('escalation after a restart; a full notification queue', () => {
  it('escalation resumes on schedule after a restart (progress lives in Redis)', async () => {
    const rx = await receiver();
    cleanups.push(rx.close);
    const levels = ['lead', 'floor'].map((name, i) => ({ name: { zh: name, en: name }, channels: [`hook${i}`] }));
    const cfg = () =>
      baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 })],
        channels: levels.map((_, i) => ({ id: `hook${i}`, type: 'webhook' as const, url: `${rx.base}/level${i}` })),
        escalation: { policies: [{ id: 'default', levels, reNotifyEverySec: 3600 }] },
      });
    const a = await alertsApp({ config: cfg() });
    await a.queue('q1', 5);
    await a.evaluateAt(T);
    await a.app.alerts.dispatcher.drain();
    await a.app.close();
    const b = await alertsApp({ config: cfg(), prefix: a.prefix, clock: a.clock });
    cleanups.push(() => b.app.close());
    expect((await b.evaluateAt(T + min(5) - 1)).escalated).toBe(0);
    expect((await b.evaluateAt(T + min(5))).escalated).toBe(1);
    await b.app.alerts.dispatcher.drain();
    expect(rx.received.map((r) => r.path)).toEqual(['/level0', '/level1']);
  });

  it('a full queue drops the oldest job and records it as dropped', async () => {
    const rx = await receiver(() => ({ status: 200 }), 200);
    cleanups.push(rx.close);
    const attempts: AttemptRecord[] = [];
    const d = new NotificationDispatcher({
      notify: { maxQueue: 10, concurrency: 1, maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 5000 },
      now: () => Date.now(),
      record: async (x) => void attempts.push(x),
      log: { warn: () => {} },
    });
    cleanups.push(() => d.close());
    const ch = notificationChannel.parse({ id: 'hook', type: 'webhook', url: `${rx.base}/hook` });
    for (let i = 0; i < 15; i++) {
      const alert = { id: `a${i}`, message: { zh: '', en: '' }, scope: { center: 'default' } } as unknown as Alert;
      d.enqueue(ch as never, { kind: 'raised', alert, level: 0, levelName: { zh: '', en: '' }, recipients: [] });
    }
    await d.drain();
    expect(attempts.filter((x) => x.outcome === 'dropped').map((x) => x.alertId)).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(attempts.filter((x) => x.outcome === 'sent')).toHaveLength(11);
  });
});
