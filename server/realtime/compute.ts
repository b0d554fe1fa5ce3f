import type { FastifyInstance } from 'fastify';
import type { BoardRow } from '../../shared/contract/config.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { channels } from '../../shared/contract/events.ts';
import { teamRowFigures, type BoardViewSpec, type LeadViewSpec, type RowKey, type ScopeRowKey, type ViewPayload, type ViewSpec } from '../../shared/realtime/events.ts';
import { UnavailableError } from '../errors.ts';
import type { MetricEngine, Scope } from '../metrics/types.ts';
import { findBoard } from '../web/boards.ts';
import { knownQueues, type KnownQueue } from './catalog.ts';
import { sealGeneration, type TrendSeries } from './trend.ts';

/** The engine is registered by the metrics plugin; until then views answer "unavailable". */
export function engineOf(app: FastifyInstance): MetricEngine {
  const engine = (app as unknown as { engine?: MetricEngine }).engine;
  if (!engine) throw new UnavailableError('metric engine not registered');
  return engine;
}

/**
 * DEMO DATA while the simulator feeds the center: the Redis engine remembers when simulator
 * batches last arrived (`demoActive`, shared by every process); a `demoMode` decorator forces it.
 */
async function isDemo(app: FastifyInstance, engine: MetricEngine, center: string, nowMs: number): Promise<boolean> {
  if (app.hasDecorator('demoMode') && (app as unknown as { demoMode?: unknown }).demoMode) return true;
  const withDemo = engine as MetricEngine & { demoActive?: (center: string, nowMs: number) => Promise<boolean> };
  return typeof withDemo.demoActive === 'function' ? withDemo.demoActive(center, nowMs) : false;
}

export class UnknownBoardError extends Error {
  override name = 'UnknownBoardError';
}

export function checkSpec(app: FastifyInstance, spec: ViewSpec): 'unknown_center' | 'unknown_board' | null {
  if (!app.config.centers.some((c) => c.id === spec.center)) return 'unknown_center';
  if (spec.kind === 'board' && !findBoard(app.config, spec.center, spec.board)) return 'unknown_board';
  return null;
}

/**
 * A lead view's team and queue must be ones the center has: configured, or seen in its events (a
 * queue in the engine's queue map, a team on an agent's current row). An unknown one would show an
 * empty view, indistinguishable from a quiet team or queue. One that is not configured is unknown
 * until its first event: configure it to watch it before then. Throws when Redis cannot be read
 * (the caller decides; see plugin.ts).
 */
export async function checkLeadScope(app: FastifyInstance, spec: LeadViewSpec): Promise<'unknown_team' | 'unknown_queue' | null> {
  const { center, team, queue } = spec;
  if (queue !== undefined && !app.config.queues.some((q) => q.center === center && q.id === queue)) {
    if (!(await knownQueues(app, center, { strict: true })).some((q) => q.id === queue)) return 'unknown_queue';
  }
  if (team !== undefined && !app.config.teams.some((t) => t.center === center && t.id === team)) {
    if ((await engineOf(app).agents(center, { team }, app.clock.now())).length === 0) return 'unknown_team';
  }
  return null;
}

/**
 * Computes a view's full payload (trend: the whole last hour). The sequence is read *before* the
 * figures, so every event up to `seq` is guaranteed to be inside them.
 */
export async function computeView(
  app: FastifyInstance,
  viewId: string,
  spec: ViewSpec,
  trend: TrendSeries | null,
): Promise<ViewPayload> {
  const engine = engineOf(app);
  const nowMs = app.clock.now();
  const [seq, demo] = await Promise.all([engine.sequence(spec.center), isDemo(app, engine, spec.center, nowMs)]);
  const base = { viewId, seq, demo };
  if (spec.kind === 'board') return { ...base, ...(await computeBoard(app, engine, spec, nowMs, trend)) };
  return { ...base, ...(await computeLead(app, engine, spec, nowMs)) };
}

