import { describe, expect, it } from 'vitest';
import { fewestExtraDigits, shownByIntl, shownByMathRound, shownByToFixed } from '../../shared/format/shown-digits.ts';
import { formatDuration, formatPercent, formatScore, shownValue } from '../../client/src/lib/format.ts';
import { digitsForLevel, type Level } from '../../client/src/lib/levels.ts';
import { formatValue, precisionAgainst } from '../../server/alerts/messages.ts';

/**
 * shared/format/shown-digits.ts: the number a reader takes from a text printed with each of the
 * roundings the screens and alert texts use, and the search for the fewest extra digits. Expected
 * values are computed by hand from the binary value of each literal (in comments).
 */
describe('read-back of Math.round at so many decimals (durations, screens and alert texts)', () => {
  it('rounds the product v × 10^d, itself a double: 19.95 s (19.9499…) × 10 is exactly 199.5 → 20.0', () => {
    expect([shownByMathRound(19.95, 0), shownByMathRound(19.95, 1), shownByMathRound(19.95, 2)]).toEqual([20, 20, 19.95]);
  });

  it('59.96 s reads as a minute with up to one decimal ("1:00", "1:00.0"), 59.96 with two', () => {
    expect([shownByMathRound(59.96, 0), shownByMathRound(59.96, 1), shownByMathRound(59.96, 2)]).toEqual([60, 60, 59.96]);
    expect(shownByMathRound(59.95, 1)).toBe(60); // 59.95000000000000284 × 10 = 599.5 exactly → 600
  });

  it('1.005 (1.00499…) × 100 is 100.4999…: 1.00; ties go towards +∞ (−2.5 → −2)', () => {
    expect([shownByMathRound(1.005, 2), shownByMathRound(2.5, 0), shownByMathRound(-2.5, 0)]).toEqual([1, 3, -2]);
  });

  it('is what the screens print: formatDuration with the same decimals', () => {
    for (const [v, d] of [[19.95, 1], [59.96, 1], [59.96, 2], [19.99999975, 2], [119.95, 1]] as const) {
      const text = formatDuration(v, 'en', d).replace(' s', '');
      const read = text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
      expect({ v, d, read }).toEqual({ v, d, read: shownByMathRound(v, d) });
    }
  });
});

describe('read-back of toFixed (alert texts: percentages, multiples, counts, scores)', () => {
  it('rounds the stored binary value exactly: 19.95 (19.9499…) → 19.9, 3.05 (3.0499…) → 3.0', () => {
    expect([shownByToFixed(19.95, 1), shownByToFixed(3.05, 1), shownByToFixed(1.005, 2)]).toEqual([19.9, 3, 1]);
  });

  it('a ratio is read as its percentage: 0.79995 × 100 = 79.99500000000000455 → 80.0, 80.00, 79.995', () => {
    expect([shownByToFixed(0.79995 * 100, 1), shownByToFixed(0.79995 * 100, 2), shownByToFixed(0.79995 * 100, 3)]).toEqual([80, 80, 79.995]);
    // 0.49995 × 100 = 49.99499999999999744 → 49.99; 0.0195 × 100 = 1.9499999999999999556 → 1.9
    expect([shownByToFixed(0.49995 * 100, 2), shownByToFixed(0.0195 * 100, 1)]).toEqual([49.99, 1.9]);
  });

  it('exact ties go away from zero (2.5 → 3, −2.5 → −3, 0.125 → 0.13)', () => {
    expect([shownByToFixed(2.5, 0), shownByToFixed(-2.5, 0), shownByToFixed(0.125, 2)]).toEqual([3, -3, 0.13]);
  });

  it('is what the alert texts print', () => {
    expect(formatValue('serviceLevel', 0.49995, 'en', 1)).toBe(`${shownByToFixed(0.49995 * 100, 2).toFixed(2)}%`);
    expect(formatValue('arrivalsVsBaseline', 1.305, 'en', 0)).toBe(`${shownByToFixed(1.305, 2).toFixed(2)}×`);
  });
});

