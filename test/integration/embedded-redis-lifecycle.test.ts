import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedRedis, freePort, procStat } from '../../server/redis/launcher.ts';

/**
 * The embedded redis-server's life follows the product's: `npm start` stopped from a terminal
 * (SIGINT to the whole foreground process group, once or twice), by SIGTERM (to the group, or to
 * the npm process a supervisor started), or killed outright (kill -9) never leaves a Redis running
 * on its DATA_DIR, never lets a second one start beside it, and a second product on the same
 * DATA_DIR is refused. The product runs here exactly as an operator runs it: `npm start` in a
 * process group of its own (as a terminal's foreground job). Redis processes are told by their
 * working directory: redis-server chdirs into its `dir`, so /proc/<pid>/cwd is its `CONFIG GET dir`.
 */

const repoRoot = resolve(import.meta.dirname, '../..');
/** a product start-up (npm, tsx, the app, Redis) takes seconds, and much longer on a loaded box */
const startTimeoutMs = 150_000;

const dirs: string[] = [];
const products: Product[] = [];
const clients: { disconnect(): void }[] = [];

function tempDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wallboard-lifecycle-'));
  dirs.push(d);
  return d;
}
const redisDir = (dataDir: string) => join(dataDir, 'redis');

function pids(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}
const alive = (pid: number) => {
  const s = procStat(pid);
  return s !== undefined && s[0] !== 'Z';
};

/** redis-server processes running with `dir` as their data directory */
function redisOn(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const real = realpathSync(dir);
  return pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server' && readlinkSync(`/proc/${pid}/cwd`) === real && alive(pid);
    } catch {
      return false;
    }
  });
}

/** live members of a process group (a group id is not reused while it has members) */
function groupMembers(pgid: number): number[] {
  return pids().filter((pid) => {
    const s = procStat(pid);
    return s !== undefined && s[0] !== 'Z' && Number(s[2]) === pgid;
  });
}
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

function aofText(dir: string): string {
  const aofDir = join(dir, 'appendonlydir');
  if (!existsSync(aofDir)) return '';
  return readdirSync(aofDir)
    .filter((f) => f.endsWith('.aof'))
    .map((f) => readFileSync(join(aofDir, f), 'utf8'))
    .join('');
}

function redisClient(port: number): Redis {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

interface Product {
  npm: ChildProcess;
  /** the process group: npm leads it, as a terminal's foreground job */
  pgid: number;
  base: string;
  dataDir: string;
  output(): string;
}

/** `npm start` with a clean environment (nothing from the developer's shell decides the outcome) */
function startProduct(dataDir: string, port: number): Product {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  for (const name of ['CONFIG', 'INGEST_TOKENS', 'REDIS_URL', 'REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_DURABILITY', 'REDIS_SERVER_BIN', 'NODE_OPTIONS']) {
    delete env[name];
  }
  const npm = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output += d.toString());
  npm.stdout!.on('data', keep);
  npm.stderr!.on('data', keep);
  const product = { npm, pgid: npm.pid!, base: `http://127.0.0.1:${port}`, dataDir, output: () => output };
  products.push(product);
  return product;
}
const exited = (p: Product) => p.npm.exitCode !== null || p.npm.signalCode !== null;

async function ready(p: Product): Promise<void> {
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited(p)) throw new Error(`npm start exited during start-up:\n${p.output()}`);
    const status = await fetch(`${p.base}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`not ready within ${startTimeoutMs} ms:\n${p.output()}`);
    await sleep(200);
  }
}

/** the server's own node process (under npm; the tsx CLI, if any, runs it with --import) */
function serverPid(p: Product): number {
  const pid = groupMembers(p.pgid).find((m) => /server\/server\.ts/.test(cmdline(m)) && cmdline(m).includes('--import'));
  if (pid === undefined) throw new Error(`no server process in group ${p.pgid}:\n${p.output()}`);
  return pid;
}
function redisPortOf(p: Product): number {
  const ports = [...p.output().matchAll(/embedded redis-server ready at redis:\/\/127\.0\.0\.1:(\d+)/g)];
  if (ports.length === 0) throw new Error(`no embedded redis-server in the output:\n${p.output()}`);
  return Number(ports.at(-1)![1]);
}

/** npm has exited and nothing of its process group runs any more */
async function finished(p: Product, timeoutMs = 90_000): Promise<void> {
  await until(`npm start (group ${p.pgid}) to exit`, () => exited(p) && groupMembers(p.pgid).length === 0, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}; left: ${groupMembers(p.pgid).map((m) => `${m} ${cmdline(m)}`).join('; ')}\n${p.output()}`);
  });
}

