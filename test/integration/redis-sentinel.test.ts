import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { parseEnv } from '../../server/config/env.ts';
import { externalRedisConnection } from '../../server/config/redis-connection.ts';
import { appConfig } from '../../shared/contract/config.ts';
import type { AlertChange } from '../../shared/contract/alerts.ts';
import type { ClientToServerEvents, ServerToClientEvents, ViewPayload } from '../../shared/realtime/events.ts';
import { alertFixture } from '../support/alert-fixture.ts';
import { uniquePrefix } from '../support/redis.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../support/redis-sentinel.ts';

/**
 * The product on a Redis found through Sentinel (REDIS_SENTINELS), across real failovers: events
 * stored before one stay counted once, events after it reach the promoted replica, /readyz turns
 * green again once the scripts are loaded there, and the pub/sub subscribers (screens' updates,
 * alert changes) follow the master too. `background: false`: a view is recomputed only on the
 * engine's pub/sub notice, so an update proves the subscriber is connected.
 */
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const displayToken = 'display-token-0123456789';
const ingestToken = 'ingest-token-0123456789';
let setup: TestRedisSentinel;
let app: FastifyInstance;
let url: string;
const sockets: ClientSocket[] = [];

beforeAll(async () => {
  setup = await startRedisSentinel();
  const env = parseEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_SENTINELS: `127.0.0.1:${setup.sentinelPort}`,
    REDIS_SENTINEL_MASTER: setup.masterName,
  });
  const connection = externalRedisConnection(env);
  if (!connection) throw new Error('REDIS_SENTINELS gave no connection');
  app = await buildApp({
    env,
    config: appConfig.parse({
      tokens: [
        { token: displayToken, role: 'display', name: 'tv' },
        { token: ingestToken, role: 'ingest', name: 'acd' },
      ],
    }),
    redis: connection,
    keyPrefix: uniquePrefix('sentinel'),
    logger: false,
    background: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app?.close();
  await setup?.stop();
});

/** `n` contacts queued 40 s ago and answered 25 s ago (wait 15 s, inside the 20 s threshold) */
function answeredContacts(tag: string, n: number) {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => [
    { id: `${tag}-q-${i}`, type: 'contact.queued', ts: now - 40_000, contactId: `${tag}-${i}`, queue: 'cards', channel: 'voice' },
    { id: `${tag}-a-${i}`, type: 'contact.answered', ts: now - 25_000, contactId: `${tag}-${i}`, agentId: `agent-${i % 3}` },
  ]).flat();
}

const post = (events: unknown[]) =>
  app.inject({ method: 'POST', url: '/api/v1/events', headers: { authorization: `Bearer ${ingestToken}` }, payload: events });
const get = (path: string) => app.inject({ url: path, headers: { authorization: `Bearer ${displayToken}` } });

/** what an at-least-once producer does: re-send on 503 until stored */
async function postUntilStored(events: unknown[]): Promise<{ statuses: number[]; body: { accepted: number; duplicate: number } }> {
  const statuses: number[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await post(events);
    statuses.push(res.statusCode);
    if (res.statusCode === 200) return { statuses, body: res.json() };
    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    if (Date.now() > deadline) throw new Error(`still ${res.statusCode} after 30 s: ${statuses.join(',')}`);
    await sleep(200);
  }
}

function nextUpdate(s: ClientSocket, timeoutMs: number): Promise<ViewPayload | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    s.once('view:updated', (p) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
}

describe('Redis Sentinel', () => {
  it('follows the master across a failover: nothing lost, nothing counted twice, ready again', async () => {
    const before = answeredContacts('before', 20);
    const first = await post(before);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ accepted: 40, duplicate: 0, rejected: 0 });
    // the failover below is a planned one (SENTINEL FAILOVER waits for the replica to catch up);
    // an unplanned one can lose what the master had not yet replicated, as the README says
    expect(await app.redis.call('WAIT', '1', '5000')).toBe(1);

    const oldMaster = await setup.masterPort();
    const newMaster = await setup.failover();
    expect(newMaster).not.toBe(oldMaster);

    const after = answeredContacts('after', 15);
    const stored = await postUntilStored(after);
    expect(stored.body).toMatchObject({ accepted: 30, duplicate: 0 });
    // the client now talks to the promoted node
    const role = (await app.redis.call('ROLE')) as [string];
    expect(role[0]).toBe('master');
    expect((await app.redis.call('CONFIG', 'GET', 'port')) as string[]).toEqual(['port', String(newMaster)]);

    // the events stored before the failover are on the new master: re-sent, they are duplicates
    const resent = await postUntilStored(before);
    expect(resent.body).toMatchObject({ accepted: 0, duplicate: 40 });

    const metrics = await get('/api/v1/metrics?window=15m');
    expect(metrics.statusCode, metrics.body).toBe(200);
    expect(metrics.json()).toMatchObject({ offered: 35, answered: 35, answeredInThreshold: 35, abandoned: 0 });

    const deadline = Date.now() + 10_000;
    let ready = await app.inject({ method: 'GET', url: '/readyz' });
    while (ready.statusCode !== 200 && Date.now() < deadline) {
      await sleep(100);
      ready = await app.inject({ method: 'GET', url: '/readyz' });
    }
    expect(ready.statusCode, ready.body).toBe(200);
  });

  it('keeps screens updated and alert changes flowing across a failover (the pub/sub subscribers follow)', async () => {
    const tv: ClientSocket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
    sockets.push(tv);
    expect(await tv.emitWithAck('view:subscribe', { kind: 'board', board: 'default' })).toMatchObject({ ok: true });
    await sleep(500);
    const changes: AlertChange[] = [];
    app.alerts.bus.onChange((c) => changes.push(c));

    // before the failover an ingest reaches the screen, an alert change every process
    let update = nextUpdate(tv, 5000);
    await postUntilStored(answeredContacts('pubsub-before', 3));
    expect(await update, 'update before failover').not.toBeNull();
    await app.alerts.bus.publish({ type: 'raised', alert: alertFixture('before-failover') });
    await sleep(500);
    expect(changes.map((c) => c.alert.id)).toEqual(['before-failover']);

    expect(await app.redis.call('WAIT', '1', '5000')).toBe(1);
    const oldMaster = await setup.masterPort();
    expect(await setup.failover()).not.toBe(oldMaster);

    // the first write after the failover may find the subscriber still reconnecting
    await postUntilStored(answeredContacts('pubsub-after-1', 3));
    await sleep(3000);
    update = nextUpdate(tv, 5000);
    await postUntilStored(answeredContacts('pubsub-after-2', 3));
    expect(await update, 'update after failover').not.toBeNull();

    await app.alerts.bus.publish({ type: 'raised', alert: alertFixture('after-failover') });
    await sleep(1000);
    expect(changes.map((c) => c.alert.id)).toEqual(['before-failover', 'after-failover']);
  }, 120_000);
});
