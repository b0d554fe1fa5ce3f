import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayThresholds, type DisplayThresholds } from '../../shared/contract/config.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { digitsForLevel, levelOf, type DisplayThresholdKey } from '../../client/src/lib/levels.ts';
import { formatFigure, tileDefs, type FigureDef } from '../../client/src/lib/tiles.ts';

/**
 * README (The live views, Thresholds): "The colour is judged on the exact figure; where its rounded
 * text would read as another level …, the text gets the decimals that tell them apart". At most two
 * decimals are added; if those still read as the threshold, the figure is rounded towards its own
 * side of it ("19.99 秒", not "20.000000 秒" in green beside a ≥ 20 s warning).
 *
 * The values are what the server sends: asaSec = answeredWaitMs / answered / 1000
 * (shared/metrics/formulas.ts, nullableDiv), waits in whole milliseconds; rates = count ÷ count.
 */
const thresholds = displayThresholds.parse(undefined); // asaSec: warning 20, critical 40

/** the number a reader takes from a duration text: "19.6 秒", "20 s", "1:59.6", "1:00:00" */
function readDuration(text: string): number {
  const t = text.replace(/\s*(秒|s)$/, '');
  return t.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
}
/** the fraction a reader takes from a percent text: "49.999%" → 0.49999 */
function readPercent(text: string): number {
  expect(text).toMatch(/^-?\d+(\.\d+)?%$/);
  return Number(text.replace('%', '')) / 100;
}
function decimals(text: string): number {
  return /\.(\d+)/.exec(text)?.[1]?.length ?? 0;
}

function asaRow(answeredWaitMs: number, answered: number): MetricsResult {
  return { asaSec: answeredWaitMs / answered / 1000 } as unknown as MetricsResult;
}

describe('figure text beside its level colour: a duration never reads as a threshold its colour has not reached', () => {
  it('ASA of 4 000 answered contacts whose waits total 1 ms short of 80 000 s (19.99999975 s) reads "19.99 秒" in green', () => {
    const row = asaRow(80_000_000 - 1, 4_000);
    const v = row.asaSec!;
    const level = levelOf(v, 'asaSec', 'asaSec', thresholds);
    const text = formatFigure(tileDefs.asaSec, row, 'zh-CN', thresholds);
    expect({ level, text, readsAs: levelOf(readDuration(text), 'asaSec', 'asaSec', thresholds) }).toEqual({ level: 'normal', text: '19.99 秒', readsAs: 'normal' });
  });

  it('property: ASA = whole-ms waits ÷ answered, near the 20 s warning — text and colour agree, at most 2 extra decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: -3, max: 3 }), (answered, offsetMs) => {
        const row = asaRow(20_000 * answered + offsetMs, answered);
        const colour = levelOf(row.asaSec, 'asaSec', 'asaSec', thresholds);
        const text = formatFigure(tileDefs.asaSec, row, 'en', thresholds);
        expect({ text, readsAs: levelOf(readDuration(text), 'asaSec', 'asaSec', thresholds), short: decimals(text) <= 2 }).toEqual({ text, readsAs: colour, short: true });
      }),
      { numRuns: 5_000, seed: 1 },
    );
  });
});

/** every coloured figure: both comparators ("≥ warning" for lower-is-better, "< warning" for higher-is-better) */
const coloured: { key: DisplayThresholdKey; metric: string; kind: 'percent' | 'duration'; higherIsBetter: boolean }[] = [
  { key: 'serviceLevel', metric: 'serviceLevel', kind: 'percent', higherIsBetter: true },
  { key: 'answerRate', metric: 'answerRate', kind: 'percent', higherIsBetter: true },
  { key: 'csat', metric: 'kpi.csat', kind: 'percent', higherIsBetter: true },
  { key: 'botResolutionRate', metric: 'kpi.botResolutionRate', kind: 'percent', higherIsBetter: true },
  { key: 'abandonRate', metric: 'abandonRate', kind: 'percent', higherIsBetter: false },
  { key: 'occupancy', metric: 'occupancy', kind: 'percent', higherIsBetter: false },
  { key: 'asaSec', metric: 'asaSec', kind: 'duration', higherIsBetter: false },
  { key: 'longestWaitSec', metric: 'longestWaitSec', kind: 'duration', higherIsBetter: false },
];

