import { contractEvent } from '../../shared/contract/events.ts';
import { dayNumber, localDateOf } from './time.ts';
import {
  applyShift,
  compareEvents,
  inSelection,
  Tally,
  UnreadableList,
  type ParseOptions,
  type ParseResult,
  type ReplayEvent,
} from './types.ts';

/**
 * One contract event per line, validated with the shared zod schema before anything is sent, so
 * a bad line is reported with its line number instead of as a rejection from the server.
 * `--center` overrides each event's center; without it the event's own (or "default") is kept.
 */
export async function parseNdjson(lines: AsyncIterable<string>, opts: ParseOptions): Promise<ParseResult> {
  const unreadable = new UnreadableList();
  const notes = new Tally();
  let events: ReplayEvent[] = [];
  const days: string[] = [];
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo += 1;
    const text = raw.trim();
    if (text === '') continue;
    notes.add('lines read');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      unreadable.push(lineNo, `not JSON: ${(err as Error).message}`);
      continue;
    }
    const parsed = contractEvent.safeParse(json);
    if (!parsed.success) {
      const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ');
      unreadable.push(lineNo, reason);
      continue;
    }
    const event = { ...parsed.data, ...(opts.center ? { center: opts.center } : {}) } as ReplayEvent;
    const day = localDateOf(event.ts, opts.timeZone);
    if (!inSelection(day, opts.from, opts.to)) {
      notes.add('events outside --from/--to');
      continue;
    }
    days.push(day);
    events.push(event);
  }
  days.sort();
  const firstDay = opts.from ?? days[0];
  const shiftDays = opts.shiftTo && firstDay ? dayNumber(opts.shiftTo) - dayNumber(firstDay) : 0;
  events = applyShift(events, shiftDays, opts, true);
  events.sort(compareEvents);
  return {
    events,
    unreadable: unreadable.items,
    unreadableTotal: unreadable.total,
    warnings: [],
    notes: notes.counts,
    firstDay: days[0],
    lastDay: days.at(-1),
    shiftDays,
  };
}
