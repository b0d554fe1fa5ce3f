import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appConfig } from '../../shared/contract/config.ts';
import { testRedisClient } from '../support/redis.ts';
import { engineApp, snapshot, T0, sec } from './engine-helpers.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup(opts: Partial<Parameters<typeof engineApp>[0]> = {}) {
  const h = await engineApp({ now: T0, ...opts });
  cleanup.push(() => h.app.close());
  return h;
}

const queued = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'contact.queued',
  ts: T0 - sec(30),
  contactId: `c-${id}`,
  queue: 'cards',
  channel: 'voice',
  ...extra,
});

const tokens = [
  { token: 'ingest-token-0123456789', role: 'ingest' as const, name: 'acd' },
  { token: 'display-token-0123456789', role: 'display' as const, name: 'wall' },
  { token: 'simulator-token-0123456789', role: 'ingest' as const, name: 'demo-simulator' },
];

describe('POST /api/v1/events', () => {
  it('warns, in the response, of events accepted for a center no screen shows (an event without center under named centers)', async () => {
    const h = await setup({ config: { centers: [{ id: 'sh', name: { zh: '上海', en: 'Shanghai' } }, { id: 'cd', name: { zh: '成都', en: 'Chengdu' } }] } });
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('w1'), { ...queued('w2'), center: 'sh' }] });
    expect(res.json()).toMatchObject({ accepted: 2, rejected: 0, seq: { default: 1, sh: 1 } });
    expect(res.json().warnings).toEqual([
      'center "default" is not configured (configured: sh, cd): its events are stored and counted, but no board or console shows them (an event without "center" belongs to "default")',
    ]);
    // a configured center alone: no warning; a duplicate of the unconfigured one still warns (it names where the data went)
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [{ ...queued('w3'), center: 'cd' }] });
    expect(ok.json().warnings).toBeUndefined();
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('w1')] });
    expect(again.json()).toMatchObject({ duplicate: 1 });
    expect(again.json().warnings).toHaveLength(1);
  });

  it('accepts one event or an array, reports duplicates and the center sequence', async () => {
    const h = await setup();
    const one = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: queued('e1') });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({
      accepted: 1,
      duplicate: 0,
      rejected: 0,
      results: [{ index: 0, id: 'e1', status: 'accepted' }],
      seq: { default: 1 },
    });
    const many = await h.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [queued('e1'), queued('e2'), { ...queued('e3'), center: 'north' }, { ...queued('e4'), ts: new Date(T0 - sec(5)).toISOString() }],
    });
    expect(many.json()).toMatchObject({
      accepted: 3,
      duplicate: 1,
      rejected: 0,
      results: [
        { index: 0, id: 'e1', status: 'duplicate' },
        { index: 1, id: 'e2', status: 'accepted' },
        { index: 2, id: 'e3', status: 'accepted' },
        { index: 3, id: 'e4', status: 'accepted' },
      ],
      seq: { default: 3, north: 1 },
    });
    expect(await h.engine.sequence('default')).toBe(3);
  });

  it('counts events by outcome in wallboard_events_total', async () => {
    const h = await setup();
    await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('p1'), queued('p2'), { ...queued('p3'), queue: '' }] });
    await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('p1'), queued('p4')] });
    const text = await h.app.promMetrics.registry.metrics();
    expect(text).toMatch(/wallboard_events_total\{result="accepted"\} 3\n/);
    expect(text).toMatch(/wallboard_events_total\{result="duplicate"\} 1\n/);
    expect(text).toMatch(/wallboard_events_total\{result="rejected"\} 1\n/);
  });

  it('rejects bad events one by one with a reason naming the field, and stores the good ones', async () => {
    const h = await setup();
    const bad: [unknown, string][] = [
      [{ ...queued('u1'), agnetId: 'a' }, 'unknown field "agnetId"'],
      [{ ...queued('m1'), queue: undefined }, 'queue: Required'],
      [{ ...queued('t1'), queue: 42 }, 'queue: Invalid input: expected string, received number'],
      [{ ...queued('ch'), channel: 'fax' }, 'channel:'],
      [{ ...queued('ty'), type: 'contact.teleported' }, 'type: must be one of contact.queued'],
      [{ ...queued('ts1'), ts: 'yesterday' }, 'ts: must be ISO-8601'],
      [{ ...queued('ts2'), ts: '2026-03-02T10:00:00' }, 'ts: must be ISO-8601'],
      [{ ...queued('fut'), ts: T0 + sec(61) }, 'ts: more than 60 s in the future'],
      [{ ...queued('old'), ts: T0 - 49 * 3_600_000 }, 'ts: older than 48 h'],
      [{ ...queued('cc'), contactId: 'a\u0001b' }, 'contactId: must not contain control characters'],
      [{ ...queued('id\u001f'), contactId: 'c-ok' }, 'id: must not contain control characters'],
      [{ ...queued('ctr'), center: '{x}' }, 'center:'],
      // a lone UTF-16 surrogate has no UTF-8 form (the writer's operations travel as UTF-8)
      [{ ...queued('ls1'), contactId: 'c\ud800x' }, 'contactId: must be well-formed Unicode'],
      [{ id: 'ls2', type: 'agent.state', ts: T0 - sec(30), agentId: 'ag1', state: 'available', queues: ['cards', 'q\udc00'] }, 'queues: must be well-formed Unicode'],
      ['a string', '(event): Invalid input: expected object, received string'],
      [null, '(event): Invalid input: expected object, received null'],
    ];
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('ok1'), ...bad.map(([e]) => e), queued('ok2')] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ accepted: 2, duplicate: 0, rejected: bad.length });
    expect(body.results[0]).toEqual({ index: 0, id: 'ok1', status: 'accepted' });
    expect(body.results[bad.length + 1]).toEqual({ index: bad.length + 1, id: 'ok2', status: 'accepted' });
    bad.forEach(([, reason], i) => {
      expect(body.results[i + 1].status).toBe('rejected');
      expect(body.results[i + 1].reason).toContain(reason);
    });
    // 60 s ahead is still fine, as is exactly 48 h old
    const edge = await h.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [queued('f60', { ts: T0 + sec(60) }), queued('o48', { ts: T0 - 48 * 3_600_000 })],
    });
    expect(edge.json()).toMatchObject({ accepted: 2 });
  });

  it('answers 400 to malformed JSON and non-event bodies, 413 to big bodies and > 5000 events', async () => {
    const h = await setup();
    const post = (payload: string) => h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload });
    const malformed = await post('[{"id": "x", ');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'malformed_json' });
    expect((await post('42')).statusCode).toBe(400);
    expect((await post('')).statusCode).toBe(400);
    const tooMany = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 5001 }, (_, i) => queued(`e${i}`)) });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().message).toMatch(/at most 5000/);
    const big = await post(JSON.stringify([queued('big', { contactId: 'x'.repeat(100) }), 'y'.repeat(9 * 1024 * 1024)]));
    expect(big.statusCode).toBe(413);
    expect(await h.engine.sequence('default')).toBe(0);
    // exactly 5000 is fine
    const max = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 5000 }, (_, i) => queued(`m${i}`)) });
    expect(max.json()).toMatchObject({ accepted: 5000, seq: { default: 5000 } });
  });

  it('requires an ingest token once tokens are configured (401 / 403), and flags the demo simulator', async () => {
    const h = await setup({ config: { tokens } });
    const post = (auth?: string, headers: Record<string, string> = {}) =>
      h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers }, payload: queued(`e-${auth ?? 'none'}-${Object.keys(headers).length}`) });
    const none = await post();
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await post('wrong-token-0123456789')).statusCode).toBe(401);
    expect((await post('display-token-0123456789')).statusCode).toBe(403);
    expect(await h.engine.sequence('default')).toBe(0);
    expect((await post('ingest-token-0123456789')).statusCode).toBe(200);
    expect(await h.engine.demoActive('default', T0)).toBe(false);
    expect((await post('simulator-token-0123456789')).statusCode).toBe(200);
    expect(await h.engine.demoActive('default', T0)).toBe(true);
    expect(await h.engine.demoActive('default', T0 + 6 * 60_000)).toBe(false);
    expect((await post('ingest-token-0123456789', { 'x-wallboard-source': 'simulator' })).statusCode).toBe(200);
  });

  it('rejected and fuzzed payloads leave Redis unchanged', async () => {
    const h = await setup();
    await h.ingest([{ ...queued('seed'), type: 'contact.queued', channel: 'voice' }]);
    const redis = testRedisClient();
    cleanup.push(async () => void (await redis.quit()));
    const before = await snapshot(redis, h.prefix);
    expect(before.size).toBeGreaterThan(0);
    const payloads = fc.sample(
      fc.oneof(
        fc.anything(),
        fc.array(fc.anything(), { maxLength: 5 }),
        fc.record({ id: fc.string(), type: fc.constantFrom('contact.queued', 'agent.state', 'contact.answered'), ts: fc.oneof(fc.integer(), fc.string()), contactId: fc.string() }),
        fc.constant([{ ...queued('seed') }, { ...queued('x'), extra: 1 }]),
      ),
      { numRuns: 200, seed: 7 },
    );
    for (const p of payloads) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(p) ?? 'null' });
      expect([200, 400]).toContain(res.statusCode);
      if (res.statusCode === 200) expect(res.json().accepted).toBe(0);
    }
    // raw garbage bytes
    for (const raw of ['{', '[1,', 'nul', '\u0000\u0001', '{"id":"a"}}']) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': 'application/json' }, payload: raw });
      expect(res.statusCode).toBe(400);
    }
    expect(await snapshot(redis, h.prefix)).toEqual(before);
  });

  /** the app on a Redis of its own (the test stops it or changes its settings), fake clock at T0 */
  async function appOnOwnRedis() {
    const dir = mkdtempSync(join(tmpdir(), 'wb-503-'));
    const redis = new EmbeddedRedis({ dataDir: dir, ephemeral: true, supervise: false });
    await redis.start();
    cleanup.push(async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const app = await buildApp({
      env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
      config: appConfig.parse({}),
      redis: redis.connection,
      keyPrefix: 'wb503',
      clock: new FakeClock(T0),
      logger: false,
      background: false,
    });
    cleanup.push(() => app.close().catch(() => undefined));
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', payload: queued('a') })).statusCode).toBe(200);
    return { app, redis };
  }

  it('answers 503 with Retry-After while Redis is unreachable (ingest and queries)', async () => {
    const { app, redis } = await appOnOwnRedis();
    await redis.stop();
    const down = await app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('b'), queued('c')] });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toMatch(/^\d+$/);
    expect(down.json()).toMatchObject({ error: 'unavailable', stored: 0 });
    const metrics = await app.inject({ method: 'GET', url: '/api/v1/metrics?window=15m' });
    expect(metrics.statusCode).toBe(503);
    expect(metrics.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers 503 with Retry-After (not 500) when Redis refuses writes (NOREPLICAS, as with replicas lost)', async () => {
    const { app, redis } = await appOnOwnRedis();
    const admin = new Redis(redis.connection);
    cleanup.push(async () => void admin.disconnect());
    await admin.config('SET', 'min-replicas-to-write', '1');
    const res = await app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('b')] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.json()).toMatchObject({ error: 'unavailable', stored: 0 });
  });

});
