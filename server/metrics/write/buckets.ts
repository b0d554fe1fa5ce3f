import { RS } from '../codec.ts';
import type { WriteOps } from './ops.ts';

/**
 * The counter-bucket layout's write half (the read half is server/redis/lua/lib/buckets.lua):
 * increments accumulate here, in Node, and every touched key is written once per batch.
 *
 * Levels: the 1 s level lives as fields "<field>.<second 0-9>" of one hash per 10 s
 * ("<prefix>1:<10 s start>:<dim>"), written while that hash lives (10 s end + fret > now) and
 * expiring then; 60 s buckets expire at end + mret, 900 s buckets at end + iret. There is no stored
 * 10 s level: readers sum the ten seconds. Agent time in the 1 s level is one packed field per
 * state and second (codec.ts agentPackBase), written by core-batch.ts. A bucket is written only
 * while alive, so removing an earlier contribution hits exactly the buckets its addition hit, or
 * buckets that already expired.
 *
 * Bucket targets accumulate per dimension LIST (the RS-joined dims of a queue, or of an agent's
 * team + queues): every contact of a queue and every agent of a skill group share one entry,
 * expanded into single dimensions once at flush. Other targets (handledToday, live counts)
 * accumulate per single key part ('' for the key itself).
 *
 * Sealed buckets: a bucket that ended at least `seal` ms before now is sealed; readers keep sealed
 * buckets for as long as the center's sealGen is unchanged (server/metrics/sealed.ts), so flush
 * reports whether it changed one and the writer then bumps sealGen.
 */
export interface Target {
  /** ms until the key's absolute deadline, set when the key is new; undefined: never expires */
  ttl: number | undefined;
  expand: boolean;
  sealed: boolean;
  /** dims (or key part) → field id (see fieldId) → delta */
  d: Map<string, Map<number, number>>;
}

export interface LiveBucket {
  target: Target;
  /** the start agent-time offsets are measured from: the second for the 1 s level, else the bucket */
  start: number;
  /** the second 0-9 within the 1 s level's 10 s hash (field suffix ".<second>"), else -1 */
  sec: number;
}

const levelTags = { second: '1', minute: '60', interval: '900' } as const;

// Field names as small integers, so accumulating hashes a small integer instead of a string (most
// of a batch's work is these increments). Ids mean something only within one batch:
// the registry is cleared between batches once it grows (names of agents and KPI fields add up).
const fieldIds = new Map<string, number>();
const fieldNames: string[] = [];
const suffixed = new Map<string, number[]>();

export function fieldId(name: string): number {
  let id = fieldIds.get(name);
  if (id === undefined) {
    id = fieldNames.length;
    fieldNames.push(name);
    fieldIds.set(name, id);
  }
  return id;
}

/** the id of `field` at second `sec` of a 1 s hash ("ans.3"), or of `field` itself (sec −1) */
export function fieldAt(field: string, sec: number): number {
  if (sec < 0) return fieldId(field);
  let ids = suffixed.get(field);
  if (!ids) {
    ids = Array.from({ length: 10 }, (_, k) => fieldId(`${field}.${k}`));
    suffixed.set(field, ids);
  }
  return ids[sec]!;
}

/** the deltas of one dims entry of a target, created on first use */
export function slot(t: Target, key: string): Map<number, number> {
  let v = t.d.get(key);
  if (!v) t.d.set(key, (v = new Map()));
  return v;
}

export function add(deltas: Map<number, number>, id: number, delta: number): void {
  deltas.set(id, (deltas.get(id) ?? 0) + delta);
}

/** a map of maps' inner map, created on first use (FCR deltas) */
export function subMap<K, V>(m: Map<K, Map<string, V>>, k: K): Map<string, V> {
  let v = m.get(k);
  if (!v) m.set(k, (v = new Map()));
  return v;
}

export function bump(h: Map<string, number>, field: string, delta: number): void {
  h.set(field, (h.get(field) ?? 0) + delta);
}

const dimLists = new Map<string, string[]>();
/** an RS-joined dimension list, split once per process */
export function dimList(dims: string): string[] {
  let l = dimLists.get(dims);
  if (!l) {
    l = dims === '' ? [] : dims.split(RS);
    if (dimLists.size > 100_000) dimLists.clear();
    dimLists.set(dims, l);
  }
  return l;
}

export interface Retention {
  /** 1 s level (its 10 s hash), after the hash's end */
  fret: number;
  /** 60 s buckets, after their end */
  mret: number;
  /** 900 s buckets, after their end */
  iret: number;
}

export class BucketAccumulator {
  private readonly acc = new Map<string, Target>();
  private readonly bucketsAt = new Map<number, LiveBucket[]>();
  private readonly sealedBefore: number;

  constructor(
    private readonly prefix: string,
    private readonly now: number,
    private readonly ret: Retention,
    seal: number,
  ) {
    if (fieldNames.length > 100_000) {
      fieldIds.clear();
      fieldNames.length = 0;
      suffixed.clear();
    }
    this.sealedBefore = now - seal;
  }

