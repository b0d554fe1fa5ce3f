import { z } from 'zod';
import { centerId, channel, identifier } from './events.ts';
import { windowId } from '../metrics/windows.ts';

/**
 * Alerts contract: threshold rules (GET/PUT /api/v1/thresholds), alert objects (API + socket
 * events), the forecast upload, the audit and notification records, and the `alerts` key of the
 * config file (escalation policies, notification channels, evaluator settings).
 */

export const localizedText = z.strictObject({ zh: z.string(), en: z.string() });
export type LocalizedText = z.infer<typeof localizedText>;

export const severities = ['warning', 'critical'] as const;
export const severity = z.enum(severities);
export type Severity = z.infer<typeof severity>;

export const alertStates = ['firing', 'acknowledged', 'resolved'] as const;
export const alertState = z.enum(alertStates);
export type AlertState = z.infer<typeof alertState>;

const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM (local time)');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

/** Where a rule looks. At most one of queue/channel/group; team alone: the team's agent figures
 * center-wide; team with a queue/channel/group: notReadySec only (see ruleSetIssues). */
export const ruleScope = z
  .strictObject({
    center: centerId.default('default'),
    queue: identifier.optional(),
    channel: channel.optional(),
    group: identifier.optional(),
    team: identifier.optional(),
  })
  .refine((s) => [s.queue, s.channel, s.group].filter(Boolean).length <= 1, {
    message: 'choose at most one of queue, channel, group',
  });
export type RuleScope = z.infer<typeof ruleScope>;

/** The scope an alert reports (a subset of the rule scope plus agent details for per-agent rules). */
export const alertScope = z.object({
  center: z.string(),
  queue: z.string().optional(),
  channel: channel.optional(),
  group: z.string().optional(),
  team: z.string().optional(),
  /** the agent's name as people know it (the id when the agent has no name) */
  agent: z.string().optional(),
  /** the agent's id: two agents may share a name, so texts print both */
  agentId: z.string().optional(),
  reason: z.string().optional(),
});
export type AlertScope = z.infer<typeof alertScope>;

export const comparator = z.enum(['lt', 'gt']);
export type Comparator = z.infer<typeof comparator>;

export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * A schedule override: while it matches (center local time), its fields replace the rule's.
 * Conditions combine with AND; a missing condition matches. `monthDays` counts from the end when
 * negative (-1 = last day of the month), so "the last three days of every month" is [-1,-2,-3].
 * The first matching override wins.
 */
export const scheduleOverride = z
  .strictObject({
    name: z.string().min(1).max(64),
    weekdays: z.array(z.enum(weekdays)).min(1).optional(),
    monthDays: z
      .array(z.number().int().min(-31).max(31).refine((d) => d !== 0, 'day 0 does not exist'))
      .min(1)
      .optional(),
    dates: z.array(isoDate).min(1).optional(),
    from: hhmm.optional(),
    to: hhmm.optional(),
    enabled: z.boolean().optional(),
    warning: z.number().nullable().optional(),
    critical: z.number().nullable().optional(),
    clear: z.number().optional(),
    sustainedForSec: z.number().int().min(0).max(86_400).optional(),
  })
  .refine((o) => (o.from === undefined) === (o.to === undefined), { message: 'from and to go together' });
export type ScheduleOverride = z.infer<typeof scheduleOverride>;

/**
 * Metrics whose value is a fraction in [0, 1] (unit "ratio" in shared/metrics/registry.ts). Not
 * arrivalsVsBaseline / arrivalsVsForecast (1.3 = 30 % above) nor waitingPerAvailableAgent.
 */
export const fractionAlertMetrics: ReadonlySet<string> = new Set([
  'serviceLevel', 'answerRate', 'abandonRate', 'occupancy', 'utilization',
  'csat', 'botResolutionRate', 'botRecognitionRate', 'botDiversionRate', 'ivrSelfServiceRate',
  'intelligentShare', 'transferSuccessRate', 'fcr',
]);

/** the words for a percentage given where a fraction belongs (config thresholds and rule levels) */
export function notARatio(value: number): string {
  return `a ratio between 0 and 1 (80 % is 0.8), not ${value}`;
}

/**
 * One alert rule. `metric` names a resolver (see server/alerts/metrics.ts): engine figures,
 * derived ones (waitingPerAvailableAgent, notReadySec, arrivalsVsBaseline, arrivalsVsForecast,
 * feedSilenceSec) and whatever the KPI pack registers (csat, botResolutionRate).
 *
 * Hysteresis: the alert fires when the value is past `warning` (or `critical`) for
 * `sustainedForSec`, and resolves only once it is past `clear` in the good direction.
 */
