import type { DisplayThresholds } from '../../../../shared/contract/config.ts';
import type { KpiResult } from '../../../../shared/contract/kpi-api.ts';
import { formatKind, type LocaleId } from '../format.ts';

/**
 * The KPI pack's figures as the screens show them (issue 6). Values are read from the `kpi` object
 * the server computed; nothing is recomputed here.
 */
export interface KpiFigureDef {
  id: string;
  /** metric registry id (kpi.<figure>) for names, ⓘ and the legend */
  metric: string;
  kind: 'percent' | 'score' | 'count';
  threshold?: keyof DisplayThresholds;
  value(k: KpiResult): number | null;
}

export const kpiFigureDefs: Record<string, KpiFigureDef> = {
  csat: { id: 'csat', metric: 'kpi.csat', kind: 'percent', threshold: 'csat', value: (k) => k.csat },
  csatMeanScore: { id: 'csatMeanScore', metric: 'kpi.csatMeanScore', kind: 'score', value: (k) => k.csatMeanScore },
  ivrSelfServiceRate: { id: 'ivrSelfServiceRate', metric: 'kpi.ivrSelfServiceRate', kind: 'percent', value: (k) => k.ivrSelfServiceRate },
  botDiversionRate: { id: 'botDiversionRate', metric: 'kpi.botDiversionRate', kind: 'percent', value: (k) => k.botDiversionRate },
  botRecognitionRate: { id: 'botRecognitionRate', metric: 'kpi.botRecognitionRate', kind: 'percent', value: (k) => k.botRecognitionRate },
  botResolutionRate: { id: 'botResolutionRate', metric: 'kpi.botResolutionRate', kind: 'percent', threshold: 'botResolutionRate', value: (k) => k.botResolutionRate },
  intelligentShare: { id: 'intelligentShare', metric: 'kpi.intelligentShare', kind: 'percent', value: (k) => k.intelligentShare },
  firstContactResolution: { id: 'firstContactResolution', metric: 'kpi.firstContactResolution', kind: 'percent', value: (k) => k.firstContactResolution?.rate ?? null },
  transferRate: { id: 'transferRate', metric: 'kpi.transferRate', kind: 'percent', value: (k) => k.transferRate },
  transferSuccessRate: { id: 'transferSuccessRate', metric: 'kpi.transferSuccessRate', kind: 'percent', value: (k) => k.transferSuccessRate },
  dailyCallsPerAgent: { id: 'dailyCallsPerAgent', metric: 'kpi.dailyCallsPerAgent', kind: 'score', value: (k) => k.dailyCallsPerAgent },
};

/** the wall's 智能服务 row, left to right */
export const wallKpiIds = [
  'csat',
  'csatMeanScore',
  'ivrSelfServiceRate',
  'botDiversionRate',
  'botResolutionRate',
  'intelligentShare',
  'firstContactResolution',
  'transferSuccessRate',
] as const;

/** `extra`: decimals beyond the usual, for a figure beside its level colour (levels.ts, digitsForLevel) */
export function formatKpi(kind: KpiFigureDef['kind'], v: number | null, locale: LocaleId, extra = 0): string {
  return formatKind(kind, v, locale, extra);
}
