import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { viewIdOf, viewSpec, type ClientToServerEvents, type ServerToClientEvents, type ViewPayload, type ViewSpecInput } from '../../shared/realtime/events.ts';
import { FakeClock } from '../../server/clock.ts';
import { TestServer } from '../support/browser.ts';

// The lead view with a team: the queue table's rows are those of the view without the team, and
// the team's own agent figures come as one extra row on top. Agent figures are kept per team and
// per queue, never per both, so a queue row can never carry the team's figures.

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const leadToken = 'lead-token-0123456789abc';
const ingestToken = 'ingest-token-0123456789ab';
const T0 = Date.parse('2026-03-02T02:00:00.000Z');
const min = (m: number) => m * 60_000;

let server: TestServer;
let socket: ClientSocket;

beforeAll(async () => {
  server = await TestServer.start({
    clock: new FakeClock(T0),
    background: false,
    config: {
      queues: [
        { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
        { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' },
      ],
      teams: [{ id: 'A', name: { zh: '一组', en: 'Team 1' } }],
      tokens: [
        { token: leadToken, role: 'lead', name: 'lead-1' },
        { token: ingestToken, role: 'ingest', name: 'acd' },
      ],
    },
  });
  // team A's two agents serve different queues; team B's agent serves cards as well
  await server.postEvents(
    [
      { id: 'a1', type: 'agent.state', ts: T0 - min(40), agentId: 'agA1', state: 'available', team: 'A', queues: ['cards'] },
      { id: 'a2', type: 'agent.state', ts: T0 - min(30), agentId: 'agA2', state: 'on_contact', team: 'A', queues: ['chat'] },
      { id: 'b1', type: 'agent.state', ts: T0 - min(35), agentId: 'agB1', state: 'available', team: 'B', queues: ['cards'] },
      { id: 'b2', type: 'agent.state', ts: T0 - min(20), agentId: 'agB1', state: 'not_ready', reason: 'break' },
      { id: 'a3', type: 'agent.state', ts: T0 - min(10), agentId: 'agA1', state: 'acw' },
      { id: 'q1', type: 'contact.queued', ts: T0 - min(8), contactId: 'k1', queue: 'cards', channel: 'voice' },
      { id: 'q2', type: 'contact.answered', ts: T0 - min(7), contactId: 'k1', agentId: 'agB1' },
      { id: 'q3', type: 'contact.queued', ts: T0 - min(2), contactId: 'k2', queue: 'chat', channel: 'text' },
    ],
    ingestToken,
  );
  socket = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: leadToken } });
  await new Promise<void>((resolve, reject) => {
    socket.once('session:established', () => resolve());
    socket.once('connect_error', reject);
  });
});

afterAll(async () => {
  socket?.disconnect();
  await server?.stop();
});

/** subscribes and returns the view's snapshot */
async function snapshotOf(spec: ViewSpecInput): Promise<ViewPayload> {
  const viewId = viewIdOf(viewSpec.parse(spec));
  const snapshot = new Promise<ViewPayload>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no snapshot of ${viewId}`)), 5000);
    const handler = (p: ViewPayload) => {
      if (p.viewId !== viewId) return;
      clearTimeout(timer);
      socket.off('view:snapshotted', handler);
      resolve(p);
    };
    socket.on('view:snapshotted', handler);
  });
  const ack = await socket.emitWithAck('view:subscribe', spec);
  if (!ack.ok) throw new Error(`view refused: ${ack.error}`);
  return snapshot;
}

describe('lead view with a team', () => {
  it('computes the queue rows without the team and adds the team’s own agent figures as one row on top', async () => {
    const plain = await snapshotOf({ kind: 'lead', window: '30m' });
    const withTeam = await snapshotOf({ kind: 'lead', window: '30m', team: 'A' });
    expect(plain.rowKeys[0]).toEqual({ kind: 'center' });
    expect(withTeam.rowKeys[0]).toEqual({ kind: 'team', team: 'A' });
    // every queue, channel and center row is the one of the view without the team
    expect(withTeam.rowKeys.slice(1)).toEqual(plain.rowKeys);
    expect(withTeam.rows.slice(1)).toEqual(plain.rows);
    expect(withTeam.rows.length).toBe(withTeam.rowKeys.length);

    // the team row: team A's agents, by hand (window [T0−30m, T0)): agA1 available 20 min then
    // ACW 10 min (serves cards), agA2 on contact 30 min (serves chat)
    const team = withTeam.rows[0]!;
    expect(team).toMatchObject({ team: 'A', queue: null, channel: null, group: null, window: '30m' });
    expect(team.agents).toEqual({ loggedIn: 2, available: 0, ringing: 0, onContact: 1, hold: 0, acw: 1, notReady: 0 });
    expect(team.stateTimeSec).toMatchObject({ available: 1200, acw: 600, on_contact: 1800, not_ready: 0 });
    expect(team.occupancy).toBeCloseTo(2400 / 3600, 10);
    expect(team.utilization).toBe(1);
    // contacts have no team: no contact figure in the team row
    for (const k of ['offered', 'answered', 'arrivals', 'abandoned', 'serviceLevel', 'answerRate', 'asaSec', 'waiting', 'longestWaitSec', 'thresholdSec'] as const) {
      expect(team[k], k).toBeNull();
    }
    expect(team.kpi).toBeUndefined();
    // the same agent figures as the API's center-wide team query
    const api = await server.getJson<MetricsResult>('/api/v1/metrics?team=A&window=30m', leadToken);
    expect({ agents: team.agents, occupancy: team.occupancy, utilization: team.utilization, stateTimeSec: team.stateTimeSec }).toEqual({
      agents: api.agents,
      occupancy: api.occupancy,
      utilization: api.utilization,
      stateTimeSec: api.stateTimeSec,
    });

    // a queue row is the queue's, not the team's: cards has agA1 (A) and agB1 (B)
    const cards = withTeam.rows[withTeam.rowKeys.findIndex((k) => k.kind === 'queue' && k.queue === 'cards')]!;
    expect(cards.agents).toMatchObject({ loggedIn: 2, acw: 1, notReady: 1, onContact: 0 });
    expect(cards).toMatchObject({ team: null, offered: 1, answered: 1 });
    const chat = withTeam.rows[withTeam.rowKeys.findIndex((k) => k.kind === 'queue' && k.queue === 'chat')]!;
    expect(chat.agents).toMatchObject({ loggedIn: 1, onContact: 1 });
    expect(chat).toMatchObject({ team: null, waiting: 1 });

    // the agent grid stays narrowed to the team
    expect(withTeam.agents!.map((a) => a.agentId)).toEqual(['agA1', 'agA2']);
  });

  it('with a queue too: that queue’s row without the team, and the team row', async () => {
    const queueOnly = await snapshotOf({ kind: 'lead', window: '30m', queue: 'cards' });
    const both = await snapshotOf({ kind: 'lead', window: '30m', team: 'A', queue: 'cards' });
    expect(both.rowKeys).toEqual([{ kind: 'team', team: 'A' }, ...queueOnly.rowKeys]);
    expect(queueOnly.rowKeys).toEqual([{ kind: 'queue', queue: 'cards', channel: 'voice' }]);
    expect(both.rows.slice(1)).toEqual(queueOnly.rows);
    expect(both.rows[0]!.agents).toMatchObject({ loggedIn: 2, onContact: 1, acw: 1 });
    expect(both.rows[0]!.offered).toBeNull();
    // the grid: the team's agents who serve the queue
    expect(both.agents!.map((a) => a.agentId)).toEqual(['agA1']);
  });
});
