import { Packr } from 'msgpackr';

/**
 * The operations of one `applyWrites.lua` call (its header documents every opcode). Node computes a
 * batch's effect; Redis only applies it, fenced by the writer version, in one atomic script.
 *
 * The operations travel as one MessagePack argument (Redis's Lua has cmsgpack built in), not one
 * argument per value: a batch of 1,000 events is ~17,000 values, which ioredis encodes at ≈ 0.5 µs
 * each (≈ 9 ms per batch, more than computing it). MessagePack rather than JSON because stored
 * records are joined with control characters (codec.ts), which JSON escapes as six bytes each and
 * which turn every string two-byte the moment a Chinese name appears; msgpackr writes UTF-8 bytes
 * into one Buffer, and Redis's C decoder costs about what as many separate arguments cost it.
 * Every number is an integer below 2^53 (exact as a MessagePack integer or double, and in Lua).
 */
export type Op = (string | number)[];

const packr = new Packr({ useRecords: false, variableMapSize: true });

export class WriteOps {
  readonly list: Op[] = [];

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** an operation built by its caller: counter increments ['B', key, ttl (-1: never expires), field,
   * delta, …] (buckets.ts) */
  push(op: Op): void {
    this.list.push(op);
  }

  /** HSET key field value … (`flat` alternates fields and values) */
  hset(key: string, flat: string[]): void {
    if (flat.length === 0) return;
    const op: Op = ['H', key];
    for (const x of flat) op.push(x);
    this.list.push(op);
  }

  pexpire(key: string, ms: number): void {
    this.list.push(['X', key, ms]);
  }

  zadd(key: string, score: number, member: string): void {
    this.list.push(['Z', key, score, member]);
  }

  zrem(key: string, member: string): void {
    this.list.push(['R', key, member]);
  }

  /** ZREMRANGEBYSCORE key -inf (max */
  zremBelow(key: string, max: number): void {
    this.list.push(['C', key, max]);
  }

  /** an agent timeline trimmed to the last point before `horizon` and everything after it */
  trimTimeline(timeline: string, points: string, horizon: number): void {
    this.list.push(['T', timeline, points, horizon]);
  }

  /** first-contact-resolution memberships of one (day, dim): customer → delta of that day's contacts */
  fcr(counts: string, summary: string, ttlCounts: number, ttlSummary: number, noCustomerDelta: number, customers: [string, number][]): void {
    this.list.push(['F', counts, summary, ttlCounts, ttlSummary, noCustomerDelta, ...customers.flat()]);
  }

  encode(): Buffer {
    return packr.pack(this.list);
  }
}