  /** the accumulator entry of a key base, created on first use (`endMs` only for bucket targets) */
  target(base: string, ttl: number | undefined, expand = false, endMs?: number): Target {
    let t = this.acc.get(base);
    if (!t) {
      t = { ttl, expand, sealed: endMs !== undefined && endMs <= this.sealedBefore, d: new Map() };
      this.acc.set(base, t);
    }
    return t;
  }

  /** every bucket of `ts` that is still alive (memoised per second) */
  liveBuckets(ts: number): LiveBucket[] {
    const sec = ts - (ts % 1000);
    let out = this.bucketsAt.get(sec);
    if (out) return out;
    out = [];
    const { fret, mret, iret } = this.ret;
    const s10 = ts - (ts % 10_000);
    if (s10 + 10_000 + fret > this.now) {
      const end = s10 + 10_000;
      out.push({ target: this.target(`${this.prefix}1:${s10 / 1000}:`, end + fret - this.now, true, end), start: sec, sec: (sec - s10) / 1000 });
    }
    for (const [size, tag, ret] of [
      [60_000, levelTags.minute, mret],
      [900_000, levelTags.interval, iret],
    ] as const) {
      const start = ts - (ts % size);
      const ttl = start + size + ret - this.now;
      if (ttl > 0) out.push({ target: this.target(`${this.prefix}${tag}:${start / 1000}:`, ttl, true, start + size), start, sec: -1 });
    }
    this.bucketsAt.set(sec, out);
    return out;
  }

  /** an item's fields (name, delta pairs from index `from` of `it`) × sign into every live bucket of ts */
  addItem(ts: number, dims: string, it: readonly (string | number)[], from: number, sign: number): void {
    for (const lb of this.liveBuckets(ts)) {
      const h = slot(lb.target, dims);
      for (let k = from; k + 1 < it.length; k += 2) add(h, fieldAt(it[k] as string, lb.sec), sign * (it[k + 1] as number));
    }
  }

  /** Every accumulated key once into `ops` (written straight into its buffer: no operation
   * arrays, no joined keys); true when a sealed bucket changed. */
  flush(ops: WriteOps): boolean {
    let sealedChanged = false;
    for (const [base, t] of this.acc) {
      const ttl = t.ttl ?? -1;
      if (!t.expand) {
        for (const [dim, deltas] of t.d) if (writeBucket(ops, base, dim, ttl, [deltas])) sealedChanged ||= t.sealed;
        continue;
      }
      // each single dimension once, from the dimension lists that include it: `all` is in every
      // list, a queue's dimension in its contacts' list and in its agents' lists
      const sources = new Map<string, Map<number, number>[]>();
      for (const [dims, deltas] of t.d) {
        for (const dim of dimList(dims)) {
          const list = sources.get(dim);
          if (list) list.push(deltas);
          else sources.set(dim, [deltas]);
        }
      }
      for (const [dim, list] of sources) if (writeBucket(ops, base, dim, ttl, list)) sealedChanged ||= t.sealed;
    }
    return sealedChanged;
  }
}

// A key's deltas summed over the lists that feed it, in a dense scratch indexed by field id (ids
// are small and dense: see fieldId), in first-seen field order. A Map per merged dimension was an
// eighth of everything a 1,000-event batch allocated.
let mergeSum = new Float64Array(256);
let mergeSeen = new Uint32Array(256);
let mergeGen = 0;
const mergeIds: number[] = [];

// forEach with a function made once: a for…of over the map's entries allocated an [id, delta]
// pair per field, a twentieth of everything a 1,000-event batch allocated
const mergeDelta = (d: number, id: number): void => {
  if (mergeSeen[id] !== mergeGen) {
    mergeSeen[id] = mergeGen;
    mergeSum[id] = d;
    mergeIds.push(id);
  } else mergeSum[id] = mergeSum[id]! + d;
};

/** one B operation: the sum of `list`'s field id → delta maps, zero sums left out; false when
 * every sum was zero (nothing written) */
function writeBucket(ops: WriteOps, base: string, dim: string, ttl: number, list: readonly Map<number, number>[]): boolean {
  if (mergeSum.length < fieldNames.length) {
    let size = mergeSum.length;
    while (size < fieldNames.length) size *= 2;
    mergeSum = new Float64Array(size);
    mergeSeen = new Uint32Array(size);
    mergeGen = 0;
  }
  if (++mergeGen === 0xffffffff) {
    mergeSeen.fill(0);
    mergeGen = 1;
  }
  mergeIds.length = 0;
  for (const deltas of list) deltas.forEach(mergeDelta);
  let fields = 0;
  for (const id of mergeIds) if (mergeSum[id] !== 0) fields++;
  if (fields === 0) return false;
  ops.begin('B', 2 + 2 * fields);
  ops.concat(base, dim);
  ops.int(ttl);
  for (const id of mergeIds) {
    const d = mergeSum[id]!;
    if (d === 0) continue;
    ops.string(fieldNames[id]!);
    ops.int(d);
  }
  return true;
}
