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

/** field → value of one bucket hash; absent = empty bucket */
export type BucketFields = Record<string, number>;

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
  // Runs once per scope per board push (54 scopes × 4 pushes/s): field names are precomputed and
  // pieces walked by index, no spread arrays or template strings in the loops (all sums are
  // integers, so the order of additions cannot change a result).
  const before: Record<string, number> = {};
  for (const s of timedStates) {
    const nf = nField[s];
    let after = 0;
    for (let i = 0; i < agentBuckets.length; i++) after += agentBuckets[i]?.[nf] ?? 0;
    before[s] = (liveByState[s] ?? 0) - after;
  }
  return plan.rows.map((row) => {
    const contacts = emptyContactSums();
    const rowPieces = row.untimed.length === 0 ? row.timed : row.timed.concat(row.untimed);
    for (const i of rowPieces) {
      const b = contactBuckets[i];
      if (!b) continue;
      for (const [k, f] of contactFieldEntries) {
        const v = b[f];
        if (v !== undefined) contacts[k] += v;
      }
    }
    const stateMs = emptyStateTime();
    for (const s of timedStates) {
      const nf = nField[s];
      const mf = mField[s];
      let t = before[s]! * (row.timeEnd - row.a);
      for (const i of row.timed) {
        const b = agentBuckets[i];
        if (!b) continue;
        t += (b[nf] ?? 0) * (row.timeEnd - plan.pieces[i]!.startMs) - (b[mf] ?? 0);
      }
      stateMs[s] = t;
      for (const i of rowPieces) before[s]! += agentBuckets[i]?.[nf] ?? 0;
    }
    return { contacts, stateMs };
  });
}

const nField = Object.fromEntries(timedStates.map((s) => [s, `n:${stateCode[s]}`])) as Record<(typeof timedStates)[number], string>;
const mField = Object.fromEntries(timedStates.map((s) => [s, `m:${stateCode[s]}`])) as Record<(typeof timedStates)[number], string>;
const contactFieldEntries = contactSumKeys.map((k) => [k, contactField[k]] as const);
