import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';
import { Keys } from './keys.ts';
import { defineScripts, loadScripts, preloadScripts, scriptsLoaded, type LuaScript } from './scripts.ts';

/** how long /readyz waits for Redis's answers before it reads "not ready" */
export const readyCheckMs = 2000;

export interface RedisPluginOptions {
  connection: RedisOptions;
  keyPrefix: string;
  /** a command not answered within this long fails (INGEST_REDIS_TIMEOUT_MS); none when unset */
  commandTimeoutMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
    keys: Keys;
    redisReady(): Promise<boolean>;
  }
}

/**
 * The shared ioredis client with every Lua script defined on it. Commands fail fast while Redis is
 * unreachable (no offline queue), so ingest can answer 503 + Retry-After instead of holding
 * requests in memory that a crash would lose.
 */
export const redisPlugin = fp<RedisPluginOptions>(
  async (app, opts) => {
    const scripts: LuaScript[] = loadScripts();
    const redis = new Redis({
      ...opts.connection,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      retryStrategy: (times) => Math.min(times * 200, 2000),
      // A write answered READONLY reached a master that a Sentinel failover demoted: reconnect (the
      // sentinels name the new master) without re-sending; the request answers 503 and its producer
      // re-sends, which the event ids make safe.
      reconnectOnError: (err) => /^READONLY/.test(err.message),
      // A Redis that hangs without closing the connection (stopped, a fork or swap stall, a
      // partition that drops packets silently) would hold every caller forever: ingest requests
      // pile up while producers time out and re-send. A command with no reply within this time
      // is rejected ("Command timed out"; errors.ts isRedisTimeoutError, answered 503). It is not
      // withdrawn: it stays queued on this connection and Redis may still run it, in order, once
      // it resumes (or after a reconnect, which re-sends unanswered commands first). That is safe
      // for the writer because its outcome-unknown path is the one of a lost connection
      // (metrics/write/center-writer.ts, "outcome unknown"); reads are read-only; the alert
      // store's writes already had to live with a reply lost after the command ran.
      ...(opts.commandTimeoutMs !== undefined ? { commandTimeout: opts.commandTimeoutMs } : {}),
    });
    // pub/sub connections (realtime, alerts bus) are duplicates of this one: they wait for pushes,
    // not replies, and their owners chose to never fail their commands (re-subscribing after a
    // reconnect has no caller to hear an error), so they do not inherit the command timeout
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = ((override?: Partial<RedisOptions>) => duplicate({ commandTimeout: undefined, ...override })) as typeof redis.duplicate;
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis error'));
    defineScripts(redis, scripts);
    await redis.connect();
    await preloadScripts(redis, scripts);
    redis.on('ready', () => {
      // after a Redis restart the script cache is empty; reload so /readyz turns green again
      preloadScripts(redis, scripts).catch((err) => app.log.warn({ err: err.message }, 'script reload failed'));
    });
    app.decorate('redis', redis);
    app.decorate('keys', new Keys(opts.keyPrefix));
    // A Redis that is up but does not answer (stopped, swapping, a script stuck) must read as not
    // ready within a probe's patience, not hang the probe: the check gets readyCheckMs.
    app.decorate('redisReady', async () => {
      if (redis.status !== 'ready') return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), readyCheckMs)));
      try {
        return await Promise.race([redis.ping().then(() => scriptsLoaded(redis, scripts)), timedOut]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    });
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect());
    });
  },
  { name: 'redis' },
);