async function computeBoard(app: FastifyInstance, engine: MetricEngine, spec: BoardViewSpec, nowMs: number, trend: TrendSeries | null) {
  const board = findBoard(app.config, spec.center, spec.board);
  if (!board) throw new UnknownBoardError(spec.board);
  const queues = board.rows.some((r) => r.kind === 'queue') ? await knownQueues(app, spec.center) : [];
  const rowKeys = board.rows.map((r) => rowKeyOf(r, queues));
  const scopes = rowKeys.map(scopeOf);
  // the seal generation is read before any history the trend may read under it (trend.ts)
  const [rows, generation] = await Promise.all([
    engine.queryMany(spec.center, scopes.map((scope) => ({ scope })), board.window, nowMs),
    trend ? sealGeneration(app.redis, app.keys, spec.center) : '',
  ]);
  const asOf = asOfOf(rows, nowMs);
  const history = async (minuteEnds: number[]) =>
    (await engine.contactSeries(spec.center, scopes, board.window, minuteEnds, nowMs)).map((row) => row.map((m) => m?.serviceLevel ?? null));
  const points = trend
    ? (await trend.record(Date.parse(asOf), rows.map((r) => r.serviceLevel), rows.map((r) => r.waiting), { history, generation }), trend.window(Date.parse(asOf)))
    : [];
  return { asOf, window: board.window, rowKeys, rows, trend: points };
}

/**
 * A lead view: center, then each channel followed by its queues (or the one queue it watches), all
 * without the team — agent figures are kept per team and per queue, not per both, so a team must
 * never narrow a queue's row. A team's own agent figures (center-wide) come as a row on top.
 */
async function computeLead(app: FastifyInstance, engine: MetricEngine, spec: LeadViewSpec, nowMs: number) {
  const queues = (await knownQueues(app, spec.center)).filter((q) => !spec.queue || q.id === spec.queue);
  // center, then each channel followed by its queues (queues of unknown channel last)
  const rowKeys: ScopeRowKey[] = [];
  if (!spec.queue) {
    rowKeys.push({ kind: 'center' });
    for (const c of channels) {
      const own = queues.filter((q) => q.channel === c);
      if (own.length === 0) continue;
      rowKeys.push({ kind: 'channel', channel: c });
      for (const q of own) rowKeys.push({ kind: 'queue', queue: q.id, channel: c });
    }
    for (const q of queues) if (q.channel === null) rowKeys.push({ kind: 'queue', queue: q.id, channel: null });
  } else {
    rowKeys.push({ kind: 'queue', queue: spec.queue, channel: queues[0]?.channel ?? null });
  }
  const team = spec.team;
  // one read: the team's query (if any) first, then the rows'
  const [results, agents] = await Promise.all([
    engine.queryMany(spec.center, [...(team ? [{ scope: { kind: 'all' as const }, team }] : []), ...rowKeys.map((k) => ({ scope: scopeOf(k) }))], spec.window, nowMs),
    engine.agents(spec.center, { ...(team ? { team } : {}), ...(spec.queue ? { queue: spec.queue } : {}) }, nowMs),
  ]);
  const rows = team ? [teamRowFigures(results[0]!), ...results.slice(1)] : results;
  const keys: RowKey[] = team ? [{ kind: 'team', team }, ...rowKeys] : rowKeys;
  return { asOf: asOfOf(results, nowMs), window: spec.window, rowKeys: keys, rows, agents };
}

function rowKeyOf(row: BoardRow, queues: KnownQueue[]): ScopeRowKey {
  if (row.kind !== 'queue') return row;
  return { kind: 'queue', queue: row.queue, channel: queues.find((k) => k.id === row.queue)?.channel ?? null };
}

export function scopeOf(key: ScopeRowKey): Scope {
  switch (key.kind) {
    case 'center':
      return { kind: 'all' };
    case 'channel':
      return { kind: 'channel', channel: key.channel };
    case 'group':
      return { kind: 'group', group: key.group };
    case 'queue':
      return { kind: 'queue', queue: key.queue };
  }
}

function asOfOf(rows: MetricsResult[], nowMs: number): string {
  return rows[0]?.asOf ?? new Date(Math.floor(nowMs / 1000) * 1000).toISOString();
}