/**
 * An ingest request the server has begun (it answered `100 Continue`, so it parsed the headers)
 * whose body is held back until finish(): a batch in flight when the signal comes.
 */
async function inFlightIngest(base: string, id: string): Promise<{ finish(): void; response: Promise<{ status: number; body: string }> }> {
  const body = Buffer.from(JSON.stringify([{ id, type: 'agent.state', ts: Date.now(), agentId: 'lifecycle-agent', state: 'available' }]));
  const req = request(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length, expect: '100-continue' },
  });
  const response = new Promise<{ status: number; body: string }>((resolveResponse, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const started = new Promise<void>((resolveStart, reject) => {
    req.once('continue', resolveStart);
    req.once('error', reject);
  });
  req.flushHeaders();
  await started;
  req.write(body.subarray(0, 10));
  return { finish: () => req.end(body.subarray(10)), response };
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  // whatever a failed test left: its process groups, then every redis-server on its directories
  for (const p of products.splice(0)) {
    if (groupMembers(p.pgid).length > 0) process.kill(-p.pgid, 'SIGKILL');
  }
  for (const d of dirs.splice(0)) {
    const left = redisOn(redisDir(d));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    await until('the test redis-servers to die', () => left.every((pid) => !alive(pid)), 10_000).catch(() => undefined);
    rmSync(d, { recursive: true, force: true });
  }
});

