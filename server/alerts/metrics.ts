import type { Redis } from 'ioredis';
import {
  addKnownAlertMetric,
  knownAlertMetricIds,
  type AlertRule,
  type AlertScope,
  type AlertsConfig,
  type ForecastPut,
  type SpikeBaselineInfo,
} from '../../shared/contract/alerts.ts';
import type { AppConfig } from '../../shared/contract/config.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { intervalMs, localMidnight, localDate, type WindowId } from '../../shared/metrics/windows.ts';
import type { Keys } from '../redis/keys.ts';
import { knownQueues } from '../realtime/catalog.ts';
import { engineQuery } from '../metrics/engine.ts';
import type { MetricEngine, Scope, ScopeQuery } from '../metrics/types.ts';
import {
  alignedRange,
  chooseBaseline,
  dayKindOf,
  fallbackLookbackDays,
  overlapSum,
  sameLocalTimeDaysAgo,
  sameLocalTimeWeeksAgo,
  spikeRatio,
  type DayKind,
  type DayStretch,
  type SpikeBaseline,
} from './baseline.ts';
import { inTimeRange, localTime, minutesOf } from './schedule.ts';

/**
 * Metric resolvers: how a rule's `metric` becomes values. One rule can yield several subjects
 * (one per agent for notReadySec). A new metric (the KPI pack's csat, botResolutionRate, …) is one
 * `registerAlertMetric` call; until then engine figures of that name are read straight from the
 * engine's result if it has them.
 */
export interface Subject {
  /** stable identity within the rule (tracker key); "" for the rule's single subject */
  key: string;
  value: number | null;
  scope: AlertScope;
  /** extra numbers for the message (e.g. spike: live, reference) */
  facts?: Record<string, number | string>;
  /** a spike rule's baseline (kept on the alert it raises) */
  baseline?: SpikeBaselineInfo;
}

export interface Resolution {
  subjects: Subject[];
  /** true: subjects not listed are gone (agent left the state) and count as cleared */
  exhaustive: boolean;
}

export interface ResolveContext {
  engine: MetricEngine;
  redis: Redis;
  keys: Keys;
  config: AppConfig;
  alerts: AlertsConfig;
  nowMs: number;
  timeZone(center: string): string;
  /** per-evaluation cache so twelve rules on one scope cost one engine query */
  memo<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** every rule in force (a rule may defer to a more specific one: see notReadySec) */
  rules: readonly AlertRule[];
}

export type MetricResolver = (ctx: ResolveContext, rule: AlertRule) => Promise<Resolution>;

/** Figures read directly from the engine's MetricsResult. */
export const engineMetrics = [
  'serviceLevel',
  'answerRate',
  'abandonRate',
  'asaSec',
  'avgTalkSec',
  'ahtSec',
  'longestWaitSec',
  'waiting',
  'occupancy',
  'utilization',
  'offered',
  'answered',
  'abandoned',
  'arrivals',
  'transferredOut',
] as const;
/** Named by the KPI pack; evaluated once the engine result (or a registered resolver) provides them. */
export const pendingMetrics = ['csat', 'botResolutionRate', 'fcr', 'complaintRate'] as const;

const resolvers = new Map<string, MetricResolver>();

export function registerAlertMetric(id: string, resolver: MetricResolver): void {
  resolvers.set(id, resolver);
  addKnownAlertMetric(id); // the config check (shared/contract/alerts.ts) knows it from now on
}

export function knownAlertMetrics(): string[] {
  return [...new Set([...knownAlertMetricIds(), ...engineMetrics, ...pendingMetrics, ...resolvers.keys()])].sort();
}

export function resolverFor(metric: string): MetricResolver {
  return resolvers.get(metric) ?? engineFigure(metric);
}

// ---------------------------------------------------------------------------------------------

/** A rule's scope without its team: what its contact figures are counted over. */
function contactScope(rule: AlertRule): { center: string; scope: Scope } {
  const s = rule.scope;
  const scope: Scope = s.queue
    ? { kind: 'queue', queue: s.queue }
    : s.channel
      ? { kind: 'channel', channel: s.channel }
      : s.group
        ? { kind: 'group', group: s.group }
        : { kind: 'all' };
  return { center: s.center, scope };
}

/** The engine query of a rule's figures. A team goes with the center scope only (the rule check
 * refuses it with a queue, channel or group except for notReadySec, a list of agents); the engine
 * would answer the whole team's agent figures, not the team's within the queue. */
export function engineScope(rule: AlertRule): ScopeQuery {
  const { center, scope } = contactScope(rule);
  return { center, ...engineQuery(scope, rule.scope.team) };
}

