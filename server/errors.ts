import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';

/** Thrown where Redis is unreachable: answered 503 + Retry-After, never a silent loss. */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(message = 'storage temporarily unavailable', readonly retryAfterSec = 2) {
    super(message);
  }
}

/**
 * Redis did not answer in time (INGEST_REDIS_TIMEOUT_MS): it hangs without closing the connection
 * (stopped, a fork or swap stall, a partition that drops packets silently). Answered 503 +
 * Retry-After like an unreachable Redis; whether the command still runs later is unknown.
 */
export class StorageTimeoutError extends UnavailableError {
  override name = 'StorageTimeoutError';
  constructor(readonly afterMs: number) {
    super(`storage did not answer within ${afterMs} ms`);
  }
}

/** ioredis rejects a command that got no reply within its `commandTimeout` with this message
 * (the command stays in the connection's queue: Redis may still run it later) */
const commandTimedOut = 'Command timed out';

/** Redis did not answer in time: the outcome of what was sent is unknown (see StorageTimeoutError). */
export function isRedisTimeoutError(err: unknown): boolean {
  return err instanceof StorageTimeoutError || (err as { message?: unknown } | undefined)?.message === commandTimedOut;
}

export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** Something the request names does not exist (an unknown center): 404 with the reason. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/**
 * Redis refusing to serve for now, by the code its reply starts with: LOADING (a restarted Redis reading its AOF), BUSY (a script over its time limit), OOM
 * (maxmemory reached), READONLY (a write reached a master that a Sentinel failover turned into a
 * replica; the client reconnects to the new one), MASTERDOWN (a replica that lost its master),
 * NOREPLICAS (`min-replicas-to-write` not met), MISCONF (a failed save stops writes), TRYAGAIN /
 * CLUSTERDOWN (a cluster moving or missing slots). All pass, so the producer is told to re-send.
 */
// at the start of the reply (Redis 7 passes a refusal inside a script through as it is) or after
// ": -" (older servers wrap it in the script's ERR); not anywhere, or an agent called "OOM" inside
// some other error's text would turn a bug into an endless 503 / re-send loop
const redisRefusal = /(?:^|: -)(?:LOADING|BUSY|OOM|READONLY|MASTERDOWN|NOREPLICAS|MISCONF|TRYAGAIN|CLUSTERDOWN)\b/;

/** No usable Redis right now (unreachable, not answering in time, or refusing as above): answered 503 + Retry-After. */
export function isRedisUnavailableError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | undefined;
  if (!e) return false;
  return (
    e.name === 'MaxRetriesPerRequestError' ||
    isRedisTimeoutError(err) ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|enableOfflineQueue|ETIMEDOUT/i.test(e.message ?? '') ||
    redisRefusal.test(e.message ?? '') ||
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code ?? '')
  );
}

/** The one error handler: client errors explain themselves, server errors never leak internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ZodError) {
      return reply.code(400).send({
        error: 'bad_request',
        message: err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
      });
    }
    if (err instanceof BadRequestError) return reply.code(400).send({ error: 'bad_request', message: err.message });
    if (err instanceof NotFoundError) return reply.code(404).send({ error: 'not_found', message: err.message });
    if (err instanceof UnavailableError || isRedisUnavailableError(err)) {
      req.log.warn({ err: err.message }, 'storage unavailable');
      const retry = err instanceof UnavailableError ? err.retryAfterSec : 2;
      return reply
        .code(503)
        .header('Retry-After', String(retry))
        .send({ error: 'unavailable', message: 'storage temporarily unavailable, retry later' });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
      return reply.code(413).send({ error: 'payload_too_large', message: 'request body too large' });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err.statusCode === 400 && err instanceof SyntaxError)) {
      return reply.code(400).send({ error: 'malformed_json', message: 'request body is not valid JSON' });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code ?? 'bad_request', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  });
}
