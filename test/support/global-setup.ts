import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';

/**
 * One real redis-server for the whole test run, started by the same launcher the product uses
 * for its embedded default. Tests isolate themselves with a unique key prefix (see redis.ts), so
 * they never touch a Redis that happens to run on the machine.
 */
let redis: EmbeddedRedis | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'wallboard-test-redis-'));
  redis = new EmbeddedRedis({ dataDir: dir, ephemeral: true, supervise: false });
  await redis.start();
  project.provide('redisPort', redis.port);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisPort: number;
  }
}
