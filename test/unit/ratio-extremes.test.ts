import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayThresholds, type DisplayThresholds } from '../../shared/contract/config.ts';
import type { KpiResult } from '../../shared/contract/kpi-api.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import * as shown from '../../shared/format/shown-digits.ts';
import { formatKind, formatPercent } from '../../client/src/lib/format.ts';
import { digitsForLevel, levelOf } from '../../client/src/lib/levels.ts';
import { columnDefs, formatFigure, tileDefs, type FigureDef } from '../../client/src/lib/tiles.ts';
import { kpiFigureDefs, formatKpi } from '../../client/src/lib/kpi/figures.ts';

/**
 * A ratio reads "100 %" only when it is exactly 1, "0 %" only when it is exactly 0 (a supervisor
 * reads 100 % as "every customer"): otherwise decimals are added until the text is neither (99.96 %,
 * 0.04 %), up to two decimals of the percentage; past that the text is a bound ("> 99.99%",
 * "< 0.01%"). On every screen (wall tiles, lead table, drill-down, 智能服务 row, scorecard), with or
 * without a threshold beside the figure.
 */
const thresholds = displayThresholds.parse(undefined);
const row = (fields: Partial<MetricsResult>) => fields as MetricsResult;

describe('a ratio that is not exactly 1 (or 0) never reads 100 % (or 0 %)', () => {
  it('2 499 of 2 500 answered within the threshold: service level "99.96%", not "100.0%" (wall tile, lead table, drill-down)', () => {
    const sl = row({ serviceLevel: 2499 / 2500 });
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(formatFigure(tileDefs.serviceLevel, sl, locale, thresholds)).toBe('99.96%');
      expect(formatFigure(tileDefs.serviceLevel, sl, locale)).toBe('99.96%');
    }
    // still in green: the colour is judged on the exact figure, 99.96% ≥ 80%
    expect(levelOf(2499 / 2500, 'serviceLevel', 'serviceLevel', thresholds)).toBe('normal');
  });

  it('1 abandoned of 2 500: abandon rate "0.04%", not "0.0%"', () => {
    expect(formatFigure(tileDefs.abandonRate, row({ abandonRate: 1 / 2500 }), 'zh-CN', thresholds)).toBe('0.04%');
  });

  it('exactly 1 and exactly 0 keep the usual "100.0%" / "0.0%"; so does floating-point noise of them', () => {
    expect([formatPercent(1, 'en'), formatPercent(0, 'en'), formatPercent(0.1 + 0.2 + 0.7, 'en'), formatPercent(1 - 0.7 - 0.3, 'en')]).toEqual(['100.0%', '0.0%', '100.0%', '0.0%']);
    expect(formatFigure(tileDefs.serviceLevel, row({ serviceLevel: 1 }), 'zh-CN', thresholds)).toBe('100.0%');
  });

  it('past two decimals the text is a bound: 19 999 of 20 000 "> 99.99%", 1 of 30 000 "< 0.01%"', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(formatPercent(19_999 / 20_000, locale)).toBe('> 99.99%');
      expect(formatPercent(1 / 30_000, locale)).toBe('< 0.01%');
    }
    expect(formatFigure(tileDefs.serviceLevel, row({ serviceLevel: 19_999 / 20_000 }), 'en', thresholds)).toBe('> 99.99%');
    expect(formatFigure(tileDefs.abandonRate, row({ abandonRate: 1 / 30_000 }), 'en', thresholds)).toBe('< 0.01%');
  });

  it('a figure that already needs more decimals for its threshold keeps them (the bound is at that precision)', () => {
    // answer rate at a 99.99% target (configured finer than usual), 99.996%: normal, and never "100.0%"
    const t: DisplayThresholds = { ...thresholds, answerRate: { warning: 0.9999, critical: 0.999 } };
    expect(formatFigure(tileDefs.answerRate, row({ answerRate: 0.99996 }), 'en', t)).toBe('> 99.99%');
    // 99.986%, below that target: "99.99%" would read as reaching it
    expect(formatFigure(tileDefs.answerRate, row({ answerRate: 0.99986 }), 'en', t)).toBe('99.986%');
    // a 100% target: anything short of all is a warning, and the text must not read as 100%
    const all: DisplayThresholds = { ...thresholds, answerRate: { warning: 1, critical: 0.999 } };
    expect(formatFigure(tileDefs.answerRate, row({ answerRate: 0.99996 }), 'en', all)).toBe('99.996%');
    expect(levelOf(0.99996, 'answerRate', 'answerRate', all)).toBe('warning');
  });

  it('the KPI pack (智能服务 row, lead columns, scorecard CSAT) follows the same rule', () => {
    const k = { csat: 2999 / 3000, botResolutionRate: 1 / 5000, intelligentShare: 0.99999 } as unknown as KpiResult;
    expect(formatKpi('percent', kpiFigureDefs.csat!.value(k), 'zh-CN')).toBe('99.97%');
    expect(formatKpi('percent', kpiFigureDefs.botResolutionRate!.value(k), 'zh-CN')).toBe('0.02%');
    expect(formatKpi('percent', kpiFigureDefs.intelligentShare!.value(k), 'en')).toBe('> 99.99%');
    const csat = digitsForLevel('percent', 2999 / 3000, (x) => levelOf(x, 'csat', 'kpi.csat', thresholds));
    expect(formatKind('percent', csat.value, 'en', csat.extra)).toBe('99.97%');
  });

  it('every percent column of the lead table', () => {
    const near1 = 0.9997;
    const r = row(Object.fromEntries(columnDefs.filter((c) => c.kind === 'percent').map((c) => [c.id, near1])) as Partial<MetricsResult>);
    for (const c of columnDefs.filter((c) => c.kind === 'percent')) expect([c.id, formatFigure(c, r, 'en', thresholds)]).toEqual([c.id, '99.97%']);
  });
});

