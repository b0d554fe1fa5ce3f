import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Launches and supervises a private `redis-server` child. The product uses it when REDIS_URL is
 * not set; the tests and the benchmark use the very same launcher on a free port, so a fresh
 * machine, CI and a developer laptop all run against a real Redis started the same way.
 */
export interface EmbeddedRedisOptions {
  /** directory for AOF files; created if missing */
  dataDir: string;
  /** "everysec" loses at most ~1 s of writes on power loss; "always" fsyncs every write */
  appendfsync?: 'everysec' | 'always';
  /** persistence off (tests, benchmarks): nothing written to disk */
  ephemeral?: boolean;
  /** 0 = pick a free loopback port */
  port?: number;
  unixSocket?: boolean;
  binary?: string;
  /** restart the child if it dies (product); tests turn this off */
  supervise?: boolean;
  /** extra `--name value` arguments */
  extraArgs?: string[];
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export class RedisNotInstalledError extends Error {
  override name = 'RedisNotInstalledError';
  constructor(binary: string) {
    super(
      `redis-server was not found (tried "${binary}").\n` +
        `  The wallboard keeps its rolling windows in Redis and, with no REDIS_URL set, starts its own.\n` +
        `  Install it:  Debian/Ubuntu: sudo apt-get install -y redis-server   macOS: brew install redis\n` +
        `  or point REDIS_URL at an existing Redis 7 (e.g. REDIS_URL=redis://127.0.0.1:6379).`,
    );
  }
}

/**
 * Another live process runs the embedded Redis on this data directory. Two redis-server processes
 * appending to one AOF corrupt it, so a second start is refused instead.
 */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    detail = '',
  ) {
    super(
      `The data directory ${dataDir} is in use by another wallboard process (pid ${pid}${detail}).\n` +
        `  Its embedded Redis keeps its files there, and a second Redis on the same files would corrupt them.\n` +
        `  Stop that process first (kill -TERM ${pid}), or give this one its own DATA_DIR.`,
    );
  }
}

export function redisServerAvailable(binary = 'redis-server'): boolean {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The lock a running launcher keeps in its data directory: who runs the embedded Redis there. */
export const LOCK_FILE = 'embedded-redis.lock';

interface LockInfo {
  /** the process running the launcher, and when it started (a reused pid is another process) */
  pid: number;
  start?: string;
  /** its redis-server, once spawned: a start after a kill -9 of that process finds it here */
  redisPid?: number;
  redisStart?: string;
  url?: string;
  since?: string;
}

const procfs = existsSync('/proc/self/stat');

/** "pid (comm) state ppid … starttime …" from /proc: the fields after comm (which may hold spaces) */
export function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Identifies a running process's start, so a pid reused by another process is not taken for it:
 * the start time in clock ticks on Linux (/proc/<pid>/stat), `ps -o lstart=` elsewhere ('?' when
 * ps cannot tell about a process that exists). undefined = no such process (a zombie is gone).
 */
function processStartId(pid: number): string | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (procfs) {
    const fields = procStat(pid);
    // fields[0] is field 3 of stat (state), so starttime (field 22) is fields[19]
    return !fields || fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  }
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  const r = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  return (r.status === 0 && r.stdout.trim()) || '?';
}

function sameProcess(pid: number, start: string | undefined): boolean {
  const now = processStartId(pid);
  return now !== undefined && (start === undefined || now === '?' || now === start);
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * redis-server processes whose working directory — Redis's `dir` — is `dir` (Linux: /proc; elsewhere
 * only the lock file tells). Finds one left by a launcher without a lock file (an older version).
 */
function redisServersIn(dir: string, binary: string): { pid: number; ppid: number }[] {
  if (!procfs) return [];
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return [];
  }
  const names = new Set(['redis-server', basename(binary).slice(0, 15)]);
  const found: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (!names.has(readFileSync(`/proc/${entry}/comm`, 'utf8').trim())) continue;
      if (readlinkSync(`/proc/${entry}/cwd`) !== real) continue;
      const fields = procStat(Number(entry));
      if (fields && fields[0] !== 'Z') found.push({ pid: Number(entry), ppid: Number(fields[1]) });
    } catch {
      // gone meanwhile, or another user's process
    }
  }
  return found;
}

