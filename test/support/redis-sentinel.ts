import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { EmbeddedRedis, freePort } from '../../server/redis/launcher.ts';

/**
 * A real Redis Sentinel setup for a test file: a master and one replica started by the product's
 * launcher, and one sentinel (`redis-server <conf> --sentinel`, quorum 1) watching them. Nothing
 * persists; `stop()` ends every process and removes the temporary directory.
 */
export interface TestRedisSentinel {
  masterName: string;
  sentinelPort: number;
  /** the data nodes' ports: [first master, first replica] */
  ports: [number, number];
  /** a plain connection to the sentinel */
  sentinel: Redis;
  /** the port the sentinel names as master now */
  masterPort(): Promise<number>;
  /**
   * `SENTINEL FAILOVER`, resolved once the sentinel names the other node master, it answers as
   * one, and the old master has been turned into its replica (until then the old master still
   * takes writes, which its resync then drops: the window the README describes).
   */
  failover(): Promise<number>;
  stop(): Promise<void>;
}

const masterName = 'wallboard-test';
const waitMs = 30_000;

export async function startRedisSentinel(): Promise<TestRedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-test-sentinel-'));
  const master = new EmbeddedRedis({ dataDir: join(dir, 'a'), ephemeral: true, supervise: false });
  let replica: EmbeddedRedis | undefined;
  let sentinelProcess: ChildProcess | undefined;
  let sentinel: Redis | undefined;
  const stop = async () => {
    sentinel?.disconnect();
    if (sentinelProcess && sentinelProcess.exitCode === null) {
      sentinelProcess.kill('SIGKILL');
      await once(sentinelProcess, 'exit');
    }
    await Promise.all([master.stop(), replica?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await master.start();
    replica = new EmbeddedRedis({
      dataDir: join(dir, 'b'),
      ephemeral: true,
      supervise: false,
      extraArgs: ['--replicaof', '127.0.0.1', String(master.port)],
    });
    await replica.start();
    const sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    // the sentinel rewrites its file (known replicas, epochs), so it lives in the temporary directory
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${masterName} 2000`,
        `sentinel failover-timeout ${masterName} 10000`,
        '',
      ].join('\n'),
    );
    sentinelProcess = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    sentinel = new Redis({ host: '127.0.0.1', port: sentinelPort, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    sentinel.on('error', () => {}); // refused while the sentinel starts; the waits below report what matters
    const plain = sentinel;
    const replicaInSync = () =>
      until('the sentinel to see a replica in sync', async () => {
        const replicas = (await plain.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
        return replicas.some((r) => field(r, 'master-link-status') === 'ok' && !/_down|disconnected/.test(field(r, 'flags') ?? ''));
      });
    await replicaInSync();
    const masterPort = async () => {
      const addr = (await plain.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
      return Number(addr[1]);
    };
    return {
      masterName,
      sentinelPort,
      ports: [master.port, replica.port],
      sentinel: plain,
      masterPort,
      failover: async () => {
        // a second failover (back) needs the demoted master to have caught up as a replica first
        await replicaInSync();
        const before = await masterPort();
        await plain.call('SENTINEL', 'FAILOVER', masterName);
        let after = before;
        await until('the failover to finish', async () => {
          after = await masterPort();
          return after !== before && (await roleOf(after)) === 'master' && (await roleOf(before)) === 'slave';
        });
        return after;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function roleOf(port: number): Promise<string> {
  const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  node.on('error', () => {});
  try {
    await node.connect();
    return ((await node.call('ROLE')) as [string])[0];
  } finally {
    node.disconnect();
  }
}

/** a field of a SENTINEL REPLICAS entry (a flat name, value, name, value … list) */
function field(entry: string[], name: string): string | undefined {
  const i = entry.indexOf(name);
  return i >= 0 && i % 2 === 0 ? entry[i + 1] : undefined;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + waitMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${waitMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
