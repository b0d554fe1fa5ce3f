import { Agent, request } from 'node:http';
import { generateBatches } from '../../server/simulator/generate.ts';
import { localMinuteOfDay, minutesForward, simulationDefaults } from '../../server/simulator/simulation.ts';

/**
 * Load from the simulator: a pool of simulated events (the demo center's model, generated fast
 * offline) serialized once, then replayed as many times as a scenario needs. Each pass renames
 * the simulation tag (event and contact ids) and the agents, so every pass is a new set of
 * contacts and the engine never sees a duplicate; the center is renamed per scenario so every
 * scenario's figures can be checked on their own.
 */
const typeIndex = {
  'contact.queued': 0,
  'contact.answered': 1,
  'contact.abandoned': 2,
  'contact.transferred': 3,
  'contact.ended': 4,
  'contact.wrapped': 5,
  'agent.state': 6,
} as const;
/** index 7: a transfer after the answer (blind transfer), which closes no queue leg and is no transferredOut */
const transferAfterAnswer = 7;
export type TypeCounts = [
  queued: number,
  answered: number,
  abandoned: number,
  transferredWhileWaiting: number,
  ended: number,
  wrapped: number,
  agent: number,
  transferredAfterAnswer: number,
];
export const emptyTypeCounts = (): TypeCounts => [0, 0, 0, 0, 0, 0, 0, 0];

export interface EventPool {
  events: string[];
  types: Uint8Array;
  /** each event's time (ms), for feeds paced by the clock */
  ts: Float64Array;
  tag: string;
  minTs: number;
  maxTs: number;
  /** the queues the events use, with their channel (the bench writes them into its config) */
  queueList: { id: string; channel: 'voice' | 'text' | 'video' }[];
}

const poolCenter = 'benchpool';

/**
 * The simulator's day shift that puts `endMs` at `localMinute` (minutes after local midnight) of
 * the simulated day. The simulator's traffic follows the hour of day, so a pool cut from the
 * simulated day at the run's own hour is another workload at night (measured at 03:30 local: 16,600
 * events in 218 minutes, 1,000-event batches spanning 13 simulated minutes) than by day (about
 * 180,000; batches spanning 1.3 minutes, so counters aggregate within a batch 2–3× better).
 */
export function dayShiftFor(endMs: number, localMinute: number): number {
  // the simulator reads its intraday curve at its default UTC offset (Asia/Shanghai)
  const localNow = localMinuteOfDay(endMs, simulationDefaults.utcOffsetMin);
  const shift = minutesForward(localNow, localMinute);
  return shift > 720 ? shift - 1440 : shift;
}

/**
 * About `size` events of `queues` queues whose times span the `spanMin` minutes before `endMs`;
 * with `endsAtLocalMinute`, those minutes are always the same stretch of the simulated day,
 * whatever the hour of the run.
 */
export function buildPool(opts: {
  size: number;
  queues: number;
  spanMin: number;
  endMs: number;
  agents?: number;
  seed?: number;
  rate?: number;
  endsAtLocalMinute?: number;
}): EventPool {
  // ≈ 13,250 events per queue per simulated day at rate 1 (measured with the default model)
  const rate = opts.rate ?? Math.min(1000, Math.max(0.01, opts.size / (13_250 * opts.queues * (opts.spanMin / 1440))));
  const queueList = new Map<string, 'voice' | 'text' | 'video'>();
  // contacts with a queue leg open (queued, not yet answered/abandoned/transferred)
  const waiting = new Set<string>();
  const events: string[] = [];
  const types: number[] = [];
  const times: number[] = [];
  let tag = '';
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = 0;
  for (const batch of generateBatches({
    from: opts.endMs - opts.spanMin * 60_000,
    to: opts.endMs,
    rate,
    queues: opts.queues,
    seed: opts.seed ?? 7,
    center: poolCenter,
    spikeEvery: 0,
    ...(opts.endsAtLocalMinute !== undefined ? { dayShiftMin: dayShiftFor(opts.endMs, opts.endsAtLocalMinute) } : {}),
    ...(opts.agents ? { agents: opts.agents } : {}),
    batchSize: 5000,
  })) {
    for (const e of batch) {
      if (!tag) tag = e.id.slice(0, e.id.indexOf('-'));
      events.push(JSON.stringify(e));
      let t: number = typeIndex[e.type as keyof typeof typeIndex] ?? 6;
      if ('contactId' in e) {
        if (e.type === 'contact.queued') waiting.add(e.contactId);
        else if (e.type === 'contact.transferred' && !waiting.delete(e.contactId)) t = transferAfterAnswer;
        else if (e.type === 'contact.answered' || e.type === 'contact.abandoned') waiting.delete(e.contactId);
      }
      types.push(t);
      times.push(e.ts);
      if (e.ts < minTs) minTs = e.ts;
      if (e.ts > maxTs) maxTs = e.ts;
      if (e.type === 'contact.queued' && !queueList.has(e.queue)) queueList.set(e.queue, e.channel);
    }
  }
  return { events, types: Uint8Array.from(types), ts: Float64Array.from(times), tag, minTs, maxTs, queueList: [...queueList].map(([id, channel]) => ({ id, channel })) };
}

