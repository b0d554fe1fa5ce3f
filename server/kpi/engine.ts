import type { Cluster, Redis } from 'ioredis';
import type { AppConfig } from '../../shared/contract/config.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { ScorecardResult } from '../../shared/contract/kpi-api.ts';
import { ratio } from '../../shared/metrics/formulas.ts';
import {
  addKpiSums,
  dailyCallsPerAgent,
  emptyKpiSums,
  fcrFigure,
  kpiFigures,
  type FcrFigure,
  type KpiSums,
} from '../../shared/metrics/kpi.ts';
import { asOfSecond, localDate, localMidnight, type WindowId } from '../../shared/metrics/windows.ts';
import type { Keys } from '../redis/keys.ts';
import { US } from '../metrics/codec.ts';
import { RedisMetricEngine, contactDim } from '../metrics/engine.ts';
import { buildPlan, fineRetention, pieceKeysOf, windowPlan, type FineRetention, type Piece, type Plan } from '../metrics/plan.ts';
import { SealedPieceCache } from '../metrics/sealed.ts';
import type { EngineQuery, IntervalRow, Scope, ScopeQuery } from '../metrics/types.ts';
import { expiryStep } from '../metrics/write/core-batch.ts';
import { KpiWriterPart } from './write/kpi-batch.ts';

interface KpiScripts {
  readKpi(tag: string, request: string): Promise<string>;
  readScorecard(tag: string, request: string): Promise<string>;
}

type Flat = string[] | Record<string, never>;
const asArray = <T>(x: T[] | Record<string, never>): T[] => (Array.isArray(x) ? x : []);

function pairs(flat: Flat): Record<string, number> {
  const a = asArray(flat);
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i]!] = Number(a[i + 1]);
  return out;
}

/** a plan's pieces a KPI read uses: their indexes in the plan, the pieces and their keys */
interface KpiPieces {
  used: number[];
  usedPieces: Piece[];
  pieceKeys: string[];
}

const kpiPieces = new WeakMap<Plan, KpiPieces>();

/** The pieces a KPI read needs: only the rows' (the plan's tail exists for agent transitions,
 * which KPIs do not use), in order, with their keys. Built once per plan: a window's plan is shared
 * by every query of its second (plan.ts `windowPlan`), and this was ≈ 3 KB of each query's garbage. */
function kpiPiecesOf(plan: Plan): KpiPieces {
  let pieces = kpiPieces.get(plan);
  if (!pieces) {
    const used = [...new Set(plan.rows.flatMap((r) => [...r.timed, ...r.untimed]))].sort((x, y) => x - y);
    const usedPieces = used.map((i) => plan.pieces[i]!);
    const keys = pieceKeysOf(plan);
    kpiPieces.set(plan, (pieces = { used, usedPieces, pieceKeys: used.map((i) => keys[i]!) }));
  }
  return pieces;
}

/**
 * The metric engine with the KPI pack (issue 6): the core engine's figures plus a `kpi` object on
 * every result, and the new event families. Ingest hands the core's writer a part
 * (write/kpi-batch.ts) that stores survey/IVR/bot events and reads the contact events it needs
 * (legs, customerId) in the same batch; queries read the KPI buckets with the core's own plan
 * (same pieces, same windows) in one extra round trip.
 *
 * A subclass rather than edits inside the core engine: the core keeps its counting rules and its
 * bucket layout to itself, and everything that holds `app.engine` (routes, realtime, alerts) gets
 * the KPI figures without knowing about them.
 */
export class KpiMetricEngine extends RedisMetricEngine {
  private readonly kpiRedis: Redis & KpiScripts;
  private readonly part: KpiWriterPart;
  private readonly kpiFineRetention: FineRetention;
  /** KPI buckets that no longer change, kept between reads (see metrics/sealed.ts) */
  private readonly kpiSealed = new SealedPieceCache<Record<string, number>>();

  constructor(
    redis: Redis,
    private readonly kpiKeys: Keys,
    private readonly kpiConfig: AppConfig,
    opts: { fineRetention?: FineRetention; redisTimeoutMs?: number } = {},
  ) {
    // the KPI pack's events, and the contact events it also reads, go through the core's writer:
    // one read and one fenced write per batch for both (write/kpi-batch.ts)
    const part = new KpiWriterPart(kpiKeys);
    super(redis, kpiKeys, kpiConfig, { ...opts, writerPart: part });
    this.part = part;
    this.kpiRedis = redis as Redis & KpiScripts;
    this.kpiFineRetention = opts.fineRetention ?? fineRetention;
  }