describe('read-back of Intl.NumberFormat (screens: percentages, scores, counts)', () => {
  it('rounds the shortest decimal of the double half away from zero: 19.95 → 20.0, 3.05 → 3.1, 1.005 → 1.01', () => {
    expect([shownByIntl(19.95, 1), shownByIntl(3.05, 1), shownByIntl(1.005, 2), shownByIntl(-2.5, 0)]).toEqual([20, 3.1, 1.01, -3]);
  });

  it('percent: the decimals are those of the percentage, the result a fraction again (0.79995: 80.0%, 80.00%, 79.995%)', () => {
    expect([shownByIntl(0.79995, 1, 'percent'), shownByIntl(0.79995, 2, 'percent'), shownByIntl(0.79995, 3, 'percent')]).toEqual([0.8, 0.8, 0.79995]);
    // where toFixed on v × 100 reads 49.99% and 1.9%, Intl reads 50.00% and 2.0%
    expect([shownByIntl(0.49995, 2, 'percent'), shownByIntl(0.0195, 1, 'percent')]).toEqual([0.5, 0.02]);
  });

  it('no grouping separators in the text it reads back', () => {
    expect(shownByIntl(1234567.85, 1)).toBe(1234567.9);
  });

  it('is what the screens print, in both locales', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      expect(Number(formatPercent(0.49995, locale, 2).replace('%', '')) / 100).toBe(shownByIntl(0.49995, 2, 'percent'));
      expect(Number(formatScore(1.005, locale, 2))).toBe(shownByIntl(1.005, 2));
    }
  });
});

describe('non-finite values', () => {
  it('are returned as they are by every read-back (Intl would print "∞", which reads as no number)', () => {
    for (const read of [(v: number) => shownByMathRound(v, 1), (v: number) => shownByToFixed(v, 1), (v: number) => shownByIntl(v, 1), (v: number) => shownByIntl(v, 1, 'percent')]) {
      expect([read(Number.POSITIVE_INFINITY), read(Number.NEGATIVE_INFINITY), read(Number.NaN)]).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]);
    }
  });
});

describe('fewestExtraDigits', () => {
  it('the first d from `from` to `to` (both included) that reads right, asking no further', () => {
    const asked: number[] = [];
    expect(fewestExtraDigits(0, 6, (d) => (asked.push(d), d >= 2))).toBe(2);
    expect(asked).toEqual([0, 1, 2]);
    expect(fewestExtraDigits(2, 6, () => true)).toBe(2);
    expect(fewestExtraDigits(0, 2, (d) => d === 2)).toBe(2);
  });

  it('undefined when none does (the caller decides: the screens round towards the value, alert texts print their maximum)', () => {
    expect(fewestExtraDigits(0, 2, () => false)).toBeUndefined();
    expect(fewestExtraDigits(3, 2, () => true)).toBeUndefined();
  });

  it('79.96% beside 80%: "80.0%" with the usual decimal, "79.96%" with one more, on a screen (Intl) as in an alert text (toFixed)', () => {
    const screen = fewestExtraDigits(0, 2, (e) => shownByIntl(0.7996, 1 + e, 'percent') < 0.8);
    const alert = fewestExtraDigits(0, 5, (p) => shownByToFixed(0.7996 * 100, 1 + p) < 80);
    expect({ screen, alert }).toEqual({ screen: 1, alert: 1 });
  });
});

/**
 * The one genuine difference kept: a screen and an alert text read a ratio on a half with different
 * roundings, so the same figure can need different decimals. 49.995% beside a 50% target: the
 * screen (Intl on the shortest decimal 0.49995) reads 50.0% and 50.00% and needs "49.995%"; the
 * alert (toFixed on 0.49995 × 100 = 49.99499…) already reads "49.99%" with one extra decimal.
 */
describe('screens and alert texts on a half: each keeps its rounding', () => {
  it('0.49995 beside 50%: two extra decimals on a screen, one in an alert text', () => {
    const judge = (x: number): Level => (x < 0.5 ? 'warning' : 'normal');
    expect(digitsForLevel('percent', 0.49995, judge)).toEqual({ extra: 2, value: 0.49995 });
    expect(shownValue('percent', 0.49995, 1)).toBe(0.5);
    expect(precisionAgainst('serviceLevel', 0.49995, 0.5)).toBe(1);
    expect(formatValue('serviceLevel', 0.49995, 'en', 1)).toBe('49.99%');
  });
});

/** An alert text reads 100 % (0 %) only for exactly 1 (0), like the screens (ratioText). */
describe('alert texts never print a ratio short of 1 as 100 % (or above 0 as 0 %)', () => {
  it('2,499 of 2,500 abandoned beside a 5 % threshold reads "99.96%", 1 of 2,500 answered beside 90 % "0.04%"', () => {
    const high = precisionAgainst('abandonRate', 2499 / 2500, 0.05);
    expect(formatValue('abandonRate', 2499 / 2500, 'en', high)).toBe('99.96%');
    const low = precisionAgainst('answerRate', 1 / 2500, 0.9);
    expect(formatValue('answerRate', 1 / 2500, 'en', low)).toBe('0.04%');
    expect(formatValue('answerRate', 1, 'en', precisionAgainst('answerRate', 1, 0.9))).toBe('100.0%');
    expect(formatValue('abandonRate', 0, 'en', precisionAgainst('abandonRate', 0, 0.05))).toBe('0.0%');
  });
});
