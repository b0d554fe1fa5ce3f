import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appConfig } from '../../shared/contract/config.ts';
import { T0, sec } from './engine-helpers.ts';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const queued = (id: string) => ({ id, type: 'contact.queued', ts: T0 - sec(30), contactId: `c-${id}`, queue: 'cards', channel: 'voice' });

describe('ingest when Redis refuses writes', () => {
  it('answers 503 with Retry-After (not 500) when Redis refuses writes (NOREPLICAS, as during a failover / lost replicas)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-refusal-'));
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
      keyPrefix: 'wbrefusal',
      clock: new FakeClock(T0),
      logger: false,
      background: false,
    });
    cleanup.push(() => app.close().catch(() => undefined));
    expect((await app.inject({ method: 'POST', url: '/api/v1/events', payload: queued('a') })).statusCode).toBe(200);
    const admin = new Redis(redis.connection as never);
    cleanup.push(async () => void admin.disconnect());
    await admin.config('SET', 'min-replicas-to-write', '1');
    const res = await app.inject({ method: 'POST', url: '/api/v1/events', payload: [queued('b')] });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.json()).toMatchObject({ error: 'unavailable', stored: 0 });
  });
});
