import { digitsForLevel, levelOf, type TileId, type DisplayThresholdKey, type Level } from './levels.ts';
import type { DisplayThresholds } from '../../../shared/contract/config.ts';
import type { MetricsResult } from '../../../shared/contract/metrics-api.ts';
import type { ViewRow } from '../../../shared/realtime/events.ts';
import { formatKind, type LocaleId } from './format.ts';

/**
 * What each wall tile / console column shows: the engine's field, how it is formatted, which
 * registry entry explains it and which display threshold colours it. No formulas: values are
 * read as the server computed them.
 */
export interface FigureDef {
  id: string;
  /** metric registry id for the ⓘ / legend */
  metric: string;
  /** a label when the figure has no registry entry of its own */
  name?: { zh: string; en: string };
  kind: 'percent' | 'count' | 'duration';
  threshold?: DisplayThresholdKey;
  /** a team row (ViewRow) has null for every contact figure */
  value(row: ViewRow): number | null;
}

const agents = (k: keyof NonNullable<MetricsResult['agents']>) => (r: ViewRow) => r.agents?.[k] ?? null;

export const tileDefs: Record<TileId, FigureDef> = {
  serviceLevel: { id: 'serviceLevel', metric: 'serviceLevel', kind: 'percent', threshold: 'serviceLevel', value: (r) => r.serviceLevel },
  answerRate: { id: 'answerRate', metric: 'answerRate', kind: 'percent', threshold: 'answerRate', value: (r) => r.answerRate },
  waiting: { id: 'waiting', metric: 'waiting', kind: 'count', threshold: 'waiting', value: (r) => r.waiting },
  longestWaitSec: { id: 'longestWaitSec', metric: 'longestWaitSec', kind: 'duration', threshold: 'longestWaitSec', value: (r) => r.longestWaitSec },
  abandonRate: { id: 'abandonRate', metric: 'abandonRate', kind: 'percent', threshold: 'abandonRate', value: (r) => r.abandonRate },
  asaSec: { id: 'asaSec', metric: 'asaSec', kind: 'duration', threshold: 'asaSec', value: (r) => r.asaSec },
  agentsAvailable: { id: 'agentsAvailable', metric: 'agents.available', kind: 'count', value: agents('available') },
  agentsOnContact: { id: 'agentsOnContact', metric: 'agents.onContact', kind: 'count', value: agents('onContact') },
  agentsAcw: { id: 'agentsAcw', metric: 'agents.acw', kind: 'count', value: agents('acw') },
  agentsNotReady: { id: 'agentsNotReady', metric: 'agents.notReady', kind: 'count', value: agents('notReady') },
  occupancy: { id: 'occupancy', metric: 'occupancy', kind: 'percent', threshold: 'occupancy', value: (r) => r.occupancy },
  utilization: { id: 'utilization', metric: 'utilization', kind: 'percent', value: (r) => r.utilization },
  offered: { id: 'offered', metric: 'offered', kind: 'count', value: (r) => r.offered },
  answered: { id: 'answered', metric: 'answered', kind: 'count', value: (r) => r.answered },
  arrivals: { id: 'arrivals', metric: 'arrivals', kind: 'count', value: (r) => r.arrivals },
};

/** The console's queue table: every figure of the engine. */
export const columnDefs: FigureDef[] = [
  tileDefs.offered,
  tileDefs.answered,
  { id: 'abandoned', metric: 'abandoned', kind: 'count', value: (r) => r.abandoned },
  tileDefs.serviceLevel,
  tileDefs.answerRate,
  tileDefs.abandonRate,
  { id: 'shortAbandoned', metric: 'shortAbandoned', kind: 'count', value: (r) => r.shortAbandoned },
  { id: 'transferredOut', metric: 'transferredOut', kind: 'count', value: (r) => r.transferredOut },
  tileDefs.asaSec,
  { id: 'avgTalkSec', metric: 'avgTalkSec', kind: 'duration', value: (r) => r.avgTalkSec },
  { id: 'ahtSec', metric: 'ahtSec', kind: 'duration', value: (r) => r.ahtSec },
  tileDefs.waiting,
  tileDefs.longestWaitSec,
  { id: 'agentsLoggedIn', metric: 'agents.loggedIn', kind: 'count', value: agents('loggedIn') },
  tileDefs.agentsAvailable,
  tileDefs.agentsOnContact,
  tileDefs.agentsAcw,
  tileDefs.agentsNotReady,
  tileDefs.occupancy,
  tileDefs.utilization,
  tileDefs.arrivals,
];

/**
 * A figure's text. Given the display thresholds (wherever the figure is shown beside its level
 * colour), it gets the extra decimals that keep the rounded text in the level of the exact value
 * the colour is judged on ("19.6 秒", not "20 秒", in green beside a ≥ 20 s warning; levels.ts,
 * digitsForLevel).
 */
export function formatFigure(def: FigureDef, row: ViewRow, locale: LocaleId, thresholds?: DisplayThresholds): string {
  const v = def.value(row);
  if (!thresholds || !def.threshold) return formatKind(def.kind, v, locale);
  const shown = digitsForLevel(def.kind, v, (x) => levelOf(x, def.threshold, def.metric, thresholds));
  return formatKind(def.kind, shown.value, locale, shown.extra);
}

export type { Level };
