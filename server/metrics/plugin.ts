import fp from 'fastify-plugin';

// Placeholder while this domain is being built; replaced by its owner.
export const enginePlugin = fp(async () => {}, { name: 'engine' });
