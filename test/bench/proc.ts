import { readFileSync } from 'node:fs';
import { cpus, totalmem, release, type } from 'node:os';
import { spawnSync, type ChildProcess } from 'node:child_process';

/** Linux clock ticks per second (USER_HZ); 100 on every mainstream distribution. */
const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process in seconds, from /proc/<pid>/stat (fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may contain spaces; fields after its closing parenthesis are fixed
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Asks a child to exit (`ask`: a signal or a message), waits up to `graceMs` for it, then SIGKILLs
 * it. The timer is cleared on exit, so a child that leaves in time does not keep the bench alive
 * for the rest of the grace period (it did: 15 s after the summary, every run).
 */
export function stopChild(child: ChildProcess, ask: () => void, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    ask();
  });
}

/** CPU use of several processes over an interval, as cores (1.0 = one core busy the whole time). */
export class CpuMeter {
  private readonly start: Map<string, number>;
  private readonly t0 = performance.now();

  constructor(private readonly pids: Record<string, number>) {
    this.start = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  stop(): Record<string, number> {
    const elapsed = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      try {
        out[name] = (cpuSeconds(pid) - this.start.get(name)!) / elapsed;
      } catch {
        out[name] = 0; // the process ended meanwhile
      }
    }
    return out;
  }
}

export function machineInfo(redisVersion: string): { cpuModel: string; cores: number; memoryGiB: number; node: string; redis: string; os: string } {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: redisVersion,
    os: `${type()} ${release()}`,
  };
}
