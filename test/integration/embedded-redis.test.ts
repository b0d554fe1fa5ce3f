import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedRedis, RedisNotInstalledError } from '../../server/redis/launcher.ts';

const dirs: string[] = [];
const servers: EmbeddedRedis[] = [];
const clients: Redis[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wallboard-embedded-'));
  dirs.push(d);
  return d;
}
async function launch(opts: Partial<ConstructorParameters<typeof EmbeddedRedis>[0]> = {}): Promise<EmbeddedRedis> {
  const r = new EmbeddedRedis({ dataDir: tempDir(), supervise: false, ...opts });
  servers.push(r);
  await r.start();
  return r;
}
function client(r: EmbeddedRedis): Redis {
  const c = new Redis({ ...r.connection, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}
function aofText(dir: string): string {
  const aofDir = join(dir, 'appendonlydir');
  return readdirSync(aofDir)
    .filter((f) => f.endsWith('.aof'))
    .map((f) => readFileSync(join(aofDir, f), 'utf8'))
    .join('');
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('embedded redis-server', () => {
  it('starts on a free loopback port and answers', async () => {
    const r = await launch();
    expect(r.port).toBeGreaterThan(1024);
    expect(r.url).toBe(`redis://127.0.0.1:${r.port}`);
    expect(await client(r).ping()).toBe('PONG');
  });

  it('writes the AOF with appendfsync everysec by default', async () => {
    const r = await launch();
    const c = client(r);
    expect(await c.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await c.set('durable-key-everysec', 'v1');
    // everysec: on disk within about a second
    let text = '';
    for (let i = 0; i < 30 && !text.includes('durable-key-everysec'); i++) {
      await sleep(100);
      text = aofText(r.dataDir);
    }
    expect(text).toContain('durable-key-everysec');
  });

  it('fsyncs every write with appendfsync always, and the data survives a restart', async () => {
    const dir = tempDir();
    const first = new EmbeddedRedis({ dataDir: dir, appendfsync: 'always', supervise: false });
    servers.push(first);
    await first.start();
    const c = client(first);
    expect(await c.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    await c.set('durable-key-always', 'v2');
    expect(aofText(dir)).toContain('durable-key-always');
    await first.stop();
    const second = new EmbeddedRedis({ dataDir: dir, appendfsync: 'always', supervise: false });
    servers.push(second);
    await second.start();
    expect(await client(second).get('durable-key-always')).toBe('v2');
  });

  it('restarts a supervised child killed with SIGKILL, on the same port, with its data', async () => {
    const r = await launch({ supervise: true, appendfsync: 'always' });
    const c = client(r);
    await c.set('before-crash', 'yes');
    const pid = r.pid!;
    process.kill(pid, 'SIGKILL');
    let restarted = false;
    for (let i = 0; i < 100 && !restarted; i++) {
      await sleep(100);
      restarted = r.pid !== undefined && r.pid !== pid && (await c.ping().catch(() => '')) === 'PONG';
    }
    expect(restarted).toBe(true);
    expect(alive(pid)).toBe(false);
    expect(await c.get('before-crash')).toBe('yes');
  });

  it('stops the child on shutdown', async () => {
    const r = await launch();
    const pid = r.pid!;
    expect(alive(pid)).toBe(true);
    await r.stop();
    expect(alive(pid)).toBe(false);
    const probe = new Redis({ port: r.port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => {});
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  it('keeps nothing on disk when ephemeral (tests, benchmarks)', async () => {
    const r = await launch({ ephemeral: true });
    await client(r).set('k', 'v');
    expect(existsSync(join(r.dataDir, 'appendonlydir'))).toBe(false);
  });

  it('says plainly how to install redis-server when the binary is missing', async () => {
    const r = new EmbeddedRedis({ dataDir: tempDir(), binary: '/nonexistent/redis-server' });
    const err = await r.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisNotInstalledError);
    expect((err as Error).message).toContain('apt-get install -y redis-server');
    expect((err as Error).message).toContain('REDIS_URL');
  });

  it('listens on a unix socket when asked', async () => {
    const r = await launch({ unixSocket: true, ephemeral: true });
    expect(r.socketPath).toBe(join(r.dataDir, 'redis.sock'));
    expect(await client(r).ping()).toBe('PONG');
  });
});
