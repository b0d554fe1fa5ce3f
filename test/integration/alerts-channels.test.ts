import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { alertsApp, baseConfig, cleanupsAfterEach, scopedReceiver, T, waitingRule, type Received } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

const secrets = { generic: 'generic-secret-1', dingtalk: 'SECdingtalk-secret', feishu: 'feishu-secret' };

/** Independent verifiers, written from the vendors' documented algorithms (not the product code). */
function verifyGeneric(r: Received): boolean {
  const ts = String(r.headers['x-wallboard-timestamp']);
  const sig = String(r.headers['x-wallboard-signature']);
  const expected = Buffer.from('sha256=' + createHmac('sha256', secrets.generic).update(ts + '.' + r.body).digest('hex'));
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), expected);
}
function verifyDingtalk(r: Received): boolean {
  const q = new URL(r.url, 'http://x').searchParams;
  const ts = q.get('timestamp')!;
  const expected = createHmac('sha256', secrets.dingtalk).update(ts + '\n' + secrets.dingtalk).digest('base64');
  // the raw query carries the url-encoded signature
  return q.get('sign') === expected && r.url.includes('sign=' + encodeURIComponent(expected));
}
function verifyFeishu(body: { timestamp: string; sign: string }): boolean {
  const expected = createHmac('sha256', body.timestamp + '\n' + secrets.feishu).update(Buffer.alloc(0)).digest('base64');
  return body.sign === expected;
}

describe('notification channels against a local HTTP receiver', () => {
  it('every webhook flavour gets a correctly formed, signed payload; a 500 is retried with backoff', async () => {
    const rx = await scopedReceiver(cleanups, (r, nth) => (r.path === '/generic' && nth === 1 ? { status: 500, body: 'boom' } : { status: 200 }));
    const channels = [
      { id: 'generic', type: 'webhook' as const, url: `${rx.base}/generic`, secret: secrets.generic },
      { id: 'wecom', type: 'wecom' as const, url: `${rx.base}/wecom?key=robot-key` },
      { id: 'dingtalk', type: 'dingtalk' as const, url: `${rx.base}/dingtalk?access_token=tok`, secret: secrets.dingtalk },
      { id: 'feishu', type: 'feishu' as const, url: `${rx.base}/feishu/hook`, secret: secrets.feishu },
    ];
    const h = await alertsApp({
      config: baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 })],
        channels,
        escalation: {
          policies: [{ id: 'default', levels: [{ name: { zh: '班组长', en: 'Team lead' }, recipients: ['王芳'], channels: channels.map((c) => c.id) }] }],
        },
        notify: { backoffBaseMs: 20, maxAttempts: 3 },
      }),
    });
    cleanups.push(() => h.app.close());
    await h.queue('q1', 5);
    await h.evaluateAt(T);
    await h.app.alerts.dispatcher.drain();

    const by = (path: string) => rx.received.filter((r) => r.path === path);
    // generic: first attempt 500, second accepted — both signed
    expect(by('/generic')).toHaveLength(2);
    for (const r of by('/generic')) {
      expect(r.headers['content-type']).toContain('application/json');
      expect(verifyGeneric(r)).toBe(true);
      expect(JSON.parse(r.body)).toMatchObject({ event: 'alert.raised', alert: { rule: 'wait-q1', severity: 'critical', value: 5 }, level: { index: 0, recipients: ['王芳'] } });
    }
    expect(verifyGeneric({ ...by('/generic')[0]!, body: by('/generic')[0]!.body.replace('wait-q1', 'wait-q2') })).toBe(false);

    const [wecom] = by('/wecom');
    expect(new URL(wecom!.url, 'http://x').searchParams.get('key')).toBe('robot-key');
    const wb = JSON.parse(wecom!.body);
    expect(Object.keys(wb).sort()).toEqual(['markdown', 'msgtype']);
    expect(wb.msgtype).toBe('markdown');
    expect(wb.markdown.content).toMatch(/排队数 5，高于阈值 4/);

    const [ding] = by('/dingtalk');
    expect(verifyDingtalk(ding!)).toBe(true);
    expect(new URL(ding!.url, 'http://x').searchParams.get('access_token')).toBe('tok');
    const db = JSON.parse(ding!.body);
    expect(db.msgtype).toBe('markdown');
    expect(typeof db.markdown.title).toBe('string');
    expect(db.markdown.text).toContain('Waiting 5, above threshold 4');

    const [feishu] = by('/feishu/hook');
    const fb = JSON.parse(feishu!.body);
    expect(verifyFeishu(fb)).toBe(true);
    expect(fb.timestamp).toBe(String(Math.floor(T / 1000)));
    expect(fb.msg_type).toBe('interactive');
    expect(fb.card.elements[0].text.content).toContain('排队数 5');

    const attempts = (await h.app.alerts.store.attempts(undefined, 100)).filter((a) => a.channel === 'generic');
    expect(attempts.map((a) => `${a.attempt}:${a.outcome}:${a.status}`).sort()).toEqual(['1:retrying:500', '2:sent:200']);
  });

  it('a dead endpoint gives up after maxAttempts and never blocks evaluation', async () => {
    const rx = await scopedReceiver(cleanups, () => ({ status: 503 }), 1500);
    const h = await alertsApp({
      config: baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 })],
        channels: [{ id: 'down', type: 'webhook', url: `${rx.base}/down` }],
        escalation: { policies: [{ id: 'default', levels: [{ name: { zh: '班组长', en: 'Lead' }, channels: ['down'] }] }] },
        notify: { backoffBaseMs: 5, maxAttempts: 3 },
      }),
    });
    cleanups.push(() => h.app.close());
    await h.queue('q1', 5);
    expect((await h.evaluateAt(T)).raised).toBe(1);
    // evaluation returned while the endpoint still sits on the first request (1.5 s each)
    expect(h.app.alerts.dispatcher.pending).toBeGreaterThan(0);
    expect(rx.received.length).toBeLessThan(3);
    await h.app.alerts.dispatcher.drain();
    const outcomes = (await h.app.alerts.store.attempts(undefined, 10)).map((a) => a.outcome).sort();
    expect(outcomes).toEqual(['failed', 'retrying', 'retrying']);
    expect(rx.received).toHaveLength(3);
  });
});
