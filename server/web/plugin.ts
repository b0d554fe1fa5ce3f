import fp from 'fastify-plugin';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { knownQueues } from '../realtime/catalog.ts';
import { resolveBoards } from './boards.ts';
import type { PublicConfig } from '../../shared/realtime/public-config.ts';
import { reasonNames } from '../../shared/contract/config.ts';

const clientDir = resolve(import.meta.dirname, '../../dist/client');

/**
 * Serves the built Svelte client (dist/client) and the two read-only endpoints it starts from.
 * The SPA routes all answer index.html; hashed assets are cached for a year, index.html never
 * (a TV running for weeks must pick up a new build on its next reload).
 */
export const webPlugin = fp(
  async (app) => {
    app.get('/api/v1/boards', { preHandler: app.requireRole('display') }, async () => ({ boards: resolveBoards(app.config) }));
    app.get('/api/v1/config/public', { preHandler: app.requireRole('display') }, async () => publicConfig(app));

    if (!existsSync(resolve(clientDir, 'index.html'))) {
      app.log.warn({ clientDir }, 'client not built: run `npm run build`; /wall and /lead answer 503');
      const notBuilt = async (_req: unknown, reply: { code(n: number): { type(t: string): { send(b: string): unknown } } }) =>
        reply.code(503).type('text/plain; charset=utf-8').send('The client is not built yet: run `npm run build`.');
      for (const path of spaRoutes) app.get(path, notBuilt);
      return;
    }
    await app.register(fastifyStatic, {
      root: clientDir,
      index: false,
      wildcard: true,
      setHeaders(res, path) {
        res.header('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    for (const path of spaRoutes) {
      app.get(path, async (_req, reply) => reply.header('Cache-Control', 'no-cache').sendFile('index.html'));
    }
  },
  { name: 'web', dependencies: ['auth'] },
);

const spaRoutes = ['/', '/wall', '/wall/:board', '/lead'];

async function publicConfig(app: FastifyInstance): Promise<PublicConfig> {
  const c = app.config;
  const queues = (
    await Promise.all(
      c.centers.map(async (center) =>
        (await knownQueues(app, center.id)).map((q) => {
          const configured = c.queues.find((x) => x.id === q.id && x.center === center.id);
          return {
            id: q.id,
            center: center.id,
            name: configured?.name ?? { zh: q.id, en: q.id },
            channel: q.channel,
            serviceLevelThresholdSec:
              configured?.serviceLevelThresholdSec ?? (q.channel ? c.defaults.serviceLevelThresholdSec[q.channel] : null),
          };
        }),
      ),
    )
  ).flat();
  return {
    centers: c.centers.map((x) => ({ id: x.id, name: x.name, timeZone: x.timeZone })),
    queues,
    groups: c.groups,
    teams: c.teams,
    reasons: reasonNames(c),
    boards: resolveBoards(c),
    defaults: { serviceLevelThresholdSec: c.defaults.serviceLevelThresholdSec },
    displayThresholds: c.displayThresholds,
    stateTimeThresholds: c.stateTimeThresholds,
    devMode: app.tokens.devMode,
  };
}
