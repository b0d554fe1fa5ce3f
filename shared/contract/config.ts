import { z } from 'zod';
import { centerId, channel, identifier, agentState, agentStates } from './events.ts';
import { windowId, isValidTimeZone } from '../metrics/windows.ts';
import { metricDefinition } from '../metrics/registry.ts';
import { alertsConfig, notARatio } from './alerts.ts';

/**
 * The configuration file (YAML or JSON), validated once at start-up. Everything has a default so
 * an empty file (or none) gives a working single-center setup.
 */
const localized = z.strictObject({ zh: z.string().min(1), en: z.string().min(1) });
const timeZone = z.string().refine(isValidTimeZone, 'unknown IANA time zone');

export const centerConfig = z.strictObject({
  id: centerId,
  name: localized,
  timeZone: timeZone.default('Asia/Shanghai'),
  /** Opening hours (local time, HH:MM) used by feed-health alerts; absent = always open. */
  openingHours: z
    .strictObject({ from: z.string().regex(/^\d{2}:\d{2}$/), to: z.string().regex(/^\d{2}:\d{2}$/) })
    .optional(),
});

/**
 * Names of common not-ready reason codes (the `reason` of agent.state), for screens and alert
 * texts. A code not named here or in the config's `reasons` is shown as sent.
 */
export const builtInReasonNames: Readonly<Record<string, { zh: string; en: string }>> = {
  break: { zh: '小休', en: 'Break' },
  meal: { zh: '用餐', en: 'Meal' },
  training: { zh: '培训', en: 'Training' },
  meeting: { zh: '会议', en: 'Meeting' },
  coaching: { zh: '辅导', en: 'Coaching' },
  admin: { zh: '事务处理', en: 'Admin work' },
  outbound: { zh: '外呼', en: 'Outbound' },
  personal: { zh: '私事', en: 'Personal' },
  ring_no_answer: { zh: '振铃未接', en: 'Ring, no answer' },
};

export const reasonConfig = z.strictObject({ id: identifier, name: localized });

export const queueConfig = z.strictObject({
  id: identifier,
  center: centerId.default('default'),
  name: localized,
  channel,
  /** 服务水平 threshold: answered within this many seconds counts as met. */
  serviceLevelThresholdSec: z.number().int().min(1).max(3600).optional(),
  /** Abandons with a wait below this are "short" and excluded from offered (0 = none, the standard). */
  shortAbandonThresholdSec: z.number().int().min(0).max(600).optional(),
});

export const groupConfig = z.strictObject({
  id: identifier,
  center: centerId.default('default'),
  name: localized,
  queues: z.array(identifier).min(1),
});

export const teamConfig = z.strictObject({
  id: identifier,
  center: centerId.default('default'),
  name: localized,
});

/** a board row's tiles unless configured: eleven read at 5 m on a 16:9 screen */
export const defaultTiles = [
  'serviceLevel',
  'answerRate',
  'waiting',
  'longestWaitSec',
  'abandonRate',
  'asaSec',
  'agentsAvailable',
  'agentsOnContact',
  'agentsAcw',
  'agentsNotReady',
  'occupancy',
] as const;
/** every tile a board may name: the default ones, and the volumes and utilization to add per board */
export const tileIds = [...defaultTiles, 'utilization', 'offered', 'answered', 'arrivals'] as const;
export const tileId = z.enum(tileIds);

export const boardRow = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('channel'), channel }),
  z.strictObject({ kind: z.literal('group'), group: identifier }),
  z.strictObject({ kind: z.literal('queue'), queue: identifier }),
  z.strictObject({ kind: z.literal('center') }),
]);
export type BoardRow = z.infer<typeof boardRow>;

