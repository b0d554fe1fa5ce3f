import { intervalMs, localDate, offsetMs } from '../../shared/metrics/windows.ts';

/**
 * Traffic-spike math, pure.
 *
 * The live side is the rolling 15 minutes [now − 15 min, now). History is kept per 15-minute
 * interval, so the same stretch k weeks ago, [t − 15 min, t) with t = now − k weeks, usually
 * straddles two intervals; each interval contributes in proportion to its overlap (arrivals are
 * assumed even within an interval). `t` keeps the local clock time across a DST change.
 *
 * The baseline is the median (default; one holiday or outage week does not drag it) or the mean
 * of the weeks that have data. A week whose stretch has no arrivals at all is treated as "no data"
 * (before the history began, or the center was closed), not as a zero that would make any traffic
 * look infinite.
 */
export const dayMs = 86_400_000;
export const weekMs = 7 * dayMs;

export function sameLocalTimeWeeksAgo(nowMs: number, weeks: number, timeZone: string): number {
  return sameLocalTimeDaysAgo(nowMs, 7 * weeks, timeZone);
}

/** the instant `days` local days before `nowMs` at the same local clock time (across DST) */
export function sameLocalTimeDaysAgo(nowMs: number, days: number, timeZone: string): number {
  const t = nowMs - days * dayMs;
  return t + (offsetMs(nowMs, timeZone) - offsetMs(t, timeZone));
}

/**
 * Working day (Monday–Friday) or weekend, by the local date. A bank hotline's Saturday is not its
 * Monday, so the fallback baseline compares days of one kind only. There is no holiday calendar
 * (nor the Chinese 调休 working weekends): a public holiday on a weekday reads as a working day,
 * which the median of several days rides out.
 */
export type DayKind = 'workday' | 'weekend';
export function dayKindOf(ms: number, timeZone: string): DayKind {
  return dateKind(localDate(ms, timeZone));
}
function dateKind(date: string): DayKind {
  const wd = new Date(`${date}T00:00:00Z`).getUTCDay();
  return wd === 0 || wd === 6 ? 'weekend' : 'workday';
}
/** the local date `n` days after `date` (YYYY-MM-DD) */
export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10);
}

/** the instant the local clock of `timeZone` reads `hhmm` on `date` (the later reading of a DST overlap's
 * repeated hour; a time inside a spring-forward gap reads as the offset before it) */
export function localInstant(date: string, hhmm: string, timeZone: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  const asUtc = Date.parse(`${date}T00:00:00Z`) + (h! * 60 + m!) * 60_000;
  const first = asUtc - offsetMs(asUtc, timeZone);
  return asUtc - offsetMs(first, timeZone);
}

/** the interval-aligned range covering [fromMs, toMs) */
export function alignedRange(fromMs: number, toMs: number): { from: number; to: number } {
  return { from: Math.floor(fromMs / intervalMs) * intervalMs, to: Math.ceil(toMs / intervalMs) * intervalMs };
}

export interface IntervalArrivals {
  fromMs: number;
  arrivals: number;
}

/** Arrivals within [fromMs, toMs) estimated from 15-minute rows by overlap. */
export function overlapSum(rows: IntervalArrivals[], fromMs: number, toMs: number): number {
  let sum = 0;
  for (const r of rows) {
    const overlap = Math.min(toMs, r.fromMs + intervalMs) - Math.max(fromMs, r.fromMs);
    if (overlap > 0) sum += (r.arrivals * overlap) / intervalMs;
  }
  return sum;
}

export function baselineOf(
  weekly: (number | null)[],
  method: 'median' | 'mean',
  minWeeks: number,
): number | null {
  const values = weekly.filter((v): v is number => v !== null && v > 0).sort((a, b) => a - b);
  if (values.length < minWeeks || values.length === 0) return null;
  if (method === 'mean') return values.reduce((a, b) => a + b, 0) / values.length;
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Ratio of live arrivals to the reference; null when the reference is missing or too small to
 * judge by, unless live traffic is that small too: fewer arrivals than the minimum reference are
 * no spike whatever the reference, so the ratio is then 0 (an open spike alert resolves as
 * traffic calms down, even where the baseline is thin).
 */
export function spikeRatio(live: number, reference: number | null, minReference: number): number | null {
  if (reference !== null && reference > 0 && reference >= minReference) return live / reference;
  return live < minReference ? 0 : null;
}

/** the fallback baseline needs at least this many days with data */
export const fallbackMinDays = 2;
/** how far back the fallback looks for days of the current kind with data */
export const fallbackLookbackDays = 14;

/** the same stretch `daysAgo` local days back (newest first); arrivals null: no data */
export interface DayStretch {
  daysAgo: number;
  kind: DayKind;
  arrivals: number | null;
}

/**
 * Which baseline a spike rule compares with now. `weekday` (the main one) once `minWeeks` of the
 * same weekdays have data; until then `recentDays`: the same stretch on the last `fallbackDays`
 * days of the current kind that have data (at least fallbackMinDays), by the same method; else none
 * (`weeks`, `days`: how many of each have data, for the status).
 */
export type SpikeBaseline =
  | { kind: 'weekday'; reference: number; samples: number }
  | { kind: 'recentDays'; reference: number; samples: number; dayKind: DayKind; weeks: number }
  | { kind: null; weeks: number; days: number };

const hasData = (v: number | null): v is number => v !== null && v > 0;

export function chooseBaseline(
  weekly: (number | null)[],
  recent: DayStretch[],
  today: DayKind,
  opts: { method: 'median' | 'mean'; minWeeks: number; fallbackDays: number },
): SpikeBaseline {
  const weeks = weekly.filter(hasData).length;
  const weekday = baselineOf(weekly, opts.method, opts.minWeeks);
  if (weekday !== null) return { kind: 'weekday', reference: weekday, samples: weeks };
  const sameKind = [...recent]
    .sort((a, b) => a.daysAgo - b.daysAgo)
    .filter((d) => d.kind === today)
    .map((d) => d.arrivals)
    .filter(hasData);
  const used = sameKind.slice(0, opts.fallbackDays);
  const reference = opts.fallbackDays >= fallbackMinDays ? baselineOf(used, opts.method, fallbackMinDays) : null;
  if (reference !== null) return { kind: 'recentDays', reference, samples: used.length, dayKind: today, weeks };
  return { kind: null, weeks, days: Math.min(sameKind.length, Math.max(opts.fallbackDays, fallbackMinDays)) };
}

/**
 * The local date from which `needed` days of the kind of `today` will have had data, if each such
 * day from now on brings traffic: `have` of them already did, today counts when it has traffic so
 * far. Only days of today's kind count, and the date is one of them. null: more than a year off.
 */
export function armingDate(today: string, kind: DayKind, have: number, todayCounts: boolean, needed: number): string | null {
  let count = have + (todayCounts ? 1 : 0);
  for (let d = 1; d <= 366; d++) {
    const date = addDays(today, d);
    if (dateKind(date) !== kind) continue;
    if (count >= needed) return date;
    count++;
  }
  return null;
}
