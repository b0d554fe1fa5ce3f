import fp from 'fastify-plugin';
import { KpiMetricEngine } from '../kpi/engine.ts';
import type { MetricEngine } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** the metric engine (Redis); routes, realtime push and alerts all go through it */
    engine: MetricEngine;
  }
}

/** Creates the Redis metric engine and writes each center's queue map from the config. */
export const enginePlugin = fp(
  async (app) => {
    // the core engine plus the KPI pack's events and figures (server/kpi/engine.ts)
    const engine = new KpiMetricEngine(app.redis, app.keys, app.config, { redisTimeoutMs: app.env.INGEST_REDIS_TIMEOUT_MS });
    await engine.init(app.clock.now());
    app.decorate('engine', engine);
  },
  { name: 'engine', dependencies: ['redis'] },
);
