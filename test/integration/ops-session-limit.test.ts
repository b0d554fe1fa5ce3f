import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { envSchema } from '../../server/config/env.ts';
import { rateLimits } from '../../server/ops/policy.ts';
import { appConfig } from '../../shared/contract/config.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

const adminToken = 'admin-token-0123456789';
const leadToken = 'lead-token-0123456789ab';
const displayToken = 'display-token-0123456789';
const ingestToken = 'ingest-token-0123456789';

// Found in review (2026-12-07): the limiter keyed sign-in on the Authorization header, which sign-in
// does not read, so a made-up header per guess gave every guess a bucket of its own.
describe('sign-in rate limit', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({
      env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
      config: appConfig.parse({
        tokens: [
          { token: adminToken, role: 'admin', name: 'ops admin' },
          { token: leadToken, role: 'lead', name: 'lead' },
          { token: displayToken, role: 'display', name: 'wall' },
          { token: ingestToken, role: 'ingest', name: 'acd' },
        ],
      }),
      redis: { host: '127.0.0.1', port: testRedisPort() },
      keyPrefix: uniquePrefix('rv9'),
      logger: false,
      background: false,
    });
  });
  afterAll(async () => {
    await app.close();
  });

  it('limits sign-in guesses per IP even when the caller adds a fresh Authorization header each time', async () => {
    // README Operations: "10 sign-ins per minute per IP". POST /api/v1/session takes the token in
    // the body, so the Authorization header is irrelevant to it — but the limiter keys on it.
    const remoteAddress = '10.7.7.7';
    const statuses: number[] = [];
    for (let i = 0; i < rateLimits.sessionPerMinute + 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { authorization: `Bearer junk-${i}` },
        payload: { token: `guess-${i}-xxxxxxxxxxxx` },
        remoteAddress,
      });
      statuses.push(res.statusCode);
    }
    console.log("statuses", statuses.join(" "));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
