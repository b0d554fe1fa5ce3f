import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { parseEnv } from '../../server/config/env.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appConfig } from '../../shared/contract/config.ts';
import { uniquePrefix } from './redis.ts';

/**
 * The whole app, listening on a free port, on a Redis of its own that the test may stop (an outage)
 * without touching the test run's shared Redis. One display token; background work on.
 */
export async function appOnOwnRedis(label: string, displayToken: string): Promise<{
  app: FastifyInstance;
  url: string;
  redis: EmbeddedRedis;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), `wallboard-${label}-`));
  const redis = new EmbeddedRedis({ dataDir: dir, ephemeral: true, supervise: false });
  await redis.start();
  const app = await buildApp({
    env: parseEnv({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }),
    config: appConfig.parse({ tokens: [{ token: displayToken, role: 'display', name: 'tv' }] }),
    redis: { host: '127.0.0.1', port: redis.port },
    keyPrefix: uniquePrefix(label),
    background: true,
    logger: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    url,
    redis,
    close: async () => {
      await app.close();
      await redis.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
