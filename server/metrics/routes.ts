import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { agentState, centerId, identifier } from '../../shared/contract/events.ts';
import { agentRow, metricsQuery, metricsResult, type MetricsQuery, type MetricsResult } from '../../shared/contract/metrics-api.ts';
import { metricRegistry, windowSemanticsText } from '../../shared/metrics/registry.ts';
import { timedStates } from '../../shared/metrics/raw.ts';
import { localParts } from '../../shared/metrics/windows.ts';
import { centerTimeZone } from '../../shared/contract/config.ts';
import type { KpiFigures } from '../../shared/metrics/kpi.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { sendCsv } from '../csv.ts';
import { engineQuery } from './engine.ts';
import type { Scope, ScopeQuery } from './types.ts';

const agentsQuery = z.strictObject({
  center: centerId.default('default'),
  team: identifier.optional(),
  queue: identifier.optional(),
  state: agentState.optional(),
});

const intervalsFormat = z.enum(['json', 'csv']).default('json');

function scopeOf(q: MetricsQuery): Scope {
  if (q.queue) return { kind: 'queue', queue: q.queue };
  if (q.group) return { kind: 'group', group: q.group };
  if (q.channel) return { kind: 'channel', channel: q.channel };
  return { kind: 'all' };
}

/** `team` with a queue, group or channel was refused by metricsQuery (teamScopeConflict) */
function scopeQuery(q: MetricsQuery): ScopeQuery {
  return { center: q.center, ...engineQuery(scopeOf(q), q.team) };
}

function range(q: MetricsQuery): { from: number; to: number } {
  if (!q.from || !q.to) throw new BadRequestError('from, to: both are required (ISO-8601 with offset, 15-minute aligned)');
  return { from: Date.parse(q.from), to: Date.parse(q.to) };
}

const kpiCsvFigures = [
  'ratings',
  'csat',
  'csatMeanScore',
  'ivrSessions',
  'ivrSelfServiceRate',
  'botSessions',
  'botDiversionRate',
  'botRecognitionRate',
  'botResolutionRate',
  'intelligentShare',
  'transfers',
  'transferRate',
  'transferSuccessRate',
  'dailyCallsPerAgent',
] as const satisfies readonly (keyof KpiFigures)[];

const csvColumns: [string, (r: MetricsResult) => number | string | null][] = [
  ['from', (r) => r.from],
  ['to', (r) => r.to],
  ['arrivals', (r) => r.arrivals],
  ['offered', (r) => r.offered],
  ['answered', (r) => r.answered],
  ['answeredInThreshold', (r) => r.answeredInThreshold],
  ['abandoned', (r) => r.abandoned],
  ['abandonedInThreshold', (r) => r.abandonedInThreshold],
  ['shortAbandoned', (r) => r.shortAbandoned],
  ['transferredOut', (r) => r.transferredOut],
  // the threshold the row's service level was judged against, and any change of it inside the row
  // (before it the contacts were judged against the old one; see threshold-history.ts)
  ['thresholdSec', (r) => r.thresholdSec],
  ['thresholdChanges', (r) => (r.thresholdChanges ?? []).map(changeText).join('; ') || null],
  ['serviceLevel', (r) => r.serviceLevel],
  ['serviceLevelAbandonsExcluded', (r) => r.serviceLevelVariants.abandonsInThresholdExcluded],
  ['serviceLevelAbandonsMet', (r) => r.serviceLevelVariants.abandonsInThresholdMet],
  ['answerRate', (r) => r.answerRate],
  ['abandonRate', (r) => r.abandonRate],
  ['asaSec', (r) => r.asaSec],
  ['avgTalkSec', (r) => r.avgTalkSec],
  ['ahtSec', (r) => r.ahtSec],
  ['occupancy', (r) => r.occupancy],
  ['utilization', (r) => r.utilization],
  ...timedStates.map((s): [string, (r: MetricsResult) => number | null] => [`${s}Sec`, (r) => r.stateTimeSec[s] ?? 0]),
  // the KPI pack's figures of each interval (empty when the row has none)
  ...kpiCsvFigures.map((k): [string, (r: MetricsResult) => number | null] => [`kpi.${k}`, (r) => r.kpi?.[k] ?? null]),
];

