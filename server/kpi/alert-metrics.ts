import { registerAlertMetric, queryFigures, alertScopeOf, type MetricResolver } from '../alerts/metrics.ts';
import type { KpiResult } from '../../shared/contract/kpi-api.ts';

/**
 * KPI figures as alert metrics (server/alerts/metrics.ts resolvers): a rule's `metric: csat` or
 * `botResolutionRate` (… ) reads the `kpi` object of the rule's scope and window. Empty
 * denominators give null, which the evaluator treats as "no data" (no alert at 3 a.m.).
 */
function kpiFigure(pick: (k: KpiResult) => number | null): MetricResolver {
  return async (ctx, rule) => {
    const r = await queryFigures(ctx, rule);
    const value = r.kpi ? pick(r.kpi) : null;
    return { subjects: [{ key: '', value, scope: alertScopeOf(rule) }], exhaustive: false };
  };
}

registerAlertMetric('csat', kpiFigure((k) => k.csat));
registerAlertMetric('csatMeanScore', kpiFigure((k) => k.csatMeanScore));
registerAlertMetric('botResolutionRate', kpiFigure((k) => k.botResolutionRate));
registerAlertMetric('botRecognitionRate', kpiFigure((k) => k.botRecognitionRate));
registerAlertMetric('botDiversionRate', kpiFigure((k) => k.botDiversionRate));
registerAlertMetric('ivrSelfServiceRate', kpiFigure((k) => k.ivrSelfServiceRate));
registerAlertMetric('intelligentShare', kpiFigure((k) => k.intelligentShare));
registerAlertMetric('transferSuccessRate', kpiFigure((k) => k.transferSuccessRate));
registerAlertMetric('fcr', kpiFigure((k) => k.firstContactResolution?.rate ?? null));
