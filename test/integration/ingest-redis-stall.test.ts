import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import type { KpiMetricEngine } from '../../server/kpi/engine.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

/**
 * A Redis that hangs without closing its connection (stopped with SIGSTOP: a fork or swap stall, a
 * partition that drops packets) must not hold ingest requests forever: past INGEST_REDIS_TIMEOUT_MS
 * the request answers 503 + Retry-After, and re-sending it once Redis answers again gives exactly
 * the figures of one delivery, whether the write the stall caught ran later or never did.
 */

// Long enough that the requests meant to succeed (a ~2,900-event re-send, read and computed twice
// after a conflict) finish within it on a machine loaded by the rest of the suite: at 600 ms one
// did not, in CI, and answered 503.
const timeoutMs = 3_000;
/** an answer later than this counts as a hang (the limit plus a margin for a loaded machine) */
const answeredWithinMs = timeoutMs + 2_000;
/** how long a test waits for an answer at all before it calls the request hung */
const patienceMs = 12_000;

const NOW = Date.parse('2026-03-02T02:00:00.000Z'); // 10:00 Asia/Shanghai
const config: AppConfigInput = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'chat'] }],
};

/**
 * ≈ 2,900 events (three writer batches of up to 1,000) over the 45 minutes before NOW, in time
 * order: contacts answered, wrapped, surveyed, abandoned or still waiting, and their agents' states,
 * so contacts and agents span the batch boundaries the stall cuts.
 */
function batch(): Record<string, unknown>[] {
  const start = NOW - 45 * 60_000;
  const agents = Array.from({ length: 24 }, (_, k) => ({ id: `A${k}`, team: k % 2 ? 'T1' : 'T2', queues: k % 3 ? ['cards'] : ['chat', 'cards'] }));
  const out: Record<string, unknown>[] = [];
  const agentState = (a: (typeof agents)[number], id: string, ts: number, state: string) =>
    out.push({ id, type: 'agent.state', ts, agentId: a.id, state, team: a.team, queues: a.queues });
  agents.forEach((a, k) => agentState(a, `${a.id}-in`, start + k * 1_000, 'available'));
  for (let i = 0; i < 520; i++) {
    const chat = i % 3 === 0;
    const t = start + 30_000 + i * 4_500;
    const cid = `c${i}`;
    out.push({ id: `${cid}-q`, type: 'contact.queued', ts: t, contactId: cid, queue: chat ? 'chat' : 'cards', channel: chat ? 'text' : 'voice', customerId: `cu${i % 150}` });
    const kind = i % 10;
    if (kind < 7) {
      const a = agents[i % agents.length]!;
      const answered = t + (i % 25) * 1_000 + 500;
      const ended = answered + 60_000 + (i % 7) * 30_000;
      const wrapped = ended + 20_000;
      out.push({ id: `${cid}-a`, type: 'contact.answered', ts: answered, contactId: cid, agentId: a.id });
      agentState(a, `${cid}-s1`, answered, 'on_contact');
      out.push({ id: `${cid}-e`, type: 'contact.ended', ts: ended, contactId: cid, agentId: a.id });
      agentState(a, `${cid}-s2`, ended, 'acw');
      out.push({ id: `${cid}-w`, type: 'contact.wrapped', ts: wrapped, contactId: cid, agentId: a.id });
      agentState(a, `${cid}-s3`, wrapped, 'available');
      if (i % 4 === 0) out.push({ id: `${cid}-r`, type: 'survey.rated', ts: wrapped + 30_000, contactId: cid, agentId: a.id, rating: (i % 5) + 1, via: 'sms' });
    } else if (kind < 9) {
      out.push({ id: `${cid}-x`, type: 'contact.abandoned', ts: t + (i % 40) * 1_000 + 200, contactId: cid });
    }
  }
  return out.filter((e) => (e.ts as number) < NOW - 1_000).sort((x, y) => (x.ts as number) - (y.ts as number));
}

const events = batch();

async function appOn(redis: RedisOptions, prefix: string, env: Record<string, string> = {}): Promise<FastifyInstance> {
  return buildApp({
    env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }),
    config: appConfig.parse(config),
    redis,
    keyPrefix: prefix,
    clock: new FakeClock(NOW),
    logger: false,
    background: false,
  });
}

