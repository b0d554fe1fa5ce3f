/**
 * Locale formatting of every figure and time on screen. Pure functions (the browser tests use
 * them to format the API's numbers and compare with the screen). Formatters are cached: the wall
 * formats ~50 figures per update and Intl constructors are the expensive part.
 */
import { ratioText, shownByIntl, shownByMathRound } from '../../../shared/format/shown-digits.ts';

export type LocaleId = 'zh-CN' | 'en';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

export const empty = '—';

function percentFormat(locale: LocaleId, digits: number): Intl.NumberFormat {
  return cached(`p${locale}${digits}`, () => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }));
}

/** the fraction a percent text printed with `digits` decimals shows (Intl rounds as it prints) */
const percentRead = (v: number, digits: number) => shownByIntl(v, digits, 'percent');

/**
 * A ratio as a percentage with `digits` decimals — or more, up to two, where fewer would read
 * "100.0%" for a ratio short of 1 or "0.0%" for one above 0 (2 499 / 2 500 is "99.96%": a
 * supervisor reads 100 % as "every customer"); past two, a bound: "> 99.99%", "< 0.01%"
 * (shared/format/shown-digits.ts, `ratioText`).
 */
export function formatPercent(v: number | null | undefined, locale: LocaleId, digits = 1): string {
  if (v == null || !Number.isFinite(v)) return empty;
  const t = ratioText(v, digits, percentRead);
  if (t.kind === 'figure') return percentFormat(locale, t.decimals).format(v);
  return `${t.side} ${percentFormat(locale, t.decimals).format(t.bound)}`;
}

export function formatCount(v: number | null | undefined, locale: LocaleId): string {
  if (v == null || !Number.isFinite(v)) return empty;
  return cached(`n${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })).format(v);
}

/**
 * Seconds: "45 s" / "45 秒" under a minute, else "m:ss" (h:mm:ss from an hour). `fractionDigits`
 * adds decimals to the seconds ("19.6 秒", "1:59.6"), for a figure beside a threshold it would
 * otherwise appear to reach (see `levels.ts`, `digitsForLevel`).
 */
export function formatDuration(sec: number | null | undefined, locale: LocaleId, fractionDigits = 0): string {
  if (sec == null || !Number.isFinite(sec)) return empty;
  const scale = 10 ** fractionDigits;
  const units = Math.round(Math.max(0, sec) * scale);
  const s = Math.floor(units / scale);
  const frac = fractionDigits > 0 ? `.${String(units % scale).padStart(fractionDigits, '0')}` : '';
  if (s < 60) return locale === 'en' ? `${s}${frac} s` : `${s}${frac} 秒`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0') + frac;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** A score such as 4.3 (mean rating, calls per agent): one decimal by default. */
export function formatScore(v: number | null | undefined, locale: LocaleId, digits = 1): string {
  if (v == null || !Number.isFinite(v)) return empty;
  return cached(`s${locale}${digits}`, () => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits })).format(v);
}

/** How a figure is written: percent "87.5%", count "12", duration "45 秒" / "1:05", score "4.3". */
export type FigureKind = 'percent' | 'count' | 'duration' | 'score';

/** a figure as the screens write it, with `extra` decimals beyond the usual ones */
export function formatKind(kind: FigureKind, v: number | null | undefined, locale: LocaleId, extra = 0): string {
  if (kind === 'percent') return formatPercent(v, locale, 1 + extra);
  if (kind === 'duration') return formatDuration(v, locale, extra);
  if (kind === 'score') return formatScore(v, locale, 1 + extra);
  return formatCount(v, locale);
}

/**
 * The number `v` rounds to at the decimals `formatKind(kind, v, …, extra)` asks for (a fraction for
 * percentages), read back from the same rounding the text uses, so a comparison with a threshold
 * sees what the screen shows. Durations are printed with Math.round (`formatDuration`), the other
 * kinds with Intl; the two disagree at some halves (1.005 with two decimals: Intl "1.01",
 * Math.round "1.00"), so each kind is read back with its own (shared/format/shown-digits.ts). A
 * ratio near 0 or 1 may be printed with more decimals than asked, or as a bound: what its text
 * reads is `shownReadings`.
 */
export function shownValue(kind: FigureKind, v: number, extra = 0): number {
  if (kind === 'duration') return shownByMathRound(Math.max(0, v), extra);
  if (kind === 'count') return shownByIntl(v, 0);
  if (kind === 'percent') return percentRead(v, 1 + extra);
  return shownByIntl(v, 1 + extra);
}

/**
 * Every number a reader may take from the text `formatKind(kind, v, …, extra)` really prints: the
 * one it shows, or, for a ratio written as a bound ("> 99.99%"), both ends of what it leaves open
 * (0.9999 and 1), so a threshold between them is caught. A percent is read at the decimals
 * `formatPercent` settles on, which may be more than `extra` asks for ("99.96%" for 1 + 0 asked).
 */
export function shownReadings(kind: FigureKind, v: number, extra = 0): number[] {
  if (kind !== 'percent' || !Number.isFinite(v)) return [shownValue(kind, v, extra)];
  const t = ratioText(v, 1 + extra, percentRead);
  if (t.kind === 'figure') return [percentRead(v, t.decimals)];
  return [t.bound, t.side === '>' ? 1 : 0];
}

/**
 * A configured value (a target or a threshold) quoted exactly: "87.5%", "80%" (no needless ".0"),
 * "20 秒", "20.5 秒".
 */
export function formatExact(kind: FigureKind, v: number | null | undefined, locale: LocaleId): string {
  if (v == null || !Number.isFinite(v)) return empty;
  if (kind === 'percent') {
    return cached(`px${locale}`, () => new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 0, maximumFractionDigits: 6 })).format(v);
  }
  if (kind === 'duration') {
    let digits = 0;
    while (digits < 3 && Math.abs(Math.round(v * 10 ** digits) / 10 ** digits - v) > 1e-9) digits += 1;
    return formatDuration(v, locale, digits);
  }
  return cached(`nx${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 6 })).format(v);
}

export function formatTime(ms: number, locale: LocaleId, timeZone: string, seconds = true): string {
  return cached(`t${locale}${timeZone}${seconds}`, () =>
    new Intl.DateTimeFormat(locale, {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    }),
  ).format(ms);
}

export function formatDate(ms: number, locale: LocaleId, timeZone: string): string {
  return cached(`d${locale}${timeZone}`, () =>
    new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: 'long', day: 'numeric', weekday: 'short' }),
  ).format(ms);
}

/** "GMT+8"-style name of the zone at `ms`, shown next to every clock. */
export function formatZone(ms: number, locale: LocaleId, timeZone: string): string {
  const f = cached(`z${locale}${timeZone}`, () => new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }));
  return f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

/** `--chars` of a `.fit-figure` (app.css): the text's length, as a width in characters */
export function fitChars(text: string): number {
  return Math.max(2, text.length);
}

/** Age of data for the STALE label: "12 s", "3:04". */
export function formatAge(ms: number, locale: LocaleId): string {
  return formatDuration(ms / 1000, locale);
}
