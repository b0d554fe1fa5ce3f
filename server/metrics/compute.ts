import {
  contactSumKeys,
  emptyContactSums,
  emptyStateTime,
  timedStates,
  type ContactSums,
  type StateTimeMs,
} from '../../shared/metrics/raw.ts';
import { contactField, stateCode } from './codec.ts';
import type { Plan } from './plan.ts';

/**
 * One bucket hash as a fixed-layout array (index = `bucketFieldIndex.get(field)`); absent = empty
 * bucket. A board push reads ~2,000 buckets and sums each field over ~40 pieces for ~50 scopes:
 * indexed Float64Array reads instead of string-keyed lookups on ad-hoc objects (V8's dictionary
 * mode) cut that loop several times.
 */
export type BucketFields = Float64Array;

const stateIndex = new Map(timedStates.map((s, i) => [s, i]));
const contactFieldCount = contactSumKeys.length;
const nIndex = (stateI: number) => contactFieldCount + stateI;
const mIndex = (stateI: number) => contactFieldCount + timedStates.length + stateI;
export const bucketFieldCount = contactFieldCount + 2 * timedStates.length;

/** hash field name → array index: contact sums first, then `n:<code>`, then `m:<code>` */
export const bucketFieldIndex = new Map<string, number>([
  ...contactSumKeys.map((k, i) => [contactField[k], i] as const),
  ...timedStates.map((s) => [`n:${stateCode[s]}`, nIndex(stateIndex.get(s)!)] as const),
  ...timedStates.map((s) => [`m:${stateCode[s]}`, mIndex(stateIndex.get(s)!)] as const),
]);

/** A bucket from the flat `[field, value, ...]` reply of HGETALL; fields of no known sum are ignored. */
export function bucketFromFlat(flat: string[]): BucketFields {
  const b = new Float64Array(bucketFieldCount);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const idx = bucketFieldIndex.get(flat[i]!);
    if (idx !== undefined) b[idx] = Number(flat[i + 1]);
  }
  return b;
}

export interface RowSums {
  contacts: ContactSums;
  stateMs: StateTimeMs;
}

/**
 * Raw sums of every plan row from bucket contents.
 *
 * Time in state s over [a, t) = N(a⁻) × (t − a) + Σ transitions τ ∈ [a, t) of sign × (t − τ),
 * and per bucket Σ sign × (t − τ) = n × (t − start) − m. N(a⁻) (agents in s just before a) is not
 * stored: it is the live count minus every transition at or after a, which the plan's pieces and
 * tail cover up to asOf + 61 s (ingest accepts nothing later).
 */
export function rowSums(
  plan: Plan,
  contactBuckets: (BucketFields | undefined)[],
  agentBuckets: (BucketFields | undefined)[],
  liveByState: Partial<Record<string, number>>,
): RowSums[] {
  // Runs once per scope per board push: integer sums only, so the order of additions cannot
  // change a result.
  const nStates = timedStates.length;
  const before = new Float64Array(nStates);
  for (let si = 0; si < nStates; si++) {
    const ni = nIndex(si);
    let after = 0;
    for (let i = 0; i < agentBuckets.length; i++) {
      const b = agentBuckets[i];
      if (b) after += b[ni]!;
    }
    before[si] = (liveByState[timedStates[si]!] ?? 0) - after;
  }
  return plan.rows.map((row) => {
    const rowPieces = row.untimed.length === 0 ? row.timed : row.timed.concat(row.untimed);
    const c = new Float64Array(contactFieldCount);
    for (const i of rowPieces) {
      const b = contactBuckets[i];
      if (!b) continue;
      for (let k = 0; k < contactFieldCount; k++) c[k]! += b[k]!;
    }
    const contacts = emptyContactSums();
    contactSumKeys.forEach((k, i) => (contacts[k] = c[i]!));
    const stateMs = emptyStateTime();
    for (let si = 0; si < nStates; si++) {
      const ni = nIndex(si);
      const mi = mIndex(si);
      let t = before[si]! * (row.timeEnd - row.a);
      for (const i of row.timed) {
        const b = agentBuckets[i];
        if (!b) continue;
        t += b[ni]! * (row.timeEnd - plan.pieces[i]!.startMs) - b[mi]!;
      }
      stateMs[timedStates[si]!] = t;
      for (const i of rowPieces) {
        const b = agentBuckets[i];
        if (b) before[si]! += b[ni]!;
      }
    }
    return { contacts, stateMs };
  });
}
