/**
 * The operations of one `applyWrites.lua` call (its header documents every opcode). Node computes a
 * batch's effect; Redis only applies it, fenced by the writer version, in one atomic script.
 *
 * The operations travel as one MessagePack argument (Redis's Lua has cmsgpack built in), not one
 * argument per value: a batch of 1,000 events is ~45,000 values, which ioredis encodes at ≈ 0.5 µs
 * each, more than computing the batch. MessagePack rather than JSON because stored records are
 * joined with control characters (codec.ts), which JSON escapes as six bytes each and which turn
 * every string two-byte the moment a Chinese name appears.
 *
 * One flat array (opcode, value count, values …) rather than an array per operation: cmsgpack
 * builds one Lua table instead of ~2,300 small ones per batch. Numbers travel as decimal strings:
 * Redis 7.0 formats every Lua number handed to redis.call with "%.17g", 12 % of the script's
 * instructions under callgrind before this change. Every number is an integer below 2^53.
 *
 * Operations are written into the MessagePack buffer as they are produced, not kept as arrays and
 * encoded at the end: a batch's ~1,300 bucket operations of ~15 values each were arrays, their
 * keys concatenated strings and their deltas number-to-string conversions, all garbage the moment
 * they were encoded (the list and its encoding were 12 % of the server's samples at batch 1,000).
 * Integers are written as ASCII digits straight into the buffer, and a key is written from its
 * two parts (bucket base + dimension) without joining them first.
 */
export type Op = (string | number)[];

const initialBytes = 64 << 10;
/** Where the next buffer starts: what the last encoded batch needed (a power of two). A
 * 1,000-event batch's operations fill several hundred KB; growing there from 64 KB copied them
 * three or four times per batch. */
let nextBytes = initialBytes;

export class WriteOps {
  private buf = Buffer.allocUnsafe(nextBytes);
  /** bytes written; the first 5 are the array32 header, filled in by encode() */
  private pos = 5;
  /** values of the flat array: opcode, count and values of every operation */
  private values = 0;
  private encoded = false;

  get empty(): boolean {
    return this.values === 0;
  }

  /** an operation's opcode and value count; its `count` values must follow */
  begin(code: string, count: number): void {
    if (this.encoded) throw new Error('WriteOps: written after encode()');
    this.values += count + 2;
    this.string(code);
    this.room(5);
    if (count < 0x80) this.buf[this.pos++] = count;
    else {
      this.buf[this.pos] = 0xce;
      this.buf.writeUInt32BE(count, this.pos + 1);
      this.pos += 5;
    }
  }

  /** an operation given whole, ['Z', key, score, member] (encodeOps: tests, malformed lists too) */
  push(op: Op): void {
    this.begin(String(op[0]), op.length - 1);
    for (let k = 1; k < op.length; k++) {
      const v = op[k]!;
      if (typeof v === 'number') this.int(v);
      else this.string(v);
    }
  }

  /** HSET key field value … (`flat` alternates fields and values) */
  hset(key: string, flat: readonly string[]): void {
    if (flat.length === 0) return;
    this.begin('H', flat.length + 1);
    this.string(key);
    for (const x of flat) this.string(x);
  }

  pexpire(key: string, ms: number): void {
    this.begin('X', 2);
    this.string(key);
    this.int(ms);
  }

  zadd(key: string, score: number, member: string): void {
    this.begin('Z', 3);
    this.string(key);
    this.int(score);
    this.string(member);
  }

  zrem(key: string, member: string): void {
    this.begin('R', 2);
    this.string(key);
    this.string(member);
  }

  /** ZREMRANGEBYSCORE key -inf (max */
  zremBelow(key: string, max: number): void {
    this.begin('C', 2);
    this.string(key);
    this.int(max);
  }

  /** an agent timeline trimmed to the last point before `horizon` and everything after it */
  trimTimeline(timeline: string, points: string, horizon: number): void {
    this.begin('T', 3);
    this.string(timeline);
    this.string(points);
    this.int(horizon);
  }

