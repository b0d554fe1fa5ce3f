import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * client/src/lib/config.svelte.ts retries a failed configuration request with back-off (README:
 * "1 s, 2 s, 4 s … at most 30 s apart"); a refused token stops it; loading stops it. A request that
 * is never answered fails after client/src/lib/api.ts's timeout, so the retry takes over.
 */
vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
vi.stubGlobal('location', { search: '' });

const { config } = await import('../../client/src/lib/config.svelte.ts');
const { requestTimeoutMs } = await import('../../client/src/lib/api.ts');

const ok = { centers: [{ id: 'default', timeZone: 'Asia/Shanghai' }], boards: [], queues: [] };
function respond(status: number): Response {
  return new Response(status === 200 ? JSON.stringify(ok) : '{}', { status, headers: { 'content-type': 'application/json' } });
}
/** fetch answering the given statuses in turn (the last one repeats); records when it was called */
function scripted(statuses: number[]): number[] {
  const calls: number[] = [];
  vi.stubGlobal('fetch', async () => {
    calls.push(Date.now());
    return respond(statuses[Math.min(calls.length - 1, statuses.length - 1)]!);
  });
  return calls;
}
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

afterEach(() => {
  config.clear();
  vi.unstubAllGlobals();
  vi.stubGlobal('location', { search: '' });
});

describe('public configuration load: retried with back-off until loaded or refused', () => {
  it('retries 502s at 1, 2, 4, 8, 16, 30, 30 s and stops once loaded (no timer left)', async () => {
    const calls = scripted([502, 502, 502, 502, 502, 502, 502, 200]);
    const t0 = Date.now();
    await config.load();
    for (let i = 0; i < 8; i++) {
      await vi.advanceTimersByTimeAsync(31_000);
      await flush();
    }
    expect(calls.slice(0, 8).map((t, i) => (i === 0 ? 0 : t - calls[i - 1]!)).map((d) => Math.round(d / 1000))).toEqual([0, 1, 2, 4, 8, 16, 30, 30]);
    expect(calls[0]).toBe(t0);
    expect({ loaded: config.value !== null, error: config.error, calls: calls.length, timers: vi.getTimerCount() }).toEqual({ loaded: true, error: null, calls: 8, timers: 0 });
  });

  it('a 401 during the retries stops them and asks for a sign-in', async () => {
    const calls = scripted([502, 401, 200]);
    await config.load();
    await vi.advanceTimersByTimeAsync(120_000);
    await flush();
    expect({ error: config.error, calls: calls.length, timers: vi.getTimerCount() }).toEqual({ error: 'unauthorized', calls: 2, timers: 0 });
  });
});

describe('public configuration load: a request that is never answered times out and is retried', () => {
  it('a hung first request fails after the request timeout; the retry 1 s later loads the configuration', async () => {
    const calls: number[] = [];
    vi.stubGlobal('fetch', (_path: string, init?: RequestInit) => {
      calls.push(Date.now());
      // the first request hangs (a proxy holding a dead upstream) until it is aborted
      if (calls.length === 1) {
        return new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
      }
      return Promise.resolve(respond(200));
    });
    const t0 = Date.now();
    void config.load();
    await vi.advanceTimersByTimeAsync(requestTimeoutMs - 1);
    // still waiting for its answer: nothing loaded, no second request yet
    expect({ loaded: config.value !== null, calls: calls.length }).toEqual({ loaded: false, calls: 1 });
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect({ error: config.error, loaded: config.value !== null }).toEqual({ error: 'unavailable', loaded: false });
    await vi.advanceTimersByTimeAsync(1_000);
    await flush();
    expect(calls.map((t) => t - t0)).toEqual([0, requestTimeoutMs + 1_000]);
    expect({ loaded: config.value !== null, error: config.error, timers: vi.getTimerCount() }).toEqual({ loaded: true, error: null, timers: 0 });
  });
});