export const boardConfig = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and "-"'),
  center: centerId.default('default'),
  title: localized.optional(),
  window: windowId.default('30m'),
  /** rows; absent = one row per channel that has queues */
  rows: z.array(boardRow).optional(),
  tiles: z.array(tileId).default([...defaultTiles]),
  /** seconds each page stays before rotating to `rotateTo` */
  rotateEverySec: z.number().int().min(5).max(3600).default(20),
  rotateTo: z.array(z.string()).default([]),
  /** include the metric legend page in the rotation */
  legendPage: z.boolean().default(true),
});
export type BoardConfig = z.infer<typeof boardConfig>;

/** Colour thresholds for tiles (defaults from the standards). */
export const levelThreshold = z.strictObject({
  warning: z.number(),
  critical: z.number(),
});
// A rate is computed as a fraction: 80 given for 80 % turns every tile red and reads "8,000%"
const ratioLevel = z.number().superRefine((v, ctx) => {
  if (!(v >= 0 && v <= 1)) ctx.addIssue({ code: 'custom', message: notARatio(v) });
});
const ratioThreshold = z.strictObject({ warning: ratioLevel, critical: ratioLevel });
const amountThreshold = z.strictObject({ warning: z.number().min(0), critical: z.number().min(0) });

/**
 * The tiles colour in the direction the metric registry gives (client/src/lib/levels.ts): a
 * critical level on the good side of the warning one would skip amber or never show it.
 */
function thresholdOrderIssues(thresholds: Record<string, { warning: number; critical: number }>, ctx: z.RefinementCtx): void {
  for (const [key, t] of Object.entries(thresholds)) {
    const higherIsBetter = (metricDefinition(key) ?? metricDefinition(`kpi.${key}`))?.higherIsBetter === true;
    if (higherIsBetter ? t.critical <= t.warning : t.critical >= t.warning) continue;
    ctx.addIssue({
      code: 'custom',
      path: [key, 'critical'],
      message: higherIsBetter
        ? `higher is better for ${key}, so the critical level (${t.critical}) must be at or below the warning level (${t.warning})`
        : `lower is better for ${key}, so the critical level (${t.critical}) must be at or above the warning level (${t.warning})`,
    });
  }
}

/** the figures a channel may colour by its own thresholds: the queue tiles' (the KPI pack's are the center's) */
export const channelThresholdKeys = ['serviceLevel', 'answerRate', 'abandonRate', 'longestWaitSec', 'asaSec', 'waiting', 'occupancy'] as const;

/**
 * Per-channel overrides (`byChannel: {text: {asaSec: {warning: 30, critical: 60}}}`): a channel's
 * own promise (text chat answering within 30 s where voice answers within 20 s) colours its
 * figures; a figure a channel does not list keeps the common threshold. A row mixing channels
 * (center, a group over channels) is coloured by the strictest of its channels
 * (client/src/lib/levels.ts, thresholdsForChannels). None by default: the standard gives every
 * channel the same 20 s rule (shared/standards.md §2).
 */
const channelThresholds = z
  .strictObject({
    serviceLevel: ratioThreshold.optional(),
    answerRate: ratioThreshold.optional(),
    abandonRate: ratioThreshold.optional(),
    longestWaitSec: amountThreshold.optional(),
    asaSec: amountThreshold.optional(),
    waiting: amountThreshold.optional(),
    occupancy: ratioThreshold.optional(),
  })
  .superRefine((t, ctx) => thresholdOrderIssues(Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Record<string, { warning: number; critical: number }>, ctx));

