import { z } from 'zod';
import { centerId, channel, identifier } from './events.ts';
import { windowId } from '../metrics/windows.ts';
import { kpiResult } from './kpi-api.ts';

/**
 * Why `team` cannot go with a queue, group or channel: the engine keeps agent figures per scope
 * (center, channel, queue, group) and per team, never per team within a scope, so the answer would
 * be the whole team's figures labelled as the scope's. `team` alone is the team center-wide.
 */
export const teamScopeConflict = 'team cannot be combined with queue/group/channel: agent figures are kept per team and per queue, not per both';

/** Query string of `GET /api/v1/metrics` and `GET /api/v1/intervals`. */
export const metricsQuery = z
  .strictObject({
    center: centerId.default('default'),
    queue: identifier.optional(),
    group: identifier.optional(),
    channel: channel.optional(),
    team: identifier.optional(),
    window: windowId.optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((q) => !(q.window && (q.from || q.to)), {
    message: 'use either window or from/to, not both',
  })
  .refine((q) => (q.from === undefined) === (q.to === undefined), {
    message: 'from and to go together',
  })
  .refine((q) => [q.queue, q.group, q.channel].filter(Boolean).length <= 1, {
    message: 'choose at most one of queue, group, channel',
  })
  .refine((q) => !(q.team && (q.queue || q.group || q.channel)), { message: teamScopeConflict });
export type MetricsQuery = z.infer<typeof metricsQuery>;

const nullableRatio = z.number().nullable();

export const agentCountsSchema = z.object({
  loggedIn: z.number(),
  available: z.number(),
  ringing: z.number(),
  onContact: z.number(),
  hold: z.number(),
  acw: z.number(),
  notReady: z.number(),
});

export const metricsResult = z.object({
  asOf: z.string(),
  center: z.string(),
  queue: z.string().nullable(),
  group: z.string().nullable(),
  channel: channel.nullable(),
  team: z.string().nullable(),
  window: windowId.nullable(),
  from: z.string(),
  to: z.string(),
  /** The service-level threshold of the queues included, or null when they differ. */
  thresholdSec: z.number().nullable(),
  /**
   * Present only when a queue in scope had its threshold changed (a new configuration, at a server
   * start) inside this result's span: the contacts before `at` were judged against `from`, the
   * ones after against `to` (counts are kept, not waits, so they cannot be judged again).
   */
  thresholdChanges: z
    .array(
      z.object({
        queue: z.string(),
        at: z.string(),
        serviceLevelSec: z.object({ from: z.number(), to: z.number() }).nullable(),
        shortAbandonSec: z.object({ from: z.number(), to: z.number() }).nullable(),
      }),
    )
    .optional(),
  offered: z.number(),
  answered: z.number(),
  answeredInThreshold: z.number(),
  abandoned: z.number(),
  abandonedInThreshold: z.number(),
  shortAbandoned: z.number(),
  transferredOut: z.number(),
  arrivals: z.number(),
  serviceLevel: nullableRatio,
  serviceLevelVariants: z.object({
    abandonsInThresholdExcluded: nullableRatio,
    abandonsInThresholdMet: nullableRatio,
  }),
  answerRate: nullableRatio,
  abandonRate: nullableRatio,
  asaSec: nullableRatio,
  avgTalkSec: nullableRatio,
  ahtSec: nullableRatio,
  /** Live figures: present for rolling windows and today, null for history ranges. */
  waiting: z.number().nullable(),
  longestWaitSec: z.number().nullable(),
  agents: agentCountsSchema.nullable(),
  occupancy: nullableRatio,
  utilization: nullableRatio,
  stateTimeSec: z.record(z.string(), z.number()),
  /** the KPI pack's figures (shared/contract/kpi-api.ts); always present from this server */
  kpi: kpiResult.optional(),
});
export type MetricsResult = z.infer<typeof metricsResult>;

export const agentRow = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  state: z.string(),
  reason: z.string().nullable(),
  /** ISO time the agent entered the current state (and reason) */
  since: z.string(),
  team: z.string().nullable(),
  queues: z.array(z.string()),
  handledToday: z.number(),
});
export type AgentRow = z.infer<typeof agentRow>;
