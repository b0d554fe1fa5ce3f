import { describe, expect, it, vi } from 'vitest';
import { render } from 'svelte/server';
import type { AgentRow } from '../../shared/contract/metrics-api.ts';
import type { SessionInfo } from '../../shared/realtime/events.ts';

/**
 * The server's time on the client (client/src/lib/now.svelte.ts, serverNow): synced from the
 * session's serverTime at every (re)connect (client/src/lib/connection.svelte.ts) and advanced on
 * the monotonic clock (performance.now) in between. A device clock stepped after the sync (NTP
 * correcting a wrong clock, a user setting it) must move neither the header clock nor the agent
 * grid's time in state — README "the time in state counts whole seconds like a stopwatch".
 *
 * The agent grid is rendered server-side (svelte/server) from the real component; only the socket
 * is replaced (by a stand-in that hands the connection store its session events).
 */
vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date', 'performance'] });
const t0 = Date.parse('2026-03-16T02:30:00Z');
vi.setSystemTime(t0);

// the i18n module reads ?lang= from the page's location
vi.stubGlobal('location', { search: '' });

type Handlers = { onSession(info: SessionInfo): void; onConnected(): void; onDisconnected(): void; onAuthError(code: string): void };
const socketHandlers: Handlers[] = [];
vi.mock('../../client/src/lib/socket.ts', () => ({
  SocketClient: class {
    constructor(handlers: Handlers) {
      socketHandlers.push(handlers);
    }
    watch(): () => void {
      return () => {};
    }
  },
}));

const { connection } = await import('../../client/src/lib/connection.svelte.ts');
const { serverNow } = await import('../../client/src/lib/now.svelte.ts');
const { default: AgentGrid } = await import('../../client/src/lead/AgentGrid.svelte');
const { config } = await import('../../client/src/lib/config.svelte.ts');
config.value = { stateTimeThresholds: { acw: { warning: 120, critical: 300 } }, teams: [], reasons: {}, queues: [], groups: [], centers: [], boards: [] } as never;

/** the server sends its time with the session, on every (re)connect */
function session(serverMs: number): void {
  void connection.socket; // opens the (stand-in) socket
  socketHandlers.at(-1)!.onSession({ role: 'lead', name: 'lead', devMode: false, serverTime: new Date(serverMs).toISOString() });
}

function agentCard(agents: AgentRow[]): { time: string; level: string } {
  const { body } = render(AgentGrid, { props: { agents, serverClock: connection.serverClock, stale: false } });
  const card = body.match(/<div class="agent s-acw ([a-z]+)[^"]*"[\s\S]*?<div class="time num[^"]*">([^<]*)<\/div>/);
  if (!card) throw new Error(`no agent card in ${body}`);
  return { level: card[1]!, time: card[2]! };
}

// an agent in ACW for 100 s (server time) when the session is established
const agents: AgentRow[] = [{ agentId: 'a1', name: 'A1', state: 'acw', reason: null, since: new Date(t0 - 100_000).toISOString(), team: null, queues: ['q'], handledToday: 3 }];

describe('agent grid time in state and the server clock when the device clock is stepped after the session', () => {
  it('control: synced at the session, 1 s later the ACW stopwatch reads 1:41, normal', () => {
    session(t0);
    vi.advanceTimersByTime(1_000);
    expect(agentCard(agents)).toEqual({ time: '1:41', level: 'normal' });
    expect(serverNow(connection.serverClock)).toBe(t0 + 1_000);
  });

  it('device clock stepped FORWARD 1 h (NTP), 1 s of real time: the stopwatch still reads 1:42, normal, and the clock is 1 s on', () => {
    vi.setSystemTime(Date.now() + 60 * 60_000);
    vi.advanceTimersByTime(1_000);
    expect(agentCard(agents)).toEqual({ time: '1:42', level: 'normal' });
    expect(serverNow(connection.serverClock)).toBe(t0 + 2_000);
  });

  it('device clock stepped BACK 2 h (NTP), 1 s of real time: the stopwatch still reads 1:43, normal', () => {
    vi.setSystemTime(Date.now() - 2 * 60 * 60_000);
    vi.advanceTimersByTime(1_000);
    expect(agentCard(agents)).toEqual({ time: '1:43', level: 'normal' });
    expect(serverNow(connection.serverClock)).toBe(t0 + 3_000);
  });

  it('a reconnect re-syncs: the server time of the new session counts (e.g. after a laptop slept 10 min)', () => {
    // the monotonic clock stood still while the laptop slept; on waking the socket reconnects
    session(t0 + 3_000 + 10 * 60_000);
    vi.advanceTimersByTime(1_000);
    expect(serverNow(connection.serverClock)).toBe(t0 + 4_000 + 10 * 60_000);
    expect(agentCard(agents)).toEqual({ time: '11:44', level: 'critical' });
  });
});
