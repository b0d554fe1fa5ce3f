import { describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import { effectiveRule, inTimeRange, localTime } from '../../server/alerts/schedule.ts';

const rule = alertRule.parse({
  id: 'sl',
  metric: 'serviceLevel',
  comparator: 'lt',
  warning: 0.8,
  critical: 0.7,
  clear: 0.82,
  schedules: [
    { name: 'month-end', monthDays: [-1, -2], warning: 0.7, critical: 0.6 },
    { name: 'night', from: '22:00', to: '08:00', enabled: false },
  ],
});
// 2026-11-30 is the last day of November; Shanghai = UTC+8
const shanghai = (d: number, h: number) => Date.UTC(2026, 10, d, h - 8, 0);

describe('schedule overrides (center local time)', () => {
  it('local time parts in the center time zone', () => {
    expect(localTime(shanghai(30, 9), 'Asia/Shanghai')).toMatchObject({ date: '2026-11-30', weekday: 'mon', day: 30, daysInMonth: 30, minuteOfDay: 540 });
  });

  it('month-end override loosens levels and keeps the hysteresis gap', () => {
    const e = effectiveRule(rule, shanghai(30, 10), 'Asia/Shanghai');
    expect(e.schedule).toBe('month-end');
    expect(e.levels).toMatchObject({ warning: 0.7, critical: 0.6 });
    expect(e.levels.clear).toBeCloseTo(0.72, 10);
    expect(effectiveRule(rule, shanghai(27, 10), 'Asia/Shanghai')).toMatchObject({ schedule: null, levels: { warning: 0.8, clear: 0.82 } });
  });

  it('a time range across midnight disables the rule at night', () => {
    expect(inTimeRange(23 * 60, '22:00', '08:00')).toBe(true);
    expect(inTimeRange(8 * 60, '22:00', '08:00')).toBe(false);
    expect(effectiveRule(rule, shanghai(27, 23), 'Asia/Shanghai').enabled).toBe(false);
    expect(effectiveRule(rule, shanghai(27, 12), 'Asia/Shanghai').enabled).toBe(true);
  });

  it('rejects a clear level on the wrong side and inverted levels', () => {
    expect(alertRule.safeParse({ id: 'x', metric: 'answerRate', comparator: 'lt', warning: 0.9, clear: 0.85 }).success).toBe(false);
    expect(alertRule.safeParse({ id: 'x', metric: 'waiting', comparator: 'gt', warning: 10, critical: 5 }).success).toBe(false);
    expect(alertRule.safeParse({ id: 'x', metric: 'waiting', comparator: 'gt', warning: 10, critical: 20, clear: 8 }).success).toBe(true);
  });
});
