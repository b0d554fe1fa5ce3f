import { createHash } from 'node:crypto';
import {
  compareEvents,
  inSelection,
  ReplayInputError,
  shiftSuffix,
  Tally,
  UnreadableList,
  WarningList,
  type ParseOptions,
  type ParseResult,
  type ReplayEvent,
} from './types.ts';
import { addDays, dayNumber, isCalendarDate, parseClock, wallClockToInstant } from './time.ts';

/**
 * Technion "Anonymous Bank" call log (one tab-separated row per call that left the IVR) → contract
 * events. Mapping (issue 3): one queue per `type`, channel voice, agent = `server`; PHANTOM rows
 * ignored; a call is offered when it has a queue leg (`q_start` ≠ 0:00:00) or was served (AGENT).
 *
 * Rows of one day are scattered over the file (it is grouped by VRU line), so the parser reads
 * line by line but keeps the selected days' calls in memory and sorts at the end: memory grows
 * with the selection (~200 bytes per call), not with the file.
 */

export const serviceTypes = ['PS', 'PE', 'IN', 'NE', 'NW', 'TT'] as const;
const requiredColumns = [
  'vru+line',
  'call_id',
  'customer_id',
  'type',
  'date',
  'vru_entry',
  'vru_exit',
  'q_start',
  'q_exit',
  'outcome',
  'ser_start',
  'ser_exit',
  'server',
] as const;
type Column = (typeof requiredColumns)[number];

const daySec = 86_400;

/** One call reduced to wall-clock seconds since its source day's midnight (may exceed a day). */
export interface BankCall {
  line: number;
  day: string;
  key: string;
  queue: string;
  agent: string;
  customer?: string;
  queuedAt: number;
  answeredAt?: number;
  endedAt?: number;
  abandonedAt?: number;
}

/**
 * Places a wall-clock reading on the call's own timeline: the day offset that puts it nearest to
 * the previous reading. A leg ending "before" it started by hours crossed midnight; a reading a
 * few seconds early (service starting a second before the queue exit, negative vru_time) is dirt
 * and stays on the same day. Both rules agree on every real midnight crossing.
 */
export function placeNear(clockSec: number, anchorSec: number): number {
  return clockSec + Math.round((anchorSec - clockSec) / daySec) * daySec;
}

export async function parseAnonymousBank(lines: AsyncIterable<string>, opts: ParseOptions): Promise<ParseResult> {
  const unreadable = new UnreadableList();
  const warnings = new WarningList();
  const notes = new Tally();
  const calls: BankCall[] = [];
  let columns: Map<string, number> | undefined;
  let lineNo = 0;

  for await (const raw of lines) {
    lineNo += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (columns === undefined) {
      columns = readHeader(text);
      continue;
    }
    if (text.trim() === '') continue;
    notes.add('rows read');
    const fields = text.split('\t');
    if (fields.length !== columns.size) {
      unreadable.push(lineNo, `expected ${columns.size} tab-separated fields, found ${fields.length}`);
      continue;
    }
    const get = (c: Column) => fields[columns!.get(c)!]!.trim();
    const result = readCall(get, lineNo, opts, notes);
    if (typeof result === 'string') unreadable.push(lineNo, result);
    else if (result) calls.push(result);
  }
  if (columns === undefined) throw new ReplayInputError('empty file: expected a header line');

  const days = calls.map((c) => c.day).sort();
  const firstDay = opts.from ?? days[0];
  const lastDay = days.at(-1);
  const shiftDays = opts.shiftTo && firstDay ? dayNumber(opts.shiftTo) - dayNumber(firstDay) : 0;
  const events = toEvents(calls, opts, shiftDays, notes);
  events.sort(compareEvents);
  return {
    events,
    unreadable: unreadable.items,
    unreadableTotal: unreadable.total,
    warnings: warnings.items,
    notes: notes.counts,
    firstDay: days[0],
    lastDay,
    shiftDays,
  };
}

function readHeader(text: string): Map<string, number> {
  const names = text.split('\t').map((s) => s.trim());
  const missing = requiredColumns.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    throw new ReplayInputError(
      `line 1: not an anonymous-bank header (missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')})`,
    );
  }
  return new Map(names.map((n, i) => [n, i]));
}