export const alertRule = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" (max 64)'),
    name: localizedText.optional(),
    enabled: z.boolean().default(true),
    metric: z.string().min(1).max(64),
    scope: ruleScope.default({ center: 'default' }),
    window: windowId.default('15m'),
    comparator,
    warning: z.number().nullable().default(null),
    critical: z.number().nullable().default(null),
    /** resolve only past this level; default = the warning (or critical) level itself */
    clear: z.number().optional(),
    sustainedForSec: z.number().int().min(0).max(86_400).default(60),
    /** not-ready rules: only this reason (absent = any reason, each reason tracked separately) */
    reason: identifier.optional(),
    /** escalation policy id (config alerts.escalation.policies); default "default" */
    policy: z.string().min(1).max(64).default('default'),
    /** critical alerts not acknowledged this long escalate one level (default from the policy) */
    escalateAfterSec: z.number().int().min(30).max(86_400).optional(),
    schedules: z.array(scheduleOverride).max(32).default([]),
  })
  .superRefine((r, ctx) => {
    if (r.warning === null && r.critical === null) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs a warning or a critical level' });
      return;
    }
    // a level of 80 on a fraction never fires (lt) or always fires (gt)
    if (fractionAlertMetrics.has(r.metric)) {
      const levels = (o: { warning?: number | null; critical?: number | null; clear?: number | undefined }) =>
        (['warning', 'critical', 'clear'] as const).flatMap((k) => {
          const v = o[k];
          return typeof v === 'number' && !(v >= 0 && v <= 1) ? [[k, v] as const] : [];
        });
      for (const [k, v] of levels(r)) ctx.addIssue({ code: 'custom', path: [k], message: `${r.metric} is ${notARatio(v)}` });
      r.schedules.forEach((o, i) => {
        for (const [k, v] of levels(o)) ctx.addIssue({ code: 'custom', path: ['schedules', i, k], message: `schedule "${o.name}": ${r.metric} is ${notARatio(v)}` });
      });
    }
    for (const issue of levelIssues(r.comparator, r.warning, r.critical, r.clear)) ctx.addIssue({ code: 'custom', ...issue });
    // an override's levels, merged with the rule's as they apply while it is in force (without its
    // own clear level it keeps the rule's hysteresis gap, server/alerts/schedule.ts)
    r.schedules.forEach((o, i) => {
      const warning = o.warning !== undefined ? o.warning : r.warning;
      const critical = o.critical !== undefined ? o.critical : r.critical;
      if (warning === null && critical === null) return; // no level: the rule is off meanwhile
      for (const issue of levelIssues(r.comparator, warning, critical, o.clear))
        ctx.addIssue({ code: 'custom', path: ['schedules', i, ...issue.path], message: `schedule "${o.name}": ${issue.message}` });
    });
  });

/** The ordering of a rule's levels (critical beyond warning, clear on the good side: hysteresis). */
function levelIssues(comparator: 'lt' | 'gt', warning: number | null, critical: number | null, clear: number | undefined): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  const worse = (a: number, b: number) => (comparator === 'lt' ? a <= b : a >= b);
  if (warning !== null && critical !== null && !worse(critical, warning)) {
    out.push({ path: ['critical'], message: `with comparator ${comparator} the critical level must be at or beyond the warning level` });
  }
  const first = warning ?? critical;
  if (first !== null && clear !== undefined && !worse(first, clear)) {
    out.push({ path: ['clear'], message: `the clear level must be on the good side of the ${warning !== null ? 'warning' : 'critical'} level (hysteresis)` });
  }
  return out;
}
export type AlertRule = z.infer<typeof alertRule>;
export type AlertRuleInput = z.input<typeof alertRule>;

/** `PUT /api/v1/thresholds` body. `expectedVersion` (optional) rejects a stale editor with 409. */
export const thresholdsPut = z
  .strictObject({
    rules: z.array(alertRule).max(500),
    expectedVersion: z.number().int().min(0).optional(),
  })
  .refine((b) => new Set(b.rules.map((r) => r.id)).size === b.rules.length, {
    message: 'rule ids must be unique',
  });
export type ThresholdsPut = z.infer<typeof thresholdsPut>;

export const thresholdsDocument = z.object({
  version: z.number().int(),
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  rules: z.array(alertRule),
});
export type ThresholdsDocument = z.infer<typeof thresholdsDocument>;