/**
 * An endless stream of request bodies from a pool, for one center. The pool is rendered (ids and
 * agents renamed for the pass, UTF-8 encoded) a chunk of 5,000 events at a time, once, and a
 * batch's body is a copy of a stretch of it: renaming and encoding per request cost the load
 * generator ≈ 5 µs per event, CPU taken from the server under test on a 2-core machine. Scenarios
 * call `prepare` before they start measuring, so what they measure only sends and reads.
 */
export class EventStream {
  private pos: number;
  private pass = 0;
  /** rendered chunks by `${pass}:${chunk}`, dropped once sent */
  private readonly chunks = new Map<string, RenderedChunk>();
  readonly sentTypes: TypeCounts = emptyTypeCounts();
  sent = 0;
  /** accepted by the server, as its replies said (the producer adds them up) */
  accepted = 0;

  constructor(
    private readonly pool: EventPool,
    readonly center: string,
    /** distinguishes streams that share a center */
    private readonly label = 'p',
    /** first event to send (a live feed continuing a stream that sent the events before it) */
    startAt = 0,
  ) {
    this.pos = startAt;
  }

  /** renders every chunk that the next `events` events (and the batch after them) come from */
  prepare(events: number): void {
    const len = this.pool.events.length;
    let pass = this.pass;
    let pos = this.pos;
    let left = Math.max(0, Math.ceil(events));
    for (;;) {
      const chunk = Math.floor(pos / chunkEvents);
      this.rendered(pass, chunk);
      const step = Math.min(left, Math.min((chunk + 1) * chunkEvents, len) - pos);
      if (step >= left) return;
      left -= step;
      pos += step;
      if (pos >= len) {
        pos = 0;
        pass++;
      }
    }
  }

  /** events from the current position whose time has come (≤ nowMs), without wrapping around */
  dueBy(nowMs: number): number {
    let n = 0;
    while (this.pos + n < this.pool.events.length && this.pool.ts[this.pos + n]! <= nowMs) n++;
    return n;
  }

  /** the next `n` events as a JSON array body (one event: a bare object, as batch-1 producers send) */
  next(n: number): { body: Buffer; count: number } {
    const len = this.pool.events.length;
    const parts: Buffer[] = n === 1 ? [] : [openBracket];
    let count = 0;
    while (count < n) {
      const chunk = Math.floor(this.pos / chunkEvents);
      const chunkEnd = Math.min((chunk + 1) * chunkEvents, len);
      const take = Math.min(n - count, chunkEnd - this.pos);
      const r = this.rendered(this.pass, chunk);
      const i = this.pos - chunk * chunkEvents;
      if (count > 0) parts.push(comma);
      // each event's bytes end with the comma that separates it from the next: the last one's is left out
      parts.push(r.bytes.subarray(r.offsets[i]!, r.offsets[i + take]! - 1));
      for (let k = this.pos; k < this.pos + take; k++) this.sentTypes[this.pool.types[k]!]!++;
      this.pos += take;
      count += take;
      if (this.pos === chunkEnd) this.chunks.delete(`${this.pass}:${chunk}`);
      if (this.pos >= len) {
        this.pos = 0;
        this.pass++;
      }
    }
    if (n !== 1) parts.push(closeBracket);
    this.sent += count;
    return { body: parts.length === 1 ? parts[0]! : Buffer.concat(parts), count };
  }

