import { resolve } from 'node:path';
import { parseEnv, ConfigError } from './config/env.ts';
import { loadConfig } from './config/load.ts';
import { isLoopback } from './auth/tokens.ts';
import { EmbeddedRedis, RedisNotInstalledError } from './redis/launcher.ts';
import { buildApp } from './app.ts';
import type { FastifyInstance } from 'fastify';

/**
 * Production entry point: parse env and config, refuse unsafe binds, start the embedded Redis
 * unless REDIS_URL is set, listen, and shut down gracefully (in-flight batches finish first).
 */
export async function startServer(overrides: NodeJS.ProcessEnv = {}): Promise<{ app: FastifyInstance; stop: () => Promise<void>; redis?: EmbeddedRedis }> {
  const env = parseEnv({ ...process.env, ...overrides });
  const { config, source } = loadConfig(env);
  if (!isLoopback(env.HOST) && config.tokens.length === 0) {
    throw new ConfigError(
      `Refusing to listen on ${env.HOST} without tokens: anyone on the network could read the board and post events.\n` +
        `  Configure tokens in the config file (tokens: [{token, role, name}]) and/or INGEST_TOKENS, or bind to 127.0.0.1.`,
    );
  }
  let embedded: EmbeddedRedis | undefined;
  let redisOptions;
  if (env.REDIS_URL) {
    const url = new URL(env.REDIS_URL);
    redisOptions = {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    };
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
  let app: FastifyInstance;
  try {
    app = await buildApp({ env, config, redis: redisOptions });
    app.log.info({ config: source, redis: env.REDIS_URL ? 'external' : embedded?.url }, 'configuration loaded');
    await app.listen({ port: env.PORT, host: env.HOST });
  } catch (err) {
    // e.g. the port is taken: do not leave an orphaned redis-server behind
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