export const auditRecord = z.object({
  id: z.string(),
  at: z.string(),
  by: z.string(),
  role: z.string(),
  action: z.enum(['thresholds.put', 'forecast.put']),
  fromVersion: z.number().int(),
  toVersion: z.number().int(),
  /** rule ids added / removed / changed, for a quick read */
  summary: z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) }),
  old: z.unknown(),
  new: z.unknown(),
});
export type AuditRecord = z.infer<typeof auditRecord>;

/**
 * Which baseline a traffic-spike rule compares with: `weekday`, the same stretch on the last
 * spike.baselineWeeks same weekdays (`samples` weeks with data); `recentDays`, the fallback while
 * fewer than minWeeks weeks have data: the same stretch on the last spike.fallbackDays days of one
 * `dayKind` (`samples` days with data).
 */
export const spikeBaselineKind = z.enum(['weekday', 'recentDays']);
export const dayKind = z.enum(['workday', 'weekend']);
export const spikeBaselineInfo = z.object({
  kind: spikeBaselineKind,
  samples: z.number().int().min(0),
  dayKind: dayKind.optional(),
});
export type SpikeBaselineInfo = z.infer<typeof spikeBaselineInfo>;

export const alert = z.object({
  id: z.string(),
  rule: z.string(),
  severity,
  state: alertState,
  scope: alertScope,
  metric: z.string(),
  value: z.number().nullable(),
  threshold: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
  acknowledgedBy: z.string().optional(),
  acknowledgedAt: z.string().optional(),
  note: z.string().optional(),
  resolvedAt: z.string().optional(),
  escalationLevel: z.number().int().min(0),
  /** the whole alert in one line (notifications, history, API) */
  message: localizedText,
  /** the same without severity prefix and center name, for screens that show both already
   * (absent on alerts raised before it existed: screens fall back to `message`) */
  headline: localizedText.optional(),
  /** traffic-spike alerts (arrivalsVsBaseline): the baseline it was raised (or turned critical) against */
  baseline: spikeBaselineInfo.optional(),
});
export type Alert = z.infer<typeof alert>;

/**
 * `GET /api/v1/alerts/rules/status` (display+): whether each traffic-spike rule (arrivalsVsBaseline)
 * can fire now, against which baseline, and if not, why and from when it is expected to.
 */
export const ruleStatusQuery = z.strictObject({ center: centerId.optional() });
export const spikeNotArmedReasons = ['history', 'lowBaseline', 'quiet', 'notInForce'] as const;
export const spikeRuleStatus = z.object({
  rule: z.string(),
  metric: z.string(),
  scope: alertScope,
  /** the rule is enabled and in force now (schedules) */
  inForce: z.boolean(),
  /** a spike can raise an alert now: a baseline exists and is at least spike.minBaselineArrivals */
  armed: z.boolean(),
  /** the baseline at this time of day; null: none (too little history) */
  baseline: spikeBaselineInfo.extend({ reference: z.number() }).nullable(),
  /** today's kind of day (the fallback compares with days of this kind) */
  dayKind,
  /** same weekdays (of spike.baselineWeeks) with arrivals in this stretch; minWeeks arms the weekday baseline */
  weeksWithData: z.number().int().min(0),
  /** recent days of today's kind with arrivals in this stretch, up to fallbackDays (0 while the
   * weekday baseline is in use: the fallback is not looked at then) */
  daysWithData: z.number().int().min(0),
  /**
   * why it is not armed: `history` (too few days of data at all: a new install, queue or center),
   * `lowBaseline` (a baseline below minBaselineArrivals at this time of day), `quiet` (days with
   * data, but none with arrivals at this time of day), `notInForce` (disabled or off schedule)
   */
  reason: z.object({ code: z.enum(spikeNotArmedReasons), text: localizedText }).optional(),
  /** `history` only: when the fallback is expected to be armed if traffic comes on the days between
   * (the center's opening time that day, else this time of day); null otherwise */
  armedFrom: z.string().nullable(),
  /** the same as the center's clock reads it, "YYYY-MM-DD HH:MM" */
  armedFromLocal: z.string().nullable(),
});
export type SpikeRuleStatus = z.infer<typeof spikeRuleStatus>;
export const rulesStatusResponse = z.object({ asOf: z.string(), rules: z.array(spikeRuleStatus) });
export type RulesStatusResponse = z.infer<typeof rulesStatusResponse>;

