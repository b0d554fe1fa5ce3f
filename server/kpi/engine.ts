import type { Redis } from 'ioredis';
import type { AppConfig } from '../../shared/contract/config.ts';
import { isCoreEvent, isContactEvent, type ContractEvent, type KpiEvent } from '../../shared/contract/events.ts';
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
import { isRedisConnectionError } from '../errors.ts';
import type { Keys } from '../redis/keys.ts';
import { US } from '../metrics/codec.ts';
import { IngestInterruptedError, RedisMetricEngine, contactDim, ingestChunkSize } from '../metrics/engine.ts';
import type { ChunkReply } from '../metrics/coalesce.ts';
import { buildPlan, fineRetention, pieceKeyPart, windowPlan, type FineRetention, type Plan } from '../metrics/plan.ts';
import { SealedPieceCache, sealAfterMs, newSealEpoch } from '../metrics/sealed.ts';
import type { IngestBatchResult, IngestOutcome, IntervalRow, Scope, ScopeQuery } from '../metrics/types.ts';
import { encodeKpiEvent, mirroredContact } from './codec.ts';

interface KpiScripts {
  ingestKpi(tag: string, ...argv: string[]): Promise<string>;
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

const dayMs = 86_400_000;

/**
 * The metric engine with the KPI pack (issue 6): the core engine's figures plus a `kpi` object on
 * every result, and the new event families. Ingest routes survey/IVR/bot events to ingestKpi.lua
 * and also feeds it the contact events it needs (legs, customerId); queries read the KPI buckets
 * with the core's own plan (same pieces, same windows) in one extra round trip.
 *
 * A subclass rather than edits inside the core engine: the core keeps its Lua and its bucket layout
 * to itself, and everything that holds `app.engine` (routes, realtime, alerts) gets the KPI figures
 * without knowing about them.
 */
export class KpiMetricEngine extends RedisMetricEngine {
  private readonly kpiRedis: Redis & KpiScripts;
  private readonly kpiFineRetention: FineRetention;
  /** KPI buckets that no longer change, kept between reads (see metrics/sealed.ts) */
  private readonly kpiSealed = new SealedPieceCache<Record<string, number>>();

  constructor(
    redis: Redis,
    private readonly kpiKeys: Keys,
    private readonly kpiConfig: AppConfig,
    opts: { fineRetention?: FineRetention } = {},
  ) {
    super(redis, kpiKeys, kpiConfig, opts);
    this.kpiRedis = redis as Redis & KpiScripts;
    this.kpiFineRetention = opts.fineRetention ?? fineRetention;
  }

  get standardDayHours(): number {
    return this.kpiConfig.kpi.standardDayHours;
  }

  // ------------------------------------------------------------------------------------ ingest

  override async ingest(events: ContractEvent[], nowMs: number, opts: { demo?: boolean } = {}): Promise<IngestBatchResult> {
    const outcomes: IngestOutcome[] = new Array(events.length);
    const coreIndex: number[] = [];
    events.forEach((e, i) => {
      if (isCoreEvent(e)) coreIndex.push(i);
    });
    let seq: Record<string, number> = {};
    if (coreIndex.length > 0) {
      const core = await super.ingest(coreIndex.map((i) => events[i]!), nowMs, opts);
      core.outcomes.forEach((o, j) => (outcomes[coreIndex[j]!] = o));
      seq = core.seq;
    }
    // per center: [event index or -1 for a mirrored contact event, encoded]
    const byCenter = new Map<string, [number, string][]>();
    const add = (center: string, item: [number, string]) => {
      let list = byCenter.get(center);
      if (!list) byCenter.set(center, (list = []));
      list.push(item);
    };
    events.forEach((e, i) => {
      if (isContactEvent(e)) {
        if (outcomes[i]!.status === 'rejected') return;
        const enc = mirroredContact(e);
        if (enc !== undefined) add(e.center, [-1, enc]);
        return;
      }
      if (isCoreEvent(e)) return;
      const reason = this.timeProblem(e.ts, nowMs) ?? (/[\u0000-\u001f\u007f]/.test(e.id) ? 'id: must not contain control characters' : undefined);
      if (reason) outcomes[i] = { status: 'rejected', reason };
      else add(e.center, [i, encodeKpiEvent(e as KpiEvent)]);
    });
    let committed = coreIndex.length;
    for (const [center, items] of byCenter) {
      const settings = this.kpiSettings(center, nowMs, opts.demo === true);
      for (let start = 0; start < items.length; start += ingestChunkSize) {
        const chunk = items.slice(start, start + ingestChunkSize);
        let res: ChunkReply;
        try {
          res = await this.chunks.submit(
            `kpi|${center}|${opts.demo === true}`,
            settings,
            chunk.map(([, enc]) => enc),
            async (merged, args) => JSON.parse(await this.kpiRedis.ingestKpi(this.kpiKeys.center(center), merged, ...args)) as ChunkReply,
          );
        } catch (err) {
          if (isRedisConnectionError(err) || /BUSY|LOADING|OOM/.test((err as Error).message ?? '')) {
            throw new IngestInterruptedError(committed, err);
          }
          throw err;
        }
        chunk.forEach(([i], j) => {
          if (i >= 0) outcomes[i] = res.r[j] === 'a' ? { status: 'accepted' } : { status: 'duplicate' };
        });
        committed += chunk.filter(([i]) => i >= 0).length;
        seq[center] = Math.max(seq[center] ?? 0, res.seq);
      }
    }
    return { outcomes, seq };
  }

  private kpiSettings(center: string, nowMs: number, demo: boolean): string {
    const r = this.kpiConfig.retention;
    return JSON.stringify({
      now: nowMs,
      late: r.lateEventHours * 3_600_000,
      fret: this.kpiFineRetention.secondMs,
      mret: this.kpiFineRetention.minuteMs,
      iret: r.intervalDays * dayMs,
      mid: this.midnights(center, nowMs),
      chan: this.kpiKeys.ingested(center),
      demo: demo ? 1 : 0,
      seal: sealAfterMs,
      epoch: newSealEpoch(),
    });
  }

  // ------------------------------------------------------------------------------------ queries

  override async queryMany(
    center: string,
    queries: { scope: Scope; team?: string }[],
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

  private withKpi(r: MetricsResult, q: { scope: Scope; team?: string }, sums: KpiSums, fcr: FcrFigure | null): MetricsResult {
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
    // only the rows' pieces: the plan's tail exists for agent transitions, which KPIs do not use
    const used = [...new Set(plan.rows.flatMap((r) => [...r.timed, ...r.untimed]))].sort((x, y) => x - y);
    const tag = this.kpiKeys.center(center);
    const usedPieces = used.map((i) => plan.pieces[i]!);
    const pieceKeys = usedPieces.map(pieceKeyPart);
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
          for (const i of [...row.timed, ...row.untimed]) addKpiSums(s, buckets.get(i));
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