export function alertScopeOf(rule: AlertRule): AlertScope {
  const { center, queue, channel, group, team } = rule.scope;
  return {
    center,
    ...(queue ? { queue } : {}),
    ...(channel ? { channel } : {}),
    ...(group ? { group } : {}),
    ...(team ? { team } : {}),
  };
}

/** the same for rules on the same center, queue/channel/group and team */
function scopeKey(rule: AlertRule): string {
  const { center, scope } = contactScope(rule);
  return `${center}|${JSON.stringify(scope)}|${rule.scope.team ?? ''}`;
}

export function queryFigures(ctx: ResolveContext, rule: AlertRule, window: WindowId = rule.window): Promise<MetricsResult> {
  const q = engineScope(rule);
  return ctx.memo(`q|${scopeKey(rule)}|${window}`, () => ctx.engine.query(q, window, ctx.nowMs));
}

function single(rule: AlertRule, value: number | null, facts?: Subject['facts']): Resolution {
  return { subjects: [{ key: '', value, scope: alertScopeOf(rule), ...(facts ? { facts } : {}) }], exhaustive: false };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function engineFigure(metric: string): MetricResolver {
  return async (ctx, rule) => {
    const r = (await queryFigures(ctx, rule)) as unknown as Record<string, unknown>;
    return single(rule, numberOrNull(r[metric]));
  };
}

/**
 * Waiting contacts per available agent. With nobody available and contacts waiting the value is
 * the waiting count itself (as if one agent were free), so it stays a finite, comparable number.
 */
export function waitingPerAvailable(waiting: number | null, available: number | null): number | null {
  if (waiting === null) return null;
  if (waiting === 0) return 0;
  return waiting / Math.max(available ?? 0, 1);
}

registerAlertMetric('waitingPerAvailableAgent', async (ctx, rule) => {
  const r = await queryFigures(ctx, rule);
  return single(rule, waitingPerAvailable(r.waiting, r.agents?.available ?? null), {
    waiting: r.waiting ?? 0,
    available: r.agents?.available ?? 0,
  });
});

/**
 * The queues a channel- or group-scoped rule covers (an agent serves the scope when one of its
 * queues is among them), or undefined when the rule's scope is a queue, a team or the center
 * (the agents read filters those itself). A channel's queues include those known only from events.
 */
async function scopeQueues(ctx: ResolveContext, rule: AlertRule): Promise<ReadonlySet<string> | undefined> {
  const { center, queue, channel, group } = rule.scope;
  if (queue || (!channel && !group)) return undefined;
  if (group) return new Set(ctx.config.groups.find((g) => g.id === group && g.center === center)?.queues ?? []);
  const known = await ctx.memo(`queues|${center}`, () => knownQueues(ctx, center, { strict: true }));
  return new Set(known.filter((q) => q.channel === channel).map((q) => q.id));
}

/** Seconds each agent has been in not_ready (optionally one reason); one subject per agent. */
registerAlertMetric('notReadySec', async (ctx, rule) => {
  const { center, team, queue } = rule.scope;
  const rows = await ctx.memo(`agents|${center}|${team ?? ''}|${queue ?? ''}`, () =>
    ctx.engine.agents(center, { ...(team ? { team } : {}), ...(queue ? { queue } : {}), state: 'not_ready' }, ctx.nowMs),
  );
  const served = await scopeQueues(ctx, rule);
  // A rule without a reason covers the reasons that have no not-ready rule of their own on the
  // same scope (break and meal have theirs in the defaults), so one spell raises one alert.
  const ownRule =
    rule.reason === undefined
      ? new Set(
          ctx.rules
            .filter((r) => r.metric === 'notReadySec' && r.reason !== undefined && r.enabled && scopeKey(r) === scopeKey(rule))
            .map((r) => r.reason!),
        )
      : undefined;
  const subjects: Subject[] = [];
  for (const a of rows) {
    if (a.state !== 'not_ready') continue;
    if (rule.reason !== undefined && a.reason !== rule.reason) continue;
    if (ownRule?.has(a.reason ?? '')) continue;
    if (served && !a.queues.some((q) => served.has(q))) continue;
    const since = Date.parse(a.since);
    subjects.push({
      // a new not-ready spell (new `since`) is a new subject: the old alert resolves
      key: `agent:${a.agentId}:${a.reason ?? ''}:${since}`,
      value: Math.max(0, (ctx.nowMs - since) / 1000),
      scope: {
        ...alertScopeOf(rule),
        agent: a.name ?? a.agentId,
        agentId: a.agentId,
        ...(a.reason ? { reason: a.reason } : {}),
        ...(a.team ? { team: a.team } : {}),
      },
    });
  }
  return { subjects, exhaustive: true };
});

/**
 * Arrivals in the stretch [to − 15 min, to) of the rule's contact scope, from the 15-minute interval
 * rows by overlap; null when the stretch has no data (no arrivals: before the history began or the
 * center was closed) or its buckets are gone (past retention: no figure, never a short one).
 */
async function stretchArrivals(ctx: ResolveContext, rule: AlertRule, to: number): Promise<number | null> {
  // arrivals are contact figures: no team in them
  const q = contactScope(rule);
  const from = to - intervalMs;
  const range = alignedRange(from, to);
  // the 15-minute rows covering the stretch, as 15m windows ending at each row end: contact
  // figures only, so the read covers those rows alone (intervals() also reads every bucket from
  // then until now, which agent time needs and arrivals do not)
  const ends: number[] = [];
  for (let end = range.from + intervalMs; end <= range.to; end += intervalMs) ends.push(end);
  const [row] = await ctx.memo(`iv|${q.center}|${JSON.stringify(q.scope)}|${range.from}`, () =>
    ctx.engine.contactSeries(q.center, [q.scope], '15m', ends, ctx.nowMs),
  );
  const figures = row ?? [];
  if (figures.length === 0 || figures.some((m) => m === null)) return null;
  const sum = overlapSum(figures.flatMap((m, i) => (m ? [{ fromMs: ends[i]! - intervalMs, arrivals: m.arrivals }] : [])), from, to);
  return sum > 0 ? sum : null;
}

/**
 * The baseline of a spike rule now (see chooseBaseline): the same 15 minutes on the last
 * baselineWeeks same weekdays, or, until minWeeks of them have data, on the last fallbackDays days
 * of today's kind (looked for up to fallbackLookbackDays back). Shared by the resolver and the
 * armed/unarmed status, so the status says what the evaluation does.
 */
export async function spikeBaseline(
  ctx: ResolveContext,
  rule: AlertRule,
  opts: { fallback?: boolean } = {},
): Promise<SpikeBaseline & { today: DayKind }> {
  const tz = ctx.timeZone(rule.scope.center);
  const { baselineWeeks, method, minWeeks, fallbackDays } = ctx.alerts.spike;
  const weekly: (number | null)[] = [];
  for (let k = 1; k <= baselineWeeks; k++) weekly.push(await stretchArrivals(ctx, rule, sameLocalTimeWeeksAgo(ctx.nowMs, k, tz)));
  const today = dayKindOf(ctx.nowMs, tz);
  const recent: DayStretch[] = [];
  if (weekly.filter((v) => v !== null).length < minWeeks && fallbackDays > 0 && opts.fallback !== false) {
    // newest first, only days of today's kind, until fallbackDays of them have data
    let found = 0;
    for (let d = 1; d <= fallbackLookbackDays && found < fallbackDays; d++) {
      const to = sameLocalTimeDaysAgo(ctx.nowMs, d, tz);
      const kind = dayKindOf(to, tz);
      if (kind !== today) continue;
      const arrivals = await stretchArrivals(ctx, rule, to);
      if (arrivals !== null) found++;
      recent.push({ daysAgo: d, kind, arrivals });
    }
  }
  return { ...chooseBaseline(weekly, recent, today, { method, minWeeks, fallbackDays }), today };
}

/** Live arrivals (rolling 15 min) against the same stretch on recent same weekdays (or recent days). */
registerAlertMetric('arrivalsVsBaseline', async (ctx, rule) => {
  const live = (await queryFigures(ctx, rule, '15m')).arrivals;
  // Fewer live arrivals than minBaselineArrivals are no spike against any baseline the fallback
  // could find (spikeRatio: 0, or below 1), so the fallback's day-by-day reads (up to
  // fallbackLookbackDays, every evaluation) are left out then: quiet hours of a center whose
  // same-weekday history is thin cost what they did before the fallback.
  const b = await spikeBaseline(ctx, rule, { fallback: live >= ctx.alerts.spike.minBaselineArrivals });
  const reference = b.kind === null ? null : b.reference;
  const facts: Subject['facts'] = {
    live,
    reference: reference === null ? 'n/a' : Math.round(reference * 10) / 10,
    kind: 'baseline',
  };
  if (b.kind === 'recentDays') Object.assign(facts, { baselineDays: b.samples, dayKind: b.dayKind, minWeeks: ctx.alerts.spike.minWeeks });
  const resolution = single(rule, spikeRatio(live, reference, ctx.alerts.spike.minBaselineArrivals), facts);
  if (b.kind !== null) {
    resolution.subjects[0]!.baseline = { kind: b.kind, samples: b.samples, ...(b.kind === 'recentDays' ? { dayKind: b.dayKind } : {}) };
  }
  return resolution;
});

/**
 * Local days (1 … `days` back) of the rule's contact scope that had any arrivals at all, whole
 * days read from the interval history: the armed/unarmed status tells "too little history" (a new
 * install, queue or center) from "quiet at this time of day". Days past the interval retention
 * are not read.
 */
export async function daysWithArrivals(ctx: ResolveContext, rule: AlertRule, days: number): Promise<{ date: string; kind: DayKind; arrivals: number }[]> {
  const tz = ctx.timeZone(rule.scope.center);
  const q = contactScope(rule);
  const oldest = ctx.nowMs - ctx.config.retention.intervalDays * 86_400_000 + intervalMs;
  const out: { date: string; kind: DayKind; arrivals: number }[] = [];
  const todayStart = localMidnight(ctx.nowMs, tz);
  let end = todayStart;
  for (let d = 1; d <= days; d++) {
    // an hour before a local midnight is inside the day before, whatever the clock did that night
    const start = localMidnight(end - 3_600_000, tz);
    if (start < oldest) break;
    const to = end; // one read of the day's interval buckets, shared by the rules on one scope
    const r = await ctx.memo(`day|${q.center}|${JSON.stringify(q.scope)}|${start}`, () =>
      ctx.engine.history({ center: q.center, scope: q.scope }, start, to, ctx.nowMs),
    );
    if (r.arrivals > 0) out.push({ date: localDate(start, tz), kind: dayKindOf(start, tz), arrivals: r.arrivals });
    end = start;
  }
  return out;
}

export function forecastSeriesVolumes(fc: ForecastPut, rule: AlertRule): number[] | null {
  const { queue, channel, group } = rule.scope;
  const exact = fc.series.find((s) => s.queue === queue && s.channel === channel && s.group === group);
  if (exact) return exact.volumes;
  if (!queue && !channel && !group) {
    const queues = fc.series.filter((s) => s.queue);
    if (queues.length === fc.series.length) {
      const len = Math.max(...queues.map((s) => s.volumes.length));
      return Array.from({ length: len }, (_, i) => queues.reduce((a, s) => a + (s.volumes[i] ?? 0), 0));
    }
  }
  return null;
}

/** Forecast volume within [fromMs, toMs), by overlap with the forecast's 15-minute intervals. */
export async function forecastFor(ctx: ResolveContext, rule: AlertRule, fromMs: number, toMs: number): Promise<number | null> {
  const tz = ctx.timeZone(rule.scope.center);
  let total = 0;
  let found = false;
  for (let start = Math.floor(fromMs / intervalMs) * intervalMs; start < toMs; start += intervalMs) {
    const date = localDate(start, tz);
    const fc = await ctx.memo(`fc|${rule.scope.center}|${date}`, async () => {
      const raw = await ctx.redis.get(ctx.keys.alertForecast(rule.scope.center, date));
      return raw ? (JSON.parse(raw) as ForecastPut) : null;
    });
    if (!fc) continue;
    const volumes = forecastSeriesVolumes(fc, rule);
    if (!volumes) continue;
    const index = Math.floor((start - localMidnight(start, tz)) / intervalMs);
    const v = volumes[index];
    if (v === undefined) continue;
    found = true;
    total += overlapSum([{ fromMs: start, arrivals: v }], fromMs, toMs);
  }
  return found ? total : null;
}

registerAlertMetric('arrivalsVsForecast', async (ctx, rule) => {
  const live = (await queryFigures(ctx, rule, '15m')).arrivals;
  const reference = await forecastFor(ctx, rule, ctx.nowMs - intervalMs, ctx.nowMs);
  return single(rule, spikeRatio(live, reference, ctx.alerts.spike.minBaselineArrivals), {
    live,
    reference: reference === null ? 'n/a' : Math.round(reference * 10) / 10,
    kind: 'forecast',
  });
});

/**
 * Seconds since the center's last ingested event, counted inside opening hours only: 0 outside
 * them (an overnight silence clears), and from the opening at most (the closed night before it is
 * no silence). No event ever received = no data.
 */
registerAlertMetric('feedSilenceSec', async (ctx, rule) => {
  const center = ctx.config.centers.find((c) => c.id === rule.scope.center);
  const hours = center?.openingHours;
  let since = Number.NEGATIVE_INFINITY;
  if (hours) {
    const minuteOfDay = localTime(ctx.nowMs, ctx.timeZone(rule.scope.center)).minuteOfDay;
    if (!inTimeRange(minuteOfDay, hours.from, hours.to)) return single(rule, 0);
    // the opening of this period (today's, or yesterday's when the hours wrap past midnight)
    const openFor = (minuteOfDay - minutesOf(hours.from) + 1440) % 1440;
    since = Math.floor(ctx.nowMs / 60_000) * 60_000 - openFor * 60_000;
  }
  const last = await ctx.engine.lastEventAt(rule.scope.center);
  return single(rule, last === undefined ? null : Math.max(0, (ctx.nowMs - Math.max(last, since)) / 1000));
});
