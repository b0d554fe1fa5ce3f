import { resolve } from 'node:path';
import { parseEnv, ConfigError } from './config/env.ts';
import { loadConfig } from './config/load.ts';
import { isLoopback } from './auth/tokens.ts';
import { EmbeddedRedis, RedisNotInstalledError } from './redis/launcher.ts';
import { buildApp } from './app.ts';
import { externalRedisConnection } from './config/redis-connection.ts';
import type { FastifyInstance } from 'fastify';
import type { RedisOptions } from 'ioredis';
import type { AppConfig } from '../shared/contract/config.ts';

/**
 * Production entry point: parse env and config, refuse unsafe binds, start the embedded Redis
 * unless REDIS_URL or REDIS_SENTINELS is set, listen, and shut down gracefully (in-flight batches finish first).
 * `beforeBuild` runs once Redis is up, before the app is built (so before the engine writes the
 * config's queue map, alerts evaluate or a screen left open reconnects); the demo clears its
 * previous run there. It gets the connection and the config the app will use.
 */
export async function startServer(
  overrides: NodeJS.ProcessEnv = {},
  hooks: { beforeBuild?: (redis: RedisOptions, config: AppConfig) => Promise<void> } = {},
): Promise<{ app: FastifyInstance; stop: () => Promise<void>; redis?: EmbeddedRedis }> {
  const env = parseEnv({ ...process.env, ...overrides });
  const { config, source } = loadConfig(env);
  if (!isLoopback(env.HOST) && config.tokens.length === 0) {
    throw new ConfigError(
      `Refusing to listen on ${env.HOST} without tokens: anyone on the network could read the board and post events.\n` +
        `  Configure tokens in the config file (tokens: [{token, role, name}]) and/or INGEST_TOKENS, or bind to 127.0.0.1.`,
    );
  }
  let embedded: EmbeddedRedis | undefined;
  let redisOptions: RedisOptions;
  const external = externalRedisConnection(env);
  if (external) {
    redisOptions = external;
  } else {
    embedded = new EmbeddedRedis({
      dataDir: resolve(env.DATA_DIR, 'redis'),
      appendfsync: config.redis.appendfsync,
      unixSocket: config.redis.unixSocket,
      binary: env.REDIS_SERVER_BIN,
      supervise: true,
      log: (level, msg) => console[level === 'info' ? 'log' : level](`[redis] ${msg}`),
    });
    await embedded.start();
    redisOptions = embedded.connection;
  }
  let app: FastifyInstance | undefined;
  try {
    await hooks.beforeBuild?.(redisOptions, config);
    app = await buildApp({ env, config, redis: redisOptions });
    app.log.info({ config: source, redis: env.REDIS_SENTINELS ? `sentinel master ${env.REDIS_SENTINEL_MASTER}` : env.REDIS_URL ? 'external' : embedded?.url }, 'configuration loaded');
    await app.listen({ port: env.PORT, host: env.HOST });
  } catch (err) {
    // e.g. the port is taken: do not leave an orphaned redis-server (or a connected app) behind
    await app?.close().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      app.log.info('shutting down: finishing in-flight requests');
      await app.close();
      await embedded?.stop();
    })());
  return { app, stop, ...(embedded ? { redis: embedded } : {}) };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  startServer()
    .then(({ stop }) => {
      const onSignal = (sig: string) => {
        console.log(`received ${sig}`);
        stop().then(
          () => process.exit(0),
          (err) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    })
    .catch((err) => {
      if (err instanceof ConfigError || err instanceof RedisNotInstalledError) {
        console.error(`\n${err.message}\n`);
      } else console.error(err);
      process.exit(1);
    });
}
