import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { stopChild } from './proc.ts';
import { LatencyHistogram } from './stats.ts';
import type { ViewPayload } from '../../shared/realtime/events.ts';

/** What a payload shows, as compared between screens: a payload is one (seq, asOf) broadcast to
 * every screen of the view, so screens holding it must show the same figures. */
export const figuresOf = (p: ViewPayload): string => JSON.stringify({ seq: p.seq, asOf: p.asOf, rows: p.rows });

/** The main process's handle on the screen worker processes (see screens-worker.ts). */
export class ScreenFleet {
  private constructor(private readonly workers: ChildProcess[]) {}

  get pids(): number[] {
    return this.workers.map((w) => w.pid!);
  }

  static async start(count: number, opts: { url: string; token: string; center: string; board: string; processes: number }): Promise<ScreenFleet> {
    const workers = Array.from({ length: opts.processes }, () =>
      fork(resolve(import.meta.dirname, 'screens-worker.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const fleet = new ScreenFleet(workers);
    try {
      await Promise.all(workers.map((w) => once(w, 'hello')));
      const per = Math.ceil(count / workers.length);
      await Promise.all(
        workers.map((w, i) => {
          const n = Math.max(0, Math.min(per, count - i * per));
          return request(w, { kind: 'connect', url: opts.url, token: opts.token, count: n, center: opts.center, board: opts.board }, 'connected');
        }),
      );
    } catch (err) {
      for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
      throw err;
    }
    return fleet;
  }

  async reset(): Promise<void> {
    await Promise.all(this.workers.map((w) => request(w, { kind: 'reset' }, 'reset')));
  }

  async status(): Promise<{ minLastSeq: number; disconnected: number; lasts: (ViewPayload | null)[] }> {
    type Status = { minLastSeq: number; disconnected: number; last: ViewPayload | null };
    const all = await Promise.all(this.workers.map((w) => request<Status>(w, { kind: 'status' }, 'status')));
    return {
      minLastSeq: Math.min(...all.map((s) => s.minLastSeq)),
      disconnected: all.reduce((a, s) => a + s.disconnected, 0),
      lasts: all.map((s) => s.last),
    };
  }

  /** Over all screens: how many received the payload (seq, asOf) and how many of those show other
   * figures in it than `figures` (figuresOf of the reference payload). */
  async holding(seq: number, asOf: string, figures: string): Promise<{ received: number; differing: number; screens: number }> {
    type Holding = { received: number; differing: number; screens: number };
    const all = await Promise.all(this.workers.map((w) => request<Holding>(w, { kind: 'holding', seq, asOf, figures }, 'holding')));
    return {
      received: all.reduce((a, h) => a + h.received, 0),
      differing: all.reduce((a, h) => a + h.differing, 0),
      screens: all.reduce((a, h) => a + h.screens, 0),
    };
  }

  async collect(batches: { seq: number; sentAt: number; events: number }[]) {
    type Collected = {
      histogram: { bins: number[]; over: [number, number][]; count: number; max: number };
      undelivered: number;
      samples: number;
      minLastSeq: number;
      last: ViewPayload | null;
      disconnected: number;
    };
    const all = await Promise.all(this.workers.map((w) => request<Collected>(w, { kind: 'collect', batches }, 'collected')));
    const hist = new LatencyHistogram(0.5, 60_000);
    for (const c of all) hist.merge(c.histogram);
    return {
      hist,
      undelivered: all.reduce((a, c) => a + c.undelivered, 0),
      samples: all.reduce((a, c) => a + c.samples, 0),
      disconnected: all.reduce((a, c) => a + c.disconnected, 0),
      lasts: all.map((c) => c.last),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => stopChild(w, () => w.send({ kind: 'close' }), 5000)));
  }
}

function once(w: ChildProcess, kind: string): Promise<unknown> {
  return new Promise((resolveOnce, reject) => {
    const onMessage = (m: { kind: string; message?: string }) => {
      if (m.kind === 'error') {
        cleanup();
        reject(new Error(`screen worker: ${m.message}`));
      } else if (m.kind === kind) {
        cleanup();
        resolveOnce(m);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`screen worker exited (${code}) while waiting for ${kind}`));
    };
    const cleanup = () => {
      w.off('message', onMessage);
      w.off('exit', onExit);
    };
    w.on('message', onMessage);
    w.on('exit', onExit);
  });
}

function request<T = unknown>(w: ChildProcess, msg: object, reply: string): Promise<T> {
  const answer = once(w, reply) as Promise<T>;
  w.send(msg);
  return answer;
}
