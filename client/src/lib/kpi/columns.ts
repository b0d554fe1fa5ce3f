import type { FigureDef } from '../tiles.ts';
import { kpiFigureDefs } from './figures.ts';

/**
 * The KPI pack's columns on the console's queue table and drill-down (issue 6), after the
 * engine's. Each reads the `kpi` object of the row the server sent (same window as the row).
 */
const col = (id: string, kind: FigureDef['kind'], threshold?: FigureDef['threshold']): FigureDef => {
  const def = kpiFigureDefs[id]!;
  return { id: `kpi.${id}`, metric: def.metric, kind, ...(threshold ? { threshold } : {}), value: (r) => (r.kpi ? def.value(r.kpi) : null) };
};

export const kpiColumns: FigureDef[] = [
  col('csat', 'percent', 'csat'),
  { id: 'kpi.ratings', metric: 'kpi.ratings', kind: 'count', value: (r) => r.kpi?.ratings ?? null },
  col('ivrSelfServiceRate', 'percent'),
  col('botDiversionRate', 'percent'),
  col('botResolutionRate', 'percent', 'botResolutionRate'),
  col('intelligentShare', 'percent'),
  col('transferRate', 'percent'),
  col('transferSuccessRate', 'percent'),
  col('firstContactResolution', 'percent'),
];