  private rendered(pass: number, chunk: number): RenderedChunk {
    const key = `${pass}:${chunk}`;
    let r = this.chunks.get(key);
    if (r) return r;
    const shape = chunkShape(this.pool, chunk);
    const prefix = Buffer.from(`${this.label}${pass}`);
    const center = Buffer.from(this.center);
    // copied piece by piece between the rename points: three replaceAll over the text and its
    // encoding took ≈ 8 µs an event, this ≈ 1.2 µs
    let size = shape.bytes.length;
    for (let k = 0; k < shape.kinds.length; k++) size += shape.kinds[k] === cutCenter ? center.length - poolCenter.length : prefix.length;
    const out = Buffer.allocUnsafe(size);
    const offsets = new Uint32Array(shape.offsets.length);
    let from = 0;
    let at = 0;
    let e = 0;
    const copyUpTo = (end: number) => {
      // event starts between here and `end` move by what was inserted before them
      while (e < shape.offsets.length && shape.offsets[e]! <= end) {
        offsets[e] = shape.offsets[e]! + (at - from);
        e++;
      }
      at += shape.bytes.copy(out, at, from, end);
      from = end;
    };
    for (let k = 0; k < shape.kinds.length; k++) {
      copyUpTo(shape.cuts[k]!);
      if (shape.kinds[k] === cutCenter) {
        at += center.copy(out, at);
        from += poolCenter.length;
      } else at += prefix.copy(out, at);
    }
    copyUpTo(shape.bytes.length);
    r = { bytes: out, offsets };
    this.chunks.set(key, r);
    return r;
  }
}

/** events per rendered chunk: ≈ 0.9 MB, ≈ 6 ms to render */
const chunkEvents = 5_000;

interface RenderedChunk {
  /** the chunk's events, renamed for one pass, each followed by a comma, as UTF-8 */
  bytes: Buffer;
  /** byte offset of each event in `bytes`, and the end of the last one */
  offsets: Uint32Array;
}

/** Where a pass renames one chunk of a pool's events, found once per pool and chunk. */
interface ChunkShape {
  /** the chunk's events, each followed by a comma, UTF-8 */
  bytes: Buffer;
  /** byte offset of each event in `bytes`, and the end */
  offsets: Uint32Array;
  /** byte positions to rename at, ascending: insert the pass prefix (ids, agent ids) or replace the center */
  cuts: Uint32Array;
  kinds: Uint8Array;
}

const cutPrefix = 0;
const cutCenter = 1;
const shapes = new WeakMap<EventPool, Map<number, ChunkShape>>();

function chunkShape(pool: EventPool, chunk: number): ChunkShape {
  let byChunk = shapes.get(pool);
  if (!byChunk) shapes.set(pool, (byChunk = new Map()));
  let shape = byChunk.get(chunk);
  if (shape) return shape;
  const events = pool.events.slice(chunk * chunkEvents, (chunk + 1) * chunkEvents);
  const bytes = Buffer.from(events.join(',') + ',');
  const offsets = new Uint32Array(events.length + 1);
  for (let i = 0; i < events.length; i++) offsets[i + 1] = offsets[i]! + Buffer.byteLength(events[i]!) + 1;
  const found: [number, number][] = [];
  const scan = (marker: string, kind: number, back: number) => {
    const m = Buffer.from(marker);
    for (let i = bytes.indexOf(m); i >= 0; i = bytes.indexOf(m, i + m.length)) found.push([i + m.length - back, kind]);
  };
  // the prefix goes before the dash of an id (`"<tag>-` → `"<tag><prefix>-`) and at the start of an agent id
  scan(`"${pool.tag}-`, cutPrefix, 1);
  scan('"agentId":"', cutPrefix, 0);
  scan('"center":"', cutCenter, 0);
  found.sort((x, y) => x[0] - y[0]);
  for (const [at, kind] of found) {
    if (kind === cutCenter && bytes.toString('latin1', at, at + poolCenter.length + 1) !== `${poolCenter}"`) throw new Error('bench load: an event of another center in the pool');
  }
  shape = { bytes, offsets, cuts: Uint32Array.from(found.map((f) => f[0])), kinds: Uint8Array.from(found.map((f) => f[1])) };
  byChunk.set(chunk, shape);
  return shape;
}