/** Returns the call, undefined for a row that is fine but produces nothing, or the reason it is unreadable. */
function readCall(
  get: (c: Column) => string,
  line: number,
  opts: ParseOptions,
  notes: Tally,
): BankCall | undefined | string {
  const rawDate = get('date');
  if (!/^\d{6}$/.test(rawDate)) return `date: expected YYMMDD, got "${rawDate}"`;
  const yy = Number(rawDate.slice(0, 2));
  const day = `${yy >= 70 ? 19 : 20}${rawDate.slice(0, 2)}-${rawDate.slice(2, 4)}-${rawDate.slice(4, 6)}`;
  if (!isCalendarDate(day)) return `date: "${rawDate}" is not a calendar date`;
  if (!inSelection(day, opts.from, opts.to)) {
    notes.add('rows outside --from/--to');
    return undefined;
  }

  const outcome = get('outcome');
  if (outcome === 'PHANTOM') {
    notes.add('PHANTOM rows ignored');
    return undefined;
  }
  if (outcome !== 'AGENT' && outcome !== 'HANG') return `outcome: unknown value "${outcome}"`;
  const queue = get('type');
  if (!(serviceTypes as readonly string[]).includes(queue)) return `type: invalid call type "${queue}"`;
  const vruLine = get('vru+line');
  const callId = get('call_id');
  if (!/^[A-Za-z0-9]+$/.test(vruLine)) return `vru+line: unreadable "${vruLine}"`;
  if (!/^\d+$/.test(callId)) return `call_id: unreadable "${callId}"`;

  const clocks = {} as Record<'vru_entry' | 'vru_exit' | 'q_start' | 'q_exit' | 'ser_start' | 'ser_exit', number>;
  for (const c of ['vru_entry', 'vru_exit', 'q_start', 'q_exit', 'ser_start', 'ser_exit'] as const) {
    const v = parseClock(get(c));
    if (v === undefined) return `${c}: unreadable time "${get(c)}"`;
    clocks[c] = v;
  }
  // 0:00:00 is the source's "no such leg"; a real event at exactly midnight is indistinguishable.
  const hasQueueLeg = clocks.q_start !== 0;
  const served = outcome === 'AGENT';
  if (!hasQueueLeg && !served) {
    notes.add('hung up in the IVR (not offered)');
    return undefined;
  }
  if (hasQueueLeg && clocks.q_exit === 0) return 'q_exit: missing (0:00:00) for a call with a queue leg';
  const hasServiceLeg = served && clocks.ser_start !== 0;

  // Walk the call's readings in order, each placed nearest the previous one.
  let anchor = clocks.vru_entry;
  const place = (sec: number) => (anchor = placeNear(sec, anchor));
  const vruExit = place(clocks.vru_exit);
  if (vruExit < clocks.vru_entry) notes.add('negative vru_time (IVR exit before entry; kept)');
  const qStart = hasQueueLeg ? place(clocks.q_start) : undefined;
  const qExit = hasQueueLeg ? place(clocks.q_exit) : undefined;
  const serStart = hasServiceLeg ? place(clocks.ser_start) : undefined;
  const serExit = hasServiceLeg ? place(clocks.ser_exit) : undefined;
  if ([vruExit, qStart, qExit, serStart, serExit].some((t) => t !== undefined && t >= daySec)) {
    notes.add('calls crossing midnight (later legs moved to the next day)');
  }

  const customer = get('customer_id');
  const call: BankCall = {
    line,
    day,
    key: `ab-${rawDate}-${vruLine}-${callId}`,
    queue,
    agent: get('server'),
    queuedAt: qStart ?? vruExit,
    ...(customer !== '0' && customer !== '' ? { customer } : {}),
  };
  notes.add('offered calls');
  if (served) {
    if (!hasQueueLeg) notes.add('served without a queue leg (queued at vru_exit)');
    if (call.agent === 'NO_SERVER') notes.add('served by NO_SERVER (agentId "NO_SERVER")');
    if (serStart !== undefined && serExit !== undefined) {
      if (serStart < call.queuedAt) notes.add('service starting before it was queued (answered at queued, wait 0)');
      call.answeredAt = Math.max(serStart, call.queuedAt);
      call.endedAt = Math.max(serExit, call.answeredAt);
    } else {
      // The row says AGENT but has no service times: the call left the queue to an agent at q_exit.
      notes.add('AGENT without service times (answered at q_exit or vru_exit, no talk)');
      call.answeredAt = Math.max(qExit ?? vruExit, call.queuedAt);
    }
  } else {
    call.abandonedAt = Math.max(qExit!, call.queuedAt);
  }
  return call;
}

