import { describe, expect, it } from 'vitest';
import {
  alignedRange,
  armingDate,
  baselineOf,
  chooseBaseline,
  dayKindOf,
  overlapSum,
  sameLocalTimeDaysAgo,
  sameLocalTimeWeeksAgo,
  spikeRatio,
  weekMs,
} from '../../server/alerts/baseline.ts';
import { alertMessage, resolvedTexts } from '../../server/alerts/messages.ts';
import { alertRule, alertsConfig } from '../../shared/contract/alerts.ts';

const q = 15 * 60_000;

describe('traffic spike baseline math', () => {
  it('overlap-weights 15-minute rows for an unaligned window', () => {
    // window 10:05–10:20 over rows 10:00 (60 arrivals) and 10:15 (30): 2/3·60 + 1/3·30 = 50
    const t0 = Date.UTC(2026, 10, 17, 2, 0);
    const rows = [{ fromMs: t0, arrivals: 60 }, { fromMs: t0 + q, arrivals: 30 }];
    expect(overlapSum(rows, t0 + 5 * 60_000, t0 + 20 * 60_000)).toBeCloseTo(50, 10);
    expect(alignedRange(t0 + 5 * 60_000, t0 + 20 * 60_000)).toEqual({ from: t0, to: t0 + 2 * q });
  });

  it('median ignores an outlier week, mean does not; empty weeks are no data', () => {
    expect(baselineOf([100, 110, 400, null], 'median', 2)).toBe(110);
    expect(baselineOf([100, 110, 400, null], 'mean', 2)).toBeCloseTo(203.333, 2);
    expect(baselineOf([100, 120, 0, null], 'median', 2)).toBe(110);
    expect(baselineOf([100, null, 0, null], 'median', 2)).toBeNull();
  });

  it('ratio needs a reference above the minimum volume', () => {
    expect(spikeRatio(156, 100, 20)).toBeCloseTo(1.56, 10);
    expect(spikeRatio(50, 10, 20)).toBeNull();
    expect(spikeRatio(50, null, 0)).toBeNull();
    // fewer arrivals than the minimum are no spike, whatever the reference: 0, so an open alert clears
    expect(spikeRatio(6, 6, 20)).toBe(0);
    expect(spikeRatio(19, null, 20)).toBe(0);
    expect(spikeRatio(20, 6, 20)).toBeNull();
  });

  it('same weekday k weeks ago keeps local clock time across DST', () => {
    const now = Date.UTC(2026, 10, 24, 2, 0); // Shanghai: no DST, exactly k weeks
    expect(sameLocalTimeWeeksAgo(now, 2, 'Asia/Shanghai')).toBe(now - 2 * weekMs);
    // New York, 2026-03-10 12:00 local (EDT, UTC-4) vs one week earlier (EST, UTC-5): one hour later in UTC
    const ny = Date.UTC(2026, 2, 10, 16, 0);
    expect(sameLocalTimeWeeksAgo(ny, 1, 'America/New_York')).toBe(ny - weekMs + 3_600_000);
  });
});

/**
 * The recent-days fallback (a new install, queue or center: fewer than minWeeks same-weekday weeks
 * with data). Found in review (2026-12-07): for about two weeks after install no spike alert could
 * fire, and nothing said so.
 */
