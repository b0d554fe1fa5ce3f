import { z } from 'zod';

/**
 * Window semantics (shared by engine, reference model, API and UI):
 * - `asOf` is the query time truncated to the whole second.
 * - Rolling windows are half-open [asOf − N min, asOf): an event at exactly asOf − N min counts,
 *   one in the current, unfinished second does not yet.
 * - `today` is [local midnight in the center's time zone, asOf).
 * - History (`from`/`to`) is [from, to), both on 15-minute boundaries.
 */
export const rollingWindows = ['15m', '30m', '60m'] as const;
export const windowIds = [...rollingWindows, 'today'] as const;
export const windowId = z.enum(windowIds);
export type WindowId = z.infer<typeof windowId>;
export type RollingWindowId = (typeof rollingWindows)[number];

export const rollingWindowMs: Record<RollingWindowId, number> = {
  '15m': 15 * 60_000,
  '30m': 30 * 60_000,
  '60m': 60 * 60_000,
};

export const intervalMs = 15 * 60_000;

export function isRolling(w: WindowId): w is RollingWindowId {
  return w !== 'today';
}

export function asOfSecond(nowMs: number): number {
  return Math.floor(nowMs / 1000) * 1000;
}

/** Local midnight (epoch ms) of the day containing `ms` in `timeZone`. Works for any IANA zone,
 * including ones whose offset changes (DST): it finds the offset at the candidate midnight. */
export function localMidnight(ms: number, timeZone: string): number {
  return perMinute(midnightMemo, ms, timeZone, computeLocalMidnight);
}

/**
 * Memo by (zone, UTC minute). Intl's formatToParts costs microseconds and every query and ingest
 * batch asks. Zones in use today have whole-minute offsets, so a local day cannot change inside a
 * UTC minute; a minute where it does (old local-mean-time offsets with seconds) is checked for on
 * every miss and never memoised. The maps are cleared when they grow past a bound.
 */
const midnightMemo = new Map<string, number>();
const dateMemo = new Map<string, string>();
function perMinute<T>(memo: Map<string, T>, ms: number, timeZone: string, compute: (ms: number, timeZone: string) => T): T {
  const minute = Math.floor(ms / 60_000);
  const key = `${timeZone}|${minute}`;
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  const v = compute(ms, timeZone);
  if (computeLocalDate(minute * 60_000, timeZone) === computeLocalDate(minute * 60_000 + 59_999, timeZone)) {
    if (memo.size >= 4096) memo.clear();
    memo.set(key, v);
  }
  return v;
}

/**
 * The first instant of the local date of `ms`. 00:00 read with each offset in force around that
 * midnight gives the candidates; the earliest that falls on the date is the start, unless the
 * date begins inside a clock change (DST starting at 00:00, as in America/Santiago or Havana: the
 * day then starts at 01:00, the instant of the change), which the search below finds.
 */
function computeLocalMidnight(ms: number, timeZone: string): number {
  const parts = localParts(ms, timeZone);
  const date = computeLocalDate(ms, timeZone);
  const guessUtc = Date.UTC(parts.year, parts.month - 1, parts.day);
  const candidates = [-14, 0, 14].map((h) => guessUtc - offsetMs(guessUtc + h * 3_600_000, timeZone)).sort((a, b) => a - b);
  let start = candidates.find((c) => computeLocalDate(c, timeZone) === date) ?? Math.floor(ms / 1000) * 1000;
  if (computeLocalDate(start - 1000, timeZone) === date) {
    // not the first second of the date: search back between an instant of the day before and it
    let before = start - 27 * 3_600_000;
    while (start - before > 1000) {
      const mid = before + Math.floor((start - before) / 2000) * 1000;
      if (computeLocalDate(mid, timeZone) === date) start = mid;
      else before = mid;
    }
  }
  return start;
}

/** The local calendar date (YYYY-MM-DD) of `ms` in `timeZone`. */
export function localDate(ms: number, timeZone: string): string {
  return perMinute(dateMemo, ms, timeZone, computeLocalDate);
}

function computeLocalDate(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

const formatterCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatterCache.set(timeZone, f);
  }
  return f;
}

/**
 * How many 15-minute intervals the local date `date` (YYYY-MM-DD) has in `timeZone`: 96, or 92 / 100
 * on a day whose clock changes by an hour (other zones' changes give other counts).
 */
export function localDayIntervals(date: string, timeZone: string): number {
  const noonUtc = Date.parse(`${date}T12:00:00Z`);
  // some instant of that local date: UTC noon is on it from UTC−12 to UTC+11, else half a day off
  const inside = [noonUtc, noonUtc - 12 * 3_600_000, noonUtc + 12 * 3_600_000].find((t) => localDate(t, timeZone) === date);
  if (inside === undefined) throw new RangeError(`${date} does not exist in ${timeZone}`);
  const start = localMidnight(inside, timeZone);
  // a local day lasts 23–25 h (22–26 with a two-hour change): 27 h on is inside the next one
  const end = localMidnight(start + 27 * 3_600_000, timeZone);
  return Math.round((end - start) / intervalMs);
}

export function localParts(ms: number, timeZone: string) {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour!,
    minute: out.minute!,
    second: out.second!,
  };
}

/** UTC offset (ms) of `timeZone` at instant `ms`. */
export function offsetMs(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