// each test starts the product once or twice: minutes on a loaded machine
describe.skipIf(!existsSync('/proc/self/stat'))('npm start and its embedded Redis', { timeout: 400_000 }, () => {
  it(
    'Ctrl-C (SIGINT to the process group) with a wall connected and a batch in flight: the batch is answered, then Redis stops and saves; nothing left',
    async () => {
      const dataDir = tempDataDir();
      const p = startProduct(dataDir, await freePort());
      await ready(p);
      expect(redisOn(redisDir(dataDir))).toHaveLength(1);
      const wall: Socket = connect(p.base, { transports: ['websocket'], reconnection: false, forceNew: true });
      clients.push(wall);
      expect(await wall.timeout(30_000).emitWithAck('view:subscribe', { kind: 'board', board: 'default' })).toMatchObject({ ok: true });
      const batch = await inFlightIngest(p.base, 'lifecycle-ctrl-c');

      process.kill(-p.pgid, 'SIGINT');
      await until('the shutdown to begin', () => p.output().includes('shutting down: finishing in-flight requests'), 30_000);
      batch.finish();
      expect(await batch.response).toMatchObject({ status: 200, body: expect.stringContaining('"accepted":1') });
      await finished(p);
      expect(redisOn(redisDir(dataDir))).toEqual([]);
      expect(p.output()).toContain('embedded Redis stopped');
      expect(aofText(redisDir(dataDir))).toContain('lifecycle-ctrl-c');
    },
  );

  it(
    'Ctrl-C again while it is still shutting down (a batch in flight): nothing left',
    async () => {
      const dataDir = tempDataDir();
      const p = startProduct(dataDir, await freePort());
      await ready(p);
      const batch = await inFlightIngest(p.base, 'lifecycle-twice');
      batch.response.catch(() => undefined);
      process.kill(-p.pgid, 'SIGINT');
      await until('the shutdown to begin', () => p.output().includes('shutting down: finishing in-flight requests'), 30_000);
      process.kill(-p.pgid, 'SIGINT');
      await sleep(2000);
      batch.finish();
      await finished(p);
      // a press soon after the first is the same Ctrl-C: a clean stop; a later one exits at once,
      // and the exit hook sends Redis SIGTERM — it stops by itself a moment later
      await until('no redis-server on the directory', () => redisOn(redisDir(dataDir)).length === 0, 15_000).catch(() => undefined);
      expect(redisOn(redisDir(dataDir))).toEqual([]);
    },
  );

  it(
    'SIGTERM to the process group: nothing left',
    async () => {
      const dataDir = tempDataDir();
      const p = startProduct(dataDir, await freePort());
      await ready(p);
      process.kill(-p.pgid, 'SIGTERM');
      await finished(p);
      expect(redisOn(redisDir(dataDir))).toEqual([]);
      expect(p.output()).toContain('embedded Redis stopped');
    },
  );

  it(
    'SIGTERM to the npm process alone (a supervisor knowing one pid): it reaches the server; nothing left',
    async () => {
      const dataDir = tempDataDir();
      const p = startProduct(dataDir, await freePort());
      await ready(p);
      p.npm.kill('SIGTERM');
      await finished(p);
      expect(redisOn(redisDir(dataDir))).toEqual([]);
      expect(p.output()).toContain('embedded Redis stopped');
    },
  );

  it(
    'kill -9 of the server: the next start never runs two Redis on the directory, and the data is still there',
    async () => {
      const dataDir = tempDataDir();
      const first = startProduct(dataDir, await freePort());
      await ready(first);
      const [oldRedis] = redisOn(redisDir(dataDir));
      expect(oldRedis).toBeDefined();
      await redisClient(redisPortOf(first)).set('lifecycle:before-kill-9', 'kept');

      process.kill(serverPid(first), 'SIGKILL');
      await until('the killed server to be gone', () => exited(first), 30_000);
      // started at once: the old Redis may still run, or be shutting down
      let most = 0;
      const sampler = setInterval(() => (most = Math.max(most, redisOn(redisDir(dataDir)).length)), 20);
      try {
        const second = startProduct(dataDir, await freePort());
        await ready(second);
        await sleep(500);
        clearInterval(sampler);
        expect(most).toBe(1);
        const now = redisOn(redisDir(dataDir));
        expect(now).toHaveLength(1);
        expect(now[0]).not.toBe(oldRedis);
        expect(alive(oldRedis!)).toBe(false);
        expect(await redisClient(redisPortOf(second)).get('lifecycle:before-kill-9')).toBe('kept');
        second.npm.kill('SIGTERM');
        await finished(second);
        expect(redisOn(redisDir(dataDir))).toEqual([]);
      } finally {
        clearInterval(sampler);
      }
    },
  );

  it(
    'two starts at once on one DATA_DIR: one runs, the other is refused naming the directory and the pid holding it',
    async () => {
      const dataDir = tempDataDir();
      const a = startProduct(dataDir, await freePort());
      const b = startProduct(dataDir, await freePort());
      const up = async (p: Product) => ready(p).then(
        () => true,
        () => false,
      );
      // each either comes up or exits; the refused one exits at once
      const [aUp, bUp] = await Promise.all([up(a), up(b)]);
      const [winner, loser] = aUp && !bUp ? [a, b] : bUp && !aUp ? [b, a] : [undefined, undefined];
      expect(winner, `exactly one start must run (a: ${aUp}, b: ${bUp}):\n--- a\n${a.output()}\n--- b\n${b.output()}`).toBeDefined();
      await finished(loser!);
      expect(loser!.npm.exitCode).not.toBe(0);
      const holder = serverPid(winner!);
      expect(loser!.output()).toContain(`The data directory ${redisDir(dataDir)} is in use by another wallboard process (pid ${holder}`);
      expect(redisOn(redisDir(dataDir))).toHaveLength(1);
      winner!.npm.kill('SIGTERM');
      await finished(winner!);
      expect(redisOn(redisDir(dataDir))).toEqual([]);
    },
  );
});