/** Every figure the batch feeds: boards (core + KPI), agents, intervals, scorecard, sequence. */
async function figures(app: FastifyInstance) {
  const engine = app.engine as KpiMetricEngine;
  const scopes: Parameters<KpiMetricEngine['queryMany']>[1] = [
    { scope: { kind: 'all' } },
    { scope: { kind: 'queue', queue: 'cards' } },
    { scope: { kind: 'queue', queue: 'chat' } },
    { scope: { kind: 'channel', channel: 'text' } },
    { scope: { kind: 'group', group: 'retail' } },
    { scope: { kind: 'all' }, team: 'T1' },
  ];
  return {
    today: await engine.queryMany('default', scopes, 'today', NOW),
    last15m: await engine.queryMany('default', scopes, '15m', NOW),
    intervals: await engine.intervals({ center: 'default', scope: { kind: 'all' } }, NOW - 60 * 60_000, NOW, NOW),
    agents: await engine.agents('default', {}, NOW),
    scorecard: await engine.scorecard('default', NOW),
    seq: await engine.sequence('default'),
  };
}

const post = (app: FastifyInstance, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object });

/** the answer and how long it took, or undefined when none came within patienceMs (a hang) */
async function timed(request: Promise<LightMyRequestResponse>): Promise<{ res: LightMyRequestResponse | undefined; ms: number }> {
  const started = performance.now();
  const res = await Promise.race([request, sleep(patienceMs).then(() => undefined)]);
  return { res, ms: Math.round(performance.now() - started) };
}

function expectTimely503(answer: { res: LightMyRequestResponse | undefined; ms: number }, what: string): LightMyRequestResponse {
  expect(answer.res, `${what}: no answer after ${answer.ms} ms (the request hangs with Redis)`).toBeDefined();
  const res = answer.res!;
  expect(res.statusCode, `${what}: ${res.body}`).toBe(503);
  expect(res.headers['retry-after'], what).toMatch(/^\d+$/);
  expect(answer.ms, `${what}: answered after ${answer.ms} ms`).toBeLessThan(answeredWithinMs);
  return res;
}

/** SIGSTOP, and wait until the kernel shows the process stopped (so a command sent next is not run) */
async function stop(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return void (await sleep(50));
  for (let i = 0; i < 1_000 && !/\) [Tt] /.test(readFileSync(stat, 'utf8')); i++) await sleep(1);
}

let reference: Awaited<ReturnType<typeof figures>>;
let referenceApp: FastifyInstance | undefined;

beforeAll(async () => {
  // the same batch delivered once, on the test run's shared Redis
  referenceApp = await appOn({ host: '127.0.0.1', port: testRedisPort() }, uniquePrefix('stall-ref'));
  const res = await post(referenceApp, events);
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ accepted: events.length, duplicate: 0, rejected: 0 });
  reference = await figures(referenceApp);
  expect(reference.seq).toBe(events.length);
  // the figures compared below are not empty ones
  expect(reference.today[0]).toMatchObject({ answered: 364, abandoned: 104, kpi: expect.anything() });
  expect(reference.today[0]!.occupancy).toBeGreaterThan(0);
  expect(reference.agents).toHaveLength(24);
});

