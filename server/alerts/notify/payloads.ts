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
  /** how many levels the policy has ("Level 2/3" in the texts); absent: not shown */
  levelCount?: number;
  /** the center's time zone: times in the texts are its wall-clock time (default Asia/Shanghai) */
  timeZone?: string;
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

const severityText: Record<Alert['severity'], LocalizedText> = {
  warning: { zh: '预警', en: 'Warning' },
  critical: { zh: '严重', en: 'Critical' },
};

/**
 * What people read first (robot card title, email subject): the kind, the severity and the
 * alert's headline as the wall shows it — not the rule's internal id.
 */
export function notificationTitle(n: Notification): string {
  const a = n.alert;
  // the headline leaves the severity out; an older alert without one has it in its message
  const sev = a.headline ? (severityText[a.severity] as LocalizedText | undefined) : undefined;
  const what = a.headline ?? a.message;
  const [sevZh, sevEn] = sev ? [`【${sev.zh}】`, ` [${sev.en}]:`] : ['：', ':'];
  return `${kindText[n.kind].zh}${sevZh}${what.zh} / ${kindText[n.kind].en}${sevEn} ${what.en}`;
}

/**
 * A time as the center's clock reads it, with its offset: "2026-11-23 10:00:05 (GMT+8)".
 * Anything that is not a valid ISO time is shown as it is.
 */
export function localTime(isoTime: string, timeZone = 'Asia/Shanghai'): string {
  const ms = Date.parse(isoTime);
  if (!Number.isFinite(ms)) return isoTime;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZoneName: 'shortOffset',
    }).formatToParts(new Date(ms));
  } catch {
    return isoTime; // unknown zone: the ISO time is still right
  }
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} (${get('timeZoneName')})`;
}

/** Lines shared by the markdown flavours (zh first, then en). Levels count from 1 for people. */
export function notificationLines(n: Notification): string[] {
  const a = n.alert;
  const at = (t: string) => localTime(t, n.timeZone);
  const lines = [a.message.zh, a.message.en];
  const of = n.levelCount ? `/${n.levelCount}` : '';
  lines.push(`第${n.level + 1}级 Level ${n.level + 1}${of}: ${n.levelName.zh} / ${n.levelName.en}${n.recipients.length ? ` — ${n.recipients.join(', ')}` : ''}`);
  lines.push(`开始 Started: ${at(a.startedAt)}`);
  if (a.acknowledgedBy) lines.push(`确认 Acknowledged: ${a.acknowledgedBy}${a.acknowledgedAt ? ` ${at(a.acknowledgedAt)}` : ''}`);
  if (a.resolvedAt) lines.push(`恢复 Resolved: ${at(a.resolvedAt)}`);
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
  let j: { errcode?: number; errmsg?: string; code?: number; msg?: string; StatusCode?: number };
  try {
    j = JSON.parse(body) as typeof j;
  } catch {
    // a robot always answers JSON; anything else (a cut-off reply, a proxy's HTML page) has not
    // confirmed errcode 0, so it is a failure to retry
    return `${channelType}: reply is not JSON (${body.length} bytes)`;
  }
  const code = j?.errcode ?? j?.code ?? j?.StatusCode ?? 0;
  return code === 0 ? null : `${channelType} error ${code}: ${j.errmsg ?? j.msg ?? ''}`.trim();
}

export function emailContent(n: Notification): { subject: string; text: string } {
  return { subject: `[Wallboard] ${notificationTitle(n)}`, text: notificationLines(n).join('\n') };
}