export const alertsQuery = z.strictObject({
  state: alertState.optional(),
  center: centerId.optional(),
  queue: identifier.optional(),
});

export const alertHistoryQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    format: z.enum(['json', 'csv']).default('json'),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
  });

export const ackBody = z.strictObject({ note: z.string().max(500).optional() }).default({});

export const alertChangeTypes = ['raised', 'updated', 'resolved'] as const;
export type AlertChangeType = (typeof alertChangeTypes)[number];
/** What goes over the Redis pub/sub channel and to the realtime plugin. */
export interface AlertChange {
  type: AlertChangeType;
  alert: Alert;
}

export const notificationAttempt = z.object({
  id: z.string(),
  at: z.string(),
  alertId: z.string(),
  kind: z.enum(['raised', 'escalated', 'renotify', 'resolved']),
  level: z.number().int(),
  channel: z.string(),
  channelType: z.string(),
  attempt: z.number().int(),
  outcome: z.enum(['sent', 'failed', 'retrying', 'dropped']),
  status: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type NotificationAttempt = z.infer<typeof notificationAttempt>;

/** `PUT /api/v1/forecast`: planned arrivals per 15-minute interval of one local day. */
export const forecastPut = z.strictObject({
  center: centerId.default('default'),
  date: isoDate,
  series: z
    .array(
      z
        .strictObject({
          queue: identifier.optional(),
          channel: channel.optional(),
          group: identifier.optional(),
          /** one volume per 15-minute interval from local midnight (96 on a normal day; 92/100 on DST days) */
          volumes: z.array(z.number().min(0).max(1e7)).min(92).max(100),
        })
        .refine((s) => [s.queue, s.channel, s.group].filter(Boolean).length <= 1, {
          message: 'choose at most one of queue, channel, group (none = whole center)',
        }),
    )
    .min(1)
    .max(1000),
});
export type ForecastPut = z.infer<typeof forecastPut>;

// ---------------------------------------------------------------------------------------------
// Config file: `alerts:` key
// ---------------------------------------------------------------------------------------------

const channelBase = { id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) };
/** robots and webhooks are posted to over HTTP(S) only (no file:, ftp:, …) */
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });
export const notificationChannel = z.discriminatedUnion('type', [
  /** generic JSON; signed with HMAC-SHA256 when `secret` is set */
  z.strictObject({ ...channelBase, type: z.literal('webhook'), url: httpUrl, secret: z.string().min(8).optional() }),
  /** 企业微信 group robot: url = https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… */
  z.strictObject({ ...channelBase, type: z.literal('wecom'), url: httpUrl }),
  /** 钉钉 custom robot: url = https://oapi.dingtalk.com/robot/send?access_token=…; secret = 加签 SEC… */
  z.strictObject({
    ...channelBase,
    type: z.literal('dingtalk'),
    url: httpUrl,
    secret: z.string().min(1).optional(),
    atMobiles: z.array(z.string()).default([]),
  }),
  /** 飞书 custom bot: url = https://open.feishu.cn/open-apis/bot/v2/hook/…; secret = 签名校验 key */
  z.strictObject({
    ...channelBase,
    type: z.literal('feishu'),
    url: httpUrl,
    secret: z.string().min(1).optional(),
    format: z.enum(['interactive', 'text']).default('interactive'),
  }),
  z.strictObject({ ...channelBase, type: z.literal('email'), to: z.array(z.email()).min(1) }),
]);
export type NotificationChannel = z.infer<typeof notificationChannel>;

export const escalationLevel = z.strictObject({
  name: localizedText,
  /** people to name in the message (and email addresses for email channels without `to`) */
  recipients: z.array(z.string().min(1)).default([]),
  channels: z.array(z.string()).default([]),
});
export const escalationPolicy = z.strictObject({
  id: z.string().min(1).max(64),
  levels: z.array(escalationLevel).min(1).max(10),
  /** a critical alert not acknowledged this long moves one level up */
  escalateAfterSec: z.number().int().min(30).max(86_400).default(300),
  /** repeat the notification to the current level at this interval until acknowledged */
  reNotifyEverySec: z.number().int().min(30).max(86_400).default(300),
  /** also repeat notifications for warnings (escalation itself is for criticals only) */
  reNotifyWarnings: z.boolean().default(false),
});
export type EscalationPolicy = z.infer<typeof escalationPolicy>;

