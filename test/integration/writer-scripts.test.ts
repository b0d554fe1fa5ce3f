import { afterEach, describe, expect, it } from 'vitest';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { encodeOps as pack } from '../../server/metrics/write/ops.ts';
import { engineApp, snapshot, T0, sec } from './engine-helpers.ts';

/**
 * The writer's two scripts on their own (applyWrites.lua, loadState.lua), and identifiers that are
 * not ASCII end to end (UTF-8 in MessagePack, ties ordered by their bytes).
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

type Scripts = {
  applyWrites(tag: string, header: string, ops: Buffer): Promise<number>;
  loadState(tag: string, request: string): Promise<unknown[]>;
};

const header = (v: string, nv: string) => JSON.stringify({ v, nv, acc: 1, now: T0, pub: false, sealed: '', epoch: 'e', demo: false, chan: 'c' });

describe('applyWrites.lua / loadState.lua', () => {
  it('writes nothing for a batch computed against another version, or for a malformed operation list', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    const redis = h.app.redis as unknown as Scripts;
    const tag = h.app.keys.center('default');
    await h.ingest([{ id: 'e1', type: 'contact.queued', ts: T0 - sec(5), contactId: 'c1', queue: 'cards', channel: 'voice' }]);
    const version = (await h.app.redis.hget(h.app.keys.meta('default'), 'wv'))!;
    expect(version).toBeTruthy();
    const before = await snapshot(h.app.redis, h.prefix);
    const write = pack([['H', `${tag}:x`, 'f', 'v']]);
    expect(await redis.applyWrites(tag, header('not-the-version', 'n2'), write)).toBe(-1);
    expect(await snapshot(h.app.redis, h.prefix)).toEqual(before);
    // a good operation, then one that is not: refused before anything is written
    const malformed = pack([['H', `${tag}:x`, 'f', 'v'], ['B', `${tag}:y`, -1, 'only-a-field']]);
    await expect(redis.applyWrites(tag, header(version, 'n3'), malformed)).rejects.toThrow(/malformed operation 2/);
    await expect(redis.applyWrites(tag, header(version, 'n3'), pack([['?', `${tag}:x`]]))).rejects.toThrow(/malformed operation 1/);
    expect(await snapshot(h.app.redis, h.prefix)).toEqual(before);
    // the right version: applied, the version moves, the sequence counts the batch
    expect(await redis.applyWrites(tag, header(version, 'n4'), write)).toBe(2);
    expect(await h.app.redis.hget(`${tag}:x`, 'f')).toBe('v');
    expect(await h.app.redis.hget(h.app.keys.meta('default'), 'wv')).toBe('n4');
  });

  it('counter increments set the expiry only on a key that is new', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    const redis = h.app.redis as unknown as Scripts;
    const tag = h.app.keys.center('default');
    const key = `${tag}:b:60:1:all`;
    await redis.applyWrites(tag, header('', 'a'), pack([['B', key, 60_000, 'arr', 2, 'ans', 1, 'awm', 500]]));
    expect(await h.app.redis.hgetall(key)).toEqual({ arr: '2', ans: '1', awm: '500' });
    const ttl1 = await h.app.redis.pttl(key);
    expect(ttl1).toBeGreaterThan(59_000);
    await h.app.redis.pexpire(key, 30_000);
    await redis.applyWrites(tag, header('a', 'b'), pack([['B', key, 60_000, 'arr', -2, 'ait', 1]]));
    expect(await h.app.redis.hgetall(key)).toEqual({ arr: '0', ans: '1', awm: '500', ait: '1' });
    expect(await h.app.redis.pttl(key)).toBeLessThanOrEqual(30_000);
    // the first field new on an existing key: the key keeps its expiry, every field is added
    await redis.applyWrites(tag, header('b', 'c'), pack([['B', key, 60_000, 'xfr', 3, 'ans', 2]]));
    expect(await h.app.redis.hgetall(key)).toEqual({ arr: '0', ans: '3', awm: '500', ait: '1', xfr: '3' });
    expect(await h.app.redis.pttl(key)).toBeLessThanOrEqual(30_000);
    // a key holding one field at 0 looks new to the first increment: still exact, and it gets
    // its (absolute) deadline again
    const lone = `${tag}:b:60:2:all`;
    await h.app.redis.hset(lone, 'arr', '0');
    await redis.applyWrites(tag, header('c', 'd'), pack([['B', lone, 60_000, 'arr', 1, 'ans', 1, 'awm', 7]]));
    expect(await h.app.redis.hgetall(lone)).toEqual({ arr: '1', ans: '1', awm: '7' });
    expect(await h.app.redis.pttl(lone)).toBeGreaterThan(59_000);
  });

  it('loadState reads records, agent heads, event ids and the version in one snapshot', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    const redis = h.app.redis as unknown as Scripts;
    const k = h.app.keys;
    await h.ingest([
      { id: 'e1', type: 'contact.queued', ts: T0 - sec(5), contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 's1', type: 'agent.state', ts: T0 - sec(9), agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
    ]);
    const r = await redis.loadState(
      k.center('default'),
      JSON.stringify({ h: [k.contact('default', 'c1'), k.contact('default', 'nobody')], a: [[k.agentTimeline('default', 'ag1'), k.agentPoints('default', 'ag1')]], z: [k.agentTimeline('default', 'ag1'), 's1', k.agentTimeline('default', 'ag1'), 's2'], q: true }),
    );
    expect(r[0]).toBe(await h.app.redis.hget(k.meta('default'), 'wv'));
    const [contact, nobody] = r[1] as string[][];
    expect(contact).toContain('e:e1');
    expect(nobody).toEqual([]);
    // the agent's meta field '' is "trimStep US sinceTs US sinceId"; `_s` / `_t` (earlier layout) absent
    const [lastId, score, point, meta, legacySince, legacyTrim] = (r[2] as (string | null)[][])[0]!;
    expect([lastId, Number(score), point?.split('\x1f')[0], meta?.split('\x1f').slice(1), legacySince, legacyTrim]).toEqual([
      's1',
      T0 - sec(9),
      'available',
      [String(T0 - sec(9)), 's1'],
      null,
      null,
    ]);
    expect((r[3] as (string | null)[]).map((x) => x !== null)).toEqual([true, false]);
    expect(r[5]).toContain('cards');
  });
});

describe('identifiers beyond ASCII', () => {
  it('stores Chinese names and astral ids intact and orders same-millisecond ties by their UTF-8 bytes', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    const at = T0 - sec(60);
    // two queued events of one contact at the same millisecond, in 信用卡 and 理财: the one whose id
    // sorts first by bytes opens its leg first, the other then moves the contact (a transfer out).
    // '\uffff' < '😀' in UTF-8 (EF BF BF < F0 9F 98 80), the reverse of JavaScript's `<`.
    const events: ContractEventInput[] = [
      { id: 'q-\uffff', type: 'contact.queued', ts: at, contactId: '客户-😀', queue: '信用卡', channel: 'voice' },
      { id: 'q-😀', type: 'contact.queued', ts: at, contactId: '客户-😀', queue: '理财', channel: 'voice' },
      { id: '状态-1', type: 'agent.state', ts: at, agentId: '坐席-甲', name: '张三', state: 'available', team: '一组', queues: ['信用卡', '理财'] },
    ];
    const r = await h.ingest(events);
    expect(r.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const card = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: '信用卡' } }, '15m', T0);
    const wealth = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: '理财' } }, '15m', T0);
    expect([card.transferredOut, card.waiting, wealth.arrivals, wealth.waiting]).toEqual([1, 0, 1, 1]);
    const [agent] = await h.engine.agents('default', {}, T0);
    expect(agent).toMatchObject({ agentId: '坐席-甲', name: '张三', team: '一组', queues: ['信用卡', '理财'], state: 'available' });
    // a re-send is a duplicate: the ids round-trip byte for byte
    const again = await h.ingest(events);
    expect(again.outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
  });
});
