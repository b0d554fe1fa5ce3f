import type { Redis } from 'ioredis';
import { centerTimeZone, type AppConfig } from '../../shared/contract/config.ts';
import type { Channel, ContractEvent } from '../../shared/contract/events.ts';
import { teamScopeConflict, type AgentRow, type MetricsResult } from '../../shared/contract/metrics-api.ts';
import { agentTimeMetrics, contactMetrics, type ContactMetrics } from '../../shared/metrics/formulas.ts';
import { agentCountsFromStates, contactSumKeys, emptyContactSums, type ContactSums } from '../../shared/metrics/raw.ts';
import {
  asOfSecond,
  intervalMs,
  localDate,
  localMidnight,
  rollingWindowMs,
  type WindowId,
} from '../../shared/metrics/windows.ts';
import { BadRequestError, StorageTimeoutError, UnavailableError, isRedisTimeoutError, isRedisUnavailableError } from '../errors.ts';
import { dims as dimOf, type Keys } from '../redis/keys.ts';
import { RS, US, encodingProblem } from './codec.ts';
import { bucketFromFlat, rowSums, type BucketFields, type RowSums } from './compute.ts';
import { ChunkCoalescer, type ChunkReply } from './coalesce.ts';
import { buildPlan, decompose, fineRetention, pieceKeysOf, PlanError, windowPlan, type FineRetention, type Plan } from './plan.ts';
import { SealedPieceCache, sealAfterMs, newSealEpoch } from './sealed.ts';
import { changesOf, changesWithin, nextRecord, parseStoredRecord, serviceLevelMsAt, type ThresholdChange } from './threshold-history.ts';
import type { EngineQuery, IngestBatchResult, IngestOutcome, IntervalRow, MetricEngine, Scope, ScopeQuery } from './types.ts';
import type { CoreSettings } from './write/core-batch.ts';
import { CenterWriter, WriteConflictError, type WriterPart, type WriterScripts } from './write/center-writer.ts';

/** Events per script call: big enough to coalesce bucket writes, small enough that one call
 * holds Redis (single-threaded: every board read waits behind it) for ≈ 15–25 ms at most on the
 * benchmark's 2-core VMs (Redis ≈ 20 µs per event). 2,000 merged a little more and bought no
 * throughput there (test/bench/FINDINGS.md item 15). */
export const ingestChunkSize = 1000;
const futureToleranceMs = 60_000;
const dayMs = 86_400_000;
/** a DEMO badge stays on this long after the last simulator batch */
export const demoBadgeMs = 5 * 60_000;

interface ScriptCommands extends WriterScripts {
  readBuckets(tag: string, request: string): Promise<string>;
  readAgents(agentsKey: string, dayKey: string, ...mustContain: string[]): Promise<string[]>;
}

interface QueueInfo {
  channel: string;
  slMs: number | undefined;
  groups: string[];
}

interface HeldQueueMap {
  digest: string;
  parsed: Map<string, QueueInfo>;
}

interface ReadResponse {
  b: [number, number, string[] | Record<string, never>][] | Record<string, never>;
  l: (string[] | Record<string, never>)[] | Record<string, never>;
  w: [number, number][] | Record<string, never>;
  /** false: unchanged since the map whose digest the read sent (`qh`) */
  q: string[] | Record<string, never> | false;
  qh: string;
  demoAt: string | false;
  g: string;
}

interface ReadResult {
  /** per requested dim: bucket fields by piece index */
  buckets: Map<string, (BucketFields | undefined)[]>;
  live: Map<string, Record<string, number>>;
  waiting: { count: number; oldest: number | undefined }[];
  queues: Map<string, QueueInfo>;
}

/** Thrown when Redis failed part-way through a multi-chunk batch: the chunks before it are stored
 * (and re-sending the whole batch is safe: those events then come back as duplicates). */
export class IngestInterruptedError extends UnavailableError {
  override name = 'IngestInterruptedError';
  /** Redis did not answer in time: the chunk being written may still be stored (or not) */
  readonly timedOut: boolean;
  constructor(
    readonly committed: number,
    cause: unknown,
  ) {
    super(`storage unavailable after ${committed} events were stored`);
    this.cause = cause;
    this.timedOut = isRedisTimeoutError(cause);
  }
}

const asArray = <T>(x: T[] | Record<string, never>): T[] => (Array.isArray(x) ? x : []);

