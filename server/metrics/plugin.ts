import fp from 'fastify-plugin';
import { RedisMetricEngine } from './engine.ts';
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
    const engine = new RedisMetricEngine(app.redis, app.keys, app.config);
    await engine.init();
    app.decorate('engine', engine);
  },
  { name: 'engine', dependencies: ['redis'] },
);
