import { z } from 'zod';

/**
 * The KPI pack's part of the read API: the `kpi` object of every metrics result (windows, history,
 * intervals, realtime rows) and `GET /api/v1/agents/scorecard`. Formulas: shared/metrics/kpi.ts.
 * No customer identifier ever appears here: FCR is reported as counts only.
 */
const nullableRatio = z.number().nullable();

export const fcrResult = z.object({
  day: z.string(),
  customers: z.number(),
  singleContact: z.number(),
  withoutCustomerId: z.number(),
  rate: nullableRatio,
});

export const kpiResult = z.object({
  ratings: z.number(),
  dissatisfied: z.number(),
  csat: nullableRatio,
  csatMeanScore: nullableRatio,
  ivrSessions: z.number(),
  ivrToAgent: z.number(),
  ivrSelfServiceRate: nullableRatio,
  botSessions: z.number(),
  botToAgent: z.number(),
  botDiversionRate: nullableRatio,
  botRecognitionRate: nullableRatio,
  botResolutionRate: nullableRatio,
  robotHandled: z.number(),
  allInbound: z.number(),
  intelligentShare: nullableRatio,
  newContacts: z.number(),
  transfers: z.number(),
  transferRate: nullableRatio,
  transfersResolved: z.number(),
  transfersAnswered: z.number(),
  transferSuccessRate: nullableRatio,
  dailyCallsPerAgent: nullableRatio,
  firstContactResolution: fcrResult.nullable(),
});
export type KpiResult = z.infer<typeof kpiResult>;

const scoreFigures = {
  handledToday: z.number(),
  loggedInSec: z.number(),
  /** 日人均话务处理量: handledToday ÷ (loggedInSec ÷ standard day) */
  dailyCallsPerAgent: nullableRatio,
  ratings: z.number(),
  dissatisfied: z.number(),
  csat: nullableRatio,
  csatMeanScore: nullableRatio,
};

export const scorecardAgent = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  team: z.string().nullable(),
  state: z.string(),
  ...scoreFigures,
});
export type ScorecardAgent = z.infer<typeof scorecardAgent>;

export const scorecardTeam = z.object({
  /** null = agents without a team */
  team: z.string().nullable(),
  agents: z.number(),
  ...scoreFigures,
});

export const scorecardResult = z.object({
  asOf: z.string(),
  center: z.string(),
  day: z.string(),
  standardDayHours: z.number(),
  agents: z.array(scorecardAgent),
  teams: z.array(scorecardTeam),
});
export type ScorecardResult = z.infer<typeof scorecardResult>;