/** "cards at 2026-03-02T02:20:00.000Z: service level 20→30 s, short abandon 0→3 s" */
function changeText(c: NonNullable<MetricsResult['thresholdChanges']>[number]): string {
  const parts: string[] = [];
  if (c.serviceLevelSec) parts.push(`service level ${c.serviceLevelSec.from}→${c.serviceLevelSec.to} s`);
  if (c.shortAbandonSec) parts.push(`short abandon ${c.shortAbandonSec.from}→${c.shortAbandonSec.to} s`);
  return `${c.queue} at ${c.at}: ${parts.join(', ')}`;
}

function csvCell(v: number | string | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The rows as CSV. `from` / `to` are instants (ISO, UTC) as in the JSON; `fromLocal` is the
 * interval's start on the center's wall clock ("YYYY-MM-DD HH:mm"), what a team lead filters by in
 * a spreadsheet (Shanghai is 8 h ahead of the ISO times).
 */
export function toCsv(rows: MetricsResult[], timeZone: string): string {
  const lines = [['from', 'to', 'fromLocal', ...csvColumns.slice(2).map(([h]) => h)].join(',')];
  for (const r of rows) {
    const cells = csvColumns.map(([, f]) => csvCell(f(r)));
    cells.splice(2, 0, localDateTime(Date.parse(r.from), timeZone));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

function localDateTime(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour === 24 ? 0 : p.hour)}:${pad(p.minute)}`;
}

/**
 * A center must be configured or have sent events (its meta hash exists). A mistyped center would
 * otherwise read as a quiet one: every count 0, every ratio null, answered 200. Costs one EXISTS
 * for a center that is not configured; none for a configured one.
 */
async function assertKnownCenter(app: FastifyInstance, center: string): Promise<void> {
  if (app.config.centers.some((c) => c.id === center)) return;
  if ((await app.redis.exists(app.keys.meta(center))) === 1) return;
  throw new NotFoundError(`center: unknown center "${center}" (not configured, and no events received for it)`);
}

/**
 * A team on /metrics and /intervals must be configured or on some agent's row (agent rows are kept,
 * so a team seen once stays known for its history); a mistyped team would read as an idle one.
 * Costs one agents read for a team that is not configured. /agents filters a list and keeps [].
 */
async function assertKnownTeam(app: FastifyInstance, center: string, team: string | undefined): Promise<void> {
  if (team === undefined || app.config.teams.some((t) => t.center === center && t.id === team)) return;
  if ((await app.engine.agents(center, { team }, app.clock.now())).length > 0) return;
  throw new NotFoundError(`team: unknown team "${team}" in center "${center}" (not configured, and no agent of it seen)`);
}

/** Read APIs of the metric engine (role display). Numbers come from the engine's raw sums through
 * shared/metrics/formulas.ts, so the API, the wall and the alerts can never disagree. */
export const metricsRoutes: FastifyPluginAsync = async (app) => {
  const display = { preHandler: app.requireRole('display') };

  app.get('/metrics', display, async (req) => {
    const q = metricsQuery.parse(req.query);
    await assertKnownCenter(app, q.center);
    await assertKnownTeam(app, q.center, q.team);
    const now = app.clock.now();
    const result =
      q.from || q.to
        ? await app.engine.history(scopeQuery(q), range(q).from, range(q).to, now)
        : await app.engine.query(scopeQuery(q), q.window ?? '15m', now);
    return metricsResult.parse(result);
  });

  app.get('/intervals', display, async (req, reply) => {
    const { format: rawFormat, ...rest } = req.query as Record<string, unknown>;
    const format = intervalsFormat.parse(rawFormat);
    const q = metricsQuery.parse(rest);
    if (q.window) throw new BadRequestError('window: not used here; give from and to');
    const { from, to } = range(q);
    await assertKnownCenter(app, q.center);
    await assertKnownTeam(app, q.center, q.team);
    const rows = await app.engine.intervals(scopeQuery(q), from, to, app.clock.now());
    if (format === 'csv') {
      return sendCsv(reply, `intervals-${q.center}.csv`, toCsv(rows, centerTimeZone(app.config, q.center)));
    }
    return { rows: rows.map((r) => metricsResult.parse(r)) };
  });

  app.get('/agents', display, async (req) => {
    const q = agentsQuery.parse(req.query);
    await assertKnownCenter(app, q.center);
    const rows = await app.engine.agents(
      q.center,
      { ...(q.team ? { team: q.team } : {}), ...(q.queue ? { queue: q.queue } : {}), ...(q.state ? { state: q.state } : {}) },
      app.clock.now(),
    );
    return rows.map((r) => agentRow.parse(r));
  });

  app.get('/registry', display, async () => ({ metrics: metricRegistry, windows: windowSemanticsText }));
};
