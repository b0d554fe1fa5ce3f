import { agentStates, type AgentState } from '../contract/events.ts';

/**
 * Raw sums the engine keeps per bucket and returns per query. Every published metric is a pure
 * function of these (see formulas.ts), so the engine, the reference model and the UI can never
 * disagree about a formula, only about counting, which the property tests check.
 *
 * Contact counters are attributed to the bucket of the moment the contact *leaves the queue*
 * (answered / abandoned / transferred out); talk to the moment it ended; handle to wrap-up.
 */
export interface ContactSums {
  /** contact.queued arrivals (by queued time): traffic-spike input, not part of offered. */
  arrivals: number;
  answered: number;
  /** answered with wait ≤ the queue's service-level threshold */
  answeredInThreshold: number;
  /** Σ wait (ms) of answered contacts */
  answeredWaitMs: number;
  /** abandoned after the short-abandon threshold (these are part of offered) */
  abandoned: number;
  /** of `abandoned`, those with wait ≤ the service-level threshold (for SL variants) */
  abandonedInThreshold: number;
  /** abandoned with wait < short-abandon threshold: reported, excluded from offered */
  shortAbandoned: number;
  transferredOut: number;
  talkCount: number;
  talkMs: number;
  handleCount: number;
  handleMs: number;
}

export const contactSumKeys = [
  'arrivals',
  'answered',
  'answeredInThreshold',
  'answeredWaitMs',
  'abandoned',
  'abandonedInThreshold',
  'shortAbandoned',
  'transferredOut',
  'talkCount',
  'talkMs',
  'handleCount',
  'handleMs',
] as const satisfies readonly (keyof ContactSums)[];

/** States whose time is accumulated (logged_out time is never needed). */
export const timedStates = agentStates.filter((s) => s !== 'logged_out') as Exclude<
  AgentState,
  'logged_out'
>[];
export type TimedState = (typeof timedStates)[number];

/** Agent-milliseconds spent in each state inside the window, summed over agents. */
export type StateTimeMs = Record<TimedState, number>;

/** Current number of agents in each state (live, not windowed). */
export interface AgentCounts {
  loggedIn: number;
  available: number;
  ringing: number;
  onContact: number;
  hold: number;
  acw: number;
  notReady: number;
}

export function emptyContactSums(): ContactSums {
  return Object.fromEntries(contactSumKeys.map((k) => [k, 0])) as unknown as ContactSums;
}

export function emptyStateTime(): StateTimeMs {
  return Object.fromEntries(timedStates.map((s) => [s, 0])) as StateTimeMs;
}

export function agentCountsFromStates(byState: Partial<Record<AgentState, number>>): AgentCounts {
  const n = (s: AgentState) => byState[s] ?? 0;
  return {
    loggedIn:
      n('available') + n('ringing') + n('on_contact') + n('hold') + n('acw') + n('not_ready'),
    available: n('available'),
    ringing: n('ringing'),
    onContact: n('on_contact'),
    hold: n('hold'),
    acw: n('acw'),
    notReady: n('not_ready'),
  };
}
