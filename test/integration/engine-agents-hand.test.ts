import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { engineQuery } from '../../server/metrics/engine.ts';
import { cardsAndChatConfig, engineApp, T0, sec, min } from './engine-helpers.ts';

/** Agent figures in situations the property tests rarely reach, hand-computed from the README's definitions. */

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

async function setup(now = T0, cfg: AppConfigInput = cardsAndChatConfig) {
  const h = await engineApp({ now, config: cfg });
  cleanups.push(() => h.app.close());
  return h;
}

type State = 'logged_out' | 'available' | 'ringing' | 'on_contact' | 'hold' | 'acw' | 'not_ready';
const st = (
  id: string,
  ts: number,
  agentId: string,
  state: State,
  extra: Partial<Record<'team' | 'reason' | 'name', string>> & { queues?: string[] } = {},
): ContractEventInput => ({ id, type: 'agent.state', ts, agentId, state, ...extra });

const hour = (h: number) => h * 3_600_000;
const all = { kind: 'all' } as const;
const cards = { kind: 'queue', queue: 'cards' } as const;
const chat = { kind: 'queue', queue: 'chat' } as const;

describe('agent figures, by hand', () => {
  it('handledToday counts only answers since local midnight (query shortly after midnight)', async () => {
    // 2026-03-02 00:10 Asia/Shanghai
    const N = Date.parse('2026-03-02T00:10:00+08:00');
    const h = await setup(N);
    await h.ingest([
      st('s1', N - min(30), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      { id: 'q1', type: 'contact.queued', ts: N - min(20), contactId: 'k1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: N - min(15), contactId: 'k1', agentId: 'ag1' }, // 23:55 yesterday
      { id: 'q2', type: 'contact.queued', ts: N - min(9), contactId: 'k2', queue: 'cards', channel: 'voice' },
      { id: 'a2', type: 'contact.answered', ts: N - min(5), contactId: 'k2', agentId: 'ag1' }, // 00:05 today
      { id: 'q3', type: 'contact.queued', ts: N - min(11), contactId: 'k3', queue: 'cards', channel: 'voice' },
      { id: 'a3', type: 'contact.answered', ts: N - min(10), contactId: 'k3', agentId: 'ag1' }, // 00:00:00.000 today
    ]);
    const rows = await h.engine.agents('default', {}, N);
    expect(rows.map((r) => [r.agentId, r.handledToday])).toEqual([['ag1', 2]]);
    // today window: available since 23:40 → 600 s inside [00:00, 00:10)
    const m = await h.engine.query({ center: 'default', scope: all }, 'today', N);
    expect(m.stateTimeSec.available).toBe(600);
    // a day later (clock moved), yesterday's answers no longer count
    const rowsNext = await h.engine.agents('default', {}, N + hour(24));
    expect(rowsNext.map((r) => r.handledToday)).toEqual([0]);
  });

  it('an agent silent for days: today, rolling and interval time from a state set 3 days ago', async () => {
    const h = await setup(T0 - hour(72));
    await h.ingest([st('s1', T0 - hour(72), 'ag1', 'available', { team: 'A', queues: ['cards'] })]);
    h.clock.set(T0);
    const today = await h.engine.query({ center: 'default', scope: cards }, 'today', T0);
    expect(today.stateTimeSec.available).toBe(10 * 3600);
    expect(today.agents).toMatchObject({ loggedIn: 1, available: 1 });
    const r60 = await h.engine.query({ center: 'default', scope: cards }, '60m', T0);
    expect(r60.stateTimeSec.available).toBe(3600);
    const rows = await h.engine.intervals({ center: 'default', scope: { kind: 'all' } }, T0 - hour(30), T0 - hour(29), T0);
    expect(rows.map((r) => r.stateTimeSec.available)).toEqual([900, 900, 900, 900]);
    // the agent comes back: a new point now, then a late point 30 min ago (timeline trimmed in between)
    await h.ingest([st('s2', T0 - min(1), 'ag1', 'not_ready', { reason: 'break' })]);
    await h.ingest([st('s3', T0 - min(30), 'ag1', 'on_contact')]);
    const after = await h.engine.query({ center: 'default', scope: cards }, '60m', T0);
    expect(after.stateTimeSec).toMatchObject({ available: 1800, on_contact: 1740, not_ready: 60 });
    const row = (await h.engine.agents('default', {}, T0))[0]!;
    expect(row).toMatchObject({ state: 'not_ready', reason: 'break', since: new Date(T0 - min(1)).toISOString(), team: 'A', queues: ['cards'] });
  });

  it('a change of team and queues mid-window: time and live counts move at that moment', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(20), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(6), 'ag1', 'on_contact', { team: 'B', queues: ['chat'] }),
    ]);
    const q = async (scope: typeof all | typeof cards | typeof chat, team?: string) =>
      h.engine.query({ center: 'default', ...engineQuery(scope, team) }, '15m', T0);
    const a = await q(all, 'A');
    const b = await q(all, 'B');
    expect([a.stateTimeSec.available, a.stateTimeSec.on_contact, a.agents?.loggedIn]).toEqual([540, 0, 0]);
    expect([b.stateTimeSec.available, b.stateTimeSec.on_contact, b.agents?.loggedIn]).toEqual([0, 360, 1]);
    const c = await q(cards);
    const t = await q(chat);
    expect([c.stateTimeSec.available, c.occupancy, c.agents?.loggedIn]).toEqual([540, 0, 0]);
    expect([t.stateTimeSec.on_contact, t.occupancy, t.agents?.onContact]).toEqual([360, 1, 1]);
    const g = await h.engine.query({ center: 'default', scope: { kind: 'group', group: 'retail' } }, '15m', T0);
    expect([g.stateTimeSec.available, g.agents?.loggedIn]).toEqual([540, 0]);
    const ch = await h.engine.query({ center: 'default', scope: { kind: 'channel', channel: 'text' } }, '15m', T0);
    expect([ch.stateTimeSec.on_contact, ch.agents?.onContact]).toEqual([360, 1]);
  });

  it('a late point with its own team and queues between two points', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(20), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('3', T0 - min(5), 'ag1', 'acw', { team: 'A', queues: ['cards'] }),
    ]);
    await h.ingest([st('2', T0 - min(10), 'ag1', 'on_contact', { team: 'B', queues: ['chat'] })]);
    const r = async (scope: typeof all | typeof cards | typeof chat, team?: string) =>
      (await h.engine.query({ center: 'default', ...engineQuery(scope, team) }, '15m', T0)).stateTimeSec;
    expect(await r(cards)).toMatchObject({ available: 300, on_contact: 0, acw: 300 });
    expect(await r(chat)).toMatchObject({ available: 0, on_contact: 300, acw: 0 });
    expect(await r(all, 'A')).toMatchObject({ available: 300, on_contact: 0, acw: 300 });
    expect(await r(all, 'B')).toMatchObject({ on_contact: 300 });
    expect(await r(all)).toMatchObject({ available: 300, on_contact: 300, acw: 300 });
    const live = (await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).agents;
    expect(live).toMatchObject({ loggedIn: 1, acw: 1 });
    const liveChat = (await h.engine.query({ center: 'default', scope: chat }, '15m', T0)).agents;
    expect(liveChat).toMatchObject({ loggedIn: 0 });
  });

  it('an event older than the current state changes neither the row nor the live counts', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(30), 'ag1', 'available', { team: 'A', queues: ['cards'], name: 'Li' }),
      st('2', T0 - min(10), 'ag1', 'not_ready', { reason: 'break' }),
    ]);
    const before = await h.engine.agents('default', {}, T0);
    await h.ingest([st('0', T0 - min(20), 'ag1', 'on_contact', { team: 'B', queues: ['chat'], name: 'Wang' })]);
    const after = await h.engine.agents('default', {}, T0);
    expect(after).toEqual(before);
    expect(after[0]).toMatchObject({ state: 'not_ready', reason: 'break', since: new Date(T0 - min(10)).toISOString(), team: 'A', name: 'Li' });
    const m = await h.engine.query({ center: 'default', scope: all }, '30m', T0);
    expect(m.agents).toMatchObject({ loggedIn: 1, notReady: 1 });
    expect(m.stateTimeSec).toMatchObject({ available: 600, on_contact: 600, not_ready: 600 });
    const notReady = await h.engine.agents('default', { state: 'not_ready', team: 'A' }, T0);
    expect(notReady.map((r) => r.agentId)).toEqual(['ag1']);
  });

  it('logout: live counts drop, time stops, the row says logged_out; logging back in counts again', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(50), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(40), 'ag1', 'logged_out'),
      st('3', T0 - min(5), 'ag1', 'not_ready', { reason: 'meeting' }),
    ]);
    const m = await h.engine.query({ center: 'default', scope: cards }, '60m', T0);
    expect(m.stateTimeSec).toMatchObject({ available: 600, not_ready: 300 });
    expect(m.utilization).toBeCloseTo(600 / 900, 12);
    expect(m.occupancy).toBe(0);
    expect(m.agents).toMatchObject({ loggedIn: 1, notReady: 1 });
    const r = (await h.engine.agents('default', { queue: 'cards', state: 'not_ready' }, T0))[0]!;
    expect(r).toMatchObject({ reason: 'meeting', team: 'A', queues: ['cards'] });
  });

  it('occupancy and utilization with ringing and hold, over 30m and intervals', async () => {
    const h = await setup();
    const from = T0 - min(30);
    await h.ingest([
      st('1', from - min(1), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', from + min(5), 'ag1', 'ringing'),
      st('3', from + min(6), 'ag1', 'on_contact'),
      st('4', from + min(10), 'ag1', 'hold'),
      st('5', from + min(12), 'ag1', 'on_contact'),
      st('6', from + min(18), 'ag1', 'acw'),
      st('7', from + min(20), 'ag1', 'not_ready', { reason: 'break' }),
      st('8', from + min(25), 'ag1', 'available'),
    ]);
    // [from, T0): available 5 + 5 = 10 min, ringing 1, on_contact 4 + 6 = 10, hold 2, acw 2, not_ready 5
    const m = await h.engine.query({ center: 'default', scope: cards }, '30m', T0);
    expect(m.stateTimeSec).toEqual({ available: 600, ringing: 60, on_contact: 600, hold: 120, acw: 120, not_ready: 300 });
    expect(m.occupancy).toBeCloseTo(840 / 1440, 12);
    expect(m.utilization).toBeCloseTo(1500 / 1800, 12);
    const rows = await h.engine.intervals({ center: 'default', scope: cards }, from, T0, T0);
    // [from, from+15): av 5, rg 1, oc 4+3, ho 2 ; [from+15, T0): oc 3, acw 2, nr 5, av 5
    expect(rows.map((r) => r.stateTimeSec)).toEqual([
      { available: 300, ringing: 60, on_contact: 420, hold: 120, acw: 0, not_ready: 0 },
      { available: 300, ringing: 0, on_contact: 180, hold: 0, acw: 120, not_ready: 300 },
    ]);
  });

  it('duplicates of agent events across batches and within a batch are answered duplicate and change nothing', async () => {
    const h = await setup();
    const evs = [
      st('1', T0 - min(20), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(10), 'ag1', 'on_contact'),
    ];
    const r1 = await h.ingest([...evs, evs[0]!]);
    expect(r1.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'duplicate']);
    const m1 = await h.engine.query({ center: 'default', scope: cards }, '30m', T0);
    const r2 = await h.ingest([evs[1]!, evs[0]!]);
    expect(r2.outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate']);
    expect(await h.engine.query({ center: 'default', scope: cards }, '30m', T0)).toEqual(m1);
    expect(m1.stateTimeSec).toMatchObject({ available: 600, on_contact: 600 });
  });
});