/**
 * A figure of `numerator ÷ denominator` (a duration: whole ms ÷ count ÷ 1000) near the configured
 * threshold `limit` (warning or critical), formatted as the screens do it. Returns the text, what
 * the text reads as and the colour.
 */
function judgeFigure(
  fig: (typeof coloured)[number],
  limits: { warning: number; critical: number },
  which: 'warning' | 'critical',
  denominator: number,
  offset: number,
  locale: 'en' | 'zh-CN',
) {
  const t: DisplayThresholds = { ...thresholds, [fig.key]: limits };
  const limit = limits[which];
  const v = fig.kind === 'duration' ? (Math.round(limit * 1000 * denominator) + offset) / denominator / 1000 : (Math.round(limit * denominator) + offset) / denominator;
  const def: FigureDef = { id: fig.key, metric: fig.metric, kind: fig.kind, threshold: fig.key, value: () => v };
  const text = formatFigure(def, {} as MetricsResult, locale, t);
  const read = fig.kind === 'duration' ? readDuration(text) : readPercent(text.replace(/\s/g, ''));
  return { v, text, colour: levelOf(v, fig.key, fig.metric, t), readsAs: levelOf(read, fig.key, fig.metric, t) };
}

/** warning and critical on the display's grid (percent: up to 3 decimals, duration: up to 2), in order */
const gridLimits = (fig: (typeof coloured)[number]) =>
  fig.kind === 'percent'
    ? fc.tuple(fc.integer({ min: 2_000, max: 98_000 }), fc.integer({ min: 1, max: 5_000 })).map(([w, gap]) => ({
        warning: w / 100_000,
        critical: (fig.higherIsBetter ? w - gap : Math.min(100_000, w + gap)) / 100_000,
      }))
    : fc.tuple(fc.integer({ min: 100, max: 100_000 }), fc.integer({ min: 1, max: 10_000 })).map(([w, gap]) => ({ warning: w / 100, critical: (w + gap) / 100 }));