describe('traffic spike fallback baseline (recent days of the same kind)', () => {
  const opts = { method: 'median' as const, minWeeks: 2, fallbackDays: 3 };
  // Monday 2026-11-23: one day back is Sunday, two Saturday, three Friday …
  const day = (daysAgo: number, arrivals: number | null) => {
    const weekday = (1 - daysAgo + 70) % 7; // 0 = Sunday
    return { daysAgo, kind: weekday === 0 || weekday === 6 ? ('weekend' as const) : ('workday' as const), arrivals };
  };

  it('uses the weekday baseline once minWeeks weeks have data, whatever the recent days say', () => {
    const b = chooseBaseline([100, 120, null, null], [day(1, 900), day(3, 900), day(4, 900)], 'workday', opts);
    expect(b).toEqual({ kind: 'weekday', reference: 110, samples: 2 });
  });

  it('falls back to the median of the last fallbackDays days of the same kind (working days on a Monday: weekend skipped)', () => {
    // Sun 1000, Sat 1000 (weekend: not a Monday's kind), Fri 70, Thu 100, Wed 400, Tue 10 (a 4th day: beyond fallbackDays)
    const recent = [day(1, 1000), day(2, 1000), day(3, 70), day(4, 100), day(5, 400), day(6, 10)];
    const b = chooseBaseline([50, null, null, null], recent, 'workday', opts);
    expect(b).toEqual({ kind: 'recentDays', reference: 100, samples: 3, dayKind: 'workday', weeks: 1 });
    // the mean when the config says so
    expect(chooseBaseline([null, null, null, null], recent, 'workday', { ...opts, method: 'mean' })).toMatchObject({ kind: 'recentDays', reference: 190 });
  });

  it('a weekend day compares with weekend days only', () => {
    // Saturday 2026-11-28 looks back at Fri, Thu, …, Sun 22, Sat 21
    const recent = [1, 2, 3, 4, 5, 6, 7].map((d) => {
      const weekday = (6 - d + 70) % 7;
      return { daysAgo: d, kind: weekday === 0 || weekday === 6 ? ('weekend' as const) : ('workday' as const), arrivals: weekday === 0 ? 30 : weekday === 6 ? 50 : 500 };
    });
    expect(chooseBaseline([null, null, null, null], recent, 'weekend', opts)).toEqual({ kind: 'recentDays', reference: 40, samples: 2, dayKind: 'weekend', weeks: 0 });
  });

  it('days without data (null, or no arrivals in the stretch) are skipped, not counted as zero', () => {
    const recent = [day(3, 0), day(4, null), day(5, 60), day(6, 80), day(7, 0), day(10, 200)];
    expect(chooseBaseline([null, null, null, null], recent, 'workday', opts)).toEqual({ kind: 'recentDays', reference: 80, samples: 3, dayKind: 'workday', weeks: 0 });
  });

  it('needs at least 2 days with data: a 1-day baseline is no baseline', () => {
    const b = chooseBaseline([null, null, null, null], [day(3, 3)], 'workday', opts);
    expect(b).toEqual({ kind: null, weeks: 0, days: 1 });
    // and so is any fallback when it is switched off
    expect(chooseBaseline([null, null, null, null], [day(3, 70), day(4, 100)], 'workday', { ...opts, fallbackDays: 0 })).toEqual({ kind: null, weeks: 0, days: 2 });
  });

  it('an unarmed baseline never makes a ratio past any threshold (no false alarm from 3 arrivals on one day)', () => {
    const b = chooseBaseline([null, null, null, null], [day(3, 3)], 'workday', opts);
    const reference = b.kind === null ? null : b.reference;
    expect(spikeRatio(156, reference, 20)).toBeNull();
    expect(spikeRatio(5, reference, 20)).toBe(0);
    // nor from one busier day, which minBaselineArrivals alone would let through (156 / 25 = 6.2×)
    const oneDay = chooseBaseline([null, null, null, null], [day(1, 900), day(3, 25)], 'workday', opts);
    expect(spikeRatio(156, oneDay.kind === null ? null : oneDay.reference, 20)).toBeNull();
    // two days of 3 arrivals arm the baseline, but 3 is below minBaselineArrivals: still no ratio
    const thin = chooseBaseline([null, null, null, null], [day(3, 3), day(4, 3)], 'workday', opts);
    expect(thin).toMatchObject({ kind: 'recentDays', reference: 3 });
    expect(spikeRatio(156, thin.kind === null ? null : thin.reference, 20)).toBeNull();
  });

  it('same local clock time d days ago, across a DST change; kind of day by the local date', () => {
    const now = Date.UTC(2026, 10, 23, 2, 5); // Monday 10:05 Shanghai
    expect(sameLocalTimeDaysAgo(now, 3, 'Asia/Shanghai')).toBe(now - 3 * 86_400_000);
    // New York, Tuesday 2026-03-10 12:00 EDT; Saturday 03-07 12:00 EST is one hour later in UTC
    const ny = Date.UTC(2026, 2, 10, 16, 0);
    expect(sameLocalTimeDaysAgo(ny, 3, 'America/New_York')).toBe(ny - 3 * 86_400_000 + 3_600_000);
    expect(dayKindOf(now, 'Asia/Shanghai')).toBe('workday');
    expect(dayKindOf(now - 86_400_000, 'Asia/Shanghai')).toBe('weekend');
    // Monday 00:30 in Shanghai is still Sunday in UTC: the local date decides
    expect(dayKindOf(Date.UTC(2026, 10, 22, 16, 30), 'Asia/Shanghai')).toBe('workday');
  });

  it('says from which day the fallback will be armed, counting only days of the same kind', () => {
    // Monday with no working day of history yet, traffic today: Monday and Tuesday → armed Wednesday
    expect(armingDate('2026-11-23', 'workday', 0, true, 2)).toBe('2026-11-25');
    // Monday with Friday's history and today's: Tuesday
    expect(armingDate('2026-11-23', 'workday', 1, true, 2)).toBe('2026-11-24');
    // Friday, first day: Friday and Monday → Tuesday (the weekend does not count)
    expect(armingDate('2026-11-27', 'workday', 0, true, 2)).toBe('2026-12-01');
    // Saturday, no traffic yet today: Sunday and next Saturday count → next Sunday
    expect(armingDate('2026-11-28', 'weekend', 0, false, 2)).toBe('2026-12-06');
  });
});

