import type { FastifyPluginAsync } from 'fastify';

// Placeholder while this domain is being built; replaced by its owner.
export const metricsRoutes: FastifyPluginAsync = async () => {};
