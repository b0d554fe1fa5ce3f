import type { ContractEventInput, EventType } from '../../shared/contract/events.ts';
import { shiftInstant } from './time.ts';

/** A contract event as the replay builds it: time already in epoch ms, center always set. */
export type ReplayEvent = ContractEventInput & { ts: number; center: string };

/** A source row the parser could not turn into events, reported with its 1-based line number. */
export interface UnreadableRow {
  line: number;
  reason: string;
}

/** Something odd but usable in the source (e.g. a hold time that disagrees with the timestamps). */
export interface Warning {
  line: number;
  message: string;
}

export interface ParseOptions {
  /** Zone of the source's wall clock and of source days (selection, shifting). */
  timeZone: string;
  /** Overrides the center of every event (ndjson keeps its own when absent). */
  center?: string;
  /** Inclusive source-day selection, YYYY-MM-DD in `timeZone`. */
  from?: string;
  to?: string;
  /** Move the first selected day to this date, keeping local times of day. */
  shiftTo?: string;
  /** Synthesize agent.state events from service legs (formats without agent states). */
  agents?: boolean;
}

export interface ParseResult {
  /** Sorted by (ts, type order, id). */
  events: ReplayEvent[];
  /** The first unreadable rows (capped at `unreadableLimit`); `unreadableTotal` counts them all. */
  unreadable: UnreadableRow[];
  unreadableTotal: number;
  warnings: Warning[];
  /** Format-specific counters for the summary, in a stable, readable order. */
  notes: Map<string, number>;
  /** First and last selected source day (before shifting); undefined when nothing was selected. */
  firstDay?: string;
  lastDay?: string;
  /** Days added by --shift-to (0 without it). */
  shiftDays: number;
}

/** Raised for input that cannot be replayed at all (wrong header, unknown layout). */
export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

/** Event families added later (KPI pack) sort after the contact events at the same instant. */
const typeOrder: Partial<Record<EventType, number>> = {
  'agent.state': -1,
  // the KPI pack's events (the replay formats do not produce them) sort after contact events
  'survey.rated': 6,
  'ivr.entered': 6,
  'ivr.exited': 6,
  'bot.started': 6,
  'bot.ended': 6,
  'contact.queued': 0,
  'contact.answered': 1,
  'contact.abandoned': 2,
  'contact.transferred': 3,
  'contact.ended': 4,
  'contact.wrapped': 5,
};

/** The engine's own tie order (SEMANTICS.md), so a batch reads like the story it tells. */
export function compareEvents(a: ReplayEvent, b: ReplayEvent): number {
  return a.ts - b.ts || (typeOrder[a.type] ?? 9) - (typeOrder[b.type] ?? 9) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export const unreadableLimit = 1000;

/** Collects unreadable rows, keeping the first `unreadableLimit` and counting all of them. */
export class UnreadableList {
  readonly items: UnreadableRow[] = [];
  total = 0;
  push(line: number, reason: string): void {
    this.total += 1;
    if (this.items.length < unreadableLimit) this.items.push({ line, reason });
  }
}

export class Tally {
  readonly counts = new Map<string, number>();
  add(label: string, n = 1): void {
    this.counts.set(label, (this.counts.get(label) ?? 0) + n);
  }
}

/** Keeps the first `limit` warnings and counts the rest, so a dirty file cannot flood memory. */
export class WarningList {
  readonly items: Warning[] = [];
  constructor(private readonly limit = 200) {}
  push(line: number, message: string): void {
    if (this.items.length < this.limit) this.items.push({ line, message });
  }
}

/** Suffix that makes ids of a shifted replay differ from the same rows replayed on another date. */
export function shiftSuffix(shiftTo: string | undefined): string {
  return shiftTo ? `-s${shiftTo.replaceAll('-', '')}` : '';
}

export function inSelection(day: string, from?: string, to?: string): boolean {
  return (from === undefined || day >= from) && (to === undefined || day <= to);
}

/**
 * Shared by the formats whose times are absolute instants: same local time, `days` later. A
 * contact's or session's events move by the shift of its first one, so they keep their real
 * distances also where the new day has a clock change (per event, a reading inside the skipped or
 * repeated hour would move by an hour against the others: an answer before its queueing).
 */
export function applyShift(events: ReplayEvent[], days: number, opts: ParseOptions, renameIds: boolean): ReplayEvent[] {
  if (!opts.shiftTo) return events;
  const suffix = renameIds ? shiftSuffix(opts.shiftTo) : '';
  const entityOf = (e: ReplayEvent): string | undefined =>
    'contactId' in e ? `c:${e.contactId}` : 'sessionId' in e ? `s:${e.sessionId}` : undefined;
  const first = new Map<string, number>();
  for (const e of events) {
    const k = entityOf(e);
    if (k === undefined) continue;
    const earliest = first.get(k);
    if (earliest === undefined || e.ts < earliest) first.set(k, e.ts);
  }
  const delta = new Map<string, number>();
  for (const [k, ts] of first) delta.set(k, shiftInstant(ts, days, opts.timeZone) - ts);
  return events.map((e) => {
    const k = entityOf(e);
    const moved = { ...e, id: e.id + suffix, ts: k !== undefined ? e.ts + delta.get(k)! : shiftInstant(e.ts, days, opts.timeZone) };
    if ('contactId' in moved) moved.contactId += suffix;
    // IVR / robot sessions are keyed by their session id: another day's copy is another session
    if ('sessionId' in moved) moved.sessionId += suffix;
    return moved;
  });
}