export const displayThresholds = z
  .strictObject({
    serviceLevel: ratioThreshold.default({ warning: 0.8, critical: 0.7 }),
    answerRate: ratioThreshold.default({ warning: 0.9, critical: 0.85 }),
    abandonRate: ratioThreshold.default({ warning: 0.05, critical: 0.1 }),
    longestWaitSec: amountThreshold.default({ warning: 60, critical: 120 }),
    asaSec: amountThreshold.default({ warning: 20, critical: 40 }),
    waiting: amountThreshold.default({ warning: 10, critical: 25 }),
    occupancy: ratioThreshold.default({ warning: 0.9, critical: 0.95 }),
    // KPI pack: 客户满意度 ≥ 85%, 机器人问题解决率 ≥ 50% (standard §4–5)
    csat: ratioThreshold.default({ warning: 0.85, critical: 0.8 }),
    botResolutionRate: ratioThreshold.default({ warning: 0.5, critical: 0.4 }),
    byChannel: z.strictObject({ voice: channelThresholds.optional(), text: channelThresholds.optional(), video: channelThresholds.optional() }).optional(),
  })
  .superRefine(({ byChannel: _byChannel, ...levels }, ctx) => thresholdOrderIssues(levels, ctx))
  .default({
    serviceLevel: { warning: 0.8, critical: 0.7 },
    answerRate: { warning: 0.9, critical: 0.85 },
    abandonRate: { warning: 0.05, critical: 0.1 },
    longestWaitSec: { warning: 60, critical: 120 },
    asaSec: { warning: 20, critical: 40 },
    waiting: { warning: 10, critical: 25 },
    occupancy: { warning: 0.9, critical: 0.95 },
    csat: { warning: 0.85, critical: 0.8 },
    botResolutionRate: { warning: 0.5, critical: 0.4 },
  });
export type DisplayThresholds = z.infer<typeof displayThresholds>;

