import { ReplayInputError } from './types.ts';
import { wallClockToInstant } from './time.ts';

/**
 * The two queue_log layouts read into one row shape: the flat file and a CSV export of the
 * realtime `queue_log` table (see asterisk.ts for the mapping to contract events).
 */

/** One queue_log line in a layout-independent shape. */
export interface QueueLogRow {
  line: number;
  ts: number;
  callid: string;
  queue: string;
  agent: string;
  event: string;
  data: string[];
  /** CONNECT/COMPLETE* hold time in seconds when the layout carries it. */
  holdSec?: number;
}

/** Events whose first data field (or the export's `htime`) is the hold time in seconds. */
const holdTimeEvents = new Set(['CONNECT', 'COMPLETECALLER', 'COMPLETEAGENT']);

export function isPipeRow(first: string): boolean {
  return /^\d+(\.\d+)?\|/.test(first);
}

/** `epoch|callid|queue|agent|EVENT|data1|data2|…` — data fields per event as in the Asterisk docs. */
export function readPipeRow(text: string, line: number): QueueLogRow | string {
  const f = text.split('|');
  if (f.length < 5) return `expected at least 5 "|"-separated fields, found ${f.length}`;
  const epoch = Number(f[0]);
  if (!/^\d+(\.\d+)?$/.test(f[0]!) || !Number.isFinite(epoch)) return `time: expected epoch seconds, got "${f[0]}"`;
  const event = f[4]!.trim().toUpperCase();
  if (!event) return 'event: empty';
  const data = f.slice(5);
  const row: QueueLogRow = { line, ts: Math.round(epoch * 1000), callid: f[1]!.trim(), queue: f[2]!.trim(), agent: f[3]!.trim(), event, data };
  if (holdTimeEvents.has(event)) {
    const hold = Number(data[0]);
    if (data[0] !== undefined && data[0] !== '' && Number.isFinite(hold)) row.holdSec = hold;
  }
  return row;
}

export function tableReader(header: string, timeZone: string): (text: string, line: number) => QueueLogRow | string {
  const names = splitCsv(header);
  if (typeof names === 'string' || !names.some((n) => n.trim().toLowerCase() === 'event')) {
    throw new ReplayInputError(
      'line 1: neither a queue_log file ("epoch|callid|queue|agent|EVENT|…") nor a table export whose header names an "event" column',
    );
  }
  const index = new Map(names.map((n, i) => [n.trim().toLowerCase(), i]));
  const pick = (...candidates: string[]) => candidates.map((c) => index.get(c)).find((i) => i !== undefined);
  const timeCol = pick('date_time', 'time');
  const callCol = pick('callid');
  const queueCol = pick('queuename', 'queue_name', 'queue');
  const agentCol = pick('agent', 'type');
  const eventCol = pick('event');
  const missing = [
    ['time/date_time', timeCol],
    ['callid', callCol],
    ['queuename/queue_name', queueCol],
    ['agent', agentCol],
    ['event', eventCol],
  ].filter(([, i]) => i === undefined);
  if (missing.length > 0) throw new ReplayInputError(`line 1: table export lacks column(s) ${missing.map(([n]) => n).join(', ')}`);
  const dataCols = [1, 2, 3, 4, 5].map((n) => pick(`data${n}`, `param${n}`)).filter((i): i is number => i !== undefined);
  const holdCol = pick('htime');
  return (text, line) => {
    const f = splitCsv(text);
    if (typeof f === 'string') return f;
    if (f.length !== names.length) return `expected ${names.length} comma-separated fields, found ${f.length}`;
    const ts = readTableTime(f[timeCol!]!.trim(), timeZone);
    if (ts === undefined) return `time: unreadable "${f[timeCol!]}"`;
    const event = f[eventCol!]!.trim().toUpperCase();
    if (!event) return 'event: empty';
    const row: QueueLogRow = {
      line,
      ts,
      callid: f[callCol!]!.trim(),
      queue: f[queueCol!]!.trim(),
      agent: f[agentCol!]!.trim(),
      event,
      data: dataCols.map((i) => f[i] ?? ''),
    };
    if (holdTimeEvents.has(event)) {
      // The shared export keeps CONNECT's hold time in `htime` (its data1 is empty).
      const rawHold = holdCol !== undefined && f[holdCol]!.trim() !== '' ? f[holdCol]! : row.data[0];
      const hold = Number(rawHold);
      if (rawHold !== undefined && rawHold.trim() !== '' && Number.isFinite(hold)) row.holdSec = hold;
    }
    return row;
  };
}

/** Epoch seconds, or "YYYY-MM-DD HH:MM:SS[.fff]" local time in `timeZone`. */
function readTableTime(s: string, timeZone: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/.exec(s);
  if (!m) return undefined;
  const ms = m[5] ? Math.round(Number(m[5]) * 1000) : 0;
  return wallClockToInstant(m[1]!, Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]), timeZone) + ms;
}

/** One CSV record on one line (RFC 4180 quoting, no embedded newlines). */
export function splitCsv(text: string): string[] | string {
  const out: string[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let value = '';
      i += 1;
      while (true) {
        const q = text.indexOf('"', i);
        if (q < 0) return 'unterminated quoted field';
        value += text.slice(i, q);
        if (text[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (i === text.length) return out;
      if (text[i] !== ',') return `unexpected character after quoted field at column ${i + 1}`;
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        out.push(text.slice(i));
        return out;
      }
      out.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