/** the lock file's content and inode; undefined when there is none (unreadable content: info undefined) */
function readLock(path: string): { info: LockInfo | undefined; ino: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const ino = fstatSync(fd).ino;
    let info: LockInfo | undefined;
    try {
      const parsed = JSON.parse(readFileSync(fd, 'utf8')) as LockInfo;
      if (Number.isInteger(parsed?.pid)) info = parsed;
    } catch {
      // not JSON: no process can be told from it, so it counts as stale
    }
    return { info, ino };
  } finally {
    closeSync(fd);
  }
}

let pdeathsig: boolean | undefined;
/**
 * The parent-death watchdog: `setpriv --pdeathsig TERM` (util-linux, Linux) sets the kernel's
 * parent-death signal and execs redis-server, so Redis gets SIGTERM — its clean shutdown, as
 * SHUTDOWN — when the process that spawned it dies in any way (kill -9, the OOM killer, a
 * wrapper's SIGKILL). The "parent" is the spawning thread: spawn from the main thread only.
 * Without setpriv: [] (the next start stops a leftover Redis instead).
 */
function parentDeathWatchdog(): string[] {
  pdeathsig ??= process.platform === 'linux' && spawnSync('setpriv', ['--pdeathsig', 'TERM', '--', 'true']).status === 0;
  return pdeathsig ? ['setpriv', '--pdeathsig', 'TERM', '--'] : [];
}

export class EmbeddedRedis {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private lockHeld = false;
  private ownStart: string | undefined;
  port = 0;
  socketPath: string | undefined;
  readonly dataDir: string;

  constructor(private readonly opts: EmbeddedRedisOptions) {
    this.dataDir = resolve(opts.dataDir);
  }

  get url(): string {
    return this.socketPath ? `redis+unix://${this.socketPath}` : `redis://127.0.0.1:${this.port}`;
  }

  /** ioredis connection options for this server */
  get connection(): { path: string } | { host: string; port: number } {
    return this.socketPath ? { path: this.socketPath } : { host: '127.0.0.1', port: this.port };
  }

  /** `$dataDir/embedded-redis.lock`: JSON {pid, start, redisPid, redisStart, url} of the holder */
  get lockPath(): string {
    return join(this.dataDir, LOCK_FILE);
  }

  /**
   * Takes the data directory (refused with DataDirInUseError while another live process holds
   * it), stops a redis-server still running there from a process that is gone, then starts its own.
   */
  async start(): Promise<void> {
    const binary = this.opts.binary ?? 'redis-server';
    if (!redisServerAvailable(binary)) throw new RedisNotInstalledError(binary);
    mkdirSync(this.dataDir, { recursive: true });
    this.stopping = false;
    const stale = this.takeLock();
    try {
      await this.stopLeftovers(stale, binary);
      if (this.opts.unixSocket) this.socketPath = join(this.dataDir, 'redis.sock');
      else this.port = this.opts.port || (await freePort());
      await this.spawnChild();
    } catch (err) {
      this.stopping = true;
      await this.stopChild();
      this.releaseLock();
      throw err;
    }
  }

  /**
   * Takes the lock file or throws DataDirInUseError naming the live process holding it. The file
   * appears whole (a hard link to a complete temporary file; the link fails if the name exists), so
   * of two starts at once exactly one gets it and the other reads who did. A lock whose process is
   * gone (kill -9, OOM, power loss) is stale: it is moved aside, and dropped only if it is still the
   * file judged stale (same inode): of two starts racing over one stale lock, the second puts back
   * what it moved and finds the first one's live lock. Returns the last stale lock's content, whose
   * redis-server may still run.
   */
  private takeLock(): LockInfo | undefined {
    this.ownStart ??= processStartId(process.pid);
    let stale: LockInfo | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      const tmp = `${this.lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, JSON.stringify(this.lockInfo()));
      try {
        linkSync(tmp, this.lockPath);
        this.lockHeld = true;
        return stale;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        rmSync(tmp, { force: true });
      }
      const current = readLock(this.lockPath);
      if (!current) continue;
      const holder = current.info;
      if (holder && sameProcess(holder.pid, holder.start)) {
        throw new DataDirInUseError(this.dataDir, holder.pid, holder.redisPid ? `, its redis-server pid ${holder.redisPid}` : '');
      }
      const aside = `${this.lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(this.lockPath, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw e;
      }
      if (statSync(aside).ino === current.ino) {
        stale = holder ?? stale;
      } else {
        // another start's fresh lock, made between the look and the move: put it back
        try {
          linkSync(aside, this.lockPath);
        } catch {
          // a third start took the name meanwhile; the next round reads who holds it
        }
      }
      rmSync(aside, { force: true });
    }
    throw new Error(`could not take the lock ${this.lockPath}: it kept changing (several starts on one DATA_DIR?)`);
  }

