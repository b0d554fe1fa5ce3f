import { existsSync, statSync } from 'node:fs';
import { parseAnonymousBank } from './anonymous-bank.ts';
import { parseAsteriskQueueLog } from './asterisk.ts';
import { fileLines } from './lines.ts';
import { parseNdjson } from './ndjson.ts';
import { effectiveTimeZone, type ReplayFormat, type ReplayOptions } from './options.ts';
import { duration, ProgressReporter, type ProgressStream } from './progress.ts';
import { pacing, ReplayHttpError, sendEvents, type SendReport } from './sender.ts';
import { addDays, localDateOf } from './time.ts';
import { ReplayInputError, type ParseOptions, type ParseResult, type ReplayEvent } from './types.ts';

/** Engine acceptance horizon (SEMANTICS.md): retention.lateEventHours default and the 60 s future limit. */
export const defaultLateEventHours = 48;
export const futureToleranceMs = 60_000;

export interface ReplayDeps {
  /** summary */
  stdout?: ProgressStream;
  /** progress and warnings */
  stderr?: ProgressStream;
  now?: () => number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  lines?: (path: string) => AsyncIterable<string>;
  /** the server's retention.lateEventHours, for the horizon warning */
  lateEventHours?: number;
}

export interface ReplayOutcome {
  /** 0 = everything accepted or duplicate; 1 = the server rejected events; 2 = could not run */
  exitCode: 0 | 1 | 2;
  parse?: ParseResult;
  send?: SendReport;
  horizon?: HorizonCheck;
  error?: string;
}

export const parsers: Record<ReplayFormat, (lines: AsyncIterable<string>, o: ParseOptions) => Promise<ParseResult>> = {
  'anonymous-bank': parseAnonymousBank,
  'asterisk-queue-log': parseAsteriskQueueLog,
  ndjson: parseNdjson,
};

/** Programmatic entry point of `npm run replay` (the CLI only parses argv and sets the exit code). */
export async function runReplay(options: ReplayOptions, deps: ReplayDeps = {}): Promise<ReplayOutcome> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const now = deps.now ?? Date.now;
  const timeZone = effectiveTimeZone(options);
  const readLines = deps.lines ?? fileLines;

  if (!deps.lines && (!existsSync(options.file) || !statSync(options.file).isFile())) {
    return fail(stderr, `cannot read --file ${options.file}: no such file`);
  }
  let parse: ParseResult;
  try {
    parse = await parsers[options.format](readLines(options.file), {
      timeZone,
      center: options.center,
      from: options.from,
      to: options.to,
      shiftTo: options.shiftTo,
      agents: options.agents,
    });
  } catch (err) {
    if (err instanceof ReplayInputError) return fail(stderr, `${options.file}: ${err.message}`);
    throw err;
  }

  const horizon = checkHorizon(parse.events, options.speed, now(), deps.lateEventHours ?? defaultLateEventHours);
  const warning = horizonWarning(horizon, timeZone, now(), deps.lateEventHours ?? defaultLateEventHours);
  if (warning) stderr.write(`${warning}\n`);
  const pastPaced = pastPacingWarning(parse.events, options.speed, now(), timeZone);
  if (pastPaced) stderr.write(`${pastPaced}\n`);

  let send: SendReport | undefined;
  let error: string | undefined;
  if (!options.dryRun && parse.events.length > 0) {
    const startedAt = now();
    const lastDueAt = options.speed === 'max' ? undefined : pacing(parse.events, options.speed, startedAt)(parse.events.at(-1)!.ts);
    const progress = new ProgressReporter(stderr, parse.events.length, now, undefined, lastDueAt);
    progress.start();
    try {
      send = await sendEvents(parse.events, {
        url: options.url,
        token: options.token,
        batchSize: options.batch,
        speed: options.speed,
        fetch: deps.fetch,
        now,
        sleep: deps.sleep,
        onProgress: (sent) => progress.update(sent),
      });
      progress.finish(send.sent);
    } catch (err) {
      if (!(err instanceof ReplayHttpError)) throw err;
      progress.finish(0);
      error = err.message;
    }
  }
  stdout.write(formatSummary(options, timeZone, parse, send, error));
  const exitCode = error ? 2 : send && send.rejected > 0 ? 1 : 0;
  return { exitCode, parse, send, horizon, ...(error ? { error } : {}) };
}

function fail(stderr: ProgressStream, message: string): ReplayOutcome {
  stderr.write(`replay: ${message}\n`);
  return { exitCode: 2, error: message };
}

export interface HorizonCheck {
  total: number;
  /** older than now − lateEventHours when sent */
  tooOld: number;
  /** more than 60 s ahead of the clock when sent */
  tooNew: number;
  firstTs?: number;
  lastTs?: number;
}

/**
 * Which events the engine will reject for their time, judged at the moment each one will be
 * sent (see `pacing`), so a live replay of today at 1× is fine even though its later events are
 * in the future when the replay starts.
 */
export function checkHorizon(events: readonly ReplayEvent[], speed: 'max' | number, nowMs: number, lateEventHours: number): HorizonCheck {
  const dueAt = pacing(events, speed, nowMs);
  let tooOld = 0;
  let tooNew = 0;
  for (const e of events) {
    const sendAt = dueAt(e.ts);
    if (e.ts < sendAt - lateEventHours * 3_600_000) tooOld += 1;
    else if (e.ts > sendAt + futureToleranceMs) tooNew += 1;
  }
  return { total: events.length, tooOld, tooNew, firstTs: events[0]?.ts, lastTs: events.at(-1)?.ts };
}

