import { describe, expect, it } from 'vitest';
import { notificationChannel, type Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, baseConfig, cleanupsAfterEach, levelHooks, min, recordingDispatcher, scopedReceiver, T, waitingRule } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

describe('escalation after a restart; a full notification queue', () => {
  it('escalation resumes on schedule after a restart (progress lives in Redis)', async () => {
    const rx = await scopedReceiver(cleanups);
    const cfg = () =>
      baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 })],
        ...levelHooks(rx.base, ['lead', 'floor'], { reNotifyEverySec: 3600 }),
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
    const rx = await scopedReceiver(cleanups, () => ({ status: 200 }), 200);
    const { d, attempts } = recordingDispatcher(cleanups, { maxQueue: 10, concurrency: 1, maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 5000 });
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
