import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { notificationChannel, type Alert } from '../../shared/contract/alerts.ts';
import { buildRequest, type Notification } from '../../server/alerts/notify/payloads.ts';

// Signatures recomputed here from the vendors' documented algorithms.
const alert = { id: 'a1', rule: 'r', severity: 'critical', state: 'firing', scope: { center: 'default' }, metric: 'waiting', value: 5, threshold: 4, startedAt: 'x', updatedAt: 'x', escalationLevel: 0, message: { zh: '排队 5', en: 'waiting 5' } } as Alert;
const n: Notification = { kind: 'raised', alert, level: 0, levelName: { zh: '班组长', en: 'Team lead' }, recipients: [] };

describe('robot and webhook signatures match the documented algorithms', () => {
  it('DingTalk: sign url-encoded even when base64 has + / =', () => {
    const secret = 'SEC0123456789abcdef';
    let seen = 0;
    for (let ts = 1_795_000_000_000; ts < 1_795_000_000_200 && seen < 20; ts++) {
      const b64 = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
      if (!/[+/]/.test(b64)) continue;
      seen++;
      const ch = notificationChannel.parse({ id: 'd', type: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret });
      const url = buildRequest(ch as never, n, ts).url;
      expect(url).toBe(`https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=${ts}&sign=${encodeURIComponent(b64)}`);
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('Feishu: timestamp in seconds, sign = base64(HMAC(key "<ts>\\n<secret>", ""))', () => {
    const ch = notificationChannel.parse({ id: 'f', type: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', secret: 'fs' });
    const body = JSON.parse(buildRequest(ch as never, n, 1_795_000_000_999).body);
    expect(body.timestamp).toBe('1795000000');
    expect(body.sign).toBe(createHmac('sha256', '1795000000\nfs').update('').digest('base64'));
  });

  it('webhook: sha256=hex HMAC(secret, "<ts>.<raw body>") with a non-ASCII body', () => {
    const ch = notificationChannel.parse({ id: 'w', type: 'webhook', url: 'https://ops.example/h', secret: 'change-me-please' });
    const req = buildRequest(ch as never, n, 1_795_000_000_123);
    const raw = Buffer.from(req.body, 'utf8');
    const expected = createHmac('sha256', 'change-me-please').update(Buffer.concat([Buffer.from('1795000000123.'), raw])).digest('hex');
    expect(req.headers['X-Wallboard-Signature']).toBe(`sha256=${expected}`);
  });
});