describe('figure text beside its level colour: percent and duration figures, both comparators (property)', () => {
  it('thresholds on the display grid: the text never reads as another level than the colour, with at most 2 extra decimals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...coloured).chain((fig) =>
          fc.tuple(
            fc.constant(fig),
            gridLimits(fig),
            fc.constantFrom('warning' as const, 'critical' as const),
            fc.integer({ min: 1, max: 2_000_000 }),
            fc.integer({ min: -3, max: 3 }),
            fc.constantFrom('en' as const, 'zh-CN' as const),
          ),
        ),
        ([fig, limits, which, denominator, offset, locale]) => {
          const r = judgeFigure(fig, limits, which, denominator, offset, locale);
          const usual = fig.kind === 'percent' ? 1 : 0;
          expect({ ...r, short: decimals(r.text) <= usual + 2 }).toEqual({ ...r, readsAs: r.colour, short: true });
        },
      ),
      { numRuns: 20_000, seed: 7 },
    );
  });

  it('thresholds configured finer than the display (e.g. 87.4444%): text and colour still agree', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...coloured).chain((fig) =>
          fc.tuple(
            fc.constant(fig),
            fig.kind === 'percent'
              ? fc.integer({ min: 200_000, max: 9_800_000 }).map((w) => ({ warning: w / 10_000_000, critical: fig.higherIsBetter ? w / 20_000_000 : Math.min(1, w / 5_000_000) }))
              : fc.integer({ min: 1_000, max: 1_000_000 }).map((w) => ({ warning: w / 10_000, critical: w / 5_000 })),
            fc.constant('warning' as const),
            fc.integer({ min: 1, max: 2_000_000 }),
            fc.integer({ min: -3, max: 3 }),
            fc.constant('en' as const),
          ),
        ),
        ([fig, limits, which, denominator, offset, locale]) => {
          const r = judgeFigure(fig, limits, which, denominator, offset, locale);
          expect(r).toEqual({ ...r, readsAs: r.colour });
        },
      ),
      { numRuns: 5_000, seed: 11 },
    );
  });

  it('examples: rounded towards the figure\'s side of the threshold at two extra decimals', () => {
    const cases = [
      // robot resolution 199 999 / 400 000 = 49.99975% under a 50% target: warning, "49.999%"
      [{ key: 'botResolutionRate', metric: 'kpi.botResolutionRate', kind: 'percent', higherIsBetter: true }, { warning: 0.5, critical: 0.4 }, 400_000, -1],
      // abandon rate 99 999 / 2 000 000 = 4.99995% beside a ≥ 5% warning: normal, "4.999%"
      [{ key: 'abandonRate', metric: 'abandonRate', kind: 'percent', higherIsBetter: false }, { warning: 0.05, critical: 0.1 }, 2_000_000, -1],
      // longest wait 59.9999 s beside ≥ 60 s: normal, "59.99 s"
      [{ key: 'longestWaitSec', metric: 'longestWaitSec', kind: 'duration', higherIsBetter: false }, { warning: 60, critical: 120 }, 10, -1],
    ] as const;
    expect(cases.map(([fig, limits, d, off]) => judgeFigure(fig, limits, 'warning', d, off, 'en')).map((r) => [r.text, r.colour, r.readsAs])).toEqual([
      ['49.999%', 'warning', 'warning'],
      ['4.999%', 'normal', 'normal'],
      ['59.99 s', 'normal', 'normal'],
    ]);
  });
});

describe('figure text beside its level colour: boundaries, null, NaN, negative, both comparators (examples)', () => {
  const judge = (key: 'asaSec' | 'abandonRate' | 'serviceLevel', metric: string) => (x: number) => levelOf(x, key, metric, thresholds);
  it.each([
    ['asaSec', 'asaSec', 'duration', 20, '20 秒', 'warning'],
    ['asaSec', 'asaSec', 'duration', 20.1, '20 秒', 'warning'],
    ['asaSec', 'asaSec', 'duration', 19.6, '19.6 秒', 'normal'],
    ['asaSec', 'asaSec', 'duration', -1, '0 秒', 'normal'],
    ['abandonRate', 'abandonRate', 'percent', 0.05, '5.0%', 'warning'],
    ['abandonRate', 'abandonRate', 'percent', 5 / 101, '4.95%', 'normal'],
    ['serviceLevel', 'serviceLevel', 'percent', 0.8, '80.0%', 'normal'],
    ['serviceLevel', 'serviceLevel', 'percent', 0.79996, '79.996%', 'warning'],
    ['serviceLevel', 'serviceLevel', 'percent', 1 - 0.2, '80.0%', 'normal'],
  ] as const)('%s %s %s %s → %s %s', (key, metric, kind, v, text, level) => {
    const def = { id: key, metric, kind, threshold: key, value: () => v } as never;
    expect({ text: formatFigure(def, {} as MetricsResult, 'zh-CN', thresholds), level: levelOf(v, key, metric, thresholds) }).toEqual({ text, level });
  });
  it('null and NaN need no decimals', () => {
    expect([digitsForLevel('duration', null, judge('asaSec', 'asaSec')), digitsForLevel('percent', Number.NaN, judge('serviceLevel', 'serviceLevel'))]).toEqual([
      { extra: 0, value: null },
      { extra: 0, value: Number.NaN },
    ]);
  });
});