/** Time-in-state colouring on the agent grid: seconds after which a state turns warning/critical. */
export const stateTimeThresholds = z
  .record(z.string(), amountThreshold)
  .superRefine((thresholds, ctx) => {
    // the agent grid looks up `<state>` and `<state>:<reason>`: any other key colours nothing
    for (const [key, t] of Object.entries(thresholds)) {
      const state = key.split(':')[0]!;
      if (!(agentStates as readonly string[]).includes(state))
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown agent state "${state}" (${agentStates.join(', ')}; or <state>:<reason> such as not_ready:break)` });
      if (t.critical < t.warning)
        ctx.addIssue({ code: 'custom', path: [key, 'critical'], message: `the critical time (${t.critical}) must be at or after the warning time (${t.warning})` });
    }
  })
  .default({
    acw: { warning: 120, critical: 300 },
    hold: { warning: 60, critical: 180 },
    ringing: { warning: 15, critical: 30 },
    not_ready: { warning: 900, critical: 1800 },
    'not_ready:break': { warning: 900, critical: 1200 },
    'not_ready:meal': { warning: 1800, critical: 2700 },
  });

export const roles = ['display', 'lead', 'admin', 'ingest'] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

export const tokenConfig = z.strictObject({
  token: z.string().min(16, 'tokens must be at least 16 characters'),
  role,
  name: z.string().min(1),
});

export const retentionConfig = z
  .strictObject({
    /** Events older than this are rejected; per-contact state is kept this long. */
    lateEventHours: z.number().int().min(2).max(24 * 7).default(48),
    /** 15-minute interval history. */
    intervalDays: z.number().int().min(35).max(400).default(40),
    /** A contact still "waiting" after this long with no exit event is dropped from live figures. */
    waitingTimeoutMin: z.number().int().min(1).max(24 * 60).default(240),
  })
  .default({ lateEventHours: 48, intervalDays: 40, waitingTimeoutMin: 240 });

export const redisConfig = z
  .strictObject({
    /** "everysec" (default: lose ≤ 1 s on power loss) or "always" (strict: fsync every write). */
    appendfsync: z.enum(['everysec', 'always']).default('everysec'),
    /** listen on a unix socket under dataDir instead of a loopback TCP port */
    unixSocket: z.boolean().default(false),
  })
  .default({ appendfsync: 'everysec', unixSocket: false });

export const defaultsConfig = z
  .strictObject({
    serviceLevelThresholdSec: z
      .strictObject({ voice: z.number().int().min(1), text: z.number().int().min(1), video: z.number().int().min(1) })
      .default({ voice: 20, text: 20, video: 20 }),
    shortAbandonThresholdSec: z.number().int().min(0).max(600).default(0),
  })
  .default({ serviceLevelThresholdSec: { voice: 20, text: 20, video: 20 }, shortAbandonThresholdSec: 0 });

/** default realtime coalescing window (ms) */
export const defaultCoalesceMs = 100;

export const appConfig = z.strictObject({
  centers: z
    .array(centerConfig)
    .min(1)
    .default([{ id: 'default', name: { zh: '远程银行中心', en: 'Remote Banking Center' }, timeZone: 'Asia/Shanghai' }]),
  defaults: defaultsConfig,
  queues: z.array(queueConfig).default([]),
  groups: z.array(groupConfig).default([]),
  teams: z.array(teamConfig).default([]),
  /** names of not-ready reason codes; added to (or replacing) the built-in ones by id */
  reasons: z.array(reasonConfig).default([]),
  boards: z.array(boardConfig).default([]),
  displayThresholds,
  stateTimeThresholds,
  tokens: z.array(tokenConfig).default([]),
  retention: retentionConfig,
  redis: redisConfig,
  /** Alert rules, escalation and channels (schema: shared/contract/alerts.ts). */
  alerts: alertsConfig.prefault({}),
  /** Settings of the KPI pack (see README). */
  kpi: z
    .strictObject({
      /** one agent's standard working day for 日人均话务处理量 (daily calls per agent) */
      standardDayHours: z.number().min(1).max(24).default(8),
    })
    .default({ standardDayHours: 8 }),
  realtime: z
    .strictObject({
      /** Browser push (server/realtime): origins other than the server's own that may open a socket. */
      allowedOrigins: z.array(z.url()).default([]),
      /**
       * Coalescing window: while events flow, a view recomputes at most once per window, so an
       * accepted event waits at most this long (plus the recompute) before screens get it. 100 ms
       * keeps event-to-screen p50 under 100 ms; 250 ms costs 2.5x fewer recomputes.
       */
      coalesceMs: z.int().min(50).max(250).default(defaultCoalesceMs),
    })
    .default({ allowedOrigins: [], coalesceMs: defaultCoalesceMs }),
}).superRefine((c, ctx) => {
  // Two entries with one id would be merged field by field (a queue with the name of one and the
  // channel of the other) or one would shadow the other: refused, naming both.
  const at = (...path: (string | number)[]) => (i: number) => [path[0]!, i, ...path.slice(1)];
  refuseDuplicates(ctx, c.centers, (x) => x.id, at('centers', 'id'), (x) => `center "${x.id}" is defined twice`);
  // queues, groups and teams are per center: the same id in two centers is two things
  refuseDuplicates(ctx, c.queues, (x) => `${x.center}\u0000${x.id}`, at('queues', 'id'), (x) => `queue "${x.id}" of center "${x.center}" is defined twice`);
  refuseDuplicates(ctx, c.groups, (x) => `${x.center}\u0000${x.id}`, at('groups', 'id'), (x) => `group "${x.id}" of center "${x.center}" is defined twice`);
  refuseDuplicates(ctx, c.teams, (x) => `${x.center}\u0000${x.id}`, at('teams', 'id'), (x) => `team "${x.id}" of center "${x.center}" is defined twice`);
  refuseDuplicates(ctx, c.reasons, (x) => x.id, at('reasons', 'id'), (x) => `reason "${x.id}" is defined twice`);
  // boards across centers: /wall/<id> and rotateTo name a board by its id alone
  refuseDuplicates(ctx, c.boards, (x) => x.id, at('boards', 'id'), (x) => `board "${x.id}" is defined twice`);
  // one token, one role: a token listed twice would act as whichever entry comes first (the
  // message never quotes the token itself)
  refuseDuplicates(ctx, c.tokens, (x) => x.token, at('tokens', 'token'), (x, first) => `the token of "${x.name}" is listed more than once (it is also the token of "${first.name}")`);
  // the name is who the audit trail and the logs say acted
  refuseDuplicates(ctx, c.tokens, (x) => x.name, at('tokens', 'name'), (x) => `token name "${x.name}" is used twice`);

  // References. A center, board, group or queue named but not defined reads as a quiet one (a row
  // of "—" and 0) or is dropped without a word.
  const centers = new Set(c.centers.map((x) => x.id));
  const centerList = [...centers].join(', ');
  const unknownCenter = (center: string) =>
    `unknown center "${center}" (${center === 'default' ? 'the center when none is given; ' : ''}centers: ${centerList})`;
  for (const list of ['queues', 'groups', 'teams', 'boards'] as const) {
    c[list].forEach((x, i) => {
      if (!centers.has(x.center)) ctx.addIssue({ code: 'custom', path: [list, i, 'center'], message: unknownCenter(x.center) });
    });
  }
  // alerts.rules name centers (the rest of alerts.rules is checked in shared/contract/alerts.ts)
  c.alerts.rules?.forEach((r, i) => {
    if (!centers.has(r.scope.center))
      ctx.addIssue({ code: 'custom', path: ['alerts', 'rules', i, 'scope', 'center'], message: `unknown center "${r.scope.center}"` });
  });
  // A board row names a configured queue: one known only from events would need its id typed
  // right with nothing to check it against. (A group may still list such queues: the engine gives
  // them the group's dimension.)
  const unknownIn = (kind: 'queue' | 'group', list: readonly { id: string; center: string }[], id: string, center: string) => {
    if (list.some((x) => x.id === id && x.center === center)) return undefined;
    const elsewhere = [...new Set(list.filter((x) => x.id === id).map((x) => x.center))];
    return `unknown ${kind} "${id}" in center "${center}" (${elsewhere.length > 0 ? `"${id}" is a ${kind} of center ${elsewhere.join(', ')}` : `not under ${kind}s`})`;
  };
  // the board the server adds when none is configured with this id (server/web/boards.ts)
  const boardIds = [...new Set([...c.boards.map((b) => b.id), 'default'])];
  c.boards.forEach((b, i) => {
    b.rows?.forEach((row, j) => {
      const problem =
        row.kind === 'queue' ? unknownIn('queue', c.queues, row.queue, b.center) : row.kind === 'group' ? unknownIn('group', c.groups, row.group, b.center) : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['boards', i, 'rows', j, row.kind], message: problem });
    });
    b.rotateTo.forEach((target, j) => {
      if (!boardIds.includes(target))
        ctx.addIssue({ code: 'custom', path: ['boards', i, 'rotateTo', j], message: `unknown board "${target}" (boards: ${boardIds.join(', ')})` });
    });
  });
});

/**
 * Refuses the second and later entries whose key an earlier entry has. The message ends with the
 * first one's path, and `params.first` carries it so the loader can add its line.
 */
function refuseDuplicates<T>(
  ctx: z.RefinementCtx,
  items: readonly T[],
  key: (item: T) => string,
  path: (i: number) => (string | number)[],
  message: (item: T, first: T) => string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const j = seen.get(k);
    if (j === undefined) {
      seen.set(k, i);
      return;
    }
    const first = path(j);
    ctx.addIssue({ code: 'custom', path: path(i), message: `${message(item, items[j]!)}, first at ${first.join('.')}`, params: { first } });
  });
}
export type AppConfig = z.infer<typeof appConfig>;

/** a center's time zone (its local day, intervals' wall clock); Asia/Shanghai for an unknown one */
export function centerTimeZone(config: Pick<AppConfig, 'centers'>, center: string): string {
  return config.centers.find((c) => c.id === center)?.timeZone ?? 'Asia/Shanghai';
}

/** reason code → name: the built-in names, then the config's (which win) */
export function reasonNames(config: { reasons: { id: string; name: { zh: string; en: string } }[] }): Record<string, { zh: string; en: string }> {
  return { ...builtInReasonNames, ...Object.fromEntries(config.reasons.map((r) => [r.id, r.name])) };
}
export type AppConfigInput = z.input<typeof appConfig>;
export type QueueConfig = z.infer<typeof queueConfig>;
export type CenterConfig = z.infer<typeof centerConfig>;
export { agentState };