export const defaultEscalationPolicy: z.input<typeof escalationPolicy> = {
  id: 'default',
  levels: [
    { name: { zh: '班组长', en: 'Team lead' } },
    { name: { zh: '现场经理', en: 'Floor manager' } },
    { name: { zh: '值班总监', en: 'Duty director' } },
  ],
};

export const smtpConfig = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  secure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
  from: z.string().min(3),
});

export const alertsConfig = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** evaluation period; the standard wants a person to act within 5 minutes, so at most 5 s */
    evaluateEverySec: z.number().min(0.5).max(5).default(5),
    /** evaluator lease (one evaluator across all server processes) */
    leaseMs: z.number().int().min(2000).max(120_000).default(15_000),
    /** history stream retention */
    historyDays: z.number().int().min(1).max(3660).default(90),
    historyMaxEntries: z.number().int().min(1000).max(10_000_000).default(500_000),
    /** resolved alerts stay listed by GET /alerts?state=resolved this long */
    resolvedKeepHours: z.number().min(1).max(168).default(24),
    /** rules used until an admin PUTs thresholds (absent = the built-in defaults) */
    rules: z.array(alertRule).optional(),
    escalation: z
      .strictObject({ policies: z.array(escalationPolicy).default([]) })
      .default({ policies: [] }),
    channels: z.array(notificationChannel).default([]),
    smtp: smtpConfig.optional(),
    notify: z
      .strictObject({
        maxQueue: z.number().int().min(10).max(100_000).default(1000),
        concurrency: z.number().int().min(1).max(32).default(4),
        maxAttempts: z.number().int().min(1).max(20).default(6),
        backoffBaseMs: z.number().int().min(1).max(600_000).default(2000),
        backoffMaxMs: z.number().int().min(1).max(3_600_000).default(300_000),
        /** one send (HTTP request, SMTP step) at most this long */
        timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
        /** on shutdown, queued and in-flight notifications get this long; the rest are recorded as dropped */
        shutdownGraceMs: z.number().int().min(0).max(30_000).default(5000),
      })
      .default({ maxQueue: 1000, concurrency: 4, maxAttempts: 6, backoffBaseMs: 2000, backoffMaxMs: 300_000, timeoutMs: 10_000, shutdownGraceMs: 5000 }),
    spike: z
      .strictObject({
        /** same-weekday weeks looked back for the baseline */
        baselineWeeks: z.number().int().min(1).max(8).default(4),
        method: z.enum(['median', 'mean']).default('median'),
        /** weeks with data needed before the baseline counts */
        minWeeks: z.number().int().min(1).max(8).default(2),
        /** below this baseline volume the ratio is too noisy to alert on */
        minBaselineArrivals: z.number().min(0).default(20),
        /**
         * until minWeeks weeks have data (a new install, queue or center): the baseline is the same
         * stretch on the last this many days of the current kind (working day / weekend) with data,
         * at least 2 of them; 0 = no fallback (the rule waits for minWeeks weeks)
         */
        fallbackDays: z
          .number()
          .int()
          .min(0)
          .max(14)
          .refine((n) => n === 0 || n >= 2, 'at least 2 days (0 = no fallback): one day is no baseline')
          .default(3),
      })
      .default({ baselineWeeks: 4, method: 'median', minWeeks: 2, minBaselineArrivals: 20, fallbackDays: 3 }),
  })
  .superRefine((c, ctx) => {
    if (c.spike.minWeeks > c.spike.baselineWeeks)
      ctx.addIssue({
        code: 'custom',
        path: ['spike', 'minWeeks'],
        message: `minWeeks (${c.spike.minWeeks}) exceeds baselineWeeks (${c.spike.baselineWeeks}): the baseline could never be formed`,
      });
    if (c.notify.backoffMaxMs < c.notify.backoffBaseMs)
      ctx.addIssue({
        code: 'custom',
        path: ['notify', 'backoffMaxMs'],
        message: `backoffMaxMs (${c.notify.backoffMaxMs}) is below backoffBaseMs (${c.notify.backoffBaseMs})`,
      });
    const ids = new Set<string>();
    c.channels.forEach((ch, i) => {
      if (ids.has(ch.id)) ctx.addIssue({ code: 'custom', path: ['channels', i, 'id'], message: `channel id "${ch.id}" is used twice` });
      ids.add(ch.id);
      if (ch.type === 'email' && !c.smtp)
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'type'], message: 'an email channel needs alerts.smtp (the SMTP server to send through)' });
    });
    const policyIds = new Set<string>();
    c.escalation.policies.forEach((p, pi) => {
      if (policyIds.has(p.id)) ctx.addIssue({ code: 'custom', path: ['escalation', 'policies', pi, 'id'], message: `policy id "${p.id}" is used twice` });
      policyIds.add(p.id);
    });
    if (c.rules) for (const issue of ruleSetIssues(c.rules, { policies: [...policyIds] })) ctx.addIssue({ code: 'custom', path: ['rules', ...issue.path], message: issue.message });
    c.escalation.policies.forEach((p, pi) =>
      p.levels.forEach((l, li) =>
        l.channels.forEach((ch, ci) => {
          if (!ids.has(ch))
            ctx.addIssue({
              code: 'custom',
              path: ['escalation', 'policies', pi, 'levels', li, 'channels', ci],
              message: `unknown channel "${ch}"`,
            });
        }),
      ),
    );
  });
