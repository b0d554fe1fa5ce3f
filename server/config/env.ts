import { z } from 'zod';

/** Environment, parsed once. Everything else reads the returned object, never process.env. */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** redis://… or rediss://…; unset = launch the embedded redis-server */
  REDIS_URL: z.string().url().optional(),
  /**
   * Redis Sentinel (high availability): comma-separated host:port of the sentinels; the master is
   * found through them and followed across failovers. Not together with REDIS_URL.
   */
  REDIS_SENTINELS: z.string().optional(),
  /** the master's name as the sentinels monitor it (`sentinel monitor <name> …`) */
  REDIS_SENTINEL_MASTER: z.string().min(1).optional(),
  /** password of the sentinels themselves (`requirepass` in sentinel.conf), if they have one */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  /** ACL user / password of the master and replicas found through the sentinels */
  REDIS_USERNAME: z.string().min(1).optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  /** path of the YAML/JSON config file */
  CONFIG: z.string().min(1).optional(),
  /** comma-separated producer tokens (role ingest), added to those in the config file */
  INGEST_TOKENS: z.string().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** pino level */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** "strict" = appendfsync always on the embedded Redis */
  REDIS_DURABILITY: z.enum(['default', 'strict']).optional(),
  REDIS_SERVER_BIN: z.string().min(1).default('redis-server'),
  /**
   * How long a Redis command, and an ingest request's Redis work as a whole, may take before it
   * fails with 503 + Retry-After (a Redis that hangs without closing its connection). Well above
   * the normal worst case: a 5,000-event request costs Redis ≈ 0.1 s (≈ 20 µs per event), and the
   * benchmark's 8 concurrent 1,000-event producers (≈ 30k ev/s) wait ≈ 0.3 s per request. It
   * applies to every command on the shared connection (reads too), not to pub/sub connections.
   */
  INGEST_REDIS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
});
export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return result.data;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