/** every window start and end, ascending: the row boundaries of a contactSeries read */
function boundsOf(ends: number[], startOf: (end: number) => number): number[] {
  return [...new Set(ends.flatMap((e) => [startOf(e), e]))].sort((x, y) => x - y);
}

function pairs(flat: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = Number(flat[i + 1]);
  return out;
}

export class RedisMetricEngine implements MetricEngine {
  private readonly redis: Redis & ScriptCommands;
  private readonly midnightCache = new Map<string, [number, string][]>();
  private readonly minuteSince = new Map<string, number>();
  /** group commit of concurrent requests' chunks (see coalesce.ts) */
  private readonly writeChunks = new ChunkCoalescer<ContractEvent, CoreSettings>(ingestChunkSize);
  /** computes a batch's figures in Node, writes them with one fenced script (write/center-writer.ts) */
  private readonly writer: CenterWriter;
  /** buckets that no longer change, kept between reads (see sealed.ts) */
  private readonly sealed = new SealedPieceCache<BucketFields>();
  /** per center, the last queue map read and its digest (readBuckets.lua returns the map only when it changed) */
  private readonly queueMaps = new Map<string, HeldQueueMap>();
  /** per center: threshold changes within the interval retention, as of this process's start */
  private readonly thresholdChanges = new Map<string, ThresholdChange[]>();

  /** how long 1/10/60 s buckets live after their end; only tests shorten it */
  private readonly fineRetention: FineRetention;
  /** an ingest call's Redis work must be done within this (INGEST_REDIS_TIMEOUT_MS); no limit when unset */
  private readonly redisTimeoutMs: number | undefined;

  constructor(
    redis: Redis,
    private readonly keys: Keys,
    private readonly config: AppConfig,
    opts: { fineRetention?: FineRetention; writerPart?: WriterPart; redisTimeoutMs?: number } = {},
  ) {
    this.redis = redis as Redis & ScriptCommands;
    this.fineRetention = opts.fineRetention ?? fineRetention;
    this.redisTimeoutMs = opts.redisTimeoutMs;
    this.writer = new CenterWriter(this.redis, keys, opts.writerPart);
  }

  /** the core writer's batches, loads and fenced-write conflicts since start (tests, benchmark) */
  get writerStats(): Readonly<CenterWriter['stats']> {
    return this.writer.stats;
  }

  /** batches queued in the writer now (tests: nothing piles up behind a Redis that hangs) */
  get writerQueued(): number {
    return this.writer.queued;
  }

  private get lateMs(): number {
    return this.config.retention.lateEventHours * 3_600_000;
  }
  private get intervalRetentionMs(): number {
    return this.config.retention.intervalDays * dayMs;
  }

  /** Start of a window ending at `asOf`: local midnight for `today`, else asOf − its length. */
  windowStart(center: string, window: WindowId, asOf: number): number {
    return window === 'today' ? localMidnight(asOf, this.timeZone(center)) : asOf - rollingWindowMs[window];
  }

  timeZone(center: string): string {
    return centerTimeZone(this.config, center);
  }

  /** Writes each center's queue map (queue → channel, thresholds, groups) from the config.
   * Queues first seen in events keep their learned channel; config always wins. */
  async init(nowMs: number): Promise<void> {
    const centers = new Set<string>([
      ...this.config.centers.map((c) => c.id),
      ...this.config.queues.map((q) => q.center),
      ...this.config.groups.map((g) => g.center),
    ]);
    const d = this.config.defaults;
    for (const center of centers) {
      await this.minuteRetentionSince(center, nowMs);
      const key = this.keys.queueMap(center);
      const existing = await this.redis.hgetall(key);
      const groupsOf = (q: string) =>
        this.config.groups.filter((g) => g.center === center && g.queues.includes(q)).map((g) => g.id);
      const entries: Record<string, string> = {};
      for (const [q, v] of Object.entries(existing)) {
        entries[q] = [v.split(US)[0] ?? '', '', '', groupsOf(q).join(RS)].join(US);
      }
      for (const g of this.config.groups.filter((g) => g.center === center)) {
        for (const q of g.queues) entries[q] ??= ['', '', '', groupsOf(q).join(RS)].join(US);
      }
      for (const q of this.config.queues.filter((q) => q.center === center)) {
        const sl = (q.serviceLevelThresholdSec ?? d.serviceLevelThresholdSec[q.channel]) * 1000;
        const short = (q.shortAbandonThresholdSec ?? d.shortAbandonThresholdSec) * 1000;
        entries[q.id] = [q.channel, String(sl), String(short), groupsOf(q.id).join(RS)].join(US);
      }
      if (Object.keys(entries).length > 0) await this.writer.writeQueueMap(center, entries);
      await this.recordThresholds(center, entries, nowMs);
    }
  }