/** the longest rolling window (60 min): an event older than that when sent shows in none of them */
const longestRollingWindowMs = 60 * 60_000;

/**
 * A paced replay (`--speed N`) whose events are all more than an hour old when sent: it takes
 * (source span ÷ N) of real time, yet no event ever enters the rolling 15/30/60-minute windows the
 * wall's tiles show; they only land in the interval history (and `today` if it is the same day).
 * That looks like a live replay and is not one, so it is said before the wait begins, with the two
 * usual intents spelled out. Judged at each event's send time, like `checkHorizon`.
 */
export function pastPacingWarning(events: readonly ReplayEvent[], speed: 'max' | number, nowMs: number, timeZone: string): string | undefined {
  if (speed === 'max' || events.length === 0) return undefined;
  const dueAt = pacing(events, speed, nowMs);
  let minLagMs = Infinity;
  for (const e of events) minLagMs = Math.min(minLagMs, dueAt(e.ts) - e.ts);
  if (minLagMs <= longestRollingWindowMs) return undefined;
  const spanMs = (dueAt(events.at(-1)!.ts) - nowMs);
  const today = localDateOf(nowMs, timeZone);
  return (
    `replay: warning: --speed ${speed} paces the events by their own times, but every event is at least ` +
    `${duration(minLagMs)} old when sent, so none will show in the rolling 15/30/60-minute windows or on the wall's ` +
    `live tiles (only in the interval history); the replay will take ${duration(spanMs)}. ` +
    `For a live replay use --shift-to ${today} --speed 1 (today in ${timeZone}); to load history, --speed max.`
  );
}

export function horizonWarning(h: HorizonCheck, timeZone: string, nowMs: number, lateEventHours: number): string | undefined {
  if (h.tooOld === 0 && h.tooNew === 0) return undefined;
  const today = localDateOf(nowMs, timeZone);
  const parts: string[] = [];
  if (h.tooOld > 0) parts.push(`${h.tooOld.toLocaleString('en-US')} older than ${lateEventHours} h (retention.lateEventHours)`);
  if (h.tooNew > 0) parts.push(`${h.tooNew.toLocaleString('en-US')} more than 60 s in the future`);
  return (
    `replay: warning: of ${h.total.toLocaleString('en-US')} events, ${parts.join(' and ')} when sent; ` +
    `the engine will reject them. Shift the data into the last two days, e.g. --shift-to ${addDays(today, -1)} ` +
    `(yesterday in ${timeZone}), or --shift-to ${today} with --speed 1 for a live replay.`
  );
}

export function formatSummary(
  options: ReplayOptions,
  timeZone: string,
  parse: ParseResult,
  send: SendReport | undefined,
  error: string | undefined,
): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const out: string[] = [];
  const days = parse.firstDay ? `${parse.firstDay}${parse.lastDay !== parse.firstDay ? ` … ${parse.lastDay}` : ''}` : 'none';
  const shift = options.shiftTo ? ` → shifted by ${parse.shiftDays} days to start ${options.shiftTo}` : '';
  out.push(`Replay summary: ${options.format} ${options.file}`);
  out.push(`  source days: ${days}${shift} (wall clock ${timeZone})`);
  for (const [label, count] of parse.notes) out.push(`  ${label}: ${n(count)}`);
  const byType = new Map<string, number>();
  for (const e of parse.events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
  out.push(`  events: ${n(parse.events.length)}${byType.size ? ` (${[...byType].map(([t, c]) => `${t} ${n(c)}`).join(', ')})` : ''}`);
  if (options.dryRun) out.push('  dry run: nothing sent');
  if (send) {
    out.push(`  sent: ${n(send.sent)} in ${n(send.requests)} request${send.requests === 1 ? '' : 's'}${send.retries ? `, ${n(send.retries)} retries` : ''}`);
    out.push(`  accepted: ${n(send.accepted)}  duplicate: ${n(send.duplicate)}  rejected: ${n(send.rejected)}`);
    if (send.rejected > 0) {
      out.push('  first rejections:');
      for (const r of send.firstRejections) out.push(`    ${r.id ?? '(no id)'}: ${r.reason}`);
      out.push('  rejection reasons:');
      for (const [reason, count] of [...send.rejectionReasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) {
        out.push(`    ${n(count)} × ${reason}`);
      }
    }
  }
  out.push(`  unreadable rows: ${n(parse.unreadableTotal)}`);
  for (const u of parse.unreadable.slice(0, 20)) out.push(`    line ${u.line}: ${u.reason}`);
  if (parse.unreadableTotal > 20) out.push(`    … ${n(parse.unreadableTotal - 20)} more`);
  if (parse.warnings.length > 0) {
    out.push(`  warnings: ${n(parse.warnings.length)}`);
    for (const w of parse.warnings.slice(0, 10)) out.push(`    line ${w.line}: ${w.message}`);
  }
  if (error) out.push(`  FAILED: ${error}`);
  return `${out.join('\n')}\n`;
}
