import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { z } from 'zod';
import { bearer, isLoopback } from '../auth/tokens.ts';
import { createPromMetrics, type PromMetrics } from './prom.ts';
import { contentSecurityPolicy, rateLimits } from './policy.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus instruments; see server/ops/prom.ts for names and who records what */
    promMetrics: PromMetrics;
  }
}

/** the sign-in route (its token is in the body, not the Authorization header) */
const sessionRoute = '/api/v1/session';

/** requests per minute allowed on a route, or undefined for no limit (server/ops/policy.ts) */
function limitFor(method: string | string[], url: string | undefined): number | undefined {
  if (method !== 'POST' && !(Array.isArray(method) && method.includes('POST'))) return undefined;
  if (url === '/api/v1/events') return rateLimits.ingestPerMinute;
  if (url === sessionRoute) return rateLimits.sessionPerMinute;
  return undefined;
}

/** The headers a connect-style middleware sets, recorded once (it must not read the request). */
function staticHeadersOf(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): [string, string][] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => headers.set(name.toLowerCase(), String(value)),
    removeHeader: (name: string) => headers.delete(name.toLowerCase()),
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err) => {
    if (err) throw err;
  });
  return [...headers];
}

const sessionBody = z.strictObject({ token: z.string().min(1).max(512) });

/**
 * Operations surface: probes, Prometheus metrics, security headers, rate limits, and the sign-in
 * check the UI uses. Graceful shutdown is Fastify's own: `app.close()` stops accepting, lets
 * in-flight requests finish (server.ts calls it on SIGINT/SIGTERM), then runs onClose hooks.
 */
export const opsPlugin = fp(
  async (app) => {
    const metrics = createPromMetrics({ defaultMetrics: app.env.NODE_ENV !== 'test' });
    app.decorate('promMetrics', metrics);
    const onRedisError = () => metrics.redisErrors.inc();
    app.redis.on('error', onRedisError);
    app.addHook('onClose', async () => {
      app.redis.off('error', onRedisError);
      metrics.registry.clear();
    });

    // helmet's headers, computed once: with static directives (no nonces) they do not depend on the
    // request. Running its middleware on every request set each header with `res.setHeader` (and
    // @fastify/helmet would also rebuild the middleware each time): ≈ 6 KB of garbage per request,
    // a third of a health probe's and 5 % of a metrics query's, for the same dozen strings.
    const securityHeaders = staticHeadersOf(
      helmet({
        contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
        // cross-origin isolation would break nothing we serve, but TVs with old browsers mishandle it
        crossOriginEmbedderPolicy: false,
        // plain-http LAN deployments are common (TVs on 10.x); HSTS there only confuses browsers
        strictTransportSecurity: false,
      }),
    );
    app.addHook('onRequest', (_req, reply, done) => {
      for (const [name, value] of securityHeaders) reply.header(name, value);
      done();
    });

    // Only the routes with a limit run the limiter: as a global hook it also built its key (the
    // route, the bearer token) for every GET before the allow-list let it through, ≈ 2.6 KB of
    // garbage per request. The limits are attached here, by route, so the policy stays in one place.
    app.addHook('onRoute', (route) => {
      const max = limitFor(route.method, route.url);
      if (max !== undefined) route.config = { ...route.config, rateLimit: { max } };
    });
    await app.register(rateLimit, {
      global: false,
      timeWindow: 60_000,
      // one bucket per (route, caller): a chatty producer cannot lock a supervisor out of sign-in.
      // Sign-in is keyed by address alone: its token travels in the body, and a made-up header per
      // guess would otherwise give every guess a bucket of its own.
      keyGenerator: (req) => {
        const route = req.routeOptions.url ?? req.url;
        return `${route}|${route === sessionRoute ? req.ip : (bearer(req.headers.authorization) ?? req.ip)}`;
      },
      // thrown into the app's error handler, which answers { error: code, message }
      errorResponseBuilder: (_req, ctx) => ({
        statusCode: 429,
        code: 'rate_limited',
        message: `too many requests: at most ${ctx.max} per minute here; retry in ${Math.ceil(ctx.ttl / 1000)} s`,
      }),
    });

    // request accounting for /metrics: ingest latency by status, and a per-route request counter
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ route, method: req.method, status: String(reply.statusCode) });
      if (route === '/api/v1/events' && req.method === 'POST') {
        metrics.ingestLatency.observe({ status: String(reply.statusCode) }, reply.elapsedTime / 1000);
      }
    });

    // Graceful shutdown. close() stops listening and drops idle keep-alive sockets, but a socket
    // whose request is still running turns idle only later and would hold close() for the whole
    // keep-alive timeout (72 s). So: answer in-flight requests with `Connection: close`, and keep
    // sweeping idle sockets until the server is down.
    let closing = false;
    let sweeper: NodeJS.Timeout | undefined;
    app.addHook('preClose', async () => {
      closing = true;
      sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
      sweeper.unref();
    });
    app.addHook('onClose', async () => clearInterval(sweeper));
    app.addHook('onSend', async (_req, reply, payload) => {
      if (closing) reply.header('connection', 'close');
      // time inside this process until the body is handed to the socket (browser devtools and the
      // benchmark read it, so server time can be told apart from network and client time)
      reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
      return payload;
    });

    app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

    app.get('/readyz', { logLevel: 'warn' }, async (_req, reply) => {
      if (await app.redisReady()) return { status: 'ready' };
      return reply.code(503).header('Retry-After', '2').send({ status: 'not_ready', reason: 'redis unreachable or scripts not loaded' });
    });

    app.get('/metrics', { logLevel: 'warn' }, async (req, reply) => {
      if (!metricsAllowed(req)) {
        reply.header('WWW-Authenticate', 'Bearer');
        return reply.code(401).send({ error: 'unauthorized', message: '/metrics needs an admin bearer token unless scraped from loopback' });
      }
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
    const metricsAllowed = (req: FastifyRequest): boolean => {
      if (isLoopback(req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '')) return true;
      return app.tokens.resolve(bearer(req.headers.authorization))?.role === 'admin';
    };

    // The UI's sign-in: checks a token and says which role it grants. Rate limited (above) so it
    // is no oracle for guessing tokens.
    app.post(sessionRoute, async (req, reply: FastifyReply) => {
      const { token } = sessionBody.parse(req.body ?? {});
      const principal = app.tokens.resolve(token);
      if (!principal) return reply.code(401).send({ error: 'unauthorized', message: 'unknown token' });
      return { role: principal.role, name: principal.name, devMode: principal.devMode };
    });
  },
  { name: 'ops', dependencies: ['auth', 'redis'] },
);
