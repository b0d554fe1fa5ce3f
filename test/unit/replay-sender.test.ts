import { describe, expect, it } from 'vitest';
import { textLines } from '../../server/replay/lines.ts';
import { validateReplayOptions } from '../../server/replay/options.ts';
import { progressLine } from '../../server/replay/progress.ts';
import { checkHorizon, runReplay } from '../../server/replay/run.ts';
import { ReplayHttpError, retryAfterMs, sendEvents } from '../../server/replay/sender.ts';
import type { ReplayEvent } from '../../server/replay/types.ts';

function events(n: number, start = Date.UTC(2026, 10, 23, 1), stepMs = 1000): ReplayEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `e-${i}`,
    type: 'contact.queued' as const,
    ts: start + i * stepMs,
    center: 'default',
    contactId: `c-${i}`,
    queue: 'q',
    channel: 'voice' as const,
  }));
}

/** A fake ingest endpoint: answers each batch from `script`, then "all accepted". */
function fakeServer(script: Array<(batch: ReplayEvent[]) => Response | Error> = []) {
  const batches: ReplayEvent[][] = [];
  const headers: Array<Record<string, string>> = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const batch = JSON.parse(String(init.body)) as ReplayEvent[];
    headers.push(init.headers as Record<string, string>);
    const step = script.shift();
    const res = step ? step(batch) : accepted(batch);
    if (res instanceof Error) throw res;
    if (res.ok) batches.push(batch);
    return res;
  }) as unknown as typeof globalThis.fetch;
  return { fetch, batches, headers };
}

function accepted(batch: ReplayEvent[], rejectIds: string[] = []): Response {
  const results = batch.map((e, index) =>
    rejectIds.includes(e.id) ? { index, id: e.id, status: 'rejected', reason: 'ts: older than 48 h' } : { index, id: e.id, status: 'accepted' },
  );
  const count = (s: string) => results.filter((r) => r.status === s).length;
  return Response.json({ accepted: count('accepted'), duplicate: 0, rejected: count('rejected'), results });
}

function fakeTime(start = Date.UTC(2026, 10, 23, 2)) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

