import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import type { RedisMetricEngine } from '../../server/metrics/engine.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { contractEvent } from '../../shared/contract/events.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

/** The whole app on the test run's Redis with a private key prefix and a fake clock. */
export async function engineApp(opts: { now: number; config?: AppConfigInput; env?: Record<string, string>; prefix?: string }) {
  const clock = new FakeClock(opts.now);
  const config = appConfig.parse(opts.config ?? {});
  const env = envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...opts.env });
  const prefix = opts.prefix ?? uniquePrefix('eng');
  const app: FastifyInstance = await buildApp({
    env,
    config,
    redis: { host: '127.0.0.1', port: testRedisPort() },
    keyPrefix: prefix,
    clock,
    logger: false,
    background: false,
  });
  const engine = app.engine as RedisMetricEngine;
  /** validate like the API does, then ingest at the fake clock's time */
  const ingest = (events: ContractEventInput[]) =>
    engine.ingest(
      events.map((e) => contractEvent.parse(e)),
      clock.now(),
    );
  return { app, clock, engine, prefix, ingest };
}

/** All keys under a prefix with their dumped values (to prove a request changed nothing). */
export async function snapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const d = await redis.dumpBuffer(k);
      out.set(k, d ? d.toString('base64') : '');
    }
  } while (cursor !== '0');
  return out;
}

/** Two queues on two channels (cards: voice, chat: text) and a group of one of them (retail =
 * cards): enough to tell a queue, a channel and a group apart in the agent figures. */
export const cardsAndChatConfig: AppConfigInput = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards'] }],
};

export const T0 = Date.parse('2026-03-02T02:00:00.000Z'); // 10:00 Asia/Shanghai, a Monday
export const sec = (s: number) => s * 1000;
export const min = (m: number) => m * 60_000;
