import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { notificationChannel } from '../../shared/contract/alerts.ts';
import { buildRequest, dingtalkSign, feishuSign, responseError, signGeneric, type Notification } from '../../server/alerts/notify/payloads.ts';

const alert: Alert = {
  id: 'a1',
  rule: 'default.serviceLevel',
  severity: 'critical',
  state: 'firing',
  scope: { center: 'default', channel: 'voice' },
  metric: 'serviceLevel',
  value: 0.62,
  threshold: 0.7,
  startedAt: '2026-11-24T02:00:00.000Z',
  updatedAt: '2026-11-24T02:00:00.000Z',
  escalationLevel: 0,
  message: { zh: '【严重】服务水平 62.0%', en: '[Critical] Service level 62.0%' },
};
const n: Notification = { kind: 'raised', alert, level: 0, levelName: { zh: '班组长', en: 'Team lead' }, recipients: ['王班长'] };
const now = 1_795_000_000_123;

describe('notification payloads and signatures', () => {
  it('generic webhook: HMAC-SHA256 over "<timestamp>.<raw body>" in X-Wallboard-Signature', () => {
    const ch = notificationChannel.parse({ id: 'hook', type: 'webhook', url: 'http://x/h', secret: 's3cret-key' });
    const req = buildRequest(ch as never, n, now);
    expect(req.headers['X-Wallboard-Timestamp']).toBe(String(now));
    const expected = createHmac('sha256', 's3cret-key').update(`${now}.${req.body}`).digest('hex');
    expect(req.headers['X-Wallboard-Signature']).toBe(`sha256=${expected}`);
    expect(signGeneric('s3cret-key', now, req.body)).toBe(`sha256=${expected}`);
    expect(JSON.parse(req.body)).toMatchObject({ event: 'alert.raised', alert: { id: 'a1' }, level: { index: 0, recipients: ['王班长'] } });
  });

  it('WeCom: markdown message with the zh and en text', () => {
    const ch = notificationChannel.parse({ id: 'wc', type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' });
    const body = JSON.parse(buildRequest(ch as never, n, now).body);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('【严重】服务水平 62.0%');
    expect(body.markdown.content).toContain('[Critical] Service level 62.0%');
  });

  it('DingTalk: markdown with title/text; sign = base64 HMAC(secret, "ts\\nsecret") url-encoded in the query', () => {
    const ch = notificationChannel.parse({ id: 'dt', type: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'SECxyz' });
    const req = buildRequest(ch as never, n, now);
    const url = new URL(req.url);
    expect(url.searchParams.get('access_token')).toBe('abc');
    expect(url.searchParams.get('timestamp')).toBe(String(now));
    const sign = createHmac('sha256', 'SECxyz').update(`${now}\nSECxyz`).digest('base64');
    expect(url.searchParams.get('sign')).toBe(sign);
    expect(req.url).toContain(`sign=${encodeURIComponent(sign)}`);
    expect(dingtalkSign('SECxyz', now)).toBe(sign);
    const body = JSON.parse(req.body);
    expect(body.msgtype).toBe('markdown');
    // the title is what people read first: the alert's text, not the rule's internal id
    expect(body.markdown.title).toContain('服务水平 62.0%');
    expect(body.markdown.title).not.toContain('default.serviceLevel');
    expect(body.markdown.text).toContain('62.0%');
  });

  it('Feishu: interactive card; sign = base64 HMAC(key "ts\\nsecret", empty message), ts in seconds', () => {
    const ch = notificationChannel.parse({ id: 'fs', type: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', secret: 'fsk' });
    const body = JSON.parse(buildRequest(ch as never, n, now).body);
    const ts = Math.floor(now / 1000);
    expect(body.timestamp).toBe(String(ts));
    expect(body.sign).toBe(createHmac('sha256', `${ts}\nfsk`).update('').digest('base64'));
    expect(feishuSign('fsk', ts)).toBe(body.sign);
    expect(body.msg_type).toBe('interactive');
    expect(body.card.header.template).toBe('red');
    const text = JSON.parse(buildRequest({ ...(ch as object), format: 'text' } as never, n, now).body);
    expect(text).toMatchObject({ msg_type: 'text' });
    expect(text.content.text).toContain('62.0%');
  });

  it('robot error codes in a 200 response count as failures', () => {
    expect(responseError('dingtalk', 200, '{"errcode":310000,"errmsg":"sign not match"}')).toMatch(/310000/);
    expect(responseError('wecom', 200, '{"errcode":0,"errmsg":"ok"}')).toBeNull();
    expect(responseError('feishu', 200, '{"code":19021,"msg":"sign match fail"}')).toMatch(/19021/);
    expect(responseError('webhook', 500, '')).toBe('HTTP 500');
  });
});
