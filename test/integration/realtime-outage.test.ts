import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appOnOwnRedis } from '../support/own-redis-app.ts';
import type { ClientToServerEvents, ServerToClientEvents, ViewPayload } from '../../shared/realtime/events.ts';

/**
 * a screen that joins a view while its recomputes fail (Redis down) must not be handed
 * the last figures computed before the outage as a fresh snapshot. The client judges STALE by the
 * arrival time of a payload (client/src/lib/view.svelte.ts), so such a snapshot would be shown as
 * current: the server reuses a payload for a joining screen only while the recompute that made it
 * is under a second old (hub.ts), failed recomputes not counting.
 */
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const displayToken = 'display-token-0123456789';

let redis: EmbeddedRedis;
let app: FastifyInstance;
let url: string;
let close: () => Promise<void>;
const sockets: ClientSocket[] = [];

function open(): ClientSocket {
  const s: ClientSocket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
  sockets.push(s);
  return s;
}

function nextSnapshot(s: ClientSocket, timeoutMs: number): Promise<ViewPayload | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    s.once('view:snapshotted', (p) => {
      clearTimeout(timer);
      resolve(p);
    });
  });
}

beforeAll(async () => {
  ({ app, url, redis, close } = await appOnOwnRedis('outage', displayToken));
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await close?.();
});

describe('a screen joining while its view cannot be recomputed (Redis down)', () => {
  it('is not sent the pre-outage figures as a fresh snapshot', async () => {
    // TV 1 keeps the view alive in this process
    const tv1 = open();
    const first = nextSnapshot(tv1, 5000);
    expect(await tv1.emitWithAck('view:subscribe', { kind: 'board', board: 'default' })).toMatchObject({ ok: true });
    const before = await first;
    expect(before).not.toBeNull();

    await redis.stop();
    // the heartbeat now recomputes (and fails) every ~0.5 s; no payload reaches tv1
    await sleep(6000);

    // TV 2 powers on / reloads / reconnects after a Wi-Fi blip
    const tv2 = open();
    await new Promise<void>((r) => tv2.once('connect', () => r()));
    const snapshot = nextSnapshot(tv2, 3000);
    expect(await tv2.emitWithAck('view:subscribe', { kind: 'board', board: 'default' })).toMatchObject({ ok: true });
    const got = await snapshot;
    const serverNow = app.clock.now();
    if (got) {
      const ageMs = serverNow - Date.parse(got.asOf);
      console.log(`tv2 snapshot: asOf ${got.asOf} (${ageMs} ms before server now), seq ${got.seq}; pre-outage asOf ${before!.asOf}`);
      // anything sent as a snapshot must describe "now" (the heartbeat bound), not the pre-outage state
      expect(ageMs).toBeLessThan(5000);
    }
  }, 30_000);
});