const openBracket = Buffer.from('[');
const closeBracket = Buffer.from(']');
const comma = Buffer.from(',');

export interface PostResult {
  status: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** the center's ingest sequence after this request (undefined when nothing was accepted) */
  seq: number | undefined;
  sentAt: number;
  doneAt: number;
  firstRejection?: string;
  /** times the request was sent again after a 503 / 429 (the contract's at-least-once re-send) */
  retries?: number;
  /** the 503 / 429 answers that made it re-send (first 300 characters of the first) */
  retriedAfter?: string;
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * Keep-alive HTTP producer on loopback. The reply is read with regular expressions, not
 * JSON.parse: a 1,000-event reply carries 1,000 per-event results the load generator does not
 * need, and parsing them would steal CPU from the server on a 2-core machine.
 */
export class Producer {
  readonly agent: Agent;
  private tokenIndex = 0;

  constructor(
    private readonly port: number,
    private readonly tokens: readonly string[],
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  }

  /**
   * Posts a body the way the contract asks an at-least-once producer to: a 503 (storage did not
   * answer in time, or is down) or 429 is re-sent after its Retry-After (at most 5 s, up to 5
   * times), the whole request again, duplicates being safe. What the earlier attempts stored comes
   * back `duplicate` then; the bench's events are all new, so a duplicate in a re-sent request's
   * answer is an event an earlier attempt stored, and counts as accepted. `sentAt` is the first
   * attempt's: event-to-screen latency counts the re-send's wait. Without this, a saturated server
   * (3,000 screens at 10,000 ev/s) read as lost and double-counted events: the parts stored before
   * a 503 were in the figures but in no answer.
   */
  async post(body: string | Buffer, center: string): Promise<PostResult> {
    const sentAt = wallNow();
    let retries = 0;
    let retriedAfter: string | undefined;
    for (;;) {
      const r = await this.postOnce(body, center, sentAt);
      if ((r.status !== 503 && r.status !== 429) || retries >= 5) {
        if (retries === 0) return r;
        return { ...r, accepted: r.accepted + r.duplicate, duplicate: 0, retries, ...(retriedAfter ? { retriedAfter } : {}) };
      }
      retries += 1;
      retriedAfter ??= `HTTP ${r.status}: ${r.firstRejection ?? ''}`;
      await new Promise((resolveWait) => setTimeout(resolveWait, Math.min(5000, (r.retryAfterSec ?? 1) * 1000)));
    }
  }

  private postOnce(body: string | Buffer, center: string, sentAt: number): Promise<PostResult & { retryAfterSec?: number }> {
    const token = this.tokens[this.tokenIndex++ % this.tokens.length]!;
    return new Promise<PostResult & { retryAfterSec?: number }>((resolvePost, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/api/v1/events',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const doneAt = wallNow();
            const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
            const seqMatch = new RegExp(`"seq":\\{[^}]*"${center}":(\\d+)`).exec(text);
            const rejected = num(/"rejected":(\d+)/);
            // a reply with nothing rejected has no reason to look for in its 1,000 results
            const rejection = rejected > 0 ? /"reason":"((?:[^"\\]|\\.)*)"/.exec(text)?.[1] : undefined;
            const retryAfter = Number(res.headers['retry-after']);
            resolvePost({
              ...(Number.isFinite(retryAfter) ? { retryAfterSec: retryAfter } : {}),
              status: res.statusCode ?? 0,
              accepted: num(/"accepted":(\d+)/),
              duplicate: num(/"duplicate":(\d+)/),
              rejected,
              seq: seqMatch ? Number(seqMatch[1]) : undefined,
              sentAt,
              doneAt,
              ...(res.statusCode !== 200 ? { firstRejection: text.slice(0, 300) } : rejection ? { firstRejection: rejection } : {}),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Keep-alive GET with a display token; returns parsed JSON, the request's duration as the client
 * saw it, and the server's own time (its `Server-Timing: app;dur=` header). */
export function getJson<T>(agent: Agent, port: number, path: string, token: string): Promise<{ status: number; body: T; ms: number; serverMs: number }> {
  const t0 = performance.now();
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const ms = performance.now() - t0;
        try {
          const timing = /app;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
          resolveGet({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) as T, ms, serverMs: timing ? Number(timing[1]) : Number.NaN });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
