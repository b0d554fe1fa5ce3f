import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { EmbeddedRedis, freePort } from '../../server/redis/launcher.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { inspectorUrlFrom } from './heap.ts';
import { stopChild } from './proc.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');

/**
 * The system under test: an ephemeral redis-server (the product's own launcher, no persistence)
 * and the real server (`server/server.ts`) in a child process, so the CPU of each can be read
 * from /proc separately and a profiler can be attached to the server alone.
 */
export interface Stack {
  redis: EmbeddedRedis;
  redisPid: number;
  redisClient: Redis;
  server: ChildProcess;
  serverPid: number;
  baseUrl: string;
  port: number;
  /** the server's inspector (bench only: heap measurements after a forced GC), if it announced one */
  inspectorUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startStack(opts: { dir: string; config: AppConfigInput; profileDir?: string; log: (m: string) => void }): Promise<Stack> {
  mkdirSync(opts.dir, { recursive: true });
  const redis = new EmbeddedRedis({ dataDir: join(opts.dir, 'redis'), ephemeral: true, supervise: false });
  await redis.start();
  const redisClient = new Redis({ ...redis.connection, maxRetriesPerRequest: 2 });
  const configPath = join(opts.dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(opts.config, null, 2));
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS: extra V8/Node flags for the server under test (e.g. --trace-gc)
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  // --inspect on a free port: test/bench/heap.ts reads the live heap after a forced GC through it
  const nodeArgs = ['--import', 'tsx', '--inspect=127.0.0.1:0', ...extra, ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []), 'server/server.ts'];
  const server = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: redis.url,
      CONFIG: configPath,
      DATA_DIR: join(opts.dir, 'data'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let inspectorUrl: string | undefined;
  const keep = (d: Buffer) => {
    if (process.env.BENCH_SERVER_LOG) appendFileSync(process.env.BENCH_SERVER_LOG, d);
    output = (output + d.toString()).slice(-8000);
    inspectorUrl ??= inspectorUrlFrom(output);
  };
  server.stdout!.on('data', keep);
  server.stderr!.on('data', keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited during start-up:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/v1/registry`, { headers: { authorization: `Bearer ${displayToken}` } });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not answer within 60 s:\n${output}`);
    await sleep(100);
  }
  opts.log(`server pid ${server.pid} on ${baseUrl}, redis pid ${redis.pid} on ${redis.url}`);
  return {
    redis,
    redisPid: redis.pid!,
    redisClient,
    server,
    serverPid: server.pid!,
    baseUrl,
    port,
    async stop() {
      await stopChild(server, () => server.kill('SIGTERM'), 15_000);
      redisClient.disconnect();
      await redis.stop();
    },
    get output() {
      return output;
    },
    inspectorUrl,
  } as Stack;
}

/** Tokens of the benchmark's config: several ingest tokens because the ingest rate limit is per token. */
export const displayToken = 'bench-display-token-0123456789';
export const ingestTokens = Array.from({ length: 64 }, (_, i) => `bench-ingest-token-${String(i).padStart(4, '0')}-abcdef`);

export async function redisVersion(client: Redis): Promise<string> {
  const info = await client.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

export async function redisUsedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

/** INFO commandstats as {command: {calls, usec}} */
export async function commandStats(client: Redis): Promise<Record<string, { calls: number; usec: number }>> {
  const info = await client.info('commandstats');
  const out: Record<string, { calls: number; usec: number }> = {};
  for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) out[m[1]!] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

export { freePort };