/** what a reader takes from a percent text: a number, or the open interval a bound leaves */
function readPercent(text: string): { low: number; high: number } {
  const t = text.replace(/\s/g, '');
  if (t.startsWith('>')) return { low: Number(t.slice(1, -1)) / 100, high: 1 };
  if (t.startsWith('<')) return { low: 0, high: Number(t.slice(1, -1)) / 100 };
  expect(t).toMatch(/^\d+(\.\d+)?%$/);
  const v = Number(t.slice(0, -1)) / 100;
  return { low: v, high: v };
}

describe('property: counts ÷ counts near 0 and 1, with and without thresholds', () => {
  const percentFigures = [...columnDefs.filter((c) => c.kind === 'percent')];
  it('reads 100 % / 0 % only for exactly 1 / 0, reads in the colour\'s level, and stays short (≤ 3 decimals)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...percentFigures),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('en' as const, 'zh-CN' as const),
        (fig: FigureDef, total, missing, nearOne, withThresholds, locale) => {
          const part = nearOne ? Math.max(0, total - missing) : Math.min(total, missing);
          const v = part / total;
          const text = formatFigure(fig, row({ [fig.id]: v } as Partial<MetricsResult>), locale, withThresholds ? thresholds : undefined);
          const read = readPercent(text);
          const decimals = /\.(\d+)/.exec(text)?.[1]?.length ?? 0;
          const says100 = read.low === 1;
          const says0 = read.high === 0;
          const colour = levelOf(v, fig.threshold, fig.metric, thresholds);
          const readLevels = new Set([levelOf(read.low, fig.threshold, fig.metric, thresholds), levelOf(read.high, fig.threshold, fig.metric, thresholds)]);
          expect({ text, says100, says0, short: decimals <= 3, readLevels: [...readLevels] }).toEqual({
            text,
            says100: v === 1,
            says0: v === 0,
            short: true,
            readLevels: withThresholds && fig.threshold ? [colour] : [...readLevels],
          });
        },
      ),
      { numRuns: 20_000, seed: 3 },
    );
  });
});

describe('shared/format/shown-digits.ts: the ratio rule, with either rounding (screens: Intl; alert texts: toFixed)', () => {
  const intl = (v: number, d: number) => shown.shownByIntl(v, d, 'percent');
  const toFixed = (v: number, d: number) => shown.shownByToFixed(v * 100, d) / 100;
  it('the fewest decimals from the usual ones that read neither 0 % nor 100 %, else a bound at two decimals', () => {
    for (const read of [intl, toFixed]) {
      expect(shown.ratioText(2499 / 2500, 1, read)).toEqual({ kind: 'figure', decimals: 2 });
      expect(shown.ratioText(1 / 2500, 1, read)).toEqual({ kind: 'figure', decimals: 2 });
      expect(shown.ratioText(0.5, 1, read)).toEqual({ kind: 'figure', decimals: 1 });
      expect(shown.ratioText(1, 1, read)).toEqual({ kind: 'figure', decimals: 1 });
      expect(shown.ratioText(0, 1, read)).toEqual({ kind: 'figure', decimals: 1 });
      expect(shown.ratioText(19_999 / 20_000, 1, read)).toEqual({ kind: 'bound', decimals: 2, side: '>', bound: 0.9999 });
      expect(shown.ratioText(1 / 30_000, 1, read)).toEqual({ kind: 'bound', decimals: 2, side: '<', bound: 0.0001 });
      // asked for more decimals already (a threshold needs them): the bound is at that precision
      expect(shown.ratioText(0.999996, 3, read)).toEqual({ kind: 'bound', decimals: 3, side: '>', bound: 0.99999 });
    }
  });
  it('a value outside 0 … 1 is not a share of a whole: no rule', () => {
    expect(shown.ratioText(1.00001, 1, intl)).toEqual({ kind: 'figure', decimals: 1 });
    expect(shown.ratioText(Number.NaN, 1, intl)).toEqual({ kind: 'figure', decimals: 1 });
  });
});
