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
 * `shownValue`). A third piece is one rule for every text of a ratio (`ratioText`): it reads
 * 100 % only when it is exactly 1 and 0 % only when it is exactly 0.
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

/**
 * Decimals of a percentage up to which a ratio near 0 or 1 is given more of them so that its text
 * reads neither "0 %" nor "100 %" (99.96 %, 0.04 %). Two: past them the count behind the ratio runs
 * into tens of thousands and what a reader needs is "not all" / "not none", which a bound
 * ("> 99.99 %", "< 0.01 %") says in a text no longer than the figure, where more decimals would
 * only make a wall tile's figure smaller.
 */
export const ratioExtremeDecimals = 2;

/** a ratio this close to 0 or 1 is that extreme: floating-point noise (0.1 + 0.2 + 0.7), not a count */
const extremeNoise = 1e-9;

/**
 * Whether a text that reads `shown` (a fraction) makes ratio `v` look like all (1) or none (0)
 * although it is not: a supervisor reads 100 % as "every customer", 0 % as "not one". Only for a
 * share of a whole (0 < v < 1): a value outside that range is not a count of a whole.
 */
export function readsAsFalseExtreme(v: number, shown: number): boolean {
  if (!(v > extremeNoise && v < 1 - extremeNoise)) return false;
  return shown === 0 || shown === 1;
}

/**
 * How a ratio (a share of a whole) is written: the percentage with `decimals` decimals, or a bound
 * ("> 99.99 %": `side` '>' and `bound` 0.9999, a fraction like the value) when even
 * `ratioExtremeDecimals` would read as 0 % or 100 %.
 */
export type RatioText = { kind: 'figure'; decimals: number } | { kind: 'bound'; decimals: number; side: '>' | '<'; bound: number };

/**
 * The decimals a ratio `v` is printed with, at least `decimals`: the fewest from there whose text
 * does not read 100 % (or 0 %) while the ratio is not exactly 1 (or 0) — 2 499 of 2 500 is
 * "99.96 %", not "100.0 %" — searched up to `ratioExtremeDecimals` (or `decimals`, if a caller
 * already needs more, e.g. beside a threshold); past that, a bound at that precision.
 * `read(v, d)` is the fraction the caller's text printed with d decimals of the percentage shows
 * (screens: `shownByIntl(v, d, 'percent')`; alert texts: `shownByToFixed(v × 100, d) / 100`), so
 * the rule judges the very rounding that prints it. One rule for every screen and text that writes
 * a ratio; each caller prints the bound in its own way.
 */
export function ratioText(v: number, decimals: number, read: (v: number, decimals: number) => number): RatioText {
  if (!Number.isFinite(v)) return { kind: 'figure', decimals };
  const most = Math.max(decimals, ratioExtremeDecimals);
  const found = fewestExtraDigits(decimals, most, (d) => !readsAsFalseExtreme(v, read(v, d)));
  if (found !== undefined) return { kind: 'figure', decimals: found };
  // one unit of the last decimal of the percentage, as a fraction (2 decimals: 0.0001), rounded
  // to that grid so the bound prints as written ("99.99", not 1 − 0.0001's binary tail)
  const unit = 10 ** -(most + 2);
  const onGrid = (x: number) => Number(x.toFixed(most + 2));
  return v < 0.5 ? { kind: 'bound', decimals: most, side: '<', bound: onGrid(unit) } : { kind: 'bound', decimals: most, side: '>', bound: onGrid(1 - unit) };
}
