import { createHmac } from 'node:crypto';
import type { Alert, LocalizedText, NotificationChannel } from '../../../shared/contract/alerts.ts';

/**
 * Request building for every channel flavour, pure (time comes in as an argument) so tests can
 * check the exact bytes and signatures.
 *
 * Generic webhook: POST JSON; when the channel has a secret,
 *   X-Wallboard-Timestamp: <epoch ms>
 *   X-Wallboard-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes, compares in
 * constant time and rejects timestamps older than a few minutes (replay).
 *
 * DingTalk (钉钉) custom robot 加签: sign = urlencode(base64(HMAC-SHA256(key=secret,
 * msg="<timestamp ms>\n<secret>"))), sent as `&timestamp=…&sign=…` on the webhook URL.
 * Feishu (飞书) custom bot 签名校验: sign = base64(HMAC-SHA256(key="<timestamp s>\n<secret>",
 * msg="")), sent as `timestamp` and `sign` fields of the JSON body.
 * WeCom (企业微信) group robot: no signature (the key in the URL is the credential).
 */
export type NotificationKind = 'raised' | 'escalated' | 'renotify' | 'resolved';

export interface Notification {
  kind: NotificationKind;
  alert: Alert;
  level: number;
  levelName: LocalizedText;
  recipients: string[];
}

export interface HttpRequestSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const kindText: Record<NotificationKind, LocalizedText> = {
  raised: { zh: '告警', en: 'Alert' },
  escalated: { zh: '告警升级', en: 'Escalated' },
  renotify: { zh: '告警未确认，再次提醒', en: 'Still unacknowledged' },
  resolved: { zh: '告警已恢复', en: 'Resolved' },
};

export function notificationTitle(n: Notification): string {
  return `${kindText[n.kind].zh} / ${kindText[n.kind].en}: ${n.alert.rule}`;
}

/** Lines shared by the markdown flavours (zh first, then en). */
export function notificationLines(n: Notification): string[] {
  const a = n.alert;
  const lines = [a.message.zh, a.message.en];
  lines.push(`级别 Level ${n.level}: ${n.levelName.zh} / ${n.levelName.en}${n.recipients.length ? ` — ${n.recipients.join(', ')}` : ''}`);
  lines.push(`开始 Started: ${a.startedAt}`);
  if (a.acknowledgedBy) lines.push(`确认 Acknowledged: ${a.acknowledgedBy} ${a.acknowledgedAt ?? ''}`);
  if (a.resolvedAt) lines.push(`恢复 Resolved: ${a.resolvedAt}`);
  lines.push(`ID: ${a.id}`);
  return lines;
}

export function signGeneric(secret: string, timestampMs: number, rawBody: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestampMs}.${rawBody}`).digest('hex');
}

export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export function feishuSign(secret: string, timestampSec: number): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

type HttpChannel = Exclude<NotificationChannel, { type: 'email' }>;

export function buildRequest(channel: HttpChannel, n: Notification, nowMs: number): HttpRequestSpec {
  const json = { 'Content-Type': 'application/json; charset=utf-8' };
  const critical = n.alert.severity === 'critical' && n.kind !== 'resolved';
  const title = notificationTitle(n);
  const lines = notificationLines(n);
  switch (channel.type) {
    case 'webhook': {
      const body = JSON.stringify({
        event: `alert.${n.kind}`,
        alert: n.alert,
        level: { index: n.level, name: n.levelName, recipients: n.recipients },
        sentAt: new Date(nowMs).toISOString(),
      });
      const headers: Record<string, string> = { ...json, 'X-Wallboard-Event': `alert.${n.kind}` };
      if (channel.secret) {
        headers['X-Wallboard-Timestamp'] = String(nowMs);
        headers['X-Wallboard-Signature'] = signGeneric(channel.secret, nowMs, body);
      }
      return { url: channel.url, headers, body };
    }
    case 'wecom': {
      const colour = n.kind === 'resolved' ? 'info' : critical ? 'warning' : 'comment';
      const content = [`### <font color="${colour}">${title}</font>`, ...lines.map((l) => `> ${l}`)].join('\n');
      return { url: channel.url, headers: json, body: JSON.stringify({ msgtype: 'markdown', markdown: { content } }) };
    }
    case 'dingtalk': {
      const url = new URL(channel.url);
      if (channel.secret) {
        url.searchParams.set('timestamp', String(nowMs));
        url.searchParams.set('sign', dingtalkSign(channel.secret, nowMs));
      }
      const at = channel.atMobiles.map((m) => `@${m}`).join(' ');
      const text = [`### ${title}`, ...lines.map((l) => `- ${l}`), ...(at ? [at] : [])].join('\n');
      return {
        url: url.toString(),
        headers: json,
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { title, text },
          at: { atMobiles: channel.atMobiles, isAtAll: false },
        }),
      };
    }
    case 'feishu': {
      const signed: Record<string, string> = {};
      if (channel.secret) {
        const ts = Math.floor(nowMs / 1000);
        signed.timestamp = String(ts);
        signed.sign = feishuSign(channel.secret, ts);
      }
      const payload =
        channel.format === 'text'
          ? { msg_type: 'text', content: { text: [title, ...lines].join('\n') } }
          : {
              msg_type: 'interactive',
              card: {
                header: {
                  title: { tag: 'plain_text', content: title },
                  template: n.kind === 'resolved' ? 'green' : critical ? 'red' : 'orange',
                },
                elements: [{ tag: 'div', text: { tag: 'lark_md', content: lines.join('\n') } }],
              },
            };
      return { url: channel.url, headers: json, body: JSON.stringify({ ...signed, ...payload }) };
    }
  }
}

/**
 * Robots answer HTTP 200 with an error code in the body (rate limit, bad signature): that is a
 * failure worth retrying, not a success.
 */
export function responseError(channelType: string, status: number, body: string): string | null {
  if (status < 200 || status >= 300) return `HTTP ${status}`;
  if (channelType === 'webhook') return null;
  try {
    const j = JSON.parse(body) as { errcode?: number; errmsg?: string; code?: number; msg?: string; StatusCode?: number };
    const code = j.errcode ?? j.code ?? j.StatusCode ?? 0;
    return code === 0 ? null : `${channelType} error ${code}: ${j.errmsg ?? j.msg ?? ''}`.trim();
  } catch {
    return null;
  }
}

export function emailContent(n: Notification): { subject: string; text: string } {
  return { subject: `[Wallboard] ${notificationTitle(n)}`, text: notificationLines(n).join('\n') };
}
