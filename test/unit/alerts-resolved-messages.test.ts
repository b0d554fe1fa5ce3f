import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { resolvedTexts, scopeText, type AlertEnding } from '../../server/alerts/messages.ts';
import { buildRequest, emailContent, notificationTitle, type Notification } from '../../server/alerts/notify/payloads.ts';

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 'a1', rule: 'r', severity: 'warning', state: 'resolved', scope: { center: 'default', queue: 'q1' }, metric: 'longestWaitSec',
  value: 0.921, threshold: 60, startedAt: '2026-11-23T02:00:00.000Z', updatedAt: '2026-11-23T02:05:00.000Z',
  resolvedAt: '2026-11-23T02:05:00.000Z', escalationLevel: 0,
  message: { zh: '', en: '' }, ...over,
});
const body = (a: Alert, ending: AlertEnding) => resolvedTexts(a, ending).headline;

describe('resolved alert texts', () => {
  it('quote the figure at resolution beside the threshold, never "above threshold"', () => {
    const a = alert();
    const t = resolvedTexts(a, { kind: 'cleared', value: 0.921 });
    expect(t.message.zh).toBe('【预警】最长等待：现 1秒（阈值 60秒） — 中心 default，队列 q1');
    expect(t.message.en).toBe('[Warning] Longest wait: now 1s (threshold 60s) — center default, queue q1');
    expect(t.headline).toEqual({ zh: '最长等待：现 1秒（阈值 60秒） — 队列 q1', en: 'Longest wait: now 1s (threshold 60s) — queue q1' });
    // a "lt" rule back at its threshold reads equal, with the threshold's decimals
    const sl = alert({ metric: 'serviceLevel', threshold: 0.8, severity: 'critical' });
    expect(resolvedTexts(sl, { kind: 'cleared', value: 0.8 }).message.zh).toMatch(/^【严重】服务水平：现 80\.0%（阈值 80\.0%） — /);
    expect(resolvedTexts(sl, { kind: 'cleared', value: 0.82 }).message.en).toMatch(/^\[Critical\] Service level: now 82\.0% \(threshold 80\.0%\) — /);
  });

  it('spike: the ratio that resolved it; a ratio of 0 from too few arrivals is said as such', () => {
    const a = alert({ metric: 'arrivalsVsBaseline', threshold: 1.3, scope: { center: 'default' } });
    expect(body(a, { kind: 'cleared', value: 1.2, facts: { live: 120, reference: 100 } })).toEqual({
      zh: '话务回落：近15分钟进线 120，为同期基线 100 的 1.20 倍（+20%，阈值 1.30 倍）',
      en: 'Traffic back down: 120 arrivals in the last 15 min, 1.20× the baseline of 100 (+20%, threshold 1.30×)',
    });
    expect(body({ ...a, metric: 'arrivalsVsForecast' }, { kind: 'cleared', value: 0.95, facts: { live: 95, reference: 100 } }).zh).toBe(
      '话务回落：近15分钟进线 95，为预测量 100 的 0.95 倍（-5%，阈值 1.30 倍）',
    );
    expect(body(a, { kind: 'cleared', value: 0, facts: { live: 6, reference: 'n/a' } })).toEqual({
      zh: '话务回落：近15分钟进线仅 6，量少不计激增（阈值 1.30 倍）',
      en: 'Traffic back down: only 6 arrivals in the last 15 min, too few to count as a spike (threshold 1.30×)',
    });
    // no arrivals against a real baseline is a true 0×
    expect(body(a, { kind: 'cleared', value: 0, facts: { live: 0, reference: 100 } }).zh).toContain('为同期基线 100 的 0.00 倍（-100%');
  });

  it('without a figure: why, instead of a number', () => {
    const nr = alert({ metric: 'notReadySec', threshold: 900, scope: { center: 'default', agent: '张伟', agentId: 'Z9001', reason: 'break' } });
    expect(body(nr, { kind: 'gone' }).zh).toBe('示忙时长：座席已不在此示忙状态 — 座席 张伟（Z9001），原因 break');
    expect(body(nr, { kind: 'gone' }).en).toBe('Time not ready: the agent is no longer in this not-ready state — agent 张伟 (Z9001), reason break');
    const lw = alert();
    expect(body(lw, { kind: 'gone' }).en).toBe('Longest wait: no longer measured here — queue q1');
    expect(body(lw, { kind: 'noData' })).toEqual({
      zh: '最长等待：已 15 分钟无数值（无话务或无数据），不再判断 — 队列 q1',
      en: 'Longest wait: no figure for 15 min (no traffic or no data), nothing left to judge — queue q1',
    });
    expect(body(lw, { kind: 'disabled' })).toEqual({ zh: '最长等待：规则已停用 — 队列 q1', en: 'Longest wait: rule disabled — queue q1' });
    expect(body(lw, { kind: 'offSchedule', schedule: '午休' })).toEqual({
      zh: '最长等待：规则在当前时段（午休）不生效 — 队列 q1',
      en: 'Longest wait: rule not in force now (schedule "午休") — queue q1',
    });
    expect(body(lw, { kind: 'offSchedule', schedule: null }).en).toBe('Longest wait: rule not in force now — queue q1');
    expect(body(lw, { kind: 'deleted' })).toEqual({ zh: '最长等待：规则已删除 — 队列 q1', en: 'Longest wait: rule deleted — queue q1' });
  });

  it('every channel titles the resolved alert with its resolved text', () => {
    const a = { ...alert(), ...resolvedTexts(alert(), { kind: 'cleared', value: 0 }) };
    const n: Notification = { kind: 'resolved', alert: a, level: 0, levelName: { zh: '班组长', en: 'Team lead' }, recipients: [] };
    const title = '告警已恢复【预警】最长等待：现 0秒（阈值 60秒） — 队列 q1 / Resolved [Warning]: Longest wait: now 0s (threshold 60s) — queue q1';
    expect(notificationTitle(n)).toBe(title);
    expect(emailContent(n).subject).toBe(`[Wallboard] ${title}`);
    expect(emailContent(n).text.split('\n').slice(0, 2)).toEqual([a.message.zh, a.message.en]);
    for (const type of ['wecom', 'dingtalk', 'feishu'] as const) {
      const req = buildRequest({ id: type, type, url: `https://robot.example/${type}`, atMobiles: [], format: 'interactive' } as never, n, 0);
      expect(req.body, type).toContain(title);
    }
  });
});

describe('agent in alert texts', () => {
  it('the name with the id, always; the id alone when there is no name; as before for alerts stored without an id', () => {
    expect(scopeText({ center: 'c', agent: '张伟', agentId: 'Z9001' })).toEqual({ zh: '中心 c，座席 张伟（Z9001）', en: 'center c, agent 张伟 (Z9001)' });
    expect(scopeText({ center: 'c', agent: 'Z9001', agentId: 'Z9001' })).toEqual({ zh: '中心 c，座席 Z9001', en: 'center c, agent Z9001' });
    expect(scopeText({ center: 'c', agent: '张伟' })).toEqual({ zh: '中心 c，座席 张伟', en: 'center c, agent 张伟' });
  });
});
