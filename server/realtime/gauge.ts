import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import type { IO } from './hub.ts';

/**
 * `wallboard_connected_screens{role}` on the ops plugin's registry (`app.promMetrics`, a
 * prom-client Registry or an object holding one as `registry`). Collected on scrape from the
 * live sockets, so it can never drift. Without the ops registry nothing is registered.
 */
export function connectedScreensGauge(app: FastifyInstance, io: IO): () => void {
  const registry = findRegistry(app);
  if (!registry) {
    app.log.debug('no ops metrics registry: connected-screens gauge not registered');
    return () => {};
  }
  const name = 'wallboard_connected_screens';
  new Gauge({
    name,
    help: 'Socket.IO screens connected to this process, by role',
    labelNames: ['role'] as const,
    registers: [registry],
    collect() {
      const counts = { display: 0, lead: 0, admin: 0 };
      for (const socket of io.of('/').sockets.values()) counts[socket.data.role] += 1;
      for (const [role, n] of Object.entries(counts)) this.set({ role }, n);
    },
  });
  const viewsName = 'wallboard_live_views';
  new Gauge({
    name: viewsName,
    help: 'views (boards, lead consoles) this process computes and pushes',
    registers: [registry],
    collect() {
      this.set(app.realtime?.hub.size ?? 0);
    },
  });
  return () => {
    registry.removeSingleMetric(name);
    registry.removeSingleMetric(viewsName);
  };
}

function findRegistry(app: FastifyInstance): Registry | undefined {
  if (!app.hasDecorator('promMetrics')) return undefined;
  const m = (app as unknown as { promMetrics: unknown }).promMetrics;
  if (m instanceof Registry) return m;
  const inner = (m as { registry?: unknown } | null)?.registry;
  return inner instanceof Registry ? inner : undefined;
}
