import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { RedisOptions } from 'ioredis';
import { defaultKeyPrefix } from './redis/keys.ts';
import type { AppConfig } from '../shared/contract/config.ts';
import type { Env } from './config/env.ts';
import { authPlugin } from './auth/plugin.ts';
import { TokenStore } from './auth/tokens.ts';
import { systemClock, type Clock } from './clock.ts';
import { installErrorHandler } from './errors.ts';
import { redisPlugin } from './redis/plugin.ts';
import { opsPlugin } from './ops/plugin.ts';
import { enginePlugin } from './metrics/plugin.ts';
import { ingestRoutes } from './ingest/routes.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { kpiRoutes } from './kpi/routes.ts';
import { realtimePlugin } from './realtime/plugin.ts';
import { alertsPlugin } from './alerts/plugin.ts';
import { webPlugin } from './web/plugin.ts';

export interface BuildOptions {
  env: Env;
  config: AppConfig;
  redis: RedisOptions;
  /** Redis key prefix (tests use a unique one each) */
  keyPrefix?: string;
  clock?: Clock;
  logger?: FastifyServerOptions['logger'];
  /** start background loops (alert evaluator, realtime heartbeats); tests may drive them by hand */
  background?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    env: Env;
    config: AppConfig;
    clock: Clock;
    background: boolean;
  }
}

const quietPaths = /^\/(api\/v1\/(events|metrics)|healthz|readyz|metrics)(\?|$)/;

/** Builds the whole application as a Fastify instance; server.ts only listens. */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: opts.env.LOG_LEVEL },
    bodyLimit: 8 * 1024 * 1024,
    trustProxy: false,
    // Per-request access logs cost more than the work on the hot paths (ingest batches, metric
    // polls, probes); errors are still logged by the error handler.
    logController: new LogController({
      disableRequestLogging: (req) => opts.env.NODE_ENV === 'production' || quietPaths.test(req.url),
    }),
  });
  app.decorate('env', opts.env);
  app.decorate('config', opts.config);
  app.decorate('clock', opts.clock ?? systemClock);
  app.decorate('background', opts.background ?? true);
  installErrorHandler(app);

  await app.register(authPlugin, { tokens: new TokenStore(opts.config, opts.env.HOST) });
  await app.register(redisPlugin, {
    connection: opts.redis,
    keyPrefix: opts.keyPrefix ?? defaultKeyPrefix,
    commandTimeoutMs: opts.env.INGEST_REDIS_TIMEOUT_MS,
  });
  await app.register(opsPlugin);
  await app.register(enginePlugin);
  await app.register(ingestRoutes, { prefix: '/api/v1' });
  await app.register(metricsRoutes, { prefix: '/api/v1' });
  await app.register(kpiRoutes, { prefix: '/api/v1' });
  await app.register(alertsPlugin);
  await app.register(realtimePlugin);
  await app.register(webPlugin);
  return app;
}
