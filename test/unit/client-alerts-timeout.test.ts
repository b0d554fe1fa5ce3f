import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alertFixture } from '../support/alert-fixture.ts';

/**
 * The alert banner's REST requests (client/src/lib/alerts/alerts.svelte.ts) use client/src/lib/api.ts's
 * request timeout: a request never answered (a proxy holding a dead upstream) fails like any other
 * failed request instead of leaving the banner waiting for good — the refresh reports its error
 * and the next poll asks again; an acknowledgement rejects, so the button is released.
 */
vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });

const fakeSocket = Object.assign(new EventEmitter(), { connected: false });
vi.mock('../../client/src/lib/connection.svelte.ts', () => ({
  connection: { connected: false, session: null, authError: null, socket: { socket: fakeSocket, watch: () => () => {} } },
}));

const { CenterAlerts } = await import('../../client/src/lib/alerts/alerts.svelte.ts');
const { requestTimeoutMs } = await import('../../client/src/lib/api.ts');

/** a request that is never answered: it only ends when its signal aborts it */
function hung(init?: RequestInit): Promise<Response> {
  return new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
}
function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
/** whether a promise has settled, and how */
function track<T>(p: Promise<T>): { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } {
  const t: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown } = { state: 'pending' };
  p.then(
    (value) => Object.assign(t, { state: 'fulfilled', value }),
    (reason: unknown) => Object.assign(t, { state: 'rejected', reason }),
  );
  return t;
}

afterEach(() => {
  vi.unstubAllGlobals();
  fakeSocket.removeAllListeners();
});

describe('alert banner: a REST request never answered times out (client/src/lib/alerts/alerts.svelte.ts)', () => {
  it('a hung GET /api/v1/alerts fails after the request timeout; the next poll shows the alerts', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', (path: string, init?: RequestInit) => {
      calls.push(path);
      // the first refresh hangs, the next one answers
      return calls.length === 1 ? hung(init) : Promise.resolve(json({ alerts: [alertFixture('q1')] }));
    });
    const alerts = new CenterAlerts('default');
    alerts.start();
    expect(calls).toEqual(['/api/v1/alerts?center=default']);
    await vi.advanceTimersByTimeAsync(requestTimeoutMs - 1);
    expect(alerts.error).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    // failed like any failed request: the error is reported, nothing shown is lost
    expect({ error: alerts.error, alerts: alerts.alerts }).toEqual({ error: expect.stringContaining(`${requestTimeoutMs} ms`), alerts: [] });
    // the 30 s poll asks again and shows what it gets
    await vi.advanceTimersByTimeAsync(30_000 - requestTimeoutMs);
    expect(calls).toHaveLength(2);
    await vi.waitFor(() => expect(alerts.error).toBeNull());
    const shown = alerts.alerts.map((a) => a.id);
    alerts.stop();
    expect(shown).toEqual(['q1']);
  });

  it('a refresh never answered settles after the request timeout (it does not wait for good)', async () => {
    vi.stubGlobal('fetch', (_path: string, init?: RequestInit) => hung(init));
    const alerts = new CenterAlerts('default');
    const refresh = track(alerts.refresh());
    await vi.advanceTimersByTimeAsync(requestTimeoutMs);
    expect({ refresh: refresh.state, error: alerts.error !== null }).toEqual({ refresh: 'fulfilled', error: true });
  });

  it('a hung acknowledgement (socket down: REST fallback) rejects after the request timeout', async () => {
    const sent: { path: string; method?: string; body?: unknown }[] = [];
    vi.stubGlobal('fetch', (path: string, init?: RequestInit) => {
      sent.push({ path, method: init?.method, body: init?.body });
      return hung(init);
    });
    const alerts = new CenterAlerts('default');
    const ack = track(alerts.acknowledge('q1', 'on it'));
    await vi.advanceTimersByTimeAsync(requestTimeoutMs - 1);
    expect(ack.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([{ path: '/api/v1/alerts/q1/ack', method: 'POST', body: JSON.stringify({ note: 'on it' }) }]);
    expect({ state: ack.state, reason: (ack.reason as Error | undefined)?.name }).toEqual({ state: 'rejected', reason: 'TimeoutError' });
  });

  it('an acknowledgement the server refuses (409: already resolved) still answers false (control: unchanged behaviour)', async () => {
    vi.stubGlobal('fetch', () => Promise.resolve(json({ error: 'conflict' }, 409)));
    const alerts = new CenterAlerts('default');
    expect(await alerts.acknowledge('q1')).toBe(false);
  });
});