afterAll(async () => {
  await referenceApp?.close();
});

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** the app with a short Redis timeout, on a Redis of its own that the test stops */
async function stallable(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `wb-stall-${label}-`));
  const redis = new EmbeddedRedis({ dataDir: dir, ephemeral: true, supervise: false });
  await redis.start();
  const pid = redis.pid!;
  const resume = () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  };
  cleanup.push(async () => {
    resume();
    await redis.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const app = await appOn(redis.connection, uniquePrefix(`stall-${label}`), { INGEST_REDIS_TIMEOUT_MS: String(timeoutMs) });
  cleanup.push(async () => {
    resume();
    await app.close().catch(() => undefined);
  });
  const meta = new Redis(redis.connection);
  cleanup.push(async () => void meta.disconnect());
  /** the center's ingest sequence, read on a connection of its own */
  const seq = async () => Number((await meta.hget(app.keys.meta('default'), 'seq')) ?? 0);
  return { app, pid, resume, seq };
}

type Writer = (tag: string, header: string, ops: Buffer | string) => Promise<unknown>;

/** replaces the writer's `nth` applyWrites call (1-based) with `instead` */
function onWrite(app: FastifyInstance, nth: number, instead: (original: Writer, args: Parameters<Writer>) => Promise<unknown>): void {
  const client = app.redis as unknown as { applyWrites: Writer };
  const original = client.applyWrites.bind(client);
  let calls = 0;
  client.applyWrites = (...args) => (++calls === nth ? instead(original, args) : original(...args));
}

describe('ingest against a Redis that hangs (SIGSTOP)', () => {
  it('answers 503 + Retry-After in time when Redis is stopped before the request, drops the queued work, and the re-send counts once', async () => {
    const { app, pid, resume } = await stallable('before');
    expect(app.redis.options.commandTimeout).toBe(timeoutMs);
    // pub/sub connections (duplicates) keep waiting: they have no caller to tell
    expect(app.redis.duplicate({ lazyConnect: true }).options.commandTimeout).toBeUndefined();
    await stop(pid);
    // the batch, and besides it the same events split in requests of 1,000 (each a full writer
    // batch, queued behind the first), and a board read
    const slices = [0, 1_000, 2_000].map((from) => events.slice(from, from + 1_000));
    const answers = await Promise.all([
      timed(post(app, events)),
      ...slices.map((s) => timed(post(app, s))),
      timed(app.inject({ method: 'GET', url: '/api/v1/metrics?window=15m' })),
    ]);
    const first = expectTimely503(answers[0]!, 'the batch');
    expect(first.json()).toMatchObject({ error: 'unavailable', stored: 0 });
    expect(first.json().message).not.toMatch(/redis|timed out|command/i);
    answers.slice(1, 4).forEach((a, i) => expectTimely503(a, `slice ${i}`));
    expectTimely503(answers[4]!, 'GET /api/v1/metrics');
    // nothing of the stalled requests stays queued in the process (no pile-up behind the stall):
    // the four batches fail together with the first command that timed out, not one timeout
    // after the other
    const engine = app.engine as KpiMetricEngine;
    for (let i = 0; i < 10 && engine.writerQueued > 0; i++) await sleep(timeoutMs / 10);
    expect(engine.writerQueued).toBe(0);

    resume();
    const again = await post(app, events);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: events.length, duplicate: 0, rejected: 0 });
    expect(await figures(app)).toEqual(reference);
  }, 30_000);

  it('a write caught in flight that Redis runs after it resumes: the re-send reports it duplicate and nothing counts twice', async () => {
    const { app, pid, resume, seq } = await stallable('ran');
    // Redis stops just before the second batch's write goes out: the write waits in its socket
    onWrite(app, 2, async (original, args) => {
      await stop(pid);
      return original(...args);
    });
    const stalled = expectTimely503(await timed(post(app, events)), 'the batch');
    expect(stalled.json()).toMatchObject({ error: 'unavailable', stored: 1_000 });
    resume();
    // the stalled write runs once Redis resumes (the Node side had already given up on it)
    for (let i = 0; i < 100 && (await seq()) < 2_000; i++) await sleep(20);
    expect(await seq()).toBe(2_000);

    const again = await post(app, events);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: events.length - 2_000, duplicate: 2_000, rejected: 0 });
    expect(await figures(app)).toEqual(reference);
  }, 30_000);

  /** the writer's second write is lost on the way (a harmless PING goes instead, into the stall);
   * resolves to that write's arguments */
  function loseSecondWrite(app: FastifyInstance, pid: number): Promise<Parameters<Writer>> {
    return new Promise((captured) => {
      onWrite(app, 2, async (_original, args) => {
        captured(args);
        await stop(pid);
        await app.redis.ping();
        throw new Error('the PING standing in for a lost write was answered while Redis was stopped');
      });
    });
  }

  it('a write caught in flight that never reaches Redis: the re-send stores it, exactly once; the write arriving even later writes nothing', async () => {
    const { app, pid, resume, seq } = await stallable('lost');
    const lost = loseSecondWrite(app, pid);
    const stalled = expectTimely503(await timed(post(app, events)), 'the batch');
    expect(stalled.json()).toMatchObject({ error: 'unavailable', stored: 1_000 });
    resume();
    await sleep(100);
    expect(await seq()).toBe(1_000);

    const again = await post(app, events);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: events.length - 1_000, duplicate: 1_000, rejected: 0 });
    expect(await figures(app)).toEqual(reference);
    // the lost write turning up after all (as when a reconnect re-sends it): its fence refuses it
    expect(await (app.redis as unknown as { applyWrites: Writer }).applyWrites(...(await lost))).toBe(-1);
    expect(await figures(app)).toEqual(reference);
  }, 30_000);

  it('a write caught in flight that runs only after the re-send has read (re-sent on a new connection): the re-send is computed again', async () => {
    const { app, pid, resume } = await stallable('late');
    const lost = loseSecondWrite(app, pid);
    expectTimely503(await timed(post(app, events)), 'the batch');
    resume();
    const engine = app.engine as KpiMetricEngine;
    const conflicts = engine.writerStats.conflicts;
    // the re-send's second write (its first batch is all duplicates) was computed on a read that
    // predates the stalled write: the stalled write lands just before it
    const stale = await lost;
    onWrite(app, 2, async (original, args) => {
      expect(await original(...stale)).not.toBe(-1);
      return original(...args);
    });
    const again = await post(app, events);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ accepted: events.length - 2_000, duplicate: 2_000, rejected: 0 });
    expect(engine.writerStats.conflicts).toBeGreaterThan(conflicts);
    expect(await figures(app)).toEqual(reference);
  }, 30_000);
});
