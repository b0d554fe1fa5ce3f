import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/env.ts';
import { RedisNotInstalledError } from '../../server/redis/launcher.ts';
import { startServer } from '../../server/server.ts';
import { testRedisPort } from '../support/redis.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** A clean environment: nothing inherited from the developer's shell decides the outcome. */
const baseEnv = {
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  PORT: '0',
  DATA_DIR: dataDir,
  CONFIG: undefined,
  INGEST_TOKENS: undefined,
  REDIS_URL: undefined,
  REDIS_DURABILITY: undefined,
  REDIS_SERVER_BIN: undefined,
  HOST: '127.0.0.1',
};

const portOf = (app: Awaited<ReturnType<typeof startServer>>['app']) => {
  const a = app.server.address();
  return typeof a === 'object' && a ? a.port : 0;
};

describe('startServer', () => {
  it('refuses to bind 0.0.0.0 without tokens, with a message that says what to do', async () => {
    const err = await startServer({ ...baseEnv, HOST: '0.0.0.0' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('Refusing to listen on 0.0.0.0 without tokens');
    expect((err as Error).message).toMatch(/tokens|INGEST_TOKENS/);
    expect((err as Error).message).toContain('127.0.0.1');
  });

  it('starts on loopback in dev mode with its own Redis, serves probes, and stops everything', async () => {
    const server = await startServer(baseEnv);
    try {
      expect(server.redis).toBeDefined();
      expect(server.app.tokens.devMode).toBe(true);
      const base = `http://127.0.0.1:${portOf(server.app)}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const session = await fetch(`${base}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'anything' }),
      });
      expect(await session.json()).toEqual({ role: 'admin', name: 'dev', devMode: true });
    } finally {
      const pid = server.redis?.pid;
      await server.stop();
      expect(pid).toBeDefined();
      expect(() => process.kill(pid!, 0)).toThrow();
    }
  });

  it('binds 0.0.0.0 once tokens are configured', async () => {
    const server = await startServer({ ...baseEnv, HOST: '0.0.0.0', INGEST_TOKENS: 'ingest-token-for-start-test', REDIS_URL: `redis://127.0.0.1:${testRedisPort()}` });
    try {
      expect(server.redis).toBeUndefined();
      expect(server.app.tokens.devMode).toBe(false);
      const res = await fetch(`http://127.0.0.1:${portOf(server.app)}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: 'ingest-token-for-start-test' }),
      });
      expect(await res.json()).toEqual({ role: 'ingest', name: 'env-ingest-1', devMode: false });
    } finally {
      await server.stop();
    }
  });

  it('explains a missing redis-server instead of crashing obscurely', async () => {
    await expect(startServer({ ...baseEnv, REDIS_SERVER_BIN: '/nonexistent' })).rejects.toBeInstanceOf(RedisNotInstalledError);
  });
});
