import { afterEach, describe, expect, it } from 'vitest';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { agentPackBase } from '../../server/metrics/codec.ts';
import type { EngineQuery } from '../../server/metrics/types.ts';
import { teamScopeConflict } from '../../shared/contract/metrics-api.ts';
import { cardsAndChatConfig, engineApp, T0, sec, min } from './engine-helpers.ts';

/** Agent figures, hand-computed. T0 = 2026-03-02 10:00:00 Asia/Shanghai. */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup() {
  const h = await engineApp({ now: T0, config: cardsAndChatConfig });
  cleanup = () => h.app.close();
  return h;
}

type State = 'logged_out' | 'available' | 'ringing' | 'on_contact' | 'hold' | 'acw' | 'not_ready';
const st = (id: string, ts: number, agentId: string, state: State, extra: Partial<Record<'team' | 'reason' | 'name', string>> & { queues?: string[] } = {}): ContractEventInput => ({
  id,
  type: 'agent.state',
  ts,
  agentId,
  state,
  ...extra,
});

const ag1 = [
  st('1', T0 - min(20), 'ag1', 'available', { team: 'A', queues: ['cards'], name: '张三' }),
  st('2', T0 - min(10), 'ag1', 'on_contact'),
  st('3', T0 - min(5), 'ag1', 'acw'),
  st('4', T0 - min(2), 'ag1', 'available'),
];

