import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ViewPayload } from '../../shared/realtime/events.ts';
import { alertFixture } from '../support/alert-fixture.ts';

/**
 * The client's state classes, driven without a server: a fake socket stands in for the page's Socket.IO connection so the
 * Svelte state classes can be driven without a server.
 */
const fakeSocket = Object.assign(new EventEmitter(), { connected: true });
vi.mock('../../client/src/lib/connection.svelte.ts', () => ({
  connection: { connected: true, session: null, authError: null, socket: { socket: fakeSocket, watch: () => () => {} } },
}));

const { LiveView } = await import('../../client/src/lib/view.svelte.ts');
const { CenterAlerts } = await import('../../client/src/lib/alerts/alerts.svelte.ts');

afterEach(() => {
  vi.unstubAllGlobals();
  fakeSocket.removeAllListeners();
});

function payload(asOfMs: number): ViewPayload {
  return { viewId: 'board:default:default', asOf: new Date(asOfMs).toISOString(), seq: 1, demo: false, window: '30m', rowKeys: [], rows: [], trend: [] };
}

describe('LiveView freshness (client/src/lib/view.svelte.ts)', () => {
  it('an older payload arriving after a newer one does not replace it', () => {
    const v = new LiveView({ kind: 'board', board: 'default' });
    const newer = { ...payload(Date.now()), seq: 20 };
    const older = { ...payload(Date.now() - 3000), seq: 10 };
    v.apply(newer, 'update');
    v.apply(older, 'snapshot');
    expect(v.payload?.seq).toBe(20);
  });
});

describe('CenterAlerts (client/src/lib/alerts/alerts.svelte.ts)', () => {
  it('a REST refresh read before a pushed change does not undo that change', async () => {
    let answer!: (r: Response) => void;
    vi.stubGlobal('fetch', () => new Promise<Response>((r) => (answer = r)));
    const alerts = new CenterAlerts('default');
    alerts.start(); // refresh(): GET /api/v1/alerts in flight (the server reads the alert: firing)
    const firing = alertFixture('q1', 'default', { state: 'firing', updatedAt: '2026-12-06T08:00:00.000Z' });
    const resolved = alertFixture('q1', 'default', { state: 'resolved', updatedAt: '2026-12-06T08:00:05.000Z', resolvedAt: '2026-12-06T08:00:05.000Z' });
    // meanwhile the alert resolves and the push arrives first
    fakeSocket.emit('alert:changed', [{ type: 'resolved', alert: resolved }]);
    expect(alerts.alerts.map((a) => a.state)).toEqual(['resolved']);
    // then the REST answer, read before the change, lands
    answer(new Response(JSON.stringify({ alerts: [firing] }), { status: 200, headers: { 'content-type': 'application/json' } }));
    await vi.waitFor(() => expect(alerts.error).toBeNull());
    await new Promise((r) => setTimeout(r, 10));
    const states = alerts.alerts.map((a) => [a.id, a.state]);
    alerts.stop();
    expect(states).toEqual([['q1', 'resolved']]);
  });
});
