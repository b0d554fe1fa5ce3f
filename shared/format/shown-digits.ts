/**
 * The common core of "how many extra decimals does a figure need so that its text does not appear
 * to cross a threshold it has not crossed". Two policies use it, on purpose different:
 * - screens (client/src/lib/levels.ts, `digitsForLevel`): the text is judged against a level
 *   function, at most 2 extra decimals, then rounded towards its own side of the threshold;
 * - alert texts (server/alerts/messages.ts, `precisionAgainst`): value and threshold printed with
 *   the same decimals, up to 6.
 * Both decide on the number a reader takes from the text, not on the exact value, and both find it
 * the same way: round as the text does, at so many decimals, and search for the fewest decimals
 * that read right. This module holds those two pieces; which figure gets which rounding and how
 * many decimals stays with each policy (client/src/lib/format.ts and server/alerts/messages.ts,
 * `shownValue`).
 *
 * Why three roundings and not one: the read-back must use the very rounding that prints the text.
 * Deciding with one rounding and printing with another can pass a text that reads as the
 * threshold, and the roundings in use really disagree at halves, because they round different
 * numbers (a double is rarely the decimal it was written as):
 * - `Math.round(v × 10^d)` rounds the product, itself rounded to a double: 19.95 (stored as
 *   19.9499…) × 10 is exactly 199.5, which rounds up to 20.0;
 * - `toFixed(d)` rounds the stored binary value exactly: 19.95 → "19.9", 3.05 (3.0499…) → "3.0";
 * - `Intl.NumberFormat` (ICU) rounds the shortest decimal that reads back as the double, half away
 *   from zero: 19.95 → "20.0", 3.05 → "3.1", 0.0195 as a percent → "2.0%" where
 *   (0.0195 × 100).toFixed(1) is "1.9".
 * They also break ties of negative values differently (Math.round: towards +∞, −2.5 → −2; the
 * others away from zero, → −3); no figure that carries a threshold is negative.
 *
 * Pure: no locale, no DOM; the Intl formatters read back are en-US without grouping (the rounding
 * of Intl does not depend on the locale, only the digits and separators printed do).
 */

/**
 * The number a text printed with `Math.round(v × 10^decimals) / 10^decimals` shows. Durations are
 * printed this way on the screens (format.ts `formatDuration`) and in alert texts (messages.ts
 * `formatDuration`); each caller applies its own clamping and minute/hour layout around it.
 * Non-finite values are returned as they are.
 */
export function shownByMathRound(v: number, decimals: number): number {
  if (!Number.isFinite(v)) return v;
  const scale = 10 ** decimals;
  return Math.round(v * scale) / scale;
}

/**
 * The number a text printed with `v.toFixed(decimals)` shows (alert texts: percentages, multiples,
 * counts and scores). Non-finite values are returned as they are.
 */
export function shownByToFixed(v: number, decimals: number): number {
  if (!Number.isFinite(v)) return v;
  return Number(v.toFixed(decimals));
}

/** Intl number styles whose rounding is read back: a plain decimal, or a percent of a fraction */
export type IntlStyle = 'decimal' | 'percent';

const intlCache = new Map<string, Intl.NumberFormat>();

/**
 * The number a text printed by `Intl.NumberFormat` with exactly `decimals` fraction digits shows
 * (screens: percentages, scores, counts). For `percent` the text's decimals are those of the
 * percentage and the result is a fraction again ("79.99%" → 0.7999), so it compares with the
 * same thresholds as the value. Non-finite values are returned as they are (Intl prints "∞", which
 * reads back as no number).
 */
export function shownByIntl(v: number, decimals: number, style: IntlStyle = 'decimal'): number {
  if (!Number.isFinite(v)) return v;
  const key = `${style}${decimals}`;
  let f = intlCache.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style, minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false });
    intlCache.set(key, f);
  }
  const text = f.format(v);
  return style === 'percent' ? Number(text.replace('%', '')) / 100 : Number(text);
}

/**
 * The fewest extra digits `d` in [`from`, `to`] for which `readsRight(d)` holds, or undefined if
 * none does (each policy decides what then: the screens round towards the value's side, alert
 * texts print their maximum). The fewest, because every extra digit makes the text longer on a
 * wall read from across the room; `readsRight` is typically a judgement of the text read back
 * with one of the `shownBy…` functions at `d` extra digits.
 */
export function fewestExtraDigits(from: number, to: number, readsRight: (digits: number) => boolean): number | undefined {
  for (let d = from; d <= to; d++) {
    if (readsRight(d)) return d;
  }
  return undefined;
}
