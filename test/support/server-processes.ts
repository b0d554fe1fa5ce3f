import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { parseEnv } from '../../server/config/env.ts';
import type { AppConfig } from '../../shared/contract/config.ts';
import { testRedisPort, uniquePrefix } from './redis.ts';

/** `count` server processes (apps, each with its own fake clock) on the test Redis and one fresh key
 * prefix: what several processes of one deployment share, for tests of writers side by side. */
export async function serverProcesses(
  config: AppConfig,
  opts: { label: string; startMs: number; count: number; /** an existing deployment's prefix (a restart) */ keyPrefix?: string },
): Promise<FastifyInstance[]> {
  const keyPrefix = opts.keyPrefix ?? uniquePrefix(opts.label);
  const apps: FastifyInstance[] = [];
  for (let i = 0; i < opts.count; i++) {
    apps.push(
      await buildApp({
        env: parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
        config,
        redis: { host: '127.0.0.1', port: testRedisPort() },
        keyPrefix,
        clock: new FakeClock(opts.startMs),
        logger: false,
        background: false,
      }),
    );
  }
  return apps;
}