describe('engine: agent figures (hand-computed)', () => {
  it('time in state is clipped to the window; a running state counts up to asOf', async () => {
    const h = await setup();
    await h.ingest(ag1);
    const m = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    // [T0−15m, T0): available 5 min + 2 min, on_contact 5 min, acw 3 min
    expect(m.stateTimeSec).toEqual({ available: 420, ringing: 0, on_contact: 300, hold: 0, acw: 180, not_ready: 0 });
    expect(m.occupancy).toBeCloseTo(480 / 900, 12);
    expect(m.utilization).toBe(1);
    expect(m.agents).toEqual({ loggedIn: 1, available: 1, ringing: 0, onContact: 0, hold: 0, acw: 0, notReady: 0 });
    // 60m window: available from T0−20m (the state began inside it) → 10 + 2 min
    const m60 = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '60m', T0);
    expect(m60.stateTimeSec).toMatchObject({ available: 720, on_contact: 300, acw: 180 });
    // 90.5 s later (asOf T0 + 90 s): [T0−13.5m, T0+1.5m) → available 3.5 min + 3.5 min
    const later = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0 + sec(90) + 500);
    expect(later.stateTimeSec).toMatchObject({ available: 420, on_contact: 300, acw: 180 });
  });

  it('occupancy and utilization stay distinct with not-ready time', async () => {
    const h = await setup();
    await h.ingest([...ag1, st('b1', T0 - min(30), 'ag2', 'not_ready', { reason: 'break', team: 'A', queues: ['cards'] })]);
    const m = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    expect(m.stateTimeSec.not_ready).toBe(900);
    expect(m.occupancy).toBeCloseTo(480 / 900, 12);
    expect(m.utilization).toBe(0.5);
    expect(m.agents).toMatchObject({ loggedIn: 2, available: 1, notReady: 1 });
  });

  it('out-of-order and duplicated agent events give the same figures and rows', async () => {
    const a = await setup();
    await a.ingest(ag1);
    const expected = await a.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '30m', T0);
    const expectedRows = await a.engine.agents('default', {}, T0);
    await a.app.close();
    const b = await setup();
    await b.ingest([ag1[0]!, ag1[3]!]);
    await b.ingest([ag1[2]!, ag1[3]!]);
    const r = await b.ingest([ag1[1]!, ag1[0]!]);
    expect(r.outcomes.map((o) => o.status)).toEqual(['accepted', 'duplicate']);
    expect(await b.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '30m', T0)).toEqual(expected);
    expect(await b.engine.agents('default', {}, T0)).toEqual(expectedRows);
    expect(expectedRows).toEqual([
      { agentId: 'ag1', name: '张三', state: 'available', reason: null, since: new Date(T0 - min(2)).toISOString(), team: 'A', queues: ['cards'], handledToday: 0 },
    ]);
  });

  it('live counts per queue, channel, group and team; a team goes with the center scope only', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(5), 'ag1', 'on_contact', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(5), 'ag2', 'available', { team: 'B', queues: ['cards', 'chat'] }),
      st('3', T0 - min(5), 'ag3', 'not_ready', { team: 'B', queues: ['chat'], reason: 'meal' }),
      st('4', T0 - min(5), 'ag4', 'logged_out', { team: 'B', queues: ['chat'] }),
      { id: 'c', type: 'contact.queued', ts: T0 - min(1), contactId: 'k1', queue: 'cards', channel: 'voice' },
    ]);
    const agents = async (scope: Parameters<typeof h.engine.query>[0]['scope']) => (await h.engine.query({ center: 'default', scope }, '15m', T0)).agents;
    expect(await agents({ kind: 'queue', queue: 'cards' })).toMatchObject({ loggedIn: 2, onContact: 1, available: 1 });
    expect(await agents({ kind: 'queue', queue: 'chat' })).toMatchObject({ loggedIn: 2, available: 1, notReady: 1 });
    expect(await agents({ kind: 'channel', channel: 'text' })).toMatchObject({ loggedIn: 2 });
    expect(await agents({ kind: 'group', group: 'retail' })).toMatchObject({ loggedIn: 2 });
    expect(await agents({ kind: 'all' })).toMatchObject({ loggedIn: 3, available: 1, onContact: 1, notReady: 1 });
    // the team's agents center-wide (the contact figures are the center's: contacts have no team)
    const teamB = await h.engine.query({ center: 'default', scope: { kind: 'all' }, team: 'B' }, '15m', T0);
    expect(teamB.agents).toMatchObject({ loggedIn: 2, available: 1, notReady: 1, onContact: 0 });
    expect(teamB).toMatchObject({ team: 'B', arrivals: 1, waiting: 1 });
    expect(teamB.stateTimeSec).toMatchObject({ available: 300, not_ready: 300, on_contact: 0 });
    // agent figures are kept per team and per queue, not per both: a team with a queue, channel or
    // group is refused (it would be the whole team's figures labelled as the queue's), whatever
    // the static type said
    for (const scope of [{ kind: 'queue', queue: 'cards' }, { kind: 'channel', channel: 'text' }, { kind: 'group', group: 'retail' }] as const) {
      const mixed = { scope, team: 'B' } as unknown as EngineQuery;
      await expect(h.engine.query({ center: 'default', ...mixed }, '15m', T0)).rejects.toThrow(teamScopeConflict);
      await expect(h.engine.queryMany('default', [{ scope: { kind: 'all' } }, mixed], '30m', T0)).rejects.toThrow(teamScopeConflict);
      await expect(h.engine.history({ center: 'default', ...mixed }, T0 - min(60), T0 - min(30), T0)).rejects.toThrow(teamScopeConflict);
      await expect(h.engine.intervals({ center: 'default', ...mixed }, T0 - min(60), T0 - min(30), T0)).rejects.toThrow(teamScopeConflict);
    }
    // agents API filters
    expect((await h.engine.agents('default', { team: 'B' }, T0)).map((r) => r.agentId)).toEqual(['ag2', 'ag3', 'ag4']);
    expect((await h.engine.agents('default', { queue: 'cards' }, T0)).map((r) => r.agentId)).toEqual(['ag1', 'ag2']);
    expect((await h.engine.agents('default', { state: 'not_ready' }, T0)).map((r) => [r.agentId, r.reason])).toEqual([['ag3', 'meal']]);
  });

  it('filters read inside Redis return exactly the agents that match, with their answered counts', async () => {
    const h = await setup();
    // 300 agents, every seventh not ready; names and reasons that spell the filter's own text
    // must not fool it, and the not-ready ones carry answered counts of today
    const events: ContractEventInput[] = [];
    for (let i = 0; i < 300; i++) {
      const notReady = i % 7 === 0;
      events.push(
        st(`s${i}`, T0 - min(30), `a${String(i).padStart(3, '0')}`, notReady ? 'not_ready' : 'available', {
          team: i % 2 ? 'A' : 'B',
          queues: i % 3 === 0 ? ['cards', 'chat'] : ['cards'],
          name: i % 5 === 0 ? `"state":"not_ready" 坐席${i}` : `坐席${i}`,
          ...(notReady ? { reason: i % 3 ? 'break' : '"state":"available"' } : {}),
        }),
      );
    }
    for (const i of [0, 7, 8]) {
      events.push({ id: `q${i}`, type: 'contact.queued', ts: T0 - min(40), contactId: `k${i}`, queue: 'cards', channel: 'voice' });
      events.push({ id: `a${i}`, type: 'contact.answered', ts: T0 - min(39), contactId: `k${i}`, agentId: `a${String(i).padStart(3, '0')}` });
    }
    await h.ingest(events);
    const all = await h.engine.agents('default', {}, T0);
    expect(all).toHaveLength(300);
    const notReady = await h.engine.agents('default', { state: 'not_ready' }, T0);
    expect(notReady).toEqual(all.filter((r) => r.state === 'not_ready'));
    expect(notReady.map((r) => r.agentId)).toEqual(Array.from({ length: 43 }, (_, k) => `a${String(k * 7).padStart(3, '0')}`));
    expect(notReady.filter((r) => r.handledToday > 0).map((r) => [r.agentId, r.handledToday])).toEqual([['a000', 1], ['a007', 1]]);
    expect(all.find((r) => r.agentId === 'a008')).toMatchObject({ state: 'available', handledToday: 1 });
    expect(await h.engine.agents('default', { state: 'available', team: 'A' }, T0)).toEqual(all.filter((r) => r.state === 'available' && r.team === 'A'));
    const inChat = await h.engine.agents('default', { queue: 'chat' }, T0);
    expect(inChat).toHaveLength(100);
    expect(inChat).toEqual(all.filter((r) => r.queues.includes('chat')));
    expect(await h.engine.agents('default', { team: 'B', queue: 'chat', state: 'not_ready' }, T0)).toEqual(
      all.filter((r) => r.team === 'B' && r.queues.includes('chat') && r.state === 'not_ready'),
    );
  });

  it('`since` is the start of the final run of equal state and reason, even with late events', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(30), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(20), 'ag1', 'not_ready', { reason: 'break' }),
      st('3', T0 - min(10), 'ag1', 'not_ready', { reason: 'break' }),
    ]);
    const since = async () => (await h.engine.agents('default', {}, T0))[0]!.since;
    expect(await since()).toBe(new Date(T0 - min(20)).toISOString());
    // a late point inside the run with another reason splits it: the run now starts at point 3
    await h.ingest([st('2b', T0 - min(15), 'ag1', 'not_ready', { reason: 'meal' })]);
    expect(await since()).toBe(new Date(T0 - min(10)).toISOString());
    // a late point right before the run with the same state+reason extends it
    await h.ingest([st('2c', T0 - min(12), 'ag1', 'not_ready', { reason: 'break' })]);
    expect(await since()).toBe(new Date(T0 - min(12)).toISOString());
    // a new reason at the end starts a new run; the time-in-state stays exact
    await h.ingest([st('4', T0 - min(5), 'ag1', 'not_ready', { reason: 'meal' })]);
    expect((await h.engine.agents('default', {}, T0))[0]).toMatchObject({ reason: 'meal', since: new Date(T0 - min(5)).toISOString(), team: 'A', queues: ['cards'] });
    const m = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '30m', T0);
    expect(m.stateTimeSec).toMatchObject({ available: 600, not_ready: 1200 });
  });

  it('logging out removes the agent from live counts and stops its time', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(10), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(4), 'ag1', 'logged_out'),
    ]);
    const m = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '15m', T0);
    expect(m.agents).toMatchObject({ loggedIn: 0, available: 0 });
    expect(m.stateTimeSec.available).toBe(360);
    expect(m.utilization).toBe(1);
  });

  it('changing queues moves the agent between queue figures from that moment', async () => {
    const h = await setup();
    await h.ingest([
      st('1', T0 - min(10), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', T0 - min(4), 'ag1', 'available', { queues: ['chat'] }),
    ]);
    const cards = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '15m', T0);
    const chat = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'chat' } }, '15m', T0);
    expect([cards.stateTimeSec.available, cards.agents?.available]).toEqual([360, 0]);
    expect([chat.stateTimeSec.available, chat.agents?.available]).toEqual([240, 1]);
    // team inherited from the previous point
    const team = await h.engine.query({ center: 'default', scope: { kind: 'all' }, team: 'A' }, '15m', T0);
    expect(team.stateTimeSec.available).toBe(600);
  });

  it('time in state per 15-minute interval and over a history range', async () => {
    const h = await setup();
    const from = T0 - min(60);
    await h.ingest([
      st('1', from - min(5), 'ag1', 'available', { team: 'A', queues: ['cards'] }),
      st('2', from + min(20), 'ag1', 'on_contact'),
      st('3', from + min(40), 'ag1', 'acw'),
    ]);
    const rows = await h.engine.intervals({ center: 'default', scope: { kind: 'all' } }, from, T0, T0);
    expect(rows.map((r) => [r.stateTimeSec.available, r.stateTimeSec.on_contact, r.stateTimeSec.acw])).toEqual([
      [900, 0, 0],
      [300, 600, 0],
      [0, 600, 300],
      [0, 0, 900],
    ]);
    const hist = await h.engine.history({ center: 'default', scope: { kind: 'all' } }, from, T0, T0);
    expect(hist.stateTimeSec).toMatchObject({ available: 1200, on_contact: 1200, acw: 1200 });
    expect(hist.occupancy).toBeCloseTo(2400 / 3600, 12);
    // the current interval is counted only up to now
    const partial = await h.engine.intervals({ center: 'default', scope: { kind: 'all' } }, T0, T0 + min(15), T0 + min(6));
    expect(partial[0]!.stateTimeSec.acw).toBe(360);
  });

  it('reads the 1 s level written packed (p:<state>), as separate n:/m: fields (an earlier version) or both', async () => {
    const h = await setup();
    // state changes at odd milliseconds right at the edges of the 15-minute windows asked below
    const events: ContractEventInput[] = [];
    for (let k = 0; k < 12; k++) {
      const agent = `ag${k % 3}`;
      const states: State[] = ['available', 'on_contact', 'acw', 'not_ready'];
      events.push(st(`e${k}a`, T0 - min(15) + sec(k) + 137 * k, agent, states[k % 4]!, { team: 'A', queues: ['cards'] }));
      events.push(st(`e${k}b`, T0 - sec(12) + sec(k) + 91 * k, agent, states[(k + 1) % 4]!, { team: 'A', queues: ['cards'] }));
    }
    await h.ingest(events);
    const asOfs = Array.from({ length: 14 }, (_, k) => T0 + sec(k) - 500);
    const read = async (engine: typeof h.engine) => {
      const out = [];
      for (const asOf of asOfs) {
        for (const scope of [{ kind: 'all' } as const, { kind: 'queue', queue: 'cards' } as const]) {
          const m = await engine.query({ center: 'default', scope }, '15m', asOf);
          out.push({ asOf, scope: scope.kind, stateTimeSec: m.stateTimeSec, occupancy: m.occupancy, utilization: m.utilization });
        }
      }
      return out;
    };
    const packed = await read(h.engine);
    expect(packed.some((r) => (r.stateTimeSec.on_contact ?? 0) > 0)).toBe(true);

    // rewrite every packed field the way an earlier version stored it: alternately wholly as
    // n:/m: fields, or split between the packed field and n:/m: fields of the same second
    const keys = (await h.app.redis.keys(`{${h.prefix}:default}:b:1:*`)).sort();
    let rewritten = 0;
    for (const key of keys) {
      const fields = await h.app.redis.hgetall(key);
      for (const [field, raw] of Object.entries(fields)) {
        const m = /^p:(\w+)\.(\d)$/.exec(field);
        if (!m) continue;
        const v = Number(raw);
        const n = Math.floor((v + agentPackBase / 2) / agentPackBase);
        const ms = v - n * agentPackBase;
        const whole = rewritten++ % 2 === 0;
        const [oldN, oldM] = whole ? [n, ms] : [1, 7];
        // the packed field goes after the old ones (a hash keeps its fields in write order)
        await h.app.redis.hdel(key, field);
        await h.app.redis.hincrby(key, `n:${m[1]}.${m[2]}`, oldN);
        await h.app.redis.hincrby(key, `m:${m[1]}.${m[2]}`, oldM);
        if (!whole) await h.app.redis.hincrby(key, field, v - (oldN * agentPackBase + oldM));
      }
    }
    expect(rewritten).toBeGreaterThan(10);
    // a second process (nothing cached) reads the rewritten hashes
    const other = await engineApp({ now: T0, config: cardsAndChatConfig, prefix: h.prefix });
    try {
      expect(await read(other.engine)).toEqual(packed);
    } finally {
      await other.app.close();
    }
  });
});

