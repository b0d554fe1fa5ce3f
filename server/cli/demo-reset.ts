import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

/**
 * `npm run demo` starts its center from nothing on every run.
 *
 * Each run simulates a new floor (a new seed, new contact ids) and posts the last two hours of it.
 * Data left by an earlier run would otherwise stay in the same windows: its contacts would count
 * beside the new run's (offered about doubled), and the contacts it left in the queue when it was
 * stopped would never get an exit, so the board would show them waiting for up to
 * `waitingTimeoutMin` (a "longest wait" of half an hour on a calm demo floor).
 *
 * It runs before the server is built (server.ts `beforeBuild`): the engine then writes the config's
 * queue map again, and no alert is evaluated or screen served from the old run in between.
 * Only demo data is removed: a center is cleared when its meta hash says a demo simulator fed it
 * (`demoAt`). A center holding other data (the demo pointed at a real Redis with REDIS_URL; the
 * demo's center id is `default`) is refused with DemoResetRefused and left untouched.
 * Alert rules and history live under another hash tag and stay; an alert still open for the demo
 * center resolves at the next evaluation once its subject is gone.
 */
export class DemoResetRefused extends Error {}

export interface DemoResetOutcome {
  /** keys removed (0: no event had been ingested there) */
  removed: number;
}

export async function resetDemoCenter(redis: Redis, keys: Keys, center: string): Promise<DemoResetOutcome> {
  const meta = await redis.hgetall(keys.meta(center));
  // `seq` counts the center's accepted events: without it nothing was ever ingested there (a
  // started server has written only the config's queue map and meta, which it writes again)
  if (meta.seq === undefined) return { removed: 0 };
  if (meta.demoAt === undefined) {
    throw new DemoResetRefused(
      `center "${center}" holds ${meta.seq} events that no demo simulator posted (no demoAt in ${keys.meta(center)}); ` +
        'the demo will not clear them or add simulated events to them. Run the demo on its own Redis (unset REDIS_URL) ' +
        'or give it another center in its config.',
    );
  }
  const pattern = `${globEscape(keys.center(center))}:*`;
  let removed = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    // UNLINK frees the memory in Redis's background thread: a long demo run's keys go without
    // blocking the server that is about to serve the new run
    if (batch.length > 0) removed += await redis.unlink(...batch);
  } while (cursor !== '0');
  return { removed };
}

/** a literal for a Redis MATCH pattern (glob: * ? [ ] and \ are special) */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
