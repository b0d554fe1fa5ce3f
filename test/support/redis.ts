import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Redis } from 'ioredis';

/** Port of the test run's redis-server (started in global-setup.ts). */
export function testRedisPort(): number {
  return inject('redisPort');
}

/** A key prefix no other test uses, so tests can run in parallel against one Redis. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export function testRedisClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: false, maxRetriesPerRequest: 1 });
}
