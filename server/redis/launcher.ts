import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
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

export class EmbeddedRedis {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
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

  async start(): Promise<void> {
    const binary = this.opts.binary ?? 'redis-server';
    if (!redisServerAvailable(binary)) throw new RedisNotInstalledError(binary);
    mkdirSync(this.dataDir, { recursive: true });
    if (this.opts.unixSocket) this.socketPath = join(this.dataDir, 'redis.sock');
    else this.port = this.opts.port || (await freePort());
    await this.spawnChild();
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
    // The cost: a SIGKILLed parent leaves Redis running, so a normal exit still kills it below.
    const child = spawn(this.opts.binary ?? 'redis-server', this.args(), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
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

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
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