  private lockInfo(): LockInfo {
    const child = this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child : undefined;
    const redisStart = child?.pid === undefined ? undefined : processStartId(child.pid);
    return {
      pid: process.pid,
      ...(this.ownStart ? { start: this.ownStart } : {}),
      ...(child?.pid !== undefined ? { redisPid: child.pid, url: this.url } : {}),
      ...(redisStart ? { redisStart } : {}),
      since: new Date().toISOString(),
    };
  }

  /** records the current redis-server in the lock (replaced whole: a reader sees old or new) */
  private writeLock(): void {
    if (!this.lockHeld) return;
    const tmp = `${this.lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify(this.lockInfo()));
    renameSync(tmp, this.lockPath);
  }

  private releaseLock(): void {
    if (!this.lockHeld) return;
    this.lockHeld = false;
    if (readLock(this.lockPath)?.info?.pid === process.pid) rmSync(this.lockPath, { force: true });
  }

  /**
   * A redis-server still running on this directory (its launcher was killed, or an older version
   * without the lock left it) is shut down cleanly — SIGTERM runs Redis's SHUTDOWN: the AOF is
   * flushed and fsynced — and waited for, before a new one starts on the same files. Adopting it
   * instead would keep a server this process cannot supervise (not its child: no exit event, no
   * watchdog) with another process's settings. One whose parent is a live node process belongs to
   * a running wallboard without the lock: this start is refused.
   */
  private async stopLeftovers(stale: LockInfo | undefined, binary: string): Promise<void> {
    const leftovers = new Map<number, string | undefined>();
    // only with its start time: a bare pid may since belong to an unrelated process
    if (stale?.redisPid !== undefined && stale.redisStart !== undefined && sameProcess(stale.redisPid, stale.redisStart)) {
      leftovers.set(stale.redisPid, stale.redisStart);
    }
    for (const { pid, ppid } of redisServersIn(this.dataDir, binary)) {
      if (leftovers.has(pid)) continue;
      if (ppid > 1 && (ppid === process.pid || processName(ppid) === 'node')) {
        throw new DataDirInUseError(this.dataDir, ppid, `, its redis-server pid ${pid}`);
      }
      leftovers.set(pid, processStartId(pid));
    }
    for (const [pid, start] of leftovers) {
      this.opts.log?.(
        'warn',
        `a redis-server (pid ${pid}) still runs on ${this.dataDir}${stale ? `, left by wallboard process ${stale.pid} that is gone` : ''}: ` +
          'shutting it down cleanly (SIGTERM = SHUTDOWN: the AOF is flushed) before starting a new one',
      );
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      const deadline = Date.now() + 30_000;
      while (sameProcess(pid, start)) {
        if (Date.now() > deadline) {
          throw new Error(
            `the redis-server left running on ${this.dataDir} (pid ${pid}) did not stop within 30 s of SIGTERM; ` +
              `stop it (redis-cli -p <port> SHUTDOWN) and start again`,
          );
        }
        await sleep(50);
      }
    }
  }

  private args(): string[] {
    const persistence = this.opts.ephemeral
      ? ['--appendonly', 'no', '--save', '']
      : ['--appendonly', 'yes', '--appendfsync', this.opts.appendfsync ?? 'everysec', '--save', ''];
    const listen = this.socketPath
      ? ['--port', '0', '--unixsocket', this.socketPath, '--unixsocketperm', '700']
      : ['--port', String(this.port), '--bind', '127.0.0.1'];
    return [
      ...listen,
      '--dir',
      this.dataDir,
      ...persistence,
      '--protected-mode',
      'yes',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      // A contact's record keeps its applied contribution as one string of a few hundred bytes;
      // above the default 64-byte limit every contact hash becomes a hashtable. 1 KiB keeps them
      // compact (engine-micro: used_memory 14.5 -> 11.0 MB for the same events, CPU unchanged).
      '--hash-max-listpack-value',
      '1024',
      // A 10 s hash of 1 s counter buckets holds up to ten fields per counter: above 64 entries
      // every increment's two linear scans (read, then write) cost more than a hashtable's lookup.
      // Captured ingest batches under callgrind: 129.9k → 120.4k Redis instructions per event for
      // 7 % more used_memory (32 entries: 118.7k for 15 % more; 128 is Redis's default).
      '--hash-max-listpack-entries',
      '64',
      ...(this.opts.extraArgs ?? []),
    ];
  }

  private async spawnChild(): Promise<void> {
    // Own process group: Ctrl-C in a terminal signals the whole foreground group, and Redis must
    // not die before the server has finished its in-flight batches; stop() shuts it down last.
    // The cost: Redis does not die with the group. So a normal exit (process.exit, an uncaught
    // error) stops it below, the parent-death watchdog (setpriv, Linux) stops it when this process
    // is killed outright, and failing both, the next start on this directory stops it (start).
    const binary = this.opts.binary ?? 'redis-server';
    const [command, ...prefix] = [...parentDeathWatchdog(), binary];
    const child = spawn(command!, [...prefix, ...this.args()], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.writeLock();
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.on('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return;
      this.opts.log?.('error', `embedded redis-server exited (code ${code}, signal ${signal}): ${output.trim().slice(-500)}`);
      if (this.opts.supervise) {
        this.restarts++;
        const delay = Math.min(5000, 200 * 2 ** Math.min(this.restarts, 5));
        this.opts.log?.('warn', `restarting embedded redis-server in ${delay} ms (restart #${this.restarts})`);
        setTimeout(() => {
          if (!this.stopping) this.spawnChild().catch((e) => this.opts.log?.('error', String(e)));
        }, delay).unref();
      }
    });
    await this.waitReady(child, () => output);
    this.opts.log?.('info', `embedded redis-server ready at ${this.url} (data: ${this.dataDir})`);
  }

  private async waitReady(child: ChildProcess, output: () => string): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server failed to start: ${output().trim().slice(-800)}`);
      const args = this.socketPath ? ['-s', this.socketPath, 'ping'] : ['-p', String(this.port), 'ping'];
      if (this.socketPath ? existsSync(this.socketPath) : true) {
        const r = spawnSync('redis-cli', args, { encoding: 'utf8', timeout: 2000 });
        if (r.stdout?.trim() === 'PONG') return;
        if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
          // no redis-cli: fall back to a TCP/socket probe through ioredis-free net connect
          if (await this.probe()) return;
        }
      }
      await sleep(50);
    }
    throw new Error(`redis-server did not become ready within 15 s: ${output().trim().slice(-800)}`);
  }

  private async probe(): Promise<boolean> {
    const { connect } = await import('node:net');
    return new Promise((res) => {
      const sock = this.socketPath ? connect(this.socketPath) : connect(this.port, '127.0.0.1');
      sock.once('connect', () => {
        sock.write('PING\r\n');
      });
      sock.once('data', (d) => {
        sock.destroy();
        res(d.toString().startsWith('+PONG'));
      });
      sock.once('error', () => res(false));
    });
  }

  /** pid of the current child (tests kill it to check supervision) */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops Redis (SIGTERM: it flushes the AOF and exits) and gives the data directory back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.stopChild();
    this.releaseLock();
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((res) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        res();
      });
      // SIGTERM makes redis-server flush the AOF and exit cleanly.
      child.kill('SIGTERM');
    });
  }
}
