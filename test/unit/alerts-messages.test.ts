import { describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import { alertHeadline, alertMessage, formatValue, ratioPercent, scopeNamesFrom, scopeText } from '../../server/alerts/messages.ts';
import { waitingPerAvailable } from '../../server/alerts/metrics.ts';

describe('alert messages (zh-CN + en)', () => {
  it('threshold breach names metric, value, direction, threshold and scope', () => {
    const rule = alertRule.parse({ id: 'ar', metric: 'answerRate', comparator: 'lt', warning: 0.9, scope: { center: 'sh', queue: '信用卡' } });
    const m = alertMessage(rule, { key: '', value: 0.873, scope: { center: 'sh', queue: '信用卡' } }, 'warning', 0.9);
    expect(m.zh).toBe('【预警】人工接通率 87.3%，低于阈值 90.0% — 中心 sh，队列 信用卡');
    expect(m.en).toBe('[Warning] Answer rate 87.3%, below threshold 90.0% — center sh, queue 信用卡');
  });

  it('spike message carries the ratio and the percentage above the baseline', () => {
    const rule = alertRule.parse({ id: 'sp', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6 });
    const m = alertMessage(rule, { key: '', value: 1.56, scope: { center: 'default' }, facts: { live: 156, reference: 100 } }, 'warning', 1.3);
    expect(m.zh).toContain('近15分钟进线 156，为同期基线 100 的 1.56 倍（+56%');
    expect(m.en).toContain('156 arrivals in the last 15 min, 1.56× the baseline of 100 (+56%');
  });

  it('formats units', () => {
    expect(formatValue('longestWaitSec', 45)).toBe('45s');
    expect(formatValue('longestWaitSec', 185)).toBe('3m05s');
    // durations read naturally in Chinese; a rounded 59.6 s is the next minute, never ":60"
    expect(formatValue('longestWaitSec', 45, 'zh')).toBe('45秒');
    expect(formatValue('notReadySec', 1802, 'zh')).toBe('30分02秒');
    expect(formatValue('notReadySec', 179.6)).toBe('3m00s');
    expect(formatValue('notReadySec', 3900, 'zh')).toBe('1小时05分');
    expect(formatValue('notReadySec', 3900)).toBe('1h05m');
    expect(formatValue('waitingPerAvailableAgent', 2.5)).toBe('2.5');
    expect(ratioPercent(0.8)).toBe('-20%');
  });

  it('waiting per available agent stays finite with nobody available', () => {
    expect(waitingPerAvailable(6, 2)).toBe(3);
    expect(waitingPerAvailable(4, 0)).toBe(4);
    expect(waitingPerAvailable(0, 0)).toBe(0);
    expect(waitingPerAvailable(null, 3)).toBeNull();
  });
});

describe('KPI pack metrics in messages', () => {
  it('names and formats KPI figures from the registry', () => {
    expect(formatValue('csat', 0.834)).toBe('83.4%');
    expect(formatValue('botResolutionRate', 0.45)).toBe('45.0%');
    expect(formatValue('fcr', 0.7)).toBe('70.0%');
    expect(formatValue('csatMeanScore', 4.333)).toBe('4.33');
    const rule = alertRule.parse({ id: 'c', metric: 'csat', comparator: 'lt', warning: 0.85 });
    const m = alertMessage(rule, { key: '', value: 0.8, scope: { center: 'default' } }, 'warning', 0.85);
    expect(m.zh).toBe('【预警】客户满意度 80.0%，低于阈值 85.0% — 中心 default');
  });
});

describe('alert messages with configured names', () => {
  it('names the center, queue and team as the screens do, falling back to ids', () => {
    const names = scopeNamesFrom({
      centers: [{ id: 'sh', name: { zh: '上海远程银行中心', en: 'Shanghai Remote Banking Center' } }],
      queues: [{ id: 'cards', center: 'sh', name: { zh: '信用卡', en: 'Credit card' } }],
      groups: [],
      teams: [{ id: 'card-2', center: 'sh', name: { zh: '信用卡二组', en: 'Card team 2' } }],
      reasons: [{ id: 'meal', name: { zh: '午餐', en: 'Lunch' } }],
    });
    const t = scopeText({ center: 'sh', queue: 'cards', team: 'card-2', group: 'unknown-group' }, names);
    expect(t.zh).toBe('上海远程银行中心，队列 信用卡，队列组 unknown-group，班组 信用卡二组');
    expect(t.en).toBe('Shanghai Remote Banking Center, queue Credit card, group unknown-group, team Card team 2');
    // not-ready reasons: a configured name wins over the built-in one; an unknown code as sent
    expect(scopeText({ center: 'sh', agent: '王芳', reason: 'meal' }, names).zh).toBe('上海远程银行中心，座席 王芳，原因 午餐');
    expect(scopeText({ center: 'sh', agent: '王芳', reason: 'break' }, names).en).toBe('Shanghai Remote Banking Center, agent 王芳, reason Break');
    expect(scopeText({ center: 'sh', agent: '王芳', reason: 'x-ray' }, names).zh).toBe('上海远程银行中心，座席 王芳，原因 x-ray');
  });

  it('gives screens a headline without severity prefix and center, in natural Chinese durations', () => {
    const names = scopeNamesFrom({
      centers: [{ id: 'sh', name: { zh: '上海远程银行中心', en: 'Shanghai Remote Banking Center' } }],
      queues: [],
      groups: [],
      teams: [{ id: 'card-2', center: 'sh', name: { zh: '信用卡二组', en: 'Card team 2' } }],
      reasons: [],
    });
    const rule = alertRule.parse({ id: 'nr', metric: 'notReadySec', reason: 'meal', comparator: 'gt', warning: 1800, scope: { center: 'sh' } });
    const subject = { key: '', value: 1802, scope: { center: 'sh', team: 'card-2', agent: '王芳', reason: 'meal' } };
    expect(alertMessage(rule, subject, 'warning', 1800, names).zh).toBe('【预警】示忙时长 30分02秒，高于阈值 30分00秒 — 上海远程银行中心，班组 信用卡二组，座席 王芳，原因 用餐');
    const h = alertHeadline(rule, subject, 1800, names);
    expect(h.zh).toBe('示忙时长 30分02秒，高于阈值 30分00秒 — 班组 信用卡二组，座席 王芳，原因 用餐');
    expect(h.en).toBe('Time not ready 30m02s, above threshold 30m00s — team Card team 2, agent 王芳, reason Meal');
    // a center-wide alert: the figure alone
    const ar = alertRule.parse({ id: 'ar', metric: 'answerRate', comparator: 'lt', warning: 0.9, scope: { center: 'sh' } });
    expect(alertHeadline(ar, { key: '', value: 0.873, scope: { center: 'sh' } }, 0.9, names).zh).toBe('人工接通率 87.3%，低于阈值 90.0%');
  });
});
