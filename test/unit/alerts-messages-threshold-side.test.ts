import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertRule, type Comparator } from '../../shared/contract/alerts.ts';
import { alertMessage } from '../../server/alerts/messages.ts';

// A message must never say a value is "below 80.0%" while printing it as 80.0% (or
// "above 1小时00分" while printing 1小时00分). The alert fired because the true value is past
// the threshold; the figure shown must be on the breaching side of the threshold shown.

describe('alert texts never round a breaching value onto (or past) its threshold', () => {
  it('service level 79.96% (< 80%) is not shown as "80.0%, below threshold 80.0%"', () => {
    const rule = alertRule.parse({ id: 'sl', metric: 'serviceLevel', comparator: 'lt', warning: 0.8, critical: 0.7, clear: 0.82 });
    const m = alertMessage(rule, { key: '', value: 0.7996, scope: { center: 'default' } }, 'warning', 0.8);
    expect(m.en).not.toContain('80.0%, below threshold 80.0%');
    expect(m.zh).not.toContain('80.0%，低于阈值 80.0%');
  });

  it('answer rate 89.96% (< 90%) is not shown as "90.0%, below threshold 90.0%"', () => {
    const rule = alertRule.parse({ id: 'ar', metric: 'answerRate', comparator: 'lt', warning: 0.9, critical: 0.85, clear: 0.92 });
    const m = alertMessage(rule, { key: '', value: 0.8996, scope: { center: 'default' } }, 'warning', 0.9);
    expect(m.en).not.toContain('90.0%, below threshold 90.0%');
  });

  it('not ready 3603 s (> 3600 s critical, the default rule, sustained 0) is not shown as "1h00m, above threshold 1h00m"', () => {
    const rule = alertRule.parse({ id: 'nr', metric: 'notReadySec', comparator: 'gt', warning: 1800, critical: 3600, sustainedForSec: 0 });
    const m = alertMessage(rule, { key: '', value: 3603, scope: { center: 'default', agent: 'A1', reason: 'training' } }, 'critical', 3600);
    expect(m.en).not.toContain('1h00m, above threshold 1h00m');
    expect(m.zh).not.toContain('1小时00分，高于阈值 1小时00分');
  });

  it('spike ratio 287/220 = 1.3045 (> 1.3) is not shown as "1.30× … threshold 1.30×" with +30%', () => {
    const rule = alertRule.parse({ id: 'sp', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2 });
    const m = alertMessage(rule, { key: '', value: 287 / 220, scope: { center: 'default' }, facts: { live: 287, reference: 220 } }, 'warning', 1.3);
    expect(m.en).not.toMatch(/1\.30× the baseline of 220 \(\+30%, threshold 1\.30×\)/);
  });

  // The side is decided on the digits printed: deciding with Math.round(x·10ⁿ) and printing with
  // toFixed (which rounds 3.05 = 3.04999… down) read these breaches as their thresholds.
  it('waiting per available agent 61/20 = 3.05 (> 3) is not "3.0, above threshold 3"', () => {
    const rule = alertRule.parse({ id: 'wpa', metric: 'waitingPerAvailableAgent', comparator: 'gt', warning: 3, critical: 6, clear: 2 });
    const m = alertMessage(rule, { key: '', value: 61 / 20, scope: { center: 'default' } }, 'warning', 3);
    expect(m.en).not.toMatch(/ 3\.0, above threshold 3 /);
    expect(m.zh).not.toMatch(/ 3\.0，高于阈值 3 /);
    // the threshold is printed with the value's decimals
    expect(m.en).toContain('3.05, above threshold 3.00');
  });

  it('occupancy 1801/2000 = 90.05% (> 90%) is not "90.0%, above threshold 90.0%"', () => {
    const rule = alertRule.parse({ id: 'occ', metric: 'occupancy', comparator: 'gt', warning: 0.9, critical: 0.95, clear: 0.87 });
    const m = alertMessage(rule, { key: '', value: 1801 / 2000, scope: { center: 'default' } }, 'warning', 0.9);
    expect(m.en).not.toContain('90.0%, above threshold 90.0%');
    expect(m.zh).not.toContain('90.0%，高于阈值 90.0%');
  });
});

/** the figure a reader takes from a printed value: 90.05% → 90.05, 1h00m03s / 1小时00分03秒 → 3603 */
function readBack(text: string): number {
  if (text.endsWith('%')) return Number(text.slice(0, -1));
  const d = /^(?:(\d+)(?:h|小时))?(?:(\d+)(?:m|分))?(?:([\d.]+)(?:s|秒))?$/.exec(text);
  if (d && /[hm秒s时分]/.test(text)) return Number(d[1] ?? 0) * 3600 + Number(d[2] ?? 0) * 60 + Number(d[3] ?? 0);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`unreadable figure "${text}"`);
  return n;
}