function toEvents(calls: BankCall[], opts: ParseOptions, shiftDays: number, notes: Tally): ReplayEvent[] {
  const center = opts.center ?? 'default';
  const suffix = shiftSuffix(opts.shiftTo);
  const events: ReplayEvent[] = [];
  const agentQueues = new Map<string, Set<string>>();
  const agentLastFree = new Map<string, { day: string; sourceDay: string; at: number }>();
  for (const c of calls) {
    const day = addDays(c.day, shiftDays);
    // Unshifted, every reading is the source's own wall clock. Shifted, only the call's first one
    // is placed on the new day's wall clock and the rest keep their distance from it: a new day
    // with a clock change would otherwise move a reading inside the skipped or repeated hour by an
    // hour against the others (an answer before its queueing, or an hour more of wait).
    const queuedAt = wallClockToInstant(day, c.queuedAt, opts.timeZone);
    const at = (sec: number) => (shiftDays === 0 ? wallClockToInstant(day, sec, opts.timeZone) : queuedAt + (sec - c.queuedAt) * 1000);
    const contactId = c.key + suffix;
    events.push({
      id: `${contactId}-queued`,
      type: 'contact.queued',
      ts: at(c.queuedAt),
      center,
      contactId,
      queue: c.queue,
      channel: 'voice',
      ...(c.customer ? { customerId: hashCustomer(c.customer) } : {}),
    });
    if (c.abandonedAt !== undefined) {
      events.push({ id: `${contactId}-abandoned`, type: 'contact.abandoned', ts: at(c.abandonedAt), center, contactId, queue: c.queue });
      continue;
    }
    if (c.answeredAt === undefined) continue;
    const agentId = c.agent;
    events.push({ id: `${contactId}-answered`, type: 'contact.answered', ts: at(c.answeredAt), center, contactId, agentId, queue: c.queue });
    if (c.endedAt === undefined) continue;
    events.push({ id: `${contactId}-ended`, type: 'contact.ended', ts: at(c.endedAt), center, contactId, agentId });
    events.push({ id: `${contactId}-wrapped`, type: 'contact.wrapped', ts: at(c.endedAt), center, contactId, agentId });
    if (opts.agents && agentId !== 'NO_SERVER') {
      const queues = agentQueues.get(agentId) ?? new Set<string>();
      queues.add(c.queue);
      agentQueues.set(agentId, queues);
      const base = { type: 'agent.state' as const, center, agentId, queues: [] as string[] };
      events.push({ ...base, id: agentEventId(c, agentId, c.answeredAt, 'b', suffix), ts: at(c.answeredAt), state: 'on_contact' });
      events.push({ ...base, id: agentEventId(c, agentId, c.endedAt, 'a', suffix), ts: at(c.endedAt), state: 'available' });
      const key = `${c.day}\u0000${agentId}`;
      const last = agentLastFree.get(key);
      if (!last || last.at < c.endedAt) agentLastFree.set(key, { day, sourceDay: c.day, at: c.endedAt });
    }
  }
  if (opts.agents) {
    // After an agent's last call of a day the log says nothing: log them out rather than leave
    // them "available" overnight. Queues = every queue the agent served in the selection.
    for (const [key, last] of agentLastFree) {
      const agentId = key.split('\u0000')[1]!;
      events.push({
        id: `ab-${last.sourceDay.slice(2).replaceAll('-', '')}-agent-${agentId}-off${suffix}`,
        type: 'agent.state',
        ts: wallClockToInstant(last.day, last.at, opts.timeZone) + 1000,
        center,
        agentId,
        state: 'logged_out',
        queues: [],
      });
    }
    for (const e of events) {
      if (e.type === 'agent.state') e.queues = [...(agentQueues.get(e.agentId) ?? [])].sort();
    }
    notes.add('agent.state events synthesized (--agents)', events.filter((e) => e.type === 'agent.state').length);
  }
  return events;
}

/**
 * The engine orders an agent's states by (ts, id), so ids must sort like the story: at the same
 * second an agent first becomes free from one call ("a") and then busy with the next ("b").
 */
function agentEventId(c: BankCall, agentId: string, sec: number, order: 'a' | 'b', suffix: string): string {
  const [, date, vru, callId] = c.key.split('-');
  return `ab-${date}-agent-${agentId}-${String(sec).padStart(6, '0')}-${order}-${vru}-${callId}${suffix}`;
}

/** customer_id is already anonymous in the source; hash it anyway so no source id leaves the tool. */
function hashCustomer(id: string): string {
  return `c-${createHash('sha256').update(`anonymous-bank:${id}`).digest('hex').slice(0, 16)}`;
}
