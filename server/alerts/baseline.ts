import { intervalMs, offsetMs } from '../../shared/metrics/windows.ts';

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
export const weekMs = 7 * 86_400_000;

export function sameLocalTimeWeeksAgo(nowMs: number, weeks: number, timeZone: string): number {
  const t = nowMs - weeks * weekMs;
  return t + (offsetMs(nowMs, timeZone) - offsetMs(t, timeZone));
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
