import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { US } from '../../server/metrics/codec.ts';
import { testRedisClient } from '../support/redis.ts';
import { engineApp, T0, min } from './engine-helpers.ts';

/**
 * An agent's points hash (ap:<agent>) keeps, beside one field per state event, the agent's current
 * run start and last trim step. Those live under the field '' (no event id is empty); in records
 * written before, they were `_s` and `_t`, which an event with that id overwrote.
 */
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

const config: AppConfigInput = { queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }] };
const cards = { kind: 'queue', queue: 'cards' } as const;
type State = 'available' | 'on_contact' | 'not_ready';
const st = (id: string, ts: number, state: State, extra: Record<string, unknown> = {}): ContractEventInput => ({
  id,
  type: 'agent.state',
  ts,
  agentId: 'ag1',
  state,
  ...extra,
});

async function app(now: number, prefix?: string) {
  const h = await engineApp({ now, config, ...(prefix ? { prefix } : {}) });
  cleanups.push(() => h.app.close());
  return h;
}

describe("an agent's run start and trim step", () => {
  for (const id of ['e1', '_s', '_t']) {
    it(`are not overwritten by an agent.state whose id is "${id}"`, async () => {
      const a = await app(T0);
      await a.ingest([st(id, T0 - min(20), 'available', { team: 'A', queues: ['cards'] })]);
      // another server process (nothing held) continues the agent from what Redis holds
      const b = await app(T0 + min(10), a.prefix);
      const out = await b.ingest([st('e2', T0 - min(10), 'on_contact')]);
      expect(out.outcomes.map((o) => o.status)).toEqual(['accepted']);
      const m = await b.engine.query({ center: 'default', scope: cards }, '15m', T0);
      expect({ time: m.stateTimeSec, live: m.agents }).toEqual({
        time: { available: 300, ringing: 0, on_contact: 600, hold: 0, acw: 0, not_ready: 0 },
        live: { loggedIn: 1, available: 0, ringing: 0, onContact: 1, hold: 0, acw: 0, notReady: 0 },
      });
      const rows = await b.engine.agents('default', {}, T0);
      expect(rows.map((r) => [r.agentId, r.state, r.since, r.team, r.queues])).toEqual([
        ['ag1', 'on_contact', new Date(T0 - min(10)).toISOString(), 'A', ['cards']],
      ]);
    });
  }

  it('are read from a record in the earlier layout (`_s`, `_t`) and continued', async () => {
    const a = await app(T0);
    await a.ingest([
      st('n1', T0 - min(20), 'not_ready', { reason: 'meal', team: 'A', queues: ['cards'] }),
      st('n2', T0 - min(15), 'not_ready', { reason: 'meal' }),
    ]);
    // rewrite the points hash as the earlier layout wrote it
    const redis = testRedisClient();
    cleanups.push(async () => void redis.disconnect());
    const [key] = await redis.keys(`{${a.prefix}:default}:ap:ag1`);
    expect(key).toBeDefined();
    const meta = await redis.hget(key!, '');
    expect(meta).toBe(`${meta!.split(US)[0]}${US}${T0 - min(20)}${US}n1`);
    const [trimStep, sinceTs, sinceId] = meta!.split(US);
    await redis.multi().hdel(key!, '').hset(key!, '_s', `${sinceTs}${US}${sinceId}`, '_t', trimStep!).exec();

    const b = await app(T0 + min(10), a.prefix);
    await b.ingest([st('n3', T0 - min(10), 'not_ready', { reason: 'meal' }), st('v1', T0 - min(5), 'available')]);
    const rows = await b.engine.agents('default', {}, T0);
    expect(rows.map((r) => [r.state, r.since, r.team])).toEqual([['available', new Date(T0 - min(5)).toISOString(), 'A']]);
    const m = await b.engine.query({ center: 'default', scope: cards }, '30m', T0);
    expect(m.stateTimeSec).toEqual({ available: 300, ringing: 0, on_contact: 0, hold: 0, acw: 0, not_ready: 900 });
    // the record is in today's layout once written again
    expect((await redis.hget(key!, ''))?.split(US).slice(1)).toEqual([String(T0 - min(5)), 'v1']);
  });
});
