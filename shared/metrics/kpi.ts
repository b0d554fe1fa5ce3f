import { ratio } from './formulas.ts';

/**
 * Raw sums of the KPI pack (issue 6) per bucket, and the pure formulas that turn them into the
 * `kpi` object of a metrics result. Counting rules: shared/metrics/SEMANTICS-KPI.md; the engine
 * (server/kpi, Lua) and the reference model (test/support/kpi-reference-model.ts) both implement
 * them and the property tests require them to agree.
 */
export interface KpiSums {
  /** survey ratings (first rating of a contact, by rating time) */
  ratings: number;
  /** ratings 1–2 or "dissatisfied" */
  dissatisfied: number;
  /** ratings given on the 1–5 scale (labels have no score) */
  scored: number;
  /** Σ of the 1–5 scores */
  scoreSum: number;
  /** IVR sessions that exited (by exit time) */
  ivrSessions: number;
  ivrToAgent: number;
  ivrSelfServed: number;
  /** robot sessions that ended (by end time) */
  botSessions: number;
  botToAgent: number;
  botResolved: number;
  botQuestions: number;
  botRecognized: number;
  botUnresolvedRated: number;
  /** contacts by the time of their first contact.queued (new human contacts) */
  newContacts: number;
  /** queue legs that closed (answered, abandoned, transferred out), by close time */
  legsClosed: number;
  /** of those, legs the contact left for another leg (see SEMANTICS-KPI.md), by the leg's close time */
  transfers: number;
  /** transfers whose target leg closed, by that close time, in the source queue */
  transfersResolved: number;
  /** of those, target legs answered */
  transfersAnswered: number;
}

export const kpiSumKeys = [
  'ratings',
  'dissatisfied',
  'scored',
  'scoreSum',
  'ivrSessions',
  'ivrToAgent',
  'ivrSelfServed',
  'botSessions',
  'botToAgent',
  'botResolved',
  'botQuestions',
  'botRecognized',
  'botUnresolvedRated',
  'newContacts',
  'legsClosed',
  'transfers',
  'transfersResolved',
  'transfersAnswered',
] as const satisfies readonly (keyof KpiSums)[];

/** Bucket hash field of each sum (written by server/kpi/write/kpi-batch.ts). */
export const kpiField: Record<keyof KpiSums, string> = {
  ratings: 'r',
  dissatisfied: 'rd',
  scored: 'rn',
  scoreSum: 'rs',
  ivrSessions: 'i',
  ivrToAgent: 'ia',
  ivrSelfServed: 'is',
  botSessions: 'b',
  botToAgent: 'ba',
  botResolved: 'br',
  botQuestions: 'bq',
  botRecognized: 'bg',
  botUnresolvedRated: 'bu',
  newContacts: 'f',
  legsClosed: 'l',
  transfers: 't',
  transfersResolved: 'x',
  transfersAnswered: 'xa',
};

export function emptyKpiSums(): KpiSums {
  return Object.fromEntries(kpiSumKeys.map((k) => [k, 0])) as unknown as KpiSums;
}

export function addKpiSums(into: KpiSums, fields: Record<string, number> | undefined): void {
  if (!fields) return;
  for (const k of kpiSumKeys) into[k] += fields[kpiField[k]] ?? 0;
}

/** First-contact resolution of one local day (by customerId). */
export interface FcrCounts {
  /** distinct customers with at least one contact that day */
  customers: number;
  /** of those, customers with exactly one contact */
  singleContact: number;
  /** contacts queued that day without a customerId (excluded from the rate) */
  withoutCustomerId: number;
}

export interface FcrFigure extends FcrCounts {
  /** local date YYYY-MM-DD */
  day: string;
  /** 一次问题解决率 = singleContact ÷ customers */
  rate: number | null;
}

export interface AgentDayInput {
  /** human-answered contacts in the range */
  answered: number;
  /** logged-in agent time in the range, seconds */
  loggedInSec: number;
}