  /**
   * Notes each queue's thresholds in force and, when this start's configuration changed them, when
   * (threshold-history.ts); holds the center's changes for `result`. Queues whose channel is not
   * known yet have no threshold yet and are noted at a later start.
   */
  private async recordThresholds(center: string, entries: Record<string, string>, nowMs: number): Promise<void> {
    const key = this.keys.thresholdHistory(center);
    const stored = await this.redis.hgetall(key);
    const keepAfter = nowMs - this.intervalRetentionMs;
    const writes: Record<string, string> = {};
    const changes: ThresholdChange[] = [];
    for (const [queue, value] of Object.entries(entries)) {
      const [channel = '', sl = '', short = ''] = value.split(US);
      const slMs = sl !== '' ? Number(sl) : defaultThresholdMs(this.config, channel);
      if (slMs === undefined) continue;
      const shortMs = short !== '' ? Number(short) : this.config.defaults.shortAbandonThresholdSec * 1000;
      const before = parseStoredRecord(stored[queue]);
      const next = nextRecord(before, { slMs, shortMs }, nowMs, keepAfter);
      if (next) writes[queue] = JSON.stringify(next);
      const record = next ?? before;
      if (record) changes.push(...changesOf(queue, record));
    }
    if (Object.keys(writes).length > 0) await this.redis.hset(key, writes);
    this.thresholdChanges.set(center, changes);
  }

  // ------------------------------------------------------------------------------------ ingest

  async ingest(events: ContractEvent[], nowMs: number, opts: { demo?: boolean } = {}): Promise<IngestBatchResult> {
    const outcomes: IngestOutcome[] = new Array(events.length);
    const byCenter = new Map<string, number[]>();
    events.forEach((e, i) => {
      const reason = this.timeProblem(e.ts, nowMs) ?? encodingProblem(e) ?? (this.writer.takes(e) ? undefined : `type: ${e.type} is not stored by this engine`);
      if (reason) outcomes[i] = { status: 'rejected', reason };
      else {
        let list = byCenter.get(e.center);
        if (!list) byCenter.set(e.center, (list = []));
        list.push(i);
      }
    });
    const seq: Record<string, number> = {};
    let committed = 0;
    // The request's Redis work as a whole gets redisTimeoutMs, whatever it queues behind (other
    // requests' batches in the writer, a coalesced call in flight): each command has the same
    // limit on the connection (redis/plugin.ts), but a chunk may wait for others' commands first.
    const deadline = this.redisTimeoutMs === undefined ? undefined : performance.now() + this.redisTimeoutMs;
    for (const [center, indices] of byCenter) {
      const settings = this.writerSettings(center, nowMs);
      const demo = opts.demo === true;
      for (let start = 0; start < indices.length; start += ingestChunkSize) {
        const chunk = indices.slice(start, start + ingestChunkSize);
        let res: ChunkReply;
        try {
          res = await this.beforeDeadline(
            this.writeChunks.submit(
              `${center}|${demo}`,
              settings,
              chunk.map((i) => events[i]!),
              async (merged, args) => {
                const out = await this.writer.write(center, args, merged, { demo, epoch: newSealEpoch() });
                return { seq: out.seq, r: out.statuses };
              },
            ),
            deadline,
          );
        } catch (err) {
          if (isRedisUnavailableError(err) || err instanceof WriteConflictError) {
            throw new IngestInterruptedError(committed, err);
          }
          throw err;
        }
        chunk.forEach((i, j) => {
          outcomes[i] = res.r[j] === 'a' ? { status: 'accepted' } : { status: 'duplicate' };
        });
        committed += chunk.length;
        seq[center] = res.seq;
      }
    }
    return { outcomes, seq };
  }

