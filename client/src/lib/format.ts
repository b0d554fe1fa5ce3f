/**
 * Locale formatting of every figure and time on screen. Pure functions (the browser tests use
 * them to format the API's numbers and compare with the screen). Formatters are cached: the wall
 * formats ~50 figures per update and Intl constructors are the expensive part.
 */
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

export function formatPercent(v: number | null | undefined, locale: LocaleId, digits = 1): string {
  if (v == null || !Number.isFinite(v)) return empty;
  return cached(`p${locale}${digits}`, () =>
    new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits }),
  ).format(v);
}

export function formatCount(v: number | null | undefined, locale: LocaleId): string {
  if (v == null || !Number.isFinite(v)) return empty;
  return cached(`n${locale}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 })).format(v);
}

/** Seconds: "45 s" / "45 秒" under a minute, else "m:ss" (h:mm:ss from an hour). */
export function formatDuration(sec: number | null | undefined, locale: LocaleId): string {
  if (sec == null || !Number.isFinite(sec)) return empty;
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return locale === 'en' ? `${s} s` : `${s} 秒`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
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

/** Age of data for the STALE label: "12 s", "3:04". */
export function formatAge(ms: number, locale: LocaleId): string {
  return formatDuration(ms / 1000, locale);
}
