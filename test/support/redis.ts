import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { inject } from 'vitest';
import { Redis } from 'ioredis';

/** Port of the test run's redis-server (started in global-setup.ts). */
export function testRedisPort(): number {
  return inject('redisPort');
}

/** A key prefix no other test uses, so tests can run in parallel against one Redis. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export function testRedisClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: testRedisPort(), lazyConnect: false, maxRetriesPerRequest: 1 });
}

/**
 * Every command the test Redis runs, as [command, ...first arguments] (quoted MONITOR lines parsed
 * here). A plain socket rather than ioredis's `monitor()`: under the load of other test files on
 * the same Redis, ioredis 6 took monitor lines arriving with MONITOR's own +OK for replies and
 * failed with "Command queue state error". Resolves once monitoring has started.
 */
export async function watchRedisCommands(onCommand: (args: string[]) => void): Promise<{ stop(): void }> {
  const socket = connect(testRedisPort(), '127.0.0.1');
  await once(socket, 'connect');
  let buffered = '';
  let started = false;
  let ready!: () => void;
  const monitoring = new Promise<void>((r) => (ready = r));
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!started) {
        started = line === '+OK';
        if (started) ready();
        continue;
      }
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].slice(0, 4).map((m) => m[1]!);
      if (args.length > 0) onCommand(args);
    }
  });
  socket.write('MONITOR\r\n');
  await monitoring;
  return { stop: () => socket.destroy() };
}