export type AlertsConfig = z.infer<typeof alertsConfig>;
export type AlertsConfigInput = z.input<typeof alertsConfig>;

/**
 * Alert metrics every server knows: the engine's figures, the derived ones
 * (server/alerts/metrics.ts) and the KPI pack's (server/kpi/alert-metrics.ts). A metric added
 * with registerAlertMetric() joins through addKnownAlertMetric(); the config file is checked
 * against this list at start.
 */
export const builtInAlertMetrics = [
  // engine figures
  'serviceLevel', 'answerRate', 'abandonRate', 'asaSec', 'avgTalkSec', 'ahtSec', 'longestWaitSec', 'waiting',
  'occupancy', 'utilization', 'offered', 'answered', 'abandoned', 'arrivals', 'transferredOut',
  // derived (server/alerts/metrics.ts)
  'waitingPerAvailableAgent', 'notReadySec', 'arrivalsVsBaseline', 'arrivalsVsForecast', 'feedSilenceSec',
  // KPI pack
  'csat', 'csatMeanScore', 'botResolutionRate', 'botRecognitionRate', 'botDiversionRate', 'ivrSelfServiceRate',
  'intelligentShare', 'transferSuccessRate', 'fcr', 'complaintRate',
] as const;
const extraAlertMetrics = new Set<string>();
export function addKnownAlertMetric(id: string): void {
  extraAlertMetrics.add(id);
}
export function knownAlertMetricIds(): string[] {
  return [...new Set<string>([...builtInAlertMetrics, ...extraAlertMetrics])].sort();
}

/** Metrics that read a list of agents, where a team with a queue/channel/group is the intersection
 * (the team's agents who serve it). Every other metric reads the engine's figures, which are kept
 * per team and per queue, not per both (metrics-api.ts teamScopeConflict). */
const teamWithScopeMetrics = new Set(['notReadySec']);

/**
 * The checks a set of rules must pass beyond its schema, shared by the config file (at start)
 * and PUT /api/v1/thresholds: unique ids, a known metric, a known escalation policy ("default"
 * always exists), a team with a queue/channel/group only where it means the intersection and,
 * when the centers are given, a known center. Paths are relative to the list.
 */
export function ruleSetIssues(
  rules: readonly Pick<AlertRule, 'id' | 'metric' | 'policy' | 'scope'>[],
  known: { policies: readonly string[]; metrics?: readonly string[]; centers?: readonly string[] },
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const metrics = new Set(known.metrics ?? knownAlertMetricIds());
  const policies = new Set([...known.policies, 'default']);
  const centers = known.centers ? new Set(known.centers) : null;
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) out.push({ path: [i, 'id'], message: `rule id "${r.id}" is used twice (rule ids must be unique)` });
    seen.add(r.id);
    if (!metrics.has(r.metric)) out.push({ path: [i, 'metric'], message: `unknown metric "${r.metric}" (known: ${[...metrics].sort().join(', ')})` });
    if (!policies.has(r.policy)) out.push({ path: [i, 'policy'], message: `unknown escalation policy "${r.policy}"` });
    if (centers && !centers.has(r.scope.center)) out.push({ path: [i, 'scope', 'center'], message: `unknown center "${r.scope.center}"` });
    if (r.scope.team && (r.scope.queue || r.scope.channel || r.scope.group) && !teamWithScopeMetrics.has(r.metric)) {
      out.push({
        path: [i, 'scope', 'team'],
        message: `team cannot be combined with queue/channel/group for ${r.metric}: agent figures are kept per team and per queue, not per both (only notReadySec, a list of agents, takes both)`,
      });
    }
  });
  return out;
}
