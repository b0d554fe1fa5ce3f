import { resolve } from 'node:path';
import { parseEnv, ConfigError } from './config/env.ts';
import { loadConfig } from './config/load.ts';
import { isLoopback, placeholderTokenCheck } from './auth/tokens.ts';
import { DataDirInUseError, EmbeddedRedis, RedisNotInstalledError } from './redis/launcher.ts';
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
  const placeholderWarning = placeholderTokenCheck(config.tokens, env.HOST);
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
    if (placeholderWarning) app.log.warn(placeholderWarning);
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
      try {
        await app.close();
      } finally {
        // stopped last, and whatever the close did: a redis-server must not outlive its server
        await embedded?.stop();
        if (embedded) app.log.info('embedded Redis stopped');
      }
    })());
  return { app, stop, ...(embedded ? { redis: embedded } : {}) };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  // Handlers stay installed for the whole life of the process (process.on, not once): a Ctrl-C
  // reaches the server twice or more — from the terminal (the whole foreground group) and relayed
  // by npm (and by the tsx CLI, when run through it) — and with no listener left Node restores
  // the default action, so a repeat killed the server mid-shutdown: no 'exit' event, and the
  // embedded redis-server, in its own process group, kept running. A repeat within 1.5 s is that
  // same press; one later means "stop waiting": exit now (the exit hook still sends Redis SIGTERM,
  // its clean shutdown). A signal during start-up stops the server as soon as it is up.
  let stop: (() => Promise<void>) | undefined;
  let signalledAt = 0;
  const shutdown = () =>
    stop!().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalledAt === 0) {
      signalledAt = Date.now();
      console.log(`received ${sig}${stop ? '' : ' while starting: stopping as soon as the server is up'}`);
      if (stop) void shutdown();
    } else if (Date.now() - signalledAt > 1500) {
      console.log(`received ${sig} again: exiting without waiting for in-flight requests (the embedded Redis is sent SIGTERM)`);
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  startServer()
    .then((server) => {
      stop = server.stop;
      if (signalledAt !== 0) void shutdown();
    })
    .catch((err) => {
      if (err instanceof ConfigError || err instanceof RedisNotInstalledError || err instanceof DataDirInUseError) {
        console.error(`\n${err.message}\n`);
      } else console.error(err);
      process.exit(1);
    });
}
