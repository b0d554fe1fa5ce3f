import { setTimeout as sleep } from 'node:timers/promises';
import { maxBatchSize } from '../../shared/contract/events.ts';
import type { SimEvent, Simulation } from './simulation.ts';

/**
 * The simulator's only I/O: posting contract events to `POST /api/v1/events` exactly as an ACD
 * adapter would. Event ids are deterministic, so a batch whose fate is unknown (timeout, 503) is
 * simply sent again: the server answers "duplicate" for what it already stored.
 */
export interface PosterOptions {
  /** server base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  token?: string;
  fetch?: typeof fetch;
  log?: (msg: string) => void;
  /** stop retrying when this fires (Ctrl-C) */
  signal?: AbortSignal;
}

export interface PostTotals {
  accepted: number;
  duplicate: number;
  rejected: number;
  requests: number;
  retries: number;
}

export class SimulatorHttpError extends Error {
  override name = 'SimulatorHttpError';
}

export class EventPoster {
  readonly totals: PostTotals = { accepted: 0, duplicate: 0, rejected: 0, requests: 0, retries: 0 };
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private rejectionsLogged = 0;

  constructor(private readonly opts: PosterOptions) {
    this.endpoint = new URL('/api/v1/events', opts.url).toString();
    // the header marks the feed as demo data, so every screen shows the DEMO DATA badge
    this.headers = { 'content-type': 'application/json', 'x-wallboard-source': 'simulator' };
    if (opts.token) this.headers.authorization = `Bearer ${opts.token}`;
  }

  /** Posts events in requests of at most `maxBatchSize`; retries 503/429/network errors until aborted. */
  async post(events: readonly SimEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += maxBatchSize) await this.postOne(events.slice(i, i + maxBatchSize));
  }

  private async postOne(batch: SimEvent[]): Promise<void> {
    const body = JSON.stringify(batch);
    const doFetch = this.opts.fetch ?? fetch;
    for (let attempt = 1; ; attempt++) {
      this.opts.signal?.throwIfAborted();
      let waitMs: number;
      try {
        this.totals.requests++;
        const res = await doFetch(this.endpoint, { method: 'POST', headers: this.headers, body, ...(this.opts.signal ? { signal: this.opts.signal } : {}) });
        if (res.ok) {
          const reply = (await res.json()) as { accepted: number; duplicate: number; rejected: number; results: { status: string; reason?: string; id?: string }[] };
          this.totals.accepted += reply.accepted;
          this.totals.duplicate += reply.duplicate;
          this.totals.rejected += reply.rejected;
          if (reply.rejected > 0 && this.rejectionsLogged < 5) {
            for (const r of reply.results.filter((x) => x.status === 'rejected').slice(0, 5 - this.rejectionsLogged)) {
              this.rejectionsLogged++;
              this.opts.log?.(`event ${r.id ?? '?'} rejected: ${r.reason ?? 'no reason given'}`);
            }
          }
          return;
        }
        if (res.status === 401 || res.status === 403) {
          throw new SimulatorHttpError(`${this.endpoint} answered ${res.status}: the token is missing or lacks the ingest role (--token)`);
        }
        if (res.status !== 503 && res.status !== 429 && res.status < 500) {
          throw new SimulatorHttpError(`${this.endpoint} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        }
        const retryAfter = Number(res.headers.get('retry-after'));
        waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.min(500 * 2 ** attempt, 10_000);
        await res.body?.cancel();
        if (attempt === 1 || attempt % 10 === 0) this.opts.log?.(`server busy (${res.status}), retrying in ${waitMs} ms`);
      } catch (err) {
        if (err instanceof SimulatorHttpError || this.opts.signal?.aborted) throw err;
        waitMs = Math.min(250 * 2 ** attempt, 5_000);
        if (attempt === 1 || attempt % 10 === 0) this.opts.log?.(`cannot reach ${this.endpoint} (${(err as Error).message}), retrying in ${waitMs} ms`);
      }
      this.totals.retries++;
      await sleep(waitMs, undefined, this.opts.signal ? { signal: this.opts.signal } : {});
    }
  }
}

export interface RealtimeOptions {
  /** how often to advance the model and post, ms (200–500 keeps the board live without chatter) */
  tickMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
  signal?: AbortSignal;
}

/**
 * Real-time mode: every tick the model advances to the wall clock and whatever happened is posted
 * in one request. Posts are sequential, so a slow server makes the next batch bigger rather than
 * reordering anything.
 */
export async function runRealtime(sim: Simulation, poster: EventPoster, opts: RealtimeOptions = {}): Promise<void> {
  const tickMs = opts.tickMs ?? 300;
  const now = opts.now ?? Date.now;
  while (!opts.signal?.aborted) {
    const started = now();
    const events = sim.runUntil(started);
    if (events.length > 0) {
      try {
        await poster.post(events);
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw err;
      }
    }
    const rest = tickMs - (now() - started);
    if (rest > 0) {
      try {
        await sleep(rest, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch {
        return;
      }
    }
  }
}