  /**
   * Before 2026-12-07 the pack kept its own record per contact (`kc:`); it now keeps its fields in
   * the core's contact record, and carries an earlier record over at the contact's first touch
   * (write/kpi-batch.ts importLegacy). A `ct:` record of the earlier layout says so itself; a
   * `kc:` whose `ct:` has expired does not, so while any `kc:` lives the writer reads one beside
   * every contact without the pack's state. A SCAN at start (of every master on a cluster) finds
   * them and the latest expiry among them (plus a step, for the scan's own time). It walks the
   * whole keyspace, so the first scan that finds none leaves a marker and later starts skip it:
   * nothing writes `kc:` any more.
   */
  override async init(nowMs: number): Promise<void> {
    await super.init(nowMs);
    const marker = this.kpiKeys.kpiLayoutChecked();
    if ((await this.kpiRedis.exists(marker)) === 1) return;
    const late = this.kpiConfig.retention.lateEventHours * 3_600_000;
    const lastExpiry = await latestExpiry(this.kpiRedis, this.kpiKeys.kpiContactPattern(), late);
    if (lastExpiry !== undefined) this.part.legacyFound(nowMs + lastExpiry + expiryStep(late));
    else await this.kpiRedis.set(marker, '1');
  }

  get standardDayHours(): number {
    return this.kpiConfig.kpi.standardDayHours;
  }

  // ------------------------------------------------------------------------------------ queries

  override async queryMany(
    center: string,
    queries: EngineQuery[],
    window: WindowId,
    nowMs: number,
  ): Promise<MetricsResult[]> {
    const asOf = asOfSecond(nowMs);
    const a = this.windowStart(center, window, asOf);
    const day = localDate(asOf, this.timeZone(center));
    // both scripts go out together (ioredis pipelines them on the one connection): one round trip
    // per board push instead of two
    const [results, kpi] = await Promise.all([
      super.queryMany(center, queries, window, nowMs),
      this.readKpi(center, windowPlan(a, asOf, asOf, nowMs, this.kpiFineRetention), queries, day),
    ]);
    return results.map((r, i) => this.withKpi(r, queries[i]!, kpi.sums.get(contactDim(queries[i]!.scope))![0]!, kpi.fcr.get(contactDim(queries[i]!.scope)) ?? null));
  }