describe('agents on a queue known only from events', () => {
  it("count in its channel from their first state change after the queue's first contact (README: a documented limit)", async () => {
    const h = await setup(T0, {});
    await h.ingest([
      st('1', T0 - min(10), 'ag1', 'available', { team: 'A', queues: ['loans'] }),
      { id: 'q1', type: 'contact.queued', ts: T0 - min(8), contactId: 'k1', queue: 'loans', channel: 'voice' },
    ]);
    const voice = () => h.engine.query({ center: 'default', scope: { kind: 'channel', channel: 'voice' } }, '15m', T0);
    // the agent's point was written before the queue had a channel
    expect((await voice()).waiting).toBe(1);
    expect((await voice()).agents).toMatchObject({ loggedIn: 0, available: 0 });
    await h.ingest([st('2', T0 - min(5), 'ag1', 'on_contact')]);
    const after = await voice();
    expect(after.agents).toMatchObject({ loggedIn: 1, onContact: 1 });
    expect(after.stateTimeSec).toMatchObject({ available: 0, on_contact: 300 });
    // the queue's own row has had the agent all along
    const loans = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'loans' } }, '15m', T0);
    expect(loans.stateTimeSec).toMatchObject({ available: 300, on_contact: 300 });
  });
});

describe('handledToday with late and transferred contacts', () => {
  it('counts an answer whose queued event arrives later, and each agent of a transferred contact once', async () => {
    const h = await setup();
    await h.ingest([
      st('s1', T0 - min(40), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('s2', T0 - min(40), 'ag2', 'available', { team: 'A', queues: ['chat'] }),
      { id: 'a1', type: 'contact.answered', ts: T0 - min(20), contactId: 'k1', agentId: 'ag1' },
    ]);
    await h.ingest([{ id: 'q1', type: 'contact.queued', ts: T0 - min(21), contactId: 'k1', queue: 'cards', channel: 'voice' }]);
    await h.ingest([
      { id: 'q2', type: 'contact.queued', ts: T0 - min(10), contactId: 'k2', queue: 'cards', channel: 'voice' },
      { id: 'x2', type: 'contact.transferred', ts: T0 - min(9), contactId: 'k2', toQueue: 'chat' },
      { id: 'q2b', type: 'contact.queued', ts: T0 - min(9) + 1, contactId: 'k2', queue: 'chat', channel: 'text' },
      { id: 'a2', type: 'contact.answered', ts: T0 - min(8), contactId: 'k2', agentId: 'ag2' },
      // a second, conflicting answer of the same leg (another id) has no effect
      { id: 'a2b', type: 'contact.answered', ts: T0 - min(7), contactId: 'k2', agentId: 'ag1' },
    ]);
    const rows = await h.engine.agents('default', {}, T0);
    expect(rows.map((r) => [r.agentId, r.handledToday])).toEqual([
      ['ag1', 1],
      ['ag2', 1],
    ]);
  });
});
