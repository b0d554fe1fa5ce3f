import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../shared/contract/config.ts';
import { bearer, roleSatisfies, type Principal, type TokenStore } from './tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenStore;
    /** preHandler that requires a bearer token granting `role` */
    requireRole(role: Role): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

export const authPlugin = fp<{ tokens: TokenStore }>(
  async (app, opts) => {
    app.decorate('tokens', opts.tokens);
    app.decorateRequest('principal', undefined);
    app.decorate('requireRole', (role: Role) => async (req: FastifyRequest, reply: FastifyReply) => {
      const principal = opts.tokens.resolve(bearer(req.headers.authorization));
      if (!principal) {
        reply.header('WWW-Authenticate', 'Bearer');
        return reply.code(401).send({ error: 'unauthorized', message: 'a valid bearer token is required' });
      }
      if (!roleSatisfies(principal.role, role)) {
        return reply.code(403).send({ error: 'forbidden', message: `this needs the ${role} role` });
      }
      req.principal = principal;
    });
  },
  { name: 'auth' },
);