describe('replay sender', () => {
  it('sends in batches and totals the per-event results', async () => {
    const server = fakeServer([(b) => accepted(b, ['e-3', 'e-7'])]);
    const report = await sendEvents(events(2500), { url: 'http://h:1', token: 'secret-token-123456', batchSize: 1000, speed: 'max', fetch: server.fetch });
    expect(server.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(server.headers[0]!.authorization).toBe('Bearer secret-token-123456');
    expect(report).toMatchObject({ sent: 2500, accepted: 2498, rejected: 2, requests: 3, retries: 0 });
    expect(report.firstRejections).toEqual([
      { id: 'e-3', reason: 'ts: older than 48 h' },
      { id: 'e-7', reason: 'ts: older than 48 h' },
    ]);
    expect(report.rejectionReasons.get('ts: older than 48 h')).toBe(2);
  });

  it('retries 503 and 429 after Retry-After and network errors with backoff, re-sending the same batch', async () => {
    const time = fakeTime();
    const server = fakeServer([
      () => new Response('{}', { status: 503, headers: { 'retry-after': '3' } }),
      () => new Response('{}', { status: 429, headers: { 'retry-after': new Date(time.now() + 5000).toUTCString() } }),
      () => new TypeError('fetch failed'),
    ]);
    const report = await sendEvents(events(10), { url: 'http://h:1', batchSize: 1000, speed: 'max', fetch: server.fetch, ...time });
    // the backoff grows with the attempt number: third attempt → 500 ms × 2²
    expect(time.sleeps).toEqual([3000, 5000, 2000]);
    expect(report).toMatchObject({ sent: 10, accepted: 10, retries: 3 });
    expect(server.batches).toHaveLength(1);
  });

  it('gives up with a clear error on 401 and when the server stays unavailable', async () => {
    const unauthorized = fakeServer([() => new Response('{}', { status: 401 })]);
    await expect(sendEvents(events(1), { url: 'http://h:1', batchSize: 10, speed: 'max', fetch: unauthorized.fetch })).rejects.toThrow(
      /requires --token/,
    );
    const down = fakeServer(Array.from({ length: 5 }, () => () => new Response('', { status: 503 })));
    const time = fakeTime();
    await expect(
      sendEvents(events(1), { url: 'http://h:1', batchSize: 10, speed: 'max', fetch: down.fetch, maxAttempts: 3, ...time }),
    ).rejects.toBeInstanceOf(ReplayHttpError);
  });

  it('paces at N× real time by event-time gaps', async () => {
    const time = fakeTime();
    const server = fakeServer();
    // events one minute apart at 60× → one second between requests
    await sendEvents(events(4, Date.UTC(2026, 10, 23, 1), 60_000), { url: 'http://h:1', batchSize: 1000, speed: 60, fetch: server.fetch, ...time });
    expect(time.sleeps).toEqual([1000, 1000, 1000]);
    expect(server.batches.map((b) => b.length)).toEqual([1, 1, 1, 1]);
  });

  it('at 1× with events ahead of the clock replays live: the past part at once, the rest at its own time', async () => {
    const time = fakeTime();
    const t0 = time.now();
    const ev = events(4).map((e, i) => ({ ...e, ts: t0 + [-3_600_000, -60_000, 5_000, 65_000][i]! }));
    const server = fakeServer();
    await sendEvents(ev, { url: 'http://h:1', batchSize: 1000, speed: 1, fetch: server.fetch, ...time });
    expect(time.sleeps).toEqual([5_000, 60_000]);
    expect(server.batches.map((b) => b.map((e) => e.id))).toEqual([['e-0', 'e-1'], ['e-2'], ['e-3']]);
    expect(checkHorizon(ev, 1, t0, 48)).toMatchObject({ tooOld: 0, tooNew: 0 });
    expect(checkHorizon(ev, 'max', t0, 48)).toMatchObject({ tooOld: 0, tooNew: 1 });
  });

  it('reads Retry-After as seconds or a date, defaulting to 1 s', () => {
    expect(retryAfterMs('2', 0)).toBe(2000);
    expect(retryAfterMs(null, 0)).toBe(1000);
    expect(retryAfterMs('soon', 0)).toBe(1000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
  });
});

describe('replay run', () => {
  const ndjson = [
    JSON.stringify({ id: 'a', type: 'contact.queued', ts: '2026-11-20T09:00:00+08:00', contactId: 'c', queue: 'q', channel: 'voice' }),
    '{oops',
    JSON.stringify({ id: 'b', type: 'contact.abandoned', ts: '2026-11-20T09:00:30+08:00', contactId: 'c' }),
  ].join('\n');
  const options = (extra: object = {}) => validateReplayOptions({ format: 'ndjson', file: 'mem.ndjson', ...extra });
  function capture() {
    let text = '';
    return { stream: { isTTY: false, write: (s: string) => (text += s) }, text: () => text };
  }

  it('warns about events outside the engine horizon and suggests a shift', () => {
    const now = Date.UTC(2026, 10, 23, 2);
    const ev = events(3, now - 49 * 3_600_000, 3_600_000); // 49 h, 48 h, 47 h old
    expect(checkHorizon(ev, 'max', now, 48)).toMatchObject({ tooOld: 1, tooNew: 0 });
    const future = events(2, now + 2 * 3_600_000, 3_600_000);
    expect(checkHorizon(future, 'max', now, 48)).toMatchObject({ tooNew: 2 });
    // at 1× a replay of "later today" is fine: each event is sent when its time comes
    expect(checkHorizon(future, 1, now + 2 * 3_600_000, 48)).toMatchObject({ tooOld: 0, tooNew: 0 });
  });

  it('sends, prints a summary with unreadable lines, and exits 0', async () => {
    const out = capture();
    const err = capture();
    const server = fakeServer();
    const now = Date.UTC(2026, 10, 21);
    const outcome = await runReplay(options(), { stdout: out.stream, stderr: err.stream, fetch: server.fetch, now: () => now, lines: () => textLines(ndjson) });
    expect(outcome.exitCode).toBe(0);
    expect(server.batches.flat().map((e) => e.id)).toEqual(['a', 'b']);
    expect(out.text()).toContain('accepted: 2  duplicate: 0  rejected: 0');
    expect(out.text()).toMatch(/unreadable rows: 1\n {4}line 2: not JSON/);
    expect(err.text()).toContain('replay: sending 2 events');
    expect(err.text()).not.toContain('warning');
  });

  it('exits 1 when the server rejects events, and 2 when it cannot be reached', async () => {
    const now = Date.UTC(2026, 10, 21);
    const rejecting = fakeServer([(b) => accepted(b, ['b'])]);
    const out = capture();
    const r1 = await runReplay(options(), { stdout: out.stream, stderr: capture().stream, fetch: rejecting.fetch, now: () => now, lines: () => textLines(ndjson) });
    expect(r1.exitCode).toBe(1);
    expect(out.text()).toContain('b: ts: older than 48 h');
    const refused = fakeServer(Array.from({ length: 30 }, () => () => new TypeError('fetch failed')));
    const r2 = await runReplay(options(), {
      stdout: capture().stream,
      stderr: capture().stream,
      fetch: refused.fetch,
      now: () => now,
      sleep: async () => {},
      lines: () => textLines(ndjson),
    });
    expect(r2.exitCode).toBe(2);
    expect(r2.error).toMatch(/cannot reach http:\/\/127.0.0.1:3000\/api\/v1\/events/);
  });

  it('--dry-run converts and warns but sends nothing', async () => {
    const err = capture();
    const server = fakeServer();
    const outcome = await runReplay(options({ dryRun: true }), {
      stdout: capture().stream,
      stderr: err.stream,
      fetch: server.fetch,
      now: () => Date.UTC(2026, 10, 24),
      lines: () => textLines(ndjson),
    });
    expect(outcome.exitCode).toBe(0);
    expect(server.batches).toEqual([]);
    expect(err.text()).toContain('of 2 events, 2 older than 48 h');
    expect(err.text()).toContain('--shift-to 2026-11-23');
  });

  it('reports a missing file as exit 2', async () => {
    const err = capture();
    const outcome = await runReplay(options({ file: '/nonexistent/file.ndjson' }), { stdout: capture().stream, stderr: err.stream });
    expect(outcome.exitCode).toBe(2);
    expect(err.text()).toContain('cannot read --file /nonexistent/file.ndjson');
  });

  it('formats progress with rate and ETA', () => {
    expect(progressLine(500, 2000, 1000)).toBe('500/2,000 events  500 ev/s  ETA 3s');
    expect(progressLine(2000, 2000, 4000)).toBe('2,000/2,000 events  500 ev/s  done in 4s');
  });
});
