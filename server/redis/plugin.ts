import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';
import { Keys } from './keys.ts';
import { defineScripts, loadScripts, preloadScripts, scriptsLoaded, type LuaScript } from './scripts.ts';

/** how long /readyz waits for Redis's answers before it reads "not ready" */
export const readyCheckMs = 2000;

export interface RedisPluginOptions {
  connection: RedisOptions;
  keyPrefix: string;
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
    });
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