/** A redis-server on `dir` as an older launcher left it: its parent gone (it now belongs to init). */
async function leftoverRedis(dir: string): Promise<{ pid: number; port: number }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', "''", '--daemonize', 'no', '--loglevel', 'warning'];
  const r = spawnSync('sh', ['-c', `redis-server ${args.join(' ')} >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  const c = redisClient(port);
  await until('the leftover redis-server to answer', () => c.status === 'ready', 15_000);
  return { pid, port };
}

describe.skipIf(!existsSync('/proc/self/stat'))('the launcher on a DATA_DIR another Redis or process holds', () => {
  const launchers: EmbeddedRedis[] = [];
  afterEach(async () => {
    for (const l of launchers.splice(0)) await l.stop();
  });
  const launcher = (dataDir: string, log: string[] = []) => {
    const l = new EmbeddedRedis({ dataDir, supervise: false, log: (_level, msg) => log.push(msg) });
    launchers.push(l);
    return l;
  };

  it('a redis-server left without a lock file by a gone process: shut down cleanly (its data kept) before one starts', async () => {
    const dir = redisDir(tempDataDir());
    const old = await leftoverRedis(dir);
    await redisClient(old.port).set('lifecycle:leftover', 'kept');
    const l = launcher(dir);
    await l.start();
    expect(alive(old.pid)).toBe(false);
    expect(redisOn(dir)).toEqual([l.pid]);
    expect(await redisClient(l.port).get('lifecycle:leftover')).toBe('kept');
  });

  it('a stale lock (its process gone) naming a redis-server still running: that one is shut down first', async () => {
    const dir = redisDir(tempDataDir());
    const old = await leftoverRedis(dir);
    await redisClient(old.port).set('lifecycle:stale-lock', 'kept');
    const gone = spawnSync('true').pid!;
    writeFileSync(join(dir, 'embedded-redis.lock'), JSON.stringify({ pid: gone, start: '1', redisPid: old.pid, redisStart: procStat(old.pid)![19] }));
    const log: string[] = [];
    const l = launcher(dir, log);
    await l.start();
    expect(alive(old.pid)).toBe(false);
    expect(log.join('\n')).toContain(`a redis-server (pid ${old.pid}) still runs on ${dir}, left by wallboard process ${gone} that is gone`);
    expect(redisOn(dir)).toEqual([l.pid]);
    expect(await redisClient(l.port).get('lifecycle:stale-lock')).toBe('kept');
    expect(JSON.parse(readFileSync(join(dir, 'embedded-redis.lock'), 'utf8'))).toMatchObject({ pid: process.pid, redisPid: l.pid });
  });

  it('a redis-server on the directory whose parent is a live node process is not touched: the start is refused', async () => {
    const dir = redisDir(tempDataDir());
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const other = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'no', '--save', ''], { stdio: 'ignore' });
    try {
      const c = redisClient(port);
      await until('that redis-server to answer', () => c.status === 'ready', 15_000);
      await expect(launcher(dir).start()).rejects.toThrow(`The data directory ${dir} is in use by another wallboard process (pid ${process.pid}, its redis-server pid ${other.pid})`);
      expect(alive(other.pid!)).toBe(true);
      expect(redisOn(dir)).toEqual([other.pid]);
      expect(existsSync(join(dir, 'embedded-redis.lock'))).toBe(false);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a second launcher on a held directory is refused; once the first stops, the directory is free again', async () => {
    const dir = redisDir(tempDataDir());
    const first = launcher(dir);
    await first.start();
    await expect(launcher(dir).start()).rejects.toThrow(`The data directory ${dir} is in use by another wallboard process (pid ${process.pid}, its redis-server pid ${first.pid})`);
    expect(redisOn(dir)).toEqual([first.pid]);
    await first.stop();
    expect(existsSync(join(dir, 'embedded-redis.lock'))).toBe(false);
    const next = launcher(dir);
    await next.start();
    expect(redisOn(dir)).toEqual([next.pid]);
  });
});
