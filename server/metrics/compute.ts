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
  const nOf = (i: number, code: string) => agentBuckets[i]?.[`n:${code}`] ?? 0;
  const before: Record<string, number> = {};
  for (const s of timedStates) {
    const code = stateCode[s];
    let after = 0;
    for (const row of plan.rows) for (const i of [...row.timed, ...row.untimed]) after += nOf(i, code);
    for (const i of plan.tail) after += nOf(i, code);
    before[s] = (liveByState[s] ?? 0) - after;
  }
  return plan.rows.map((row) => {
    const contacts = emptyContactSums();
    for (const i of [...row.timed, ...row.untimed]) {
      const b = contactBuckets[i];
      if (!b) continue;
      for (const k of contactSumKeys) contacts[k] += b[contactField[k]] ?? 0;
    }
    const stateMs = emptyStateTime();
    for (const s of timedStates) {
      const code = stateCode[s];
      let t = before[s]! * (row.timeEnd - row.a);
      for (const i of row.timed) {
        const b = agentBuckets[i];
        if (!b) continue;
        t += (b[`n:${code}`] ?? 0) * (row.timeEnd - plan.pieces[i]!.startMs) - (b[`m:${code}`] ?? 0);
      }
      stateMs[s] = t;
      for (const i of [...row.timed, ...row.untimed]) before[s]! += nOf(i, code);
    }
    return { contacts, stateMs };
  });
}
