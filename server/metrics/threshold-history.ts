/**
 * When a queue's service-level or short-abandon threshold changed (a new configuration, read at
 * start), so that a figure spanning the change says so instead of quoting today's threshold for
 * contacts judged under yesterday's.
 *
 * Why a history and not a recount: a contact is judged against its queue's threshold when it is
 * counted (SEMANTICS.md); the buckets keep counts, not waits, so 35 days of intervals cannot be
 * re-judged under a new threshold. What can be done honestly is to state the change: every result
 * whose span contains it lists it (`thresholdChanges`), and the screens mark the figure.
 *
 * Stored per center in one small hash (`Keys.thresholdHistory`): queue → JSON
 * `{sl, sh, ch: [[at, fromSl, toSl, fromSh, toSh], …]}` (ms), the thresholds in force and the
 * changes within the interval retention. Written only at start, by `RedisMetricEngine.init`; held in
 * memory after. A process started before another process changed the configuration does not see
 * that change until it restarts (processes of one deployment share one configuration).
 */
import { z } from 'zod';

/** the thresholds a queue's contacts are judged against, in ms */
export interface QueueThresholds {
  slMs: number;
  shortMs: number;
}

/** one change of one queue's thresholds, as held in memory */
export interface ThresholdChange {
  queue: string;
  at: number;
  /** null when this threshold did not change at `at` */
  serviceLevelMs: { from: number; to: number } | null;
  shortAbandonMs: { from: number; to: number } | null;
}

const storedRecord = z.object({
  sl: z.number(),
  sh: z.number(),
  ch: z.array(z.tuple([z.number(), z.number(), z.number(), z.number(), z.number()])),
});
type StoredRecord = z.infer<typeof storedRecord>;

/** a stored value this version cannot read (hand-edited, or a later layout) is treated as absent: the history starts again */
export function parseStoredRecord(raw: string | undefined): StoredRecord | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = storedRecord.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record after a start with `current` thresholds: a change appended when they differ from the
 * stored ones (none on the first start: nothing was counted under another threshold that this
 * history knew of), changes at or before `keepAfterMs` dropped (the intervals they concern are gone).
 * Returns undefined when nothing needs writing.
 */
export function nextRecord(stored: StoredRecord | undefined, current: QueueThresholds, nowMs: number, keepAfterMs: number): StoredRecord | undefined {
  if (!stored) return { sl: current.slMs, sh: current.shortMs, ch: [] };
  const kept = stored.ch.filter(([at]) => at > keepAfterMs);
  const changed = stored.sl !== current.slMs || stored.sh !== current.shortMs;
  if (!changed && kept.length === stored.ch.length) return undefined;
  if (changed) kept.push([nowMs, stored.sl, current.slMs, stored.sh, current.shortMs]);
  return { sl: current.slMs, sh: current.shortMs, ch: kept };
}

/** the changes of a record, as held in memory */
export function changesOf(queue: string, record: StoredRecord): ThresholdChange[] {
  return record.ch.map(([at, fromSl, toSl, fromSh, toSh]) => ({
    queue,
    at,
    serviceLevelMs: fromSl !== toSl ? { from: fromSl, to: toSl } : null,
    shortAbandonMs: fromSh !== toSh ? { from: fromSh, to: toSh } : null,
  }));
}

/**
 * The changes a result over (from, to] must state: made after its first contact could have been
 * counted and no later than its end. A change at exactly `from` split nothing inside the span.
 */
export function changesWithin(changes: readonly ThresholdChange[], fromMs: number, toMs: number): ThresholdChange[] {
  return changes.filter((c) => c.at > fromMs && c.at <= toMs);
}

/**
 * A queue's service-level threshold in force at `atMs`: the one the first change after `atMs`
 * changed from, else `current`. Contacts re-counted by a late event after a change are judged
 * against the new one (they are counted again then), so a row before the change may hold a few of
 * those; the row is labelled with what the rest were judged against.
 */
export function serviceLevelMsAt(changes: readonly ThresholdChange[], queue: string, atMs: number, current: number): number {
  let at = Infinity;
  let value = current;
  for (const c of changes) {
    if (c.queue === queue && c.serviceLevelMs && c.at > atMs && c.at < at) {
      at = c.at;
      value = c.serviceLevelMs.from;
    }
  }
  return value;
}
