import type { ContractEvent } from '../../shared/contract/events.ts';
import type { ContactSums, TimedState } from '../../shared/metrics/raw.ts';

/**
 * The compact encoding of stored records and bucket fields (server/metrics/write/, and the read
 * scripts in server/redis/lua).
 * Events are already validated by zod, whose identifier rule forbids control characters, so the
 * separators US (\x1f) and RS (\x1e) cannot appear inside a value.
 */
export const US = '\x1f';
export const RS = '\x1e';

/** Bucket hash field of each contact sum (short names: a bucket is written ~16× per event). */
export const contactField: Record<keyof ContactSums, string> = {
  arrivals: 'arr',
  answered: 'ans',
  answeredInThreshold: 'ait',
  answeredWaitMs: 'awm',
  abandoned: 'abn',
  abandonedInThreshold: 'bit',
  shortAbandoned: 'sab',
  transferredOut: 'xfr',
  talkCount: 'tc',
  talkMs: 'tm',
  handleCount: 'hc',
  handleMs: 'hm',
};

/**
 * `n:<code>` = Σ transition signs, `m:<code>` = Σ sign × (t − bucketStart) per timed state.
 *
 * In the 1 s level (fields "<field>.<second>") the two travel as one field `p:<code>` =
 * n × agentPackBase + m, since HINCRBY adds both at once: half the increments of the busiest
 * level, which was two thirds of a batch's HINCRBYs (server/redis/lua/lib/buckets.lua unpacks
 * it, and still reads the separate n:/m: fields of the 1 s hashes an earlier version wrote). A
 * second's m stays within ±1,000 ms × its transitions, so 2^34 leaves room for 8.5 million
 * transitions per second and dimension, and |n| below 2^19 keeps every value an exact double
 * (Lua) below 2^53: no dimension has half a million agents changing state in one second.
 */
export const agentPackBase = 2 ** 34;

export const stateCode: Record<TimedState, string> = {
  available: 'av',
  ringing: 'rg',
  on_contact: 'oc',
  hold: 'ho',
  acw: 'aw',
  not_ready: 'nr',
};

export const contactTypeCode = {
  'contact.queued': '0',
  'contact.answered': '1',
  'contact.abandoned': '2',
  'contact.transferred': '3',
  'contact.ended': '4',
  'contact.wrapped': '5',
} as const;

// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const controlCharsGlobal = /[\u0000-\u001f\u007f]/g;

// in unicode mode a surrogate pair is one code point, so this matches only a lone surrogate
const loneSurrogate = /[\ud800-\udfff]/u;

/** Why an otherwise valid event cannot be encoded, or undefined. Event ids are free text in the
 * contract; only control characters (the encoding's separators) and lone surrogates are refused. */
export function encodingProblem(e: ContractEvent): string | undefined {
  if (controlChars.test(e.id)) return 'id: must not contain control characters';
  // the writer sends its operations as UTF-8 (server/metrics/write/ops.ts), where a lone UTF-16
  // surrogate has no UTF-8 form; no producer means one, so it is refused rather than mangled
  // for…in rather than Object.entries: this runs for every event, and the entry pairs were 6 % of
  // the server's allocations under batch ingest
  for (const field in e) {
    const v: unknown = (e as Record<string, unknown>)[field];
    if (typeof v === 'string' ? loneSurrogate.test(v) : Array.isArray(v) && v.some((x) => typeof x === 'string' && loneSurrogate.test(x))) {
      return `${field}: must be well-formed Unicode (a lone surrogate)`;
    }
  }
  return undefined;
}

/** a display name is free text: control characters become spaces rather than a rejection */
export function displayName(name: string | undefined): string {
  return (name ?? '').replace(controlCharsGlobal, ' ');
}
