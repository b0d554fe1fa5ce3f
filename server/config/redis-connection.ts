import type { RedisOptions } from 'ioredis';
import { ConfigError, type Env } from './env.ts';

/**
 * Where the product's Redis is, from the environment: `REDIS_URL` (one server), `REDIS_SENTINELS`
 * (a master followed through Redis Sentinel across failovers), or neither (undefined: the caller
 * starts the embedded redis-server). Every mistake is a ConfigError naming the variable, at start.
 *
 * Sentinel is the high-availability setup most bank data centres already run for Redis: the
 * engine needs one master (its scripts keep a center's keys in one slot, and the writer's fence
 * orders batches on one server), which Sentinel gives while moving it to a replica when the
 * master host dies. ioredis asks the sentinels for the master, and with `failoverDetector` hears
 * their `+switch-master` and reconnects without waiting for the old master's socket to time out.
 */
export function externalRedisConnection(env: Env): RedisOptions | undefined {
  const sentinelOnly = (['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD', 'REDIS_USERNAME', 'REDIS_PASSWORD'] as const).filter(
    (name) => env[name] !== undefined,
  );
  if (env.REDIS_SENTINELS === undefined) {
    if (sentinelOnly.length > 0) {
      throw new ConfigError(
        `${sentinelOnly.join(', ')} set without REDIS_SENTINELS: these are for a Redis found through Sentinel ` +
          `(with REDIS_URL, put the user and password in the URL: redis://user:password@host:6379)`,
      );
    }
    return env.REDIS_URL === undefined ? undefined : urlConnection(env.REDIS_URL);
  }
  if (env.REDIS_URL !== undefined) {
    throw new ConfigError('REDIS_URL and REDIS_SENTINELS are both set: use one (REDIS_SENTINELS finds the master itself)');
  }
  if (env.REDIS_SENTINEL_MASTER === undefined) {
    throw new ConfigError('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER: the master name the sentinels monitor (`sentinel monitor <name> …`)');
  }
  return {
    sentinels: parseSentinels(env.REDIS_SENTINELS),
    name: env.REDIS_SENTINEL_MASTER,
    role: 'master',
    failoverDetector: true,
    ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
  };
}

function urlConnection(raw: string): RedisOptions {
  const url = new URL(raw);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`REDIS_URL: expected redis:// or rediss://, got ${url.protocol}//`);
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`REDIS_URL: the database "${url.pathname.slice(1)}" is not a number`);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    db,
  };
}

/** "10.0.0.1:26379, sentinel-b:26379, [fd00::1]:26379" → [{host, port}, …]; the port defaults to 26379 */
export function parseSentinels(list: string): { host: string; port: number }[] {
  const entries = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (entries.length === 0) throw new ConfigError('REDIS_SENTINELS is empty: list the sentinels as host:port,host:port');
  return entries.map((entry) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(entry);
    const port = m?.[3] === undefined ? 26379 : Number(m[3]);
    if (!m || port < 1 || port > 65535) {
      throw new ConfigError(`REDIS_SENTINELS: "${entry}" is not host:port (e.g. 10.0.0.1:26379 or [fd00::1]:26379)`);
    }
    return { host: (m[1] ?? m[2])!, port };
  });
}