/** 日人均话务处理量: answered ÷ (logged-in time ÷ one standard working day). */
export function dailyCallsPerAgent(answered: number, loggedInSec: number, standardDayHours: number): number | null {
  const agentDays = loggedInSec / (standardDayHours * 3600);
  return agentDays > 0 ? answered / agentDays : null;
}

export interface KpiFigures {
  ratings: number;
  dissatisfied: number;
  /** 客户满意度 = 1 − dissatisfied ÷ ratings */
  csat: number | null;
  /** mean of the 1–5 ratings */
  csatMeanScore: number | null;
  ivrSessions: number;
  ivrToAgent: number;
  /** 语音自助分流率 = 1 − to_agent ÷ IVR sessions */
  ivrSelfServiceRate: number | null;
  botSessions: number;
  botToAgent: number;
  /** 机器人分流率 = 1 − to_agent ÷ bot sessions (text scope = 机器人文本服务分流率) */
  botDiversionRate: number | null;
  /** 机器人问题识别率 = recognized ÷ questions */
  botRecognitionRate: number | null;
  /** 机器人问题解决率 = 1 − rated unresolved ÷ answered (recognized) */
  botResolutionRate: number | null;
  robotHandled: number;
  allInbound: number;
  /** 智能服务占比 = robot-handled ÷ all inbound; null for queue and group scopes (robots have no queue) */
  intelligentShare: number | null;
  newContacts: number;
  transfers: number;
  /** transfers ÷ queue legs closed */
  transferRate: number | null;
  transfersResolved: number;
  transfersAnswered: number;
  /** 转接成功率 = transfer target legs answered ÷ transfer target legs closed */
  transferSuccessRate: number | null;
  /** 日人均话务处理量 over the range; null with a team filter (contacts have no team) */
  dailyCallsPerAgent: number | null;
  /** 一次问题解决率 of the local day (today for live windows, a whole-day history range), else null */
  firstContactResolution: FcrFigure | null;
}

const oneMinus = (num: number, den: number): number | null => {
  const r = ratio(num, den);
  return r === null ? null : 1 - r;
};

export function kpiFigures(
  s: KpiSums,
  ctx: {
    scopeKind: 'all' | 'queue' | 'channel' | 'group';
    team: boolean;
    agentDay: AgentDayInput;
    standardDayHours: number;
    fcr: FcrFigure | null;
  },
): KpiFigures {
  const robotHandled = s.ivrSelfServed + s.botResolved;
  const allInbound = s.ivrSessions - s.ivrToAgent + (s.botSessions - s.botToAgent) + s.newContacts;
  const robotScope = ctx.scopeKind === 'all' || ctx.scopeKind === 'channel';
  return {
    ratings: s.ratings,
    dissatisfied: s.dissatisfied,
    csat: oneMinus(s.dissatisfied, s.ratings),
    csatMeanScore: ratio(s.scoreSum, s.scored),
    ivrSessions: s.ivrSessions,
    ivrToAgent: s.ivrToAgent,
    ivrSelfServiceRate: oneMinus(s.ivrToAgent, s.ivrSessions),
    botSessions: s.botSessions,
    botToAgent: s.botToAgent,
    botDiversionRate: oneMinus(s.botToAgent, s.botSessions),
    botRecognitionRate: ratio(s.botRecognized, s.botQuestions),
    botResolutionRate: oneMinus(s.botUnresolvedRated, s.botRecognized),
    robotHandled,
    allInbound,
    intelligentShare: robotScope ? ratio(robotHandled, allInbound) : null,
    newContacts: s.newContacts,
    transfers: s.transfers,
    transferRate: ratio(s.transfers, s.legsClosed),
    transfersResolved: s.transfersResolved,
    transfersAnswered: s.transfersAnswered,
    transferSuccessRate: ratio(s.transfersAnswered, s.transfersResolved),
    dailyCallsPerAgent: ctx.team ? null : dailyCallsPerAgent(ctx.agentDay.answered, ctx.agentDay.loggedInSec, ctx.standardDayHours),
    firstContactResolution: ctx.fcr,
  };
}

export function fcrFigure(day: string, c: FcrCounts): FcrFigure {
  return { day, ...c, rate: ratio(c.singleContact, c.customers) };
}
