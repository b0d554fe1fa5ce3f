import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { MetricEngine } from '../metrics/types.ts';
import type { Realtime } from '../realtime/plugin.ts';
import { alertRoutes } from './routes.ts';
import { AlertService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** alert evaluator, store and change bus (realtime: `app.alerts.bus.onChange(fn)`) */
    alerts: AlertService;
  }
}

/** read lazily: an app built without the engine (some tests) simply evaluates nothing */
function engineOf(app: FastifyInstance): MetricEngine | undefined {
  return app.hasDecorator('engine') ? app.engine : undefined;
}

/**
 * Alerts: routes under /api/v1, the change bus (subscribed in every process so sockets hear of
 * changes made anywhere) and — only when `app.background` — the evaluation loop, which runs on
 * whichever process holds the Redis lease.
 */
export const alertsPlugin = fp(
  async (app) => {
    const service = new AlertService({
      redis: app.redis,
      keys: app.keys,
      config: app.config,
      clock: app.clock,
      log: app.log,
      engine: () => engineOf(app),
    });
    app.decorate('alerts', service);
    await app.register(alertRoutes, { prefix: '/api/v1', service });
    await service.bus.start();
    // realtime registers after us: wire the sockets once every plugin is loaded
    app.addHook('onReady', async () => {
      if (!app.hasDecorator('realtime')) return;
      const realtime = (app as FastifyInstance & { realtime?: Realtime }).realtime;
      if (!realtime) return;
      service.bus.onChange((change) => realtime.emitAlertChange(change));
      realtime.setAlertAcknowledger(async (id, by, note) => {
        const r = await service.acknowledge(id, by, note, app.clock.now());
        return r.status === 'ok' ? 'ok' : 'unknown_alert';
      });
    });
    if (app.background) app.addHook('onReady', async () => service.start());
    app.addHook('onClose', async () => {
      await service.stop();
      await service.bus.stop();
    });
  },
  { name: 'alerts', dependencies: ['auth', 'redis'] },
);