  /**
   * `work`, or a StorageTimeoutError once the request's deadline has passed. The chunk given up on
   * is not withdrawn: it is written later or fails on its own (the writer fails it within one
   * command timeout of a stall), and the request's 503 tells the producer to re-send, which the
   * event ids make safe either way.
   */
  private beforeDeadline<T>(work: Promise<T>, deadline: number | undefined): Promise<T> {
    if (deadline === undefined) return work;
    work.catch(() => undefined); // nobody may be waiting for it any more
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageTimeoutError(this.redisTimeoutMs!)), Math.max(0, deadline - performance.now()));
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  timeProblem(ts: number, nowMs: number): string | undefined {
    if (ts > nowMs + futureToleranceMs) return 'ts: more than 60 s in the future';
    if (ts < nowMs - this.lateMs) return `ts: older than ${this.config.retention.lateEventHours} h (lateEventHours)`;
    return undefined;
  }

  /** the counting settings of a batch written at `nowMs` (write/core-batch.ts) */
  writerSettings(center: string, nowMs: number): CoreSettings {
    const d = this.config.defaults;
    return {
      now: nowMs,
      late: this.lateMs,
      ret: { fret: this.fineRetention.secondMs, mret: this.fineRetention.minuteMs, iret: this.intervalRetentionMs },
      sl: {
        voice: d.serviceLevelThresholdSec.voice * 1000,
        text: d.serviceLevelThresholdSec.text * 1000,
        video: d.serviceLevelThresholdSec.video * 1000,
      },
      short: d.shortAbandonThresholdSec * 1000,
      wto: this.config.retention.waitingTimeoutMin * 60_000,
      mid: this.midnights(center, nowMs),
      seal: sealAfterMs,
    };
  }

  /** Local midnights from before the late-event horizon to after tomorrow, so the writer maps an
   * answer time to its local day (handledToday) with a lookup instead of a time-zone conversion
   * per event. The list is shared by the whole local day of `nowMs`, so it must bound the day of
   * an event stamped up to the future tolerance after that day's last second: tomorrow's end. */
  midnights(center: string, nowMs: number): [number, string][] {
    const tz = this.timeZone(center);
    const today = localMidnight(nowMs, tz);
    const cacheKey = `${tz}|${today}`;
    const cached = this.midnightCache.get(cacheKey);
    if (cached) return cached;
    const out: [number, string][] = [];
    let m = localMidnight(nowMs - this.lateMs - dayMs, tz);
    // a local day lasts at most 25 h (a DST change)
    while (out.length === 0 || out[out.length - 1]![0] <= today + 25 * 3_600_000 + futureToleranceMs) {
      out.push([m, localDate(m, tz)]);
      m = localMidnight(m + 30 * 3_600_000, tz);
    }
    if (this.midnightCache.size > 64) this.midnightCache.clear();
    this.midnightCache.set(cacheKey, out);
    return out;
  }

  // ------------------------------------------------------------------------------------ queries

  async query(q: ScopeQuery, window: WindowId, nowMs: number): Promise<MetricsResult> {
    const [r] = await this.queryMany(q.center, [withoutCenter(q)], window, nowMs);
    return r!;
  }

  async queryMany(
    center: string,
    queries: EngineQuery[],
    window: WindowId,
    nowMs: number,
  ): Promise<MetricsResult[]> {
    queries.forEach(checkQuery);
    const asOf = asOfSecond(nowMs);
    const a = this.windowStart(center, window, asOf);
    const plan = windowPlan(a, asOf, asOf, nowMs, this.fineRetention);
    const waitFrom = asOf - this.config.retention.waitingTimeoutMin * 60_000;
    const read = await this.read(center, plan, queries, true, waitFrom);
    return queries.map((qq, i) => {
      const sums = this.sumsFor(plan, read, qq)[0]!;
      const w = read.waiting[i]!;
      const live = {
        waiting: w.count,
        longestWaitSec: w.oldest === undefined ? 0 : Math.max(0, asOf - w.oldest) / 1000,
        agents: agentCountsFromStates(read.live.get(this.agentDim(qq)) ?? {}),
      };
      return this.result(center, qq, window, a, asOf, asOf, sums, read, live);
    });
  }

  async history(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<MetricsResult> {
    this.checkRange(fromMs, toMs, nowMs);
    const asOf = asOfSecond(nowMs);
    const plan = buildPlan([{ a: fromMs, b: toMs }], asOf, nowMs, this.fineRetention);
    const qq = checkQuery(withoutCenter(q));
    const read = await this.read(q.center, plan, [qq], false, 0);
    return this.result(q.center, qq, null, fromMs, toMs, asOf, this.sumsFor(plan, read, qq)[0]!, read, undefined);
  }

  async intervals(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<IntervalRow[]> {
    this.checkRange(fromMs, toMs, nowMs);
    const asOf = asOfSecond(nowMs);
    const rows: { a: number; b: number }[] = [];
    for (let a = fromMs; a < toMs; a += intervalMs) rows.push({ a, b: a + intervalMs });
    const plan = buildPlan(rows, asOf, nowMs, this.fineRetention);
    const qq = checkQuery(withoutCenter(q));
    const read = await this.read(q.center, plan, [qq], false, 0);
    return this.sumsFor(plan, read, qq).map((sums, i) =>
      this.result(q.center, qq, null, rows[i]!.a, rows[i]!.b, asOf, sums, read, undefined),
    );
  }

  /**
   * The contact figures of `window` as it stood at each of `ends` (whole seconds, not after now),
   * for trend charts that start before anyone watched. One read: the windows are cut at every
   * window start and end into consecutive rows, and each window is a difference of running sums
   * over those rows, so 60 overlapping hour-long windows cost about 120 minute buckets per
   * dimension, not 3,600. An end whose window needs buckets that have already expired gets null,
   * never a figure from partial data.
   */
  async contactSeries(center: string, scopes: Scope[], window: WindowId, ends: number[], nowMs: number): Promise<(ContactMetrics | null)[][]> {
    const asOf = asOfSecond(nowMs);
    const retention: FineRetention = { ...this.fineRetention, minuteMsSince: await this.minuteRetentionSince(center, nowMs) };
    const startOf = (end: number) => this.windowStart(center, window, end);
    const rowsFeasible = (bounds: number[]) =>
      bounds.slice(1).every((b, i) => {
        try {
          decompose(bounds[i]!, b, nowMs, retention);
          return true;
        } catch (err) {
          if (err instanceof PlanError) return false;
          throw err;
        }
      });
    let usable = [...new Set(ends)].filter((e) => e % 1000 === 0 && e <= asOf && rowsFeasible([startOf(e), e])).sort((x, y) => x - y);
    // a window readable on its own can still be cut by another window's boundary inside a stretch
    // it reads as one 900 s bucket; that row then needs finer buckets, which may have expired:
    // drop the oldest end until every row is readable
    let bounds = boundsOf(usable, startOf);
    while (usable.length > 0 && !rowsFeasible(bounds)) {
      usable = usable.slice(1);
      bounds = boundsOf(usable, startOf);
    }
    if (usable.length === 0) return scopes.map(() => ends.map(() => null));
    const rows = bounds.slice(1).map((b, i) => ({ a: bounds[i]!, b }));
    const plan = buildPlan(rows, asOf, nowMs, retention);
    const queries = scopes.map((scope) => ({ scope }));
    const read = await this.read(center, plan, queries, false, 0);
    const rowIndex = new Map(bounds.map((b, i) => [b, i]));
    return queries.map((q) => {
      // running[i] = sums of rows [0, i): a window [s, e) is running[idx(e)] − running[idx(s)]
      const running: ContactSums[] = [emptyContactSums()];
      for (const sums of this.sumsFor(plan, read, q)) {
        const next = { ...running[running.length - 1]! };
        for (const k of contactSumKeys) next[k] += sums.contacts[k];
        running.push(next);
      }
      return ends.map((e) => {
        if (!usable.includes(e)) return null;
        const to = running[rowIndex.get(e)!]!;
        const from = running[rowIndex.get(startOf(e))!]!;
        const diff = emptyContactSums();
        for (const k of contactSumKeys) diff[k] = to[k] - from[k];
        return contactMetrics(diff);
      });
    });
  }

  /**
   * Since when this center's 60 s buckets are created to live `fineRetention.minuteMs` (121 min),
   * kept in the center's meta hash: 0 for a center that had no data when this version first
   * started, else that start. Buckets created before it live 61 min, so a trend filled within an
   * hour of the upgrade must not read them past that (they would be missing and the figure short).
   */
  private async minuteRetentionSince(center: string, nowMs: number): Promise<number> {
    const cached = this.minuteSince.get(center);
    if (cached !== undefined) return cached;
    const key = this.keys.meta(center);
    let stored = await this.redis.hget(key, 'minuteRetentionSince');
    if (stored === null) {
      const hadData = (await this.redis.hexists(key, 'seq')) === 1;
      await this.redis.hsetnx(key, 'minuteRetentionSince', hadData ? String(nowMs) : '0');
      stored = await this.redis.hget(key, 'minuteRetentionSince');
    }
    const since = Number(stored);
    this.minuteSince.set(center, since);
    return since;
  }

  /** History ranges: 15-minute aligned, inside interval retention, not past the current interval. */
  checkRange(fromMs: number, toMs: number, nowMs: number): void {
    if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new BadRequestError('from/to: not a valid time');
    if (fromMs % intervalMs !== 0 || toMs % intervalMs !== 0) {
      throw new BadRequestError('from/to: must be on 15-minute boundaries (e.g. 10:00, 10:15)');
    }
    if (toMs <= fromMs) throw new BadRequestError('to: must be after from');
    const oldest = Math.ceil((nowMs - this.intervalRetentionMs) / intervalMs) * intervalMs;
    if (fromMs < oldest) {
      throw new BadRequestError(
        `from: older than the ${this.config.retention.intervalDays}-day interval retention (earliest ${new Date(oldest).toISOString()})`,
      );
    }
    const latest = Math.ceil(asOfSecond(nowMs) / intervalMs) * intervalMs;
    if (toMs > latest) throw new BadRequestError(`to: after the current interval (latest ${new Date(latest).toISOString()})`);
  }



  /** The queue map of a read: the one held when the script found it unchanged (`q` false), else the
   * one it returned ([queue, encoded, ...]), parsed once and held under its digest. */
  private queueInfo(center: string, held: HeldQueueMap | undefined, q: string[] | false, digest: string): Map<string, QueueInfo> {
    if (q === false) {
      // the script compared the digest this read sent, i.e. `held` (a concurrent read may have
      // replaced the map in queueMaps since)
      if (!held || held.digest !== digest) throw new Error('readBuckets: queue map reported unchanged, but none was held under its digest');
      return held.parsed;
    }
    const parsed = new Map<string, QueueInfo>();
    for (let i = 0; i + 1 < q.length; i += 2) {
      const [channel = '', sl = '', , groups = ''] = q[i + 1]!.split(US);
      parsed.set(q[i]!, {
        channel,
        slMs: sl !== '' ? Number(sl) : defaultThresholdMs(this.config, channel),
        groups: groups === '' ? [] : groups.split(RS),
      });
    }
    this.queueMaps.set(center, { digest, parsed });
    return parsed;
  }

  /** A team's agent figures are t:<team>, center-wide only (checkQuery); contacts have no team. */
  private agentDim(q: EngineQuery): string {
    if (!q.team) return contactDim(q.scope);
    checkQuery(q);
    return dimOf.team(q.team);
  }

  private async read(
    center: string,
    plan: Plan,
    queries: EngineQuery[],
    withLive: boolean,
    waitFrom: number,
  ): Promise<ReadResult> {
    const dimList = [...new Set(queries.flatMap((q) => [contactDim(q.scope), this.agentDim(q)]))];
    const agentDims = [...new Set(queries.map((q) => this.agentDim(q)))];
    const tag = this.keys.center(center);
    const pieceKeys = pieceKeysOf(plan);
    const heldQueues = this.queueMaps.get(center);
    const request = {
      d: dimList,
      p: pieceKeys,
      l: agentDims,
      w: withLive
        ? queries.map((q) => {
            const s = q.scope;
            return s.kind === 'all' ? ['all', ''] : s.kind === 'queue' ? ['q', s.queue] : s.kind === 'channel' ? ['ch', s.channel] : ['g', s.group];
          })
        : [],
      wf: waitFrom,
      qh: heldQueues?.digest ?? '',
    };
    const { reply: res, buckets: byDim } = await this.sealed.read(
      tag,
      dimList,
      plan.pieces,
      pieceKeys,
      plan.asOf,
      async (sealed) => JSON.parse(await this.redis.readBuckets(tag, JSON.stringify({ ...sealed, ...request }))) as ReadResponse,
      (flat: string[] | Record<string, never>) => bucketFromFlat(asArray(flat)),
    );
    const buckets = new Map<string, (BucketFields | undefined)[]>(dimList.map((d, di) => [d, byDim[di]!]));
    const live = new Map<string, Record<string, number>>();
    asArray(res.l).forEach((flat, i) => live.set(agentDims[i]!, pairs(asArray(flat))));
    const queues = this.queueInfo(center, heldQueues, res.q === false ? false : asArray(res.q), res.qh);
    const waiting = asArray(res.w).map(([count, oldest]) => ({ count, oldest: oldest >= 0 ? oldest : undefined }));
    return { buckets, live, waiting, queues };
  }

  private sumsFor(plan: Plan, read: ReadResult, q: EngineQuery): RowSums[] {
    return rowSums(
      plan,
      read.buckets.get(contactDim(q.scope))!,
      read.buckets.get(this.agentDim(q))!,
      read.live.get(this.agentDim(q)) ?? {},
    );
  }

  /**
   * The service-level threshold shared by every queue in scope, or null when they differ (or none
   * has one): for each queue the one in force at `to`, so a row that ended before a configuration
   * changed the threshold names the one its contacts were judged against (threshold-history.ts).
   */
  private thresholdSec(center: string, scope: Scope, queues: Map<string, QueueInfo>, to: number): number | null {
    const changes = this.thresholdChanges.get(center);
    // one pass, no intermediate arrays (nor an [id, info] pair per queue, which for…of over the
    // map's entries allocated): this runs for every scope of every query
    let first = true;
    let shared: number | undefined;
    for (const id of queues.keys()) {
      const info = queues.get(id)!;
      const inScope = queueInScope(scope, id, info);
      // a queue known only by name (a group lists it, no contact has queued there yet) has no
      // channel, so no threshold yet; nothing of it counts in the figures either
      if (!inScope || info.slMs === undefined) continue;
      const slMs = changes && changes.length > 0 ? serviceLevelMsAt(changes, id, to, info.slMs) : info.slMs;
      if (first) {
        shared = slMs;
        first = false;
      } else if (slMs !== shared) return null;
    }
    return shared === undefined ? null : shared / 1000;
  }

  private result(
    center: string,
    q: EngineQuery,
    window: WindowId | null,
    from: number,
    to: number,
    asOf: number,
    sums: RowSums,
    read: ReadResult,
    live: { waiting: number; longestWaitSec: number; agents: MetricsResult['agents'] } | undefined,
  ): MetricsResult {
    const s = q.scope;
    const time = agentTimeMetrics(sums.stateMs);
    return {
      asOf: new Date(asOf).toISOString(),
      center,
      queue: s.kind === 'queue' ? s.queue : null,
      group: s.kind === 'group' ? s.group : null,
      channel: s.kind === 'channel' ? s.channel : null,
      team: q.team ?? null,
      window,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      thresholdSec: this.thresholdSec(center, s, read.queues, to),
      ...this.thresholdChangesWithin(center, s, read.queues, from, to),
      ...contactMetrics(sums.contacts),
      waiting: live ? live.waiting : null,
      longestWaitSec: live ? live.longestWaitSec : null,
      agents: live ? live.agents : null,
      occupancy: time.occupancy,
      utilization: time.utilization,
      stateTimeSec: time.stateTimeSec,
    };
  }

  /** `thresholdChanges` of a result over (from, to]: only when there is one (most results have none) */
  private thresholdChangesWithin(
    center: string,
    scope: Scope,
    queues: Map<string, QueueInfo>,
    from: number,
    to: number,
  ): Pick<MetricsResult, 'thresholdChanges'> {
    const all = this.thresholdChanges.get(center);
    if (!all || all.length === 0) return {};
    const within = changesWithin(all, from, to).filter((c) => {
      const info = queues.get(c.queue);
      return info !== undefined && queueInScope(scope, c.queue, info);
    });
    if (within.length === 0) return {};
    const sec = (r: { from: number; to: number } | null) => (r ? { from: r.from / 1000, to: r.to / 1000 } : null);
    return {
      thresholdChanges: within.map((c) => ({
        queue: c.queue,
        at: new Date(c.at).toISOString(),
        serviceLevelSec: sec(c.serviceLevelMs),
        shortAbandonSec: sec(c.shortAbandonMs),
      })),
    };
  }

  // ------------------------------------------------------------------------------------ agents

  async agents(
    center: string,
    filter: { team?: string; queue?: string; state?: string },
    nowMs: number,
  ): Promise<AgentRow[]> {
    const day = localDate(asOfSecond(nowMs), this.timeZone(center));
    // The filters are applied inside Redis first (readAgents.lua): the agents hash holds every
    // agent ever seen, and an alert rule wants the few not ready, a team lead's view one team.
    // The writer stores each row with JSON.stringify (write/core-batch.ts), so a row that passes a
    // filter contains that pair (or, for a queue, that array element) written exactly so. Redis
    // may keep a row that does not match (the text inside a name); every row is checked below.
    const mustContain: string[] = [];
    if (filter.state) mustContain.push(`"state":${JSON.stringify(filter.state)}`);
    if (filter.team) mustContain.push(`"team":${JSON.stringify(filter.team)}`);
    if (filter.queue) mustContain.push(JSON.stringify(filter.queue));
    const flat = await this.redis.readAgents(this.keys.agents(center), this.keys.agentDay(center, day), ...mustContain);
    const out: AgentRow[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const agentId = flat[i]!;
      const r = JSON.parse(flat[i + 1]!) as { name: string; state: string; reason: string; since: number; team: string; queues: string[] | object };
      const queues = Array.isArray(r.queues) ? (r.queues as string[]) : [];
      if (filter.team && r.team !== filter.team) continue;
      if (filter.queue && !queues.includes(filter.queue)) continue;
      if (filter.state && r.state !== filter.state) continue;
      out.push({
        agentId,
        name: r.name || null,
        state: r.state,
        reason: r.reason || null,
        since: new Date(r.since).toISOString(),
        team: r.team || null,
        queues,
        handledToday: Number(flat[i + 2]),
      });
    }
    return out.sort((x, y) => (x.agentId < y.agentId ? -1 : x.agentId > y.agentId ? 1 : 0));
  }

  async sequence(center: string): Promise<number> {
    return Number((await this.redis.hget(this.keys.meta(center), 'seq')) ?? 0);
  }

  /** true while a demo simulator posted to this center within the last 5 minutes */
  async demoActive(center: string, nowMs: number): Promise<boolean> {
    const at = await this.redis.hget(this.keys.meta(center), 'demoAt');
    return at !== null && nowMs - Number(at) <= demoBadgeMs;
  }

  /** epoch ms of the last accepted event batch (feed health), or undefined */
  async lastEventAt(center: string): Promise<number | undefined> {
    const at = await this.redis.hget(this.keys.meta(center), 'lastEventAt');
    return at === null ? undefined : Number(at);
  }
}

/**
 * An engine query from a scope and an optional team; throws (400 where an API passes it on) when
 * the team comes with a queue, channel or group: see EngineQuery.
 */
export function engineQuery(scope: Scope, team: string | undefined): EngineQuery {
  if (!team) return { scope };
  if (scope.kind !== 'all') throw new BadRequestError(teamScopeConflict);
  return { scope, team };
}

/** Refuses a team with a scope other than the center, whatever the static type said (a cast, a
 * caller in plain JS): the answer would be the whole team's agent figures labelled as the scope's. */
function checkQuery<Q extends EngineQuery>(q: Q): Q {
  if (q.team && q.scope.kind !== 'all') throw new BadRequestError(teamScopeConflict);
  return q;
}

function withoutCenter(q: ScopeQuery): EngineQuery {
  return q.team ? engineQuery(q.scope, q.team) : { scope: q.scope };
}

/** The bucket dimension that holds a scope's contact figures. */
export function contactDim(scope: Scope): string {
  switch (scope.kind) {
    case 'all':
      return dimOf.all;
    case 'queue':
      return dimOf.queue(scope.queue);
    case 'channel':
      return dimOf.channel(scope.channel);
    case 'group':
      return dimOf.group(scope.group);
  }
}

/** the configured default threshold of a queue-map channel; undefined for '' (not known yet) or a
 * channel this build does not know (written by another build, or by hand) */
function queueInScope(scope: Scope, id: string, info: QueueInfo): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'queue') return id === scope.queue;
  if (scope.kind === 'channel') return info.channel === scope.channel;
  return info.groups.includes(scope.group);
}

function defaultThresholdMs(config: AppConfig, channel: string): number | undefined {
  const sec = (config.defaults.serviceLevelThresholdSec as Partial<Record<string, number>>)[channel];
  return sec === undefined ? undefined : sec * 1000;
}
