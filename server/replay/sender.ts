import { ingestResponse } from '../../shared/contract/events.ts';
import type { ReplayEvent } from './types.ts';

/**
 * Posts events to `POST /api/v1/events` in batches. Event ids are deterministic, so any batch can
 * be sent again after a failure or an interrupted run: the server answers "duplicate" and nothing
 * is counted twice. That is what makes the blunt retry policy below safe.
 */

export interface SendOptions {
  url: string;
  token?: string;
  batchSize: number;
  /** 'max' = back to back; N = N× real time, sleeping by event-time gaps. */
  speed: 'max' | number;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (sent: number) => void;
  /** attempts per batch on 503/429/network errors before giving up */
  maxAttempts?: number;
}

export interface Rejection {
  id: string | undefined;
  reason: string;
}

export interface SendReport {
  sent: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** first rejections in send order */
  firstRejections: Rejection[];
  /** every distinct rejection reason with its count */
  rejectionReasons: Map<string, number>;
  requests: number;
  retries: number;
}

export class ReplayHttpError extends Error {
  override name = 'ReplayHttpError';
}

const firstRejectionsKept = 10;
/** Events due within this much of each other go in one request even at N× speed. */
const pacingSlackMs = 100;

export async function sendEvents(events: readonly ReplayEvent[], opts: SendOptions): Promise<SendReport> {
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const endpoint = new URL('/api/v1/events', opts.url).toString();
  const report: SendReport = {
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    firstRejections: [],
    rejectionReasons: new Map(),
    requests: 0,
    retries: 0,
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;

  const post = async (batch: ReplayEvent[]) => {
    const body = JSON.stringify(batch);
    const maxAttempts = opts.maxAttempts ?? 20;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(endpoint, { method: 'POST', headers, body });
      } catch (err) {
        if (attempt >= maxAttempts) throw new ReplayHttpError(`cannot reach ${endpoint}: ${describeFetchError(err)}`);
        report.retries += 1;
        await sleep(Math.min(500 * 2 ** (attempt - 1), 10_000));
        continue;
      }
      report.requests += 1;
      if (res.status === 503 || res.status === 429) {
        await res.body?.cancel();
        if (attempt >= maxAttempts) throw new ReplayHttpError(`server still answers ${res.status} after ${attempt} attempts`);
        report.retries += 1;
        await sleep(retryAfterMs(res.headers.get('retry-after'), now()));
        continue;
      }
      const text = await res.text();
      if (res.status === 401 || res.status === 403) {
        throw new ReplayHttpError(
          `${res.status} from ${endpoint}: ${opts.token ? 'the token is not accepted for ingest' : 'the server requires --token (or WALLBOARD_TOKEN)'}`,
        );
      }
      if (res.status === 404) throw new ReplayHttpError(`404 from ${endpoint}: is this a wallboard server?`);
      if (!res.ok) throw new ReplayHttpError(`${res.status} from ${endpoint}: ${text.slice(0, 500)}`);
      let parsed;
      try {
        parsed = ingestResponse.parse(JSON.parse(text));
      } catch {
        throw new ReplayHttpError(`unexpected response from ${endpoint}: ${text.slice(0, 300)}`);
      }
      report.accepted += parsed.accepted;
      report.duplicate += parsed.duplicate;
      report.rejected += parsed.rejected;
      for (const r of parsed.results) {
        if (r.status !== 'rejected') continue;
        report.rejectionReasons.set(r.reason, (report.rejectionReasons.get(r.reason) ?? 0) + 1);
        if (report.firstRejections.length < firstRejectionsKept) {
          report.firstRejections.push({ id: r.id ?? batch[r.index]?.id, reason: r.reason });
        }
      }
      return;
    }
  };

  let batch: ReplayEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    await post(b);
    report.sent += b.length;
    opts.onProgress?.(report.sent);
  };

  const dueAt = pacing(events, opts.speed, now());
  for (const event of events) {
    if (opts.speed !== 'max') {
      const due = dueAt(event.ts);
      const wait = due - now();
      if (wait > pacingSlackMs) {
        await flush();
        const stillToWait = due - now();
        if (stillToWait > 0) await sleep(stillToWait);
      }
    }
    batch.push(event);
    if (batch.length >= opts.batchSize) await flush();
  }
  await flush();
  return report;
}

/**
 * When each event is due to be sent. `max`: now. N×: the event-time gap from the first event,
 * divided by N, after the start. At 1× with events still ahead of the clock (a replay shifted to
 * today) the replay runs live instead: an event is due at its own time, and the part of the day
 * already past goes at once — pacing by gaps would send it hours late, or early and rejected.
 */
export function pacing(events: readonly ReplayEvent[], speed: 'max' | number, startedAt: number): (ts: number) => number {
  if (speed === 'max' || events.length === 0) return () => startedAt;
  const firstTs = events[0]!.ts;
  if (speed === 1 && events.at(-1)!.ts > startedAt) return (ts) => Math.max(startedAt, ts);
  return (ts) => startedAt + (ts - firstTs) / speed;
}

/** Retry-After is seconds or an HTTP date; absent or odd → 1 s. Capped so a typo cannot stall a replay for hours. */
export function retryAfterMs(header: string | null, nowMs: number): number {
  if (header) {
    const sec = Number(header);
    if (Number.isFinite(sec) && sec >= 0) return Math.min(sec * 1000, 60_000);
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.min(Math.max(at - nowMs, 0), 60_000);
  }
  return 1000;
}

function describeFetchError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
