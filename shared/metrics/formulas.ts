import type { AgentCounts, ContactSums, StateTimeMs } from './raw.ts';

/**
 * Pure metric formulas. A ratio with a zero denominator is `null` (never 0, never NaN): an empty
 * queue at 3 a.m. has no service level, and showing 0% would send a supervisor running.
 */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

export interface ContactMetrics {
  offered: number;
  answered: number;
  answeredInThreshold: number;
  abandoned: number;
  abandonedInThreshold: number;
  shortAbandoned: number;
  transferredOut: number;
  arrivals: number;
  /** 服务水平: answered within threshold ÷ offered (the standard's definition) */
  serviceLevel: number | null;
  serviceLevelVariants: {
    /** abandons within the threshold removed from the denominator */
    abandonsInThresholdExcluded: number | null;
    /** abandons within the threshold counted as met */
    abandonsInThresholdMet: number | null;
  };
  /** 接通率 */
  answerRate: number | null;
  abandonRate: number | null;
  asaSec: number | null;
  avgTalkSec: number | null;
  ahtSec: number | null;
}

export function contactMetrics(s: ContactSums): ContactMetrics {
  const offered = s.answered + s.abandoned;
  return {
    offered,
    answered: s.answered,
    answeredInThreshold: s.answeredInThreshold,
    abandoned: s.abandoned,
    abandonedInThreshold: s.abandonedInThreshold,
    shortAbandoned: s.shortAbandoned,
    transferredOut: s.transferredOut,
    arrivals: s.arrivals,
    serviceLevel: ratio(s.answeredInThreshold, offered),
    serviceLevelVariants: {
      abandonsInThresholdExcluded: ratio(s.answeredInThreshold, offered - s.abandonedInThreshold),
      abandonsInThresholdMet: ratio(s.answeredInThreshold + s.abandonedInThreshold, offered),
    },
    answerRate: ratio(s.answered, offered),
    abandonRate: ratio(s.abandoned, offered),
    asaSec: nullableDiv(s.answeredWaitMs, s.answered, 1000),
    avgTalkSec: nullableDiv(s.talkMs, s.talkCount, 1000),
    ahtSec: nullableDiv(s.handleMs, s.handleCount, 1000),
  };
}

function nullableDiv(sumMs: number, count: number, unitMs: number): number | null {
  return count > 0 ? sumMs / count / unitMs : null;
}

export interface AgentTimeMetrics {
  /** 占用率 (industry): (on_contact + hold + acw) ÷ (that + available) */
  occupancy: number | null;
  /** 座席利用率 (standard): (available + ringing + on_contact + hold + acw) ÷ logged-in time */
  utilization: number | null;
  stateTimeSec: Record<keyof StateTimeMs, number>;
}

export function agentTimeMetrics(t: StateTimeMs): AgentTimeMetrics {
  const busy = t.on_contact + t.hold + t.acw;
  const working = t.available + t.ringing + busy;
  const loggedIn = working + t.not_ready;
  return {
    occupancy: ratio(busy, busy + t.available),
    utilization: ratio(working, loggedIn),
    stateTimeSec: Object.fromEntries(
      Object.entries(t).map(([k, v]) => [k, v / 1000]),
    ) as Record<keyof StateTimeMs, number>,
  };
}

export interface LiveMetrics {
  waiting: number;
  longestWaitSec: number | null;
  agents: AgentCounts;
}