  /** first-contact-resolution memberships of one (day, dim): customer → delta of that day's contacts */
  fcr(counts: string, summary: string, ttlCounts: number, ttlSummary: number, noCustomerDelta: number, customers: [string, number][]): void {
    this.begin('F', 5 + customers.length * 2);
    this.string(counts);
    this.string(summary);
    this.int(ttlCounts);
    this.int(ttlSummary);
    this.int(noCustomerDelta);
    for (const [c, d] of customers) {
      this.string(c);
      this.int(d);
    }
  }

  /**
   * An integer as its decimal string, digits straight into the buffer (what String() gives for
   * every safe integer). Anything else (a fraction, which no operation carries) takes String().
   */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.string(String(n));
      return;
    }
    this.room(20);
    let p = this.pos + 1;
    let u = n;
    if (u < 0) {
      this.buf[p++] = 45; // '-'
      u = -u;
    }
    // (x / 10) | 0 is exact below 2^31 only: epoch milliseconds go as two runs of digits
    if (u < 1e9) p = this.digits(p, u, 0);
    else {
      const hi = Math.floor(u / 1e9);
      p = this.digits(p, hi, 0);
      p = this.digits(p, u - hi * 1e9, 9);
    }
    this.buf[this.pos] = 0xa0 | (p - this.pos - 1);
    this.pos = p;
  }

  /** the digits of 0 ≤ u < 1e9 at p, zero-padded to `width`; returns the end */
  private digits(p: number, u: number, width: number): number {
    let n = 1;
    for (let t = u; t >= 10; t = (t / 10) | 0) n++;
    if (n < width) n = width;
    for (let k = p + n - 1; k >= p; k--) {
      this.buf[k] = 48 + (u % 10);
      u = (u / 10) | 0;
    }
    return p + n;
  }

  /** a MessagePack string */
  string(s: string): void {
    this.concat(s, '');
  }

  /**
   * The string a + b, written without joining them (bucket keys are base + dimension). Short
   * ASCII strings are copied character by character; long ones and non-ASCII ones go through
   * Buffer#write (a native call that pays off past a few dozen bytes) behind a str16/str32 header
   * (decoders take a header wider than needed).
   */
  concat(a: string, b: string): void {
    const na = a.length;
    const n = na + b.length;
    this.room(n * 3 + 5);
    const buf = this.buf;
    const p = this.pos;
    if (n < 64) {
      const body = n < 32 ? p + 1 : p + 3;
      let k = 0;
      for (; k < na; k++) {
        const c = a.charCodeAt(k);
        if (c >= 0x80) break;
        buf[body + k] = c;
      }
      if (k === na) {
        for (; k < n; k++) {
          const c = b.charCodeAt(k - na);
          if (c >= 0x80) break;
          buf[body + k] = c;
        }
      }
      if (k === n) {
        if (n < 32) buf[p] = 0xa0 | n;
        else {
          buf[p] = 0xda;
          buf[p + 1] = 0;
          buf[p + 2] = n;
        }
        this.pos = body + n;
        return;
      }
    }
    const wide = n * 3 >= 0x10000;
    const body = p + (wide ? 5 : 3);
    let bytes = buf.write(a, body, 'utf8');
    if (b !== '') bytes += buf.write(b, body + bytes, 'utf8');
    if (wide) {
      buf[p] = 0xdb;
      buf.writeUInt32BE(bytes, p + 1);
    } else {
      buf[p] = 0xda;
      buf.writeUInt16BE(bytes, p + 1);
    }
    this.pos = body + bytes;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** the flat MessagePack array applyWrites.lua reads (once: nothing may be added after) */
  encode(): Buffer {
    this.encoded = true;
    let size = initialBytes;
    while (size < this.pos && size < 16 << 20) size *= 2;
    nextBytes = size;
    this.buf[0] = 0xdd;
    this.buf.writeUInt32BE(this.values, 1);
    return this.buf.subarray(0, this.pos);
  }
}

/** `list` as applyWrites.lua reads it (tests, which also send malformed lists). */
export function encodeOps(list: readonly Op[]): Buffer {
  const ops = new WriteOps();
  for (const op of list) ops.push(op);
  return ops.encode();
}
