import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { envSchema } from '../../server/config/env.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { rateLimits } from '../../server/ops/policy.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

const adminToken = 'admin-token-0123456789';
const leadToken = 'lead-token-0123456789ab';
const ingestToken = 'ingest-token-0123456789';

async function opsApp(config: AppConfigInput = {}, redis = { host: '127.0.0.1', port: testRedisPort() }): Promise<FastifyInstance> {
  return buildApp({
    env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    config: appConfig.parse(config),
    redis,
    keyPrefix: uniquePrefix('ops'),
    logger: false,
    background: false,
  });
}

const withTokens: AppConfigInput = {
  tokens: [
    { token: adminToken, role: 'admin', name: 'ops admin' },
    { token: leadToken, role: 'lead', name: '值班长' },
    { token: ingestToken, role: 'ingest', name: 'acd' },
  ],
};

describe('ops endpoints', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await opsApp(withTokens);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers /healthz while the process is up', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    // the server's own time, for devtools and the benchmark
    expect(res.headers['server-timing']).toMatch(/^app;dur=\d+\.\d{2}$/);
  });

  it('answers /readyz 200 when Redis is reachable and scripts are loaded', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('serves Prometheus text on /metrics with the documented instruments', async () => {
    await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${ingestToken}` },
      payload: [{ id: 'ops-1', type: 'contact.queued', ts: Date.now(), contactId: 'c1', queue: 'personal', channel: 'voice' }],
    });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    for (const name of [
      'wallboard_events_total',
      'wallboard_ingest_request_duration_seconds',
      'wallboard_push_latency_seconds',
      'wallboard_redis_errors_total',
      'wallboard_http_requests_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/wallboard_ingest_request_duration_seconds_count\{status="200"\} 1/);
    expect(text).toMatch(/wallboard_http_requests_total\{route="\/healthz",method="GET",status="200"\} \d+/);
  });

  it('lets other domains record into app.promMetrics', async () => {
    app.promMetrics.eventsTotal.inc({ result: 'rejected' }, 3);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/wallboard_events_total\{result="rejected"\} 3/);
  });

  it('asks for an admin token on /metrics from a non-loopback address', async () => {
    const remote = { remoteAddress: '10.1.2.3' };
    expect((await app.inject({ method: 'GET', url: '/metrics', ...remote })).statusCode).toBe(401);
    const lead = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${leadToken}` }, ...remote });
    expect(lead.statusCode).toBe(401);
    const admin = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${adminToken}` }, ...remote });
    expect(admin.statusCode).toBe(200);
  });

  it('sends security headers with a CSP that allows the client and its websocket', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/connect-src 'self' ws: wss:/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
    // computed once at start-up, so they must also be on answers that end early or in an error
    const missing = await app.inject({ method: 'GET', url: '/api/v1/no-such-route' });
    const unauthorized = await app.inject({ method: 'GET', url: '/api/v1/metrics' });
    for (const r of [missing, unauthorized]) {
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.headers['content-security-policy']).toBe(res.headers['content-security-policy']);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('validates a token for sign-in and names its role', async () => {
    const ok = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: leadToken } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ role: 'lead', name: '值班长', devMode: false });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: 'nope-nope-nope-nope' } });
    expect(bad.statusCode).toBe(401);
    const malformed = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { tok: 1 } });
    expect(malformed.statusCode).toBe(400);
  });

  it('rate-limits sign-in attempts with 429 and Retry-After', async () => {
    const remoteAddress = '10.9.9.9';
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < rateLimits.sessionPerMinute + 2; i++) {
      last = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: `guess-${i}-xxxxxxxxxxxx` }, remoteAddress });
      statuses.push(last.statusCode);
    }
    expect(statuses.slice(0, rateLimits.sessionPerMinute).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.json().error).toBe('rate_limited');
    expect(last!.headers['content-security-policy']).toContain("default-src 'self'");
    // another caller is not affected by this one's guessing
    const other = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { token: adminToken }, remoteAddress: '10.9.9.10' });
    expect(other.statusCode).toBe(200);
  });

  it('puts the ingest path under a rate limit too', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { authorization: `Bearer ${ingestToken}` },
      payload: [],
    });
    expect(res.headers['x-ratelimit-limit']).toBe(String(rateLimits.ingestPerMinute));
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();
  });
});

describe('readiness follows Redis', () => {
  let dir: string;
  let redis: EmbeddedRedis;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wallboard-ops-redis-'));
    redis = new EmbeddedRedis({ dataDir: dir, ephemeral: true, supervise: false });
    await redis.start();
  });
  afterAll(async () => {
    await app?.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('turns /readyz to 503 when its Redis goes away, while /healthz stays 200', async () => {
    app = await opsApp({}, { host: '127.0.0.1', port: redis.port });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await redis.stop();
    let status = 0;
    for (let i = 0; i < 50 && status !== 503; i++) {
      status = (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;
      if (status !== 503) await sleep(100);
    }
    expect(status).toBe(503);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.json().status).toBe('not_ready');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    // reconnect attempts fail with ECONNREFUSED; each one is counted
    let text = '';
    for (let i = 0; i < 50 && !/wallboard_redis_errors_total [1-9]/.test(text); i++) {
      await sleep(100);
      text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    }
    expect(text).toMatch(/wallboard_redis_errors_total [1-9]/);
  });
});

describe('graceful shutdown', () => {
  it('lets an in-flight request finish when the server closes', async () => {
    const app = await opsApp();
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    app.get('/test-slow', async () => {
      entered();
      await sleep(600);
      return { done: true };
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const slow = fetch(`http://127.0.0.1:${port}/test-slow`).then(async (r) => ({ status: r.status, body: await r.json() }));
    await inside;
    const closing = app.close();
    const res = await slow;
    expect(res).toEqual({ status: 200, body: { done: true } });
    await closing;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