describe('traffic spike texts name the fallback baseline', () => {
  const rule = alertRule.parse({ id: 'sp', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6 });
  const facts = { live: 156, reference: 100, baselineDays: 3, dayKind: 'workday', minWeeks: 2 };

  it('raised: which days it compared with, and why not the same weekdays', () => {
    const m = alertMessage(rule, { key: '', value: 1.56, scope: { center: 'default' }, facts }, 'warning', 1.3);
    expect(m.zh).toBe('【预警】话务激增：近15分钟进线 156，为近3个工作日同期基线 100 的 1.56 倍（+56%，阈值 1.30 倍）（同星期基线不足2周） — 中心 default');
    expect(m.en).toBe(
      '[Warning] Traffic spike: 156 arrivals in the last 15 min, 1.56× the baseline of 100 from the last 3 working days (+56%, threshold 1.30×) (fewer than 2 weeks of same-weekday history) — center default',
    );
    const weekend = alertMessage(rule, { key: '', value: 1.56, scope: { center: 'default' }, facts: { ...facts, baselineDays: 2, dayKind: 'weekend' } }, 'warning', 1.3);
    expect(weekend.zh).toContain('为近2个周末日同期基线 100');
    expect(weekend.en).toContain('the baseline of 100 from the last 2 weekend days');
    // the same-weekday baseline reads as before
    expect(alertMessage(rule, { key: '', value: 1.56, scope: { center: 'default' }, facts: { live: 156, reference: 100 } }, 'warning', 1.3).zh).toContain(
      '为同期基线 100 的 1.56 倍',
    );
  });

  it('resolved: the figure that resolved it, against the same fallback baseline', () => {
    const a = { metric: 'arrivalsVsBaseline', severity: 'warning' as const, threshold: 1.3, scope: { center: 'default' } };
    const r = resolvedTexts(a, { kind: 'cleared', value: 1.15, facts: { ...facts, live: 115 } });
    expect(r.headline.zh).toBe('话务回落：近15分钟进线 115，为近3个工作日同期基线 100 的 1.15 倍（+15%，阈值 1.30 倍）');
    expect(r.headline.en).toBe('Traffic back down: 115 arrivals in the last 15 min, 1.15× the baseline of 100 from the last 3 working days (+15%, threshold 1.30×)');
  });
});

describe('spike.fallbackDays config', () => {
  it('defaults to 3; 0 turns the fallback off; 1 is refused (one day is no baseline)', () => {
    expect(alertsConfig.parse({}).spike.fallbackDays).toBe(3);
    expect(alertsConfig.parse({ spike: { fallbackDays: 0 } }).spike.fallbackDays).toBe(0);
    const one = alertsConfig.safeParse({ spike: { fallbackDays: 1 } });
    expect(one.success).toBe(false);
    expect(JSON.stringify(one.error?.issues)).toContain('one day is no baseline');
  });
});
