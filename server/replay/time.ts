import { localParts, offsetMs } from '../../shared/metrics/windows.ts';

/**
 * Calendar arithmetic for replays. A "day" is a local calendar date (YYYY-MM-DD) in the replay's
 * time zone; shifting keeps the local time of day and moves the date, so a 09:00 peak stays a
 * 09:00 peak on the wallboard whatever the UTC offset was in the source year.
 */

const dayMs = 86_400_000;

/** Days since 1970-01-01 of a YYYY-MM-DD date (calendar arithmetic, no time zone involved). */
export function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Math.round(Date.UTC(y, m - 1, d) / dayMs);
}

export function dateOfDayNumber(n: number): string {
  return new Date(n * dayMs).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return dateOfDayNumber(dayNumber(date) + days);
}

/** True for a real calendar date written YYYY-MM-DD (rejects 2026-02-30). */
export function isCalendarDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  return dateOfDayNumber(dayNumber(s)) === s;
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` + `secondOfDay` seconds
 * (secondOfDay may exceed 86 400: the surplus rolls into the next days). A wall time skipped by a
 * DST jump resolves forward by the jump, like Temporal's "compatible" disambiguation; a repeated
 * wall time resolves to its first occurrence.
 */
export function wallClockToInstant(date: string, secondOfDay: number, timeZone: string): number {
  const asUtc = dayNumber(date) * dayMs + secondOfDay * 1000;
  // Offsets a day either side bracket any DST change near this wall time (zones change at most
  // once a day); each gives a candidate instant, kept when its wall clock really reads `asUtc`.
  const before = asUtc - offsetMs(asUtc - dayMs, timeZone);
  const after = asUtc - offsetMs(asUtc + dayMs, timeZone);
  const reads = (t: number) => t + offsetMs(t, timeZone) === asUtc;
  if (reads(before) && reads(after)) return Math.min(before, after);
  if (reads(before)) return before;
  if (reads(after)) return after;
  return before;
}

/** Local calendar date of an instant in `timeZone`. */
export function localDateOf(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Seconds since local midnight (wall clock) of an instant; milliseconds are kept separately. */
export function localSecondOfDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return p.hour * 3600 + p.minute * 60 + p.second;
}

/** Moves an instant by whole local days, keeping its wall-clock time of day in `timeZone`. */
export function shiftInstant(ms: number, days: number, timeZone: string): number {
  if (days === 0) return ms;
  const subSecond = ((ms % 1000) + 1000) % 1000;
  const date = addDays(localDateOf(ms, timeZone), days);
  return wallClockToInstant(date, localSecondOfDay(ms, timeZone), timeZone) + subSecond;
}

/** "H:MM:SS" / "HH:MM:SS" → seconds since midnight, or undefined when unreadable. */
export function parseClock(text: string): number | undefined {
  const m = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (h > 23 || mi > 59 || s > 59) return undefined;
  return h * 3600 + mi * 60 + s;
}
