import { describe, expect, it } from 'vitest';
import { notificationChannel, type Alert } from '../../shared/contract/alerts.ts';
import { buildRequest, emailContent, type Notification } from '../../server/alerts/notify/payloads.ts';

// What a manager reads in the WeCom group / mailbox. The alert started at 10:00 in
// Shanghai (the center's time zone, README centers[].timeZone); the robot text prints
// "开始 Started: 2026-11-23T02:00:00.000Z", a UTC ISO stamp 8 hours off the wall clock.
const alert: Alert = {
  id: 'a1', rule: 'default.serviceLevel.voice', severity: 'critical', state: 'firing',
  scope: { center: 'default', channel: 'voice' }, metric: 'serviceLevel', value: 0.62, threshold: 0.7,
  startedAt: '2026-11-23T02:00:00.000Z', updatedAt: '2026-11-23T02:00:00.000Z', escalationLevel: 0,
  message: { zh: '【严重】服务水平 62.0%，低于阈值 70.0% — 远程银行中心，语音渠道', en: '[Critical] Service level 62.0%, below threshold 70.0% — Remote Banking Center, voice channel' },
};
const n: Notification = { kind: 'raised', alert, level: 0, levelName: { zh: '班组长', en: 'Team lead' }, recipients: ['王芳'] };

describe('robot and email texts: center-local times and the alert headline, not ids', () => {
  it('the WeCom text gives the start time on the center clock (10:00), not a UTC ISO stamp', () => {
    const ch = notificationChannel.parse({ id: 'wecom', type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' });
    const content = (JSON.parse(buildRequest(ch as never, n, Date.parse(alert.startedAt)).body) as { markdown: { content: string } }).markdown.content;
    expect(content).not.toContain('2026-11-23T02:00:00.000Z');
    expect(content).toMatch(/10:00/);
  });

  it('the email subject names the rule as people know it, not its internal id', () => {
    const { subject } = emailContent(n);
    expect(subject).not.toContain('default.serviceLevel.voice');
  });
});
