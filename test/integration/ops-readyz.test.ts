import { afterEach, describe, expect, it } from 'vitest';
import { appOnOwnRedis } from '../support/own-redis-app.ts';

/** /readyz takes the instance out of the load balancer when Redis does not answer, even if it is up. */
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('/readyz', () => {
  it('answers 503 within seconds while its Redis is up but does not answer (stopped with SIGSTOP)', async () => {
    const own = await appOnOwnRedis('readyz', 'display-token-0123456789');
    const pid = own.redis.pid!;
    cleanup = async () => {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await own.close();
    };
    expect((await fetch(`${own.url}/readyz`)).status).toBe(200);
    process.kill(pid, 'SIGSTOP');
    const started = Date.now();
    let status: number | string;
    try {
      status = (await fetch(`${own.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
    } catch (err) {
      status = `no answer after ${Date.now() - started} ms (${(err as Error).name})`;
    }
    expect(status).toBe(503);
    process.kill(pid, 'SIGCONT');
    expect((await fetch(`${own.url}/readyz`)).status).toBe(200);
  }, 30_000);
});
