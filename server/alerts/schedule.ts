import { weekdays, type AlertRule, type ScheduleOverride } from '../../shared/contract/alerts.ts';
import { localParts } from '../../shared/metrics/windows.ts';
import { defaultClear, type Levels } from './hysteresis.ts';

/** The rule as it applies at one instant: schedule overrides resolved in the center's time zone. */
export interface EffectiveRule {
  enabled: boolean;
  levels: Levels;
  /** name of the override in force, if any */
  schedule: string | null;
}

export interface LocalTime {
  date: string;
  weekday: (typeof weekdays)[number];
  day: number;
  daysInMonth: number;
  minuteOfDay: number;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const p = localParts(ms, timeZone);
  const hour = p.hour === 24 ? 0 : p.hour;
  const weekday = weekdays[new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay()]!;
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${p.year}-${pad(p.month)}-${pad(p.day)}`,
    weekday,
    day: p.day,
    daysInMonth,
    minuteOfDay: hour * 60 + p.minute,
  };
}

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** [from, to) in local minutes; a range whose end is before its start wraps past midnight. */
export function inTimeRange(minuteOfDay: number, from: string, to: string): boolean {
  const a = minutesOf(from);
  const b = minutesOf(to);
  if (a === b) return true;
  return a < b ? minuteOfDay >= a && minuteOfDay < b : minuteOfDay >= a || minuteOfDay < b;
}

export function overrideMatches(o: ScheduleOverride, t: LocalTime): boolean {
  if (o.weekdays && !o.weekdays.includes(t.weekday)) return false;
  if (o.monthDays && !o.monthDays.some((d) => (d > 0 ? d === t.day : t.daysInMonth + d + 1 === t.day))) return false;
  if (o.dates && !o.dates.includes(t.date)) return false;
  if (o.from !== undefined && o.to !== undefined && !inTimeRange(t.minuteOfDay, o.from, o.to)) return false;
  return true;
}

export function effectiveRule(rule: AlertRule, nowMs: number, timeZone: string): EffectiveRule {
  const t = rule.schedules.length > 0 ? localTime(nowMs, timeZone) : undefined;
  const o = t ? rule.schedules.find((s) => overrideMatches(s, t)) : undefined;
  const warning = o?.warning !== undefined ? o.warning : rule.warning;
  const critical = o?.critical !== undefined ? o.critical : rule.critical;
  const base = { comparator: rule.comparator, warning, critical, sustainedForSec: o?.sustainedForSec ?? rule.sustainedForSec };
  // an override that moves the levels without naming a clear level keeps the rule's hysteresis gap
  let clear = o?.clear ?? rule.clear;
  if (o && o.clear === undefined && rule.clear !== undefined && (warning ?? critical) !== null) {
    const gap = rule.clear - defaultClear({ ...base, warning: rule.warning, critical: rule.critical });
    clear = defaultClear(base) + gap;
  }
  const usable = warning !== null || critical !== null;
  return {
    enabled: (o?.enabled ?? rule.enabled) && usable,
    levels: { ...base, clear: usable ? (clear ?? defaultClear(base)) : 0 },
    schedule: o?.name ?? null,
  };
}
