import { describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { knownAlertMetrics, resolverFor, type ResolveContext } from '../../server/alerts/metrics.ts';
import '../../server/kpi/alert-metrics.ts';

/** Alert rules on KPI figures read the `kpi` object of the rule's scope and window. */
function ctxWith(kpi: Partial<NonNullable<MetricsResult['kpi']>>, seen: string[]): ResolveContext {
  return {
    engine: {
      query: async (q: { scope: unknown }, window: string) => {
        seen.push(`${JSON.stringify(q.scope)} ${window}`);
        return { kpi } as MetricsResult;
      },
    },
    nowMs: 0,
    memo: (_key: string, f: () => Promise<unknown>) => f(),
  } as unknown as ResolveContext;
}

const rule = (metric: string, window = 'today') =>
  alertRule.parse({ id: `r-${metric}`, name: { zh: 'x', en: 'x' }, metric, scope: { center: 'default', channel: 'text' }, window, comparator: 'lt', warning: 0.85, critical: 0.8 });

describe('KPI alert metrics', () => {
  it('resolves csat and botResolutionRate from the kpi object of the rule’s scope and window', async () => {
    const seen: string[] = [];
    const ctx = ctxWith({ csat: 0.82, botResolutionRate: 0.47 }, seen);
    expect((await resolverFor('csat')(ctx, rule('csat'))).subjects[0]!.value).toBe(0.82);
    expect((await resolverFor('botResolutionRate')(ctx, rule('botResolutionRate', '60m'))).subjects[0]!.value).toBe(0.47);
    expect(seen).toEqual(['{"kind":"channel","channel":"text"} today', '{"kind":"channel","channel":"text"} 60m']);
    expect(knownAlertMetrics()).toEqual(expect.arrayContaining(['csat', 'botResolutionRate', 'ivrSelfServiceRate', 'fcr']));
  });

  it('gives null (no data) when the figure has no denominator', async () => {
    const ctx = ctxWith({ csat: null, firstContactResolution: null }, []);
    expect((await resolverFor('csat')(ctx, rule('csat'))).subjects[0]!.value).toBeNull();
    expect((await resolverFor('fcr')(ctx, rule('fcr'))).subjects[0]!.value).toBeNull();
  });
});