/** [value, threshold] as printed in "<value>, above|below threshold <threshold>" (en and zh) */
function printedPair(text: string, lang: 'en' | 'zh'): [number, number] {
  const re = lang === 'en' ? / ([^ ]+), (?:above|below) threshold ([^ ]+) — / : / ([^ ]+)，(?:高于|低于)阈值 ([^ ]+) — /;
  const m = re.exec(text);
  if (!m) throw new Error(`no "value, above/below threshold" in ${text}`);
  return [readBack(m[1]!), readBack(m[2]!)];
}

/**
 * For random fractions (answered / offered, waiting / available, milliseconds) and thresholds, a
 * breaching value is printed strictly on its side of the printed threshold: never equal to it,
 * never across it — for lt and gt, percentages, plain figures and durations, in both languages.
 */
describe('property: a breaching value never reads as (or across) its threshold', () => {
  const check = (metric: string, comparator: Comparator, value: number, threshold: number) => {
    const rule = alertRule.parse({ id: 'p', metric, comparator, warning: threshold, sustainedForSec: 0 });
    const m = alertMessage(rule, { key: 'k', value, scope: { center: 'default' } }, 'warning', threshold);
    for (const lang of ['en', 'zh'] as const) {
      const [v, t] = printedPair(m[lang], lang);
      if (comparator === 'gt' ? !(v > t) : !(v < t)) throw new Error(`${value} vs ${threshold}: ${m[lang]}`);
    }
  };
  const comparators = fc.constantFrom<Comparator>('lt', 'gt');
  const breaching = (c: Comparator, v: number, t: number) => (c === 'gt' ? v > t : v < t);
  const runs = { numRuns: 4000 };
  // a/b with a near threshold·b: fractions that fall close to (often halfway between) the printed
  // digits of the threshold, where rounding decides what is read; denominators such as 20 or 2000
  // make exact halves (61/20 = 3.05, 1801/2000 = 90.05%)
  const denominator = fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(8, 16, 20, 40, 80, 200, 400, 800, 2000, 4000, 8000, 20000));
  const nearFraction = (t: number, max?: (b: number) => number) =>
    fc.tuple(denominator, fc.integer({ min: -3, max: 3 })).map(([b, delta]) => {
      const a = Math.max(0, Math.min(max ? max(b) : Infinity, Math.round(t * b) + delta));
      return a / b;
    });

  it('percentages: fractions a/b against thresholds of whole and tenth percents', () => {
    const threshold = fc.oneof(fc.integer({ min: 1, max: 99 }).map((k) => k / 100), fc.integer({ min: 1, max: 999 }).map((k) => k / 1000));
    const pair = threshold.chain((t) => fc.tuple(fc.constant(t), nearFraction(t, (b) => b)));
    for (const metric of ['occupancy', 'serviceLevel', 'answerRate']) {
      fc.assert(
        fc.property(comparators, pair, (c, [t, v]) => {
          fc.pre(breaching(c, v, t));
          check(metric, c, v, t);
        }),
        runs,
      );
    }
  });

  it('plain figures: fractions a/b against whole and one-decimal thresholds', () => {
    const threshold = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 300 }).map((k) => k / 10));
    const pair = threshold.chain((t) => fc.tuple(fc.constant(t), nearFraction(t)));
    fc.assert(
      fc.property(comparators, pair, (c, [t, v]) => {
        fc.pre(breaching(c, v, t));
        check('waitingPerAvailableAgent', c, v, t);
      }),
      runs,
    );
  });

  it('durations: milliseconds (and fractions of seconds) against whole-second thresholds', () => {
    const threshold = fc.oneof(fc.integer({ min: 1, max: 3 * 3600 }), fc.constantFrom(60, 120, 900, 1800, 3600, 7200));
    const seconds = (t: number) =>
      fc.oneof(
        fc.integer({ min: 0, max: 3 * 3_600_000 }).map((ms) => ms / 1000),
        fc.integer({ min: -90_000, max: 90_000 }).map((ms) => Math.max(0, t + ms / 1000)),
        nearFraction(t),
      );
    const pair = threshold.chain((t) => fc.tuple(fc.constant(t), seconds(t)));
    for (const metric of ['longestWaitSec', 'notReadySec']) {
      fc.assert(
        fc.property(comparators, pair, (c, [t, v]) => {
          fc.pre(breaching(c, v, t));
          check(metric, c, v, t);
        }),
        runs,
      );
    }
  });
});
