import type { FastifyPluginAsync } from 'fastify';

// Placeholder while this domain is being built; replaced by its owner.
export const ingestRoutes: FastifyPluginAsync = async () => {};
