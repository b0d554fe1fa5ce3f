import type { z } from 'zod';
import { contractEvent, eventTypes, type ContractEvent } from '../../shared/contract/events.ts';

export type Checked = { ok: true; event: ContractEvent } | { ok: false; reason: string };

/** One readable reason naming the field(s), e.g. `queue: Required`, `unknown field "agnetId"`. */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      if (i.code === 'unrecognized_keys') return i.keys.map((k) => `unknown field "${[path, k].filter(Boolean).join('.')}"`).join('; ');
      if (i.code === 'invalid_union' && i.path.length === 1 && i.path[0] === 'type') {
        return `type: must be one of ${eventTypes.join(', ')}`;
      }
      if (i.code === 'invalid_union' && path === 'ts') return 'ts: must be ISO-8601 with an offset or epoch milliseconds';
      if (i.code === 'invalid_type' && / received undefined$/.test(i.message)) return `${path}: Required`;
      return `${path || '(event)'}: ${i.message}`;
    })
    .join('; ');
}

export function checkEvent(input: unknown): Checked {
  const r = contractEvent.safeParse(input);
  return r.success ? { ok: true, event: r.data } : { ok: false, reason: describeIssues(r.error.issues) };
}

/** The producer's id, echoed in results even when the event is rejected. */
export function idOf(input: unknown): string | undefined {
  const id = (input as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : undefined;
}
