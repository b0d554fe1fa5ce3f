import type { AgentState } from '../../shared/contract/events.ts';
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
import { dayNumber, localDateOf } from './time.ts';
import { isPipeRow, readPipeRow, tableReader, type QueueLogRow } from './asterisk-rows.ts';
import { applyShift } from './types.ts';

export { readPipeRow, splitCsv } from './asterisk-rows.ts';

/**
 * Asterisk queue_log → contract events. Reads both layouts:
 * - the flat file `epoch|callid|queue|agent|EVENT|data1|data2|…` (Asterisk "Queue Logs" docs);
 * - a CSV export of the realtime `queue_log` table with a header line. Column names vary between
 *   installs, so they are matched by name: time (`date_time`, or `time` as epoch or local
 *   "YYYY-MM-DD HH:MM:SS"), `callid`, `queuename`/`queue_name`, `agent` (or `type`, as in the
 *   shared export), `event`, `data1…`/`param1…`, and optional `htime`/`ttime` (hold/talk seconds).
 *
 * The queue_log is written in time order, so events come out in file order (sorted again for
 * safety); only open calls and agent memberships are kept in memory.
 */

const ignoredEvents = new Set([
  'RINGNOANSWER',
  'RINGCANCELED',
  'QUEUESTART',
  'CONFIGRELOAD',
  'SYSCOMPAT',
  'AGENTDUMP',
  'DID',
  'INFO',
]);
const abandonEvents = new Set(['ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'EXITEMPTY']);
const completeEvents = new Set(['COMPLETECALLER', 'COMPLETEAGENT']);
const transferEvents = new Set(['TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER']);
const agentEvents = new Set([
  'PAUSE',
  'PAUSEALL',
  'UNPAUSE',
  'UNPAUSEALL',
  'ADDMEMBER',
  'REMOVEMEMBER',
  'AGENTLOGIN',
  'AGENTCALLBACKLOGIN',
  'AGENTLOGOFF',
  'AGENTCALLBACKLOGOFF',
]);
/** CONNECT hold time vs ENTERQUEUE→CONNECT: Asterisk rounds both to seconds, so allow 2 s. */
const holdToleranceSec = 2;


/**
 * Agent ids: queue_log names the same person by interface ("Local/1127@callback-agent" in
 * ADDMEMBER, "Agent/1127" in CONNECT), so the id is the part after the technology and before
 * "@": both become "1127". A SIP channel's "-0000002a" instance suffix is dropped too.
 */
export function agentIdOf(member: string): string {
  let s = member.trim();
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(slash + 1);
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  s = s.replace(/-[0-9a-f]{8}$/i, '');
  return s || member;
}

interface CallState {
  contactId: string;
  queue?: string;
  enteredAt?: number;
  open: boolean;
  answered: boolean;
  conversationOpen: boolean;
  counts: Map<string, number>;
}

interface AgentFlags {
  queues: Set<string>;
  loggedIn: boolean;
  paused: boolean;
  pauseReason?: string;
  onCall: boolean;
}

export async function parseAsteriskQueueLog(lines: AsyncIterable<string>, opts: ParseOptions): Promise<ParseResult> {
  const unreadable = new UnreadableList();
  const warnings = new WarningList();
  const notes = new Tally();
  const center = opts.center ?? 'default';
  const events: ReplayEvent[] = [];
  const calls = new Map<string, CallState & { day: string; selected: boolean }>();
  const agents = new Map<string, AgentFlags>();
  const suffix = shiftSuffix(opts.shiftTo);
  const agentIdCounts = new Map<string, number>();
  /**
   * The engine orders an agent's states by (ts, id): a per-second sequence number keeps
   * same-second events (REMOVEMEMBER then AGENTCALLBACKLOGOFF) in file order.
   */
  const agentEventId = (agentId: string, ts: number, label: string) => {
    const base = `aq-agent-${agentId}-${Math.floor(ts / 1000)}`;
    const n = (agentIdCounts.get(base) ?? 0) + 1;
    agentIdCounts.set(base, n);
    return `${base}-${String(n).padStart(3, '0')}-${label}${suffix}`;
  };
  const days: string[] = [];
  let reader: ((text: string, line: number) => QueueLogRow | string) | undefined;
  let lineNo = 0;

  for await (const raw of lines) {
    lineNo += 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') continue;
    if (reader === undefined) {
      if (!isPipeRow(text)) {
        reader = tableReader(text, opts.timeZone);
        continue;
      }
      reader = readPipeRow;
    }
    notes.add('rows read');
    const row = reader(text, lineNo);
    if (typeof row === 'string') {
      unreadable.push(lineNo, row);
      continue;
    }
    const emit = (e: ReplayEvent) => events.push(e);
    if (ignoredEvents.has(row.event) || row.event.startsWith('OUT')) {
      if (inSelection(localDateOf(row.ts, opts.timeZone), opts.from, opts.to)) {
        notes.add(`ignored ${row.event.startsWith('OUT') ? 'OUT* (outbound)' : row.event}`);
      }
      continue;
    }
    if (agentEvents.has(row.event)) {
      const day = localDateOf(row.ts, opts.timeZone);
      const agentId = agentIdOf(row.agent);
      const flags = agents.get(agentId) ?? { queues: new Set(), loggedIn: false, paused: false, onCall: false };
      agents.set(agentId, flags);
      applyAgentEvent(flags, row);
      if (!inSelection(day, opts.from, opts.to)) continue;
      days.push(day);
      emit(agentStateEvent(agentEventId(agentId, row.ts, row.event.toLowerCase()), row.ts, center, agentId, flags));
      notes.add(`agent ${row.event} → agent.state`);
      continue;
    }
    if (!abandonEvents.has(row.event) && !completeEvents.has(row.event) && !transferEvents.has(row.event) && row.event !== 'ENTERQUEUE' && row.event !== 'CONNECT') {
      notes.add(`ignored ${row.event} (unknown event)`);
      continue;
    }
    if (!row.callid || row.callid === 'NONE') {
      unreadable.push(lineNo, `${row.event} without a callid`);
      continue;
    }
    let call = calls.get(row.callid);
    if (!call) {
      const day = localDateOf(row.ts, opts.timeZone);
      call = {
        contactId: `aq-${row.callid}${suffix}`,
        open: false,
        answered: false,
        conversationOpen: false,
        counts: new Map(),
        day,
        selected: inSelection(day, opts.from, opts.to),
      };
      calls.set(row.callid, call);
      if (call.selected) days.push(day);
    }
    const c = call;
    const id = (type: string) => {
      const n = (c.counts.get(type) ?? 0) + 1;
      c.counts.set(type, n);
      return `${c.contactId}-${type}${n > 1 ? `-${n}` : ''}`;
    };
    const queue = row.queue && row.queue !== 'NONE' ? row.queue : c.queue;
    const out: ReplayEvent[] = [];
    switch (true) {
      case row.event === 'ENTERQUEUE': {
        if (!queue) {
          unreadable.push(lineNo, 'ENTERQUEUE without a queue name');
          continue;
        }
        c.queue = queue;
        c.enteredAt = row.ts;
        c.open = true;
        out.push({ id: id('queued'), type: 'contact.queued', ts: row.ts, center, contactId: c.contactId, queue, channel: 'voice' });
        break;
      }
      case row.event === 'CONNECT': {
        const agentId = agentIdOf(row.agent);
        if (!c.open && row.holdSec !== undefined && queue) {
          // The feed started mid-call (or lost the ENTERQUEUE): the hold time says when it queued.
          notes.add('CONNECT without ENTERQUEUE (queued at CONNECT − hold time)');
          c.queue = queue;
          c.enteredAt = row.ts - row.holdSec * 1000;
          out.push({ id: id('queued'), type: 'contact.queued', ts: c.enteredAt, center, contactId: c.contactId, queue, channel: 'voice' });
        } else if (!c.open) {
          notes.add('CONNECT without ENTERQUEUE or hold time (not counted by the engine)');
        }
        if (c.enteredAt !== undefined && row.holdSec !== undefined) {
          const observed = (row.ts - c.enteredAt) / 1000;
          if (Math.abs(observed - row.holdSec) > holdToleranceSec) {
            notes.add(`CONNECT hold time off by > ${holdToleranceSec} s from ENTERQUEUE→CONNECT`);
            warnings.push(lineNo, `CONNECT hold time ${row.holdSec} s, but ENTERQUEUE→CONNECT is ${observed} s`);
          }
        }
        c.open = false;
        c.answered = true;
        c.conversationOpen = true;
        out.push({ id: id('answered'), type: 'contact.answered', ts: row.ts, center, contactId: c.contactId, agentId, ...(queue ? { queue } : {}) });
        out.push(...onCallChange(agents, agentId, true, row, center, opts, agentEventId));
        break;
      }
      case completeEvents.has(row.event) || transferEvents.has(row.event): {
        const agentId = agentIdOf(row.agent);
        if (transferEvents.has(row.event)) notes.add(`${row.event} after answer → ended + wrapped at the transfer`);
        // queue_log has no after-call-work record: the conversation is wrapped when it ends.
        out.push({ id: id('ended'), type: 'contact.ended', ts: row.ts, center, contactId: c.contactId, agentId });
        out.push({ id: id('wrapped'), type: 'contact.wrapped', ts: row.ts, center, contactId: c.contactId, agentId });
        c.conversationOpen = false;
        c.open = false;
        out.push(...onCallChange(agents, agentId, false, row, center, opts, agentEventId));
        break;
      }
      default: {
        // ABANDON and EXIT*: the caller left the queue without reaching a person.
        if (row.event !== 'ABANDON') notes.add(`${row.event} → abandoned`);
        c.open = false;
        out.push({ id: id('abandoned'), type: 'contact.abandoned', ts: row.ts, center, contactId: c.contactId, ...(queue ? { queue } : {}) });
      }
    }
    if (c.selected) events.push(...out);
  }
  if (reader === undefined) throw new ReplayInputError('empty file: no queue_log rows');

  let noExit = 0;
  let noComplete = 0;
  for (const c of calls.values()) {
    if (!c.selected) continue;
    if (c.open) noExit += 1;
    if (c.conversationOpen) noComplete += 1;
  }
  notes.add('calls without an exit event (engine drops them from waiting after retention.waitingTimeoutMin)', noExit);
  notes.add('answered calls without COMPLETE*/TRANSFER (never ended)', noComplete);

  days.sort();
  const firstDay = opts.from ?? days[0];
  const shiftDays = opts.shiftTo && firstDay ? dayNumber(opts.shiftTo) - dayNumber(firstDay) : 0;
  const shifted = applyShift(events, shiftDays, opts, false);
  shifted.sort(compareEvents);
  return {
    events: shifted,
    unreadable: unreadable.items,
    unreadableTotal: unreadable.total,
    warnings: warnings.items,
    notes: notes.counts,
    firstDay: days[0],
    lastDay: days.at(-1),
    shiftDays,
  };
}

function applyAgentEvent(flags: AgentFlags, row: QueueLogRow): void {
  switch (row.event) {
    case 'ADDMEMBER':
      if (row.queue && row.queue !== 'NONE') flags.queues.add(row.queue);
      break;
    case 'REMOVEMEMBER':
      flags.queues.delete(row.queue);
      break;
    case 'AGENTLOGIN':
    case 'AGENTCALLBACKLOGIN':
      flags.loggedIn = true;
      break;
    case 'AGENTLOGOFF':
    case 'AGENTCALLBACKLOGOFF':
      // The agent channel is gone: whatever queues it was in no longer reach it.
      flags.loggedIn = false;
      flags.queues.clear();
      flags.paused = false;
      flags.onCall = false;
      break;
    case 'PAUSE':
    case 'PAUSEALL': {
      flags.paused = true;
      const reason = row.data[0]?.trim();
      flags.pauseReason = reason && /^[^\u0000-\u001f\u007f]{1,128}$/.test(reason) ? reason : undefined;
      break;
    }
    case 'UNPAUSE':
    case 'UNPAUSEALL':
      flags.paused = false;
      flags.pauseReason = undefined;
      break;
  }
}

function stateOf(flags: AgentFlags): AgentState {
  if (!flags.loggedIn && flags.queues.size === 0) return 'logged_out';
  if (flags.onCall) return 'on_contact';
  if (flags.paused) return 'not_ready';
  return 'available';
}

function agentStateEvent(id: string, ts: number, center: string, agentId: string, flags: AgentFlags): ReplayEvent {
  const state = stateOf(flags);
  return {
    id,
    type: 'agent.state',
    ts,
    center,
    agentId,
    state,
    queues: [...flags.queues].sort(),
    ...(state === 'not_ready' && flags.pauseReason ? { reason: flags.pauseReason } : {}),
  };
}

/** With --agents, CONNECT puts the agent on_contact and COMPLETE/TRANSFER frees them. */
function onCallChange(
  agents: Map<string, AgentFlags>,
  agentId: string,
  onCall: boolean,
  row: QueueLogRow,
  center: string,
  opts: ParseOptions,
  agentEventId: (agentId: string, ts: number, label: string) => string,
): ReplayEvent[] {
  if (!opts.agents) return [];
  const flags = agents.get(agentId) ?? { queues: new Set([row.queue]), loggedIn: true, paused: false, onCall: false };
  agents.set(agentId, flags);
  flags.onCall = onCall;
  return [agentStateEvent(agentEventId(agentId, row.ts, onCall ? 'connect' : 'complete'), row.ts, center, agentId, flags)];
}