  override async history(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<MetricsResult> {
    const r = await super.history(q, fromMs, toMs, nowMs);
    const asOf = asOfSecond(nowMs);
    const tz = this.timeZone(q.center);
    // FCR is a per-day figure: reported when the range is exactly one local day
    const wholeDay = localMidnight(fromMs, tz) === fromMs && localMidnight(fromMs + 30 * 3_600_000, tz) === toMs;
    const kpi = await this.readKpi(q.center, buildPlan([{ a: fromMs, b: toMs }], asOf, nowMs, this.kpiFineRetention), [q], wholeDay ? localDate(fromMs, tz) : null);
    const dim = contactDim(q.scope);
    return this.withKpi(r, q, kpi.sums.get(dim)![0]!, kpi.fcr.get(dim) ?? null);
  }

  override async intervals(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<IntervalRow[]> {
    const rows = await super.intervals(q, fromMs, toMs, nowMs);
    const asOf = asOfSecond(nowMs);
    const planRows = rows.map((r) => ({ a: Date.parse(r.from), b: Date.parse(r.to) }));
    if (planRows.length === 0) return rows;
    const kpi = await this.readKpi(q.center, buildPlan(planRows, asOf, nowMs, this.kpiFineRetention), [q], null);
    const sums = kpi.sums.get(contactDim(q.scope))!;
    return rows.map((r, i) => this.withKpi(r, q, sums[i]!, null));
  }

  private withKpi(r: MetricsResult, q: EngineQuery, sums: KpiSums, fcr: FcrFigure | null): MetricsResult {
    const loggedInSec = Object.values(r.stateTimeSec).reduce((s, v) => s + v, 0);
    return {
      ...r,
      kpi: kpiFigures(sums, {
        scopeKind: q.scope.kind,
        team: q.team !== undefined,
        agentDay: { answered: r.answered, loggedInSec },
        standardDayHours: this.standardDayHours,
        fcr,
      }),
    };
  }

  /** KPI sums per contact dimension and plan row, and the FCR summary of `day` per dimension. */
  private async readKpi(
    center: string,
    plan: Plan,
    queries: { scope: Scope }[],
    day: string | null,
  ): Promise<{ sums: Map<string, KpiSums[]>; fcr: Map<string, FcrFigure> }> {
    const dimList = [...new Set(queries.map((q) => contactDim(q.scope)))];
    const { used, usedPieces, pieceKeys } = kpiPiecesOf(plan);
    const tag = this.kpiKeys.center(center);
    const request = { d: dimList, p: pieceKeys, f: day ? dimList.map((d) => [day, d]) : [] };
    const { reply: res, buckets: all } = await this.kpiSealed.read(
      tag,
      dimList,
      usedPieces,
      pieceKeys,
      plan.asOf,
      async (sealed) =>
        JSON.parse(await this.kpiRedis.readKpi(tag, JSON.stringify({ ...sealed, ...request }))) as {
          b: [number, number, Flat][] | Record<string, never>;
          f: Flat[] | Record<string, never>;
          g: string;
        },
      pairs,
    );
    const byPiece = new Map<string, Map<number, Record<string, number>>>(dimList.map((d) => [d, new Map()]));
    dimList.forEach((d, di) => all[di]!.forEach((fields, j) => fields && byPiece.get(d)!.set(used[j]!, fields)));
    const sums = new Map<string, KpiSums[]>();
    for (const d of dimList) {
      const buckets = byPiece.get(d)!;
      sums.set(
        d,
        plan.rows.map((row) => {
          const s = emptyKpiSums();
          for (const i of row.timed) addKpiSums(s, buckets.get(i));
          for (const i of row.untimed) addKpiSums(s, buckets.get(i));
          return s;
        }),
      );
    }
    const fcr = new Map<string, FcrFigure>();
    if (day) {
      asArray(res.f).forEach((flat, i) => {
        const f = pairs(flat);
        fcr.set(dimList[i]!, fcrFigure(day, { customers: f.c ?? 0, singleContact: f.o ?? 0, withoutCustomerId: f.n ?? 0 }));
      });
    }
    return { sums, fcr };
  }

  // ------------------------------------------------------------------------------------ scorecard

  /** Per agent and per team, the local day so far: handled, logged-in time, 日人均话务处理量, CSAT. */
  async scorecard(center: string, nowMs: number): Promise<ScorecardResult> {
    const asOf = asOfSecond(nowMs);
    const tz = this.timeZone(center);
    const from = localMidnight(asOf, tz);
    const day = localDate(asOf, tz);
    const res = JSON.parse(
      await this.kpiRedis.readScorecard(this.kpiKeys.center(center), JSON.stringify({ a: from, b: asOf, day })),
    ) as { agents: Flat | (string | number)[]; handled: Flat; ratings: Flat };
    const handled = pairs(res.handled);
    const ratings = pairs(res.ratings);
    const std = this.standardDayHours;
    const flat = asArray(res.agents as (string | number)[]);
    const agents: ScorecardResult['agents'] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const agentId = String(flat[i]);
      const row = JSON.parse(String(flat[i + 1])) as { name?: string; team?: string; state: string };
      const rating = (f: string) => ratings[`${agentId}${US}${f}`] ?? 0;
      agents.push({
        agentId,
        name: row.name || null,
        team: row.team || null,
        state: row.state,
        ...scoreFigures(handled[agentId] ?? 0, Number(flat[i + 2]) / 1000, rating('r'), rating('rd'), rating('rn'), rating('rs'), std),
      });
    }
    agents.sort((x, y) => (x.agentId < y.agentId ? -1 : x.agentId > y.agentId ? 1 : 0));
    return { asOf: new Date(asOf).toISOString(), center, day, standardDayHours: std, agents, teams: teamsOf(agents, ratings, std) };
  }
}

/**
 * The longest remaining time to live (ms) among the keys matching `pattern`, or undefined when none
 * matches. On a Redis Cluster each master holds only its own slots, and ioredis sends a SCAN (it
 * names no key to route by) to a master picked at random, call by call: so every master is scanned
 * on its own connection. A key found without expiry gets `ttl`: the earlier build could recreate a
 * record that expired between its read and its write without one, and such a key would otherwise
 * keep the upgrade's window open at every start, for ever.
 */
async function latestExpiry(redis: Redis, pattern: string, ttl: number): Promise<number | undefined> {
  const nodes = redis.isCluster ? (redis as unknown as Cluster).nodes('master') : [redis];
  let latest: number | undefined;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length === 0) continue;
      const ttls = await Promise.all(found.map((key) => node.pttl(key)));
      for (const [i, left] of ttls.entries()) {
        if (left === -2) continue; // expired meanwhile
        if (left === -1) await node.pexpire(found[i]!, ttl);
        const until = left === -1 ? ttl : left;
        if (latest === undefined || until > latest) latest = until;
      }
    } while (cursor !== '0');
  }
  return latest;
}

/** Figures of one agent or team from its raw day totals. */
export function scoreFigures(handled: number, loggedInSec: number, r: number, rd: number, rn: number, rs: number, std: number) {
  return {
    handledToday: handled,
    loggedInSec,
    dailyCallsPerAgent: dailyCallsPerAgent(handled, loggedInSec, std),
    ratings: r,
    dissatisfied: rd,
    csat: r > 0 ? 1 - rd / r : null,
    csatMeanScore: ratio(rs, rn),
  };
}

function teamsOf(agents: ScorecardResult['agents'], ratings: Record<string, number>, std: number): ScorecardResult['teams'] {
  const byTeam = new Map<string | null, ScorecardResult['agents']>();
  for (const a of agents) byTeam.set(a.team, [...(byTeam.get(a.team) ?? []), a]);
  return [...byTeam.entries()]
    .sort(([x], [y]) => (x ?? '').localeCompare(y ?? ''))
    .map(([team, list]) => {
      const sum = (f: (a: ScorecardResult['agents'][number]) => number) => list.reduce((s, a) => s + f(a), 0);
      const rating = (f: string) => list.reduce((s, a) => s + (ratings[`${a.agentId}${US}${f}`] ?? 0), 0);
      return {
        team,
        agents: list.length,
        ...scoreFigures(sum((a) => a.handledToday), sum((a) => a.loggedInSec), rating('r'), rating('rd'), rating('rn'), rating('rs'), std),
      };
    });
}

