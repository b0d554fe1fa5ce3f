import fp from 'fastify-plugin';
import type { IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { AlertChange } from '../../shared/contract/alerts.ts';
import {
  acknowledgeAlertMessage,
  centerRoom,
  unsubscribeMessage,
  viewIdOf,
  viewSpec,
  type AckErrorCode,
  type ClientToServerEvents,
  type InterServerEvents,
  type LeadViewSpec,
  type ServerToClientEvents,
  type SocketData,
} from '../../shared/realtime/events.ts';
import { roleSatisfies } from '../auth/tokens.ts';
import { checkLeadScope, checkSpec } from './compute.ts';
import { AlertRelay } from './alert-relay.ts';
import { ViewHub, type IO } from './hub.ts';
import { connectedScreensGauge } from './gauge.ts';

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AlertAcknowledger = (alertId: string, by: string, note: string | undefined) => Promise<'ok' | 'unknown_alert'>;

export interface Realtime {
  io: IO;
  hub: ViewHub;
  /** relay an alert change to the screens of its center connected to this process (gathered
   * with the changes around it into one `alert:changed` message, see alert-relay.ts) */
  emitAlertChange(change: AlertChange): void;
  /** the alerts plugin registers how `alert:acknowledge` is carried out */
  setAlertAcknowledger(fn: AlertAcknowledger): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    realtime: Realtime;
  }
}

const maxViewsPerSocket = 16;
/** client messages per socket per second before `rate_limited` */
const maxMessagesPerSec = 20;

/**
 * Socket.IO on the Fastify HTTP server. Screens subscribe to views; the hub computes each view
 * once per process and broadcasts to its room. Recomputes are triggered by the engine's
 * `ingested` pub/sub channel, so every process sharing the Redis learns of every event.
 */
export const realtimePlugin = fp(
  async (app) => {
    const allowedOrigins = new Set(app.config.realtime.allowedOrigins.map((o) => new URL(o).origin));
    const io: IO = new Server(app.server, {
      path: '/socket.io',
      serveClient: false,
      transports: ['websocket'],
      perMessageDeflate: false,
      httpCompression: false,
      // a dead TV is noticed within 20 s server-side; screens detect silence themselves after 10 s
      pingInterval: 10_000,
      pingTimeout: 10_000,
      maxHttpBufferSize: 64 * 1024,
      allowRequest: (req, callback) => callback(null, originAllowed(req, allowedOrigins)),
    });
    const hub = new ViewHub(app, io);
    const alertRelay = new AlertRelay(io);
    let acknowledger: AlertAcknowledger | null = null;

    io.use((socket, next) => {
      const auth: unknown = socket.handshake.auth;
      const token = typeof auth === 'object' && auth && typeof (auth as { token?: unknown }).token === 'string' ? (auth as { token: string }).token : undefined;
      const principal = app.tokens.resolve(token);
      if (!principal) return next(new Error('unauthorized'));
      if (principal.role === 'ingest') return next(new Error('forbidden'));
      socket.data = { role: principal.role, name: principal.name, devMode: principal.devMode };
      next();
    });

    /** a lead view's unknown team or queue; none when Redis cannot tell now: the view is then
     * joined and shows STALE until its figures can be read, as any view in an outage */
    const leadScopeProblem = async (spec: LeadViewSpec) => {
      try {
        return await checkLeadScope(app, spec);
      } catch (err) {
        app.log.warn({ err: (err as Error).message }, 'lead view team/queue check failed');
        return null;
      }
    };

    io.on('connection', (socket: AppSocket) => {
      socket.emit('session:established', { ...socket.data, serverTime: new Date(app.clock.now()).toISOString() });
      const allow = rateLimiter();

      socket.on('view:subscribe', async (raw, ack) => {
        const reply = replier(ack);
        if (!allow()) return reply({ ok: false, error: 'rate_limited' });
        const parsed = viewSpec.safeParse(raw);
        if (!parsed.success) return reply({ ok: false, error: 'invalid_message' });
        const spec = parsed.data;
        if (spec.kind === 'lead' && !roleSatisfies(socket.data.role, 'lead')) return reply({ ok: false, error: 'forbidden' });
        const problem = checkSpec(app, spec) ?? (spec.kind === 'lead' ? await leadScopeProblem(spec) : null);
        if (problem) return reply({ ok: false, error: problem });
        const viewId = viewIdOf(spec);
        const joined = [...socket.rooms].filter((r) => hub.has(r));
        if (!joined.includes(viewId) && joined.length >= maxViewsPerSocket) return reply({ ok: false, error: 'rate_limited' });
        // join first: an update computed meanwhile reaches this screen too, the snapshot follows
        await socket.join([viewId, centerRoom(spec.center)]);
        // gone while its scope was checked (Redis slow, console reloaded): Socket.IO made the join a
        // no-op, and a view created now would have no room to empty and compute for nobody forever
        if (!socket.connected) return;
        const view = hub.view(viewId, spec);
        reply({ ok: true, viewId });
        try {
          socket.emit('view:snapshotted', await view.snapshot());
        } catch {
          // engine or Redis unavailable: the heartbeat retries and the screen shows STALE meanwhile
        }
      });

      socket.on('view:unsubscribe', async (raw, ack) => {
        const reply = replier(ack);
        if (!allow()) return reply({ ok: false, error: 'rate_limited' });
        const parsed = unsubscribeMessage.safeParse(raw);
        if (!parsed.success) return reply({ ok: false, error: 'invalid_message' });
        if (!socket.rooms.has(parsed.data.viewId) || !hub.has(parsed.data.viewId)) return reply({ ok: false, error: 'unknown_view' });
        await socket.leave(parsed.data.viewId);
        hub.release(parsed.data.viewId);
        reply({ ok: true });
      });

      socket.on('alert:acknowledge', async (raw, ack) => {
        const reply = replier(ack);
        if (!allow()) return reply({ ok: false, error: 'rate_limited' });
        const parsed = acknowledgeAlertMessage.safeParse(raw);
        if (!parsed.success) return reply({ ok: false, error: 'invalid_message' });
        if (!roleSatisfies(socket.data.role, 'lead')) return reply({ ok: false, error: 'forbidden' });
        if (!acknowledger) return reply({ ok: false, error: 'not_available' });
        try {
          const outcome = await acknowledger(parsed.data.alertId, socket.data.name, parsed.data.note);
          reply(outcome === 'ok' ? { ok: true } : { ok: false, error: 'unknown_alert' });
        } catch (err) {
          app.log.warn({ err: (err as Error).message }, 'alert acknowledge failed');
          reply({ ok: false, error: 'unavailable' });
        }
      });

      socket.on('disconnecting', () => {
        const rooms = [...socket.rooms];
        // rooms are left after this event; release on the next tick when the room sizes are final
        setImmediate(() => rooms.forEach((r) => hub.release(r)));
      });
    });

    // --- trigger: the engine's pub/sub after each ingest
    const subscriber = app.redis.duplicate({ enableOfflineQueue: true, lazyConnect: true, maxRetriesPerRequest: null });
    subscriber.on('error', (err) => app.log.warn({ err: err.message }, 'realtime subscriber error'));
    const channelPrefix = `{${app.keys.prefix}:`;
    const channelSuffix = '}:ingested';
    subscriber.on('pmessage', (_pattern, channel) => {
      if (!channel.startsWith(channelPrefix) || !channel.endsWith(channelSuffix)) return;
      hub.centerChanged(channel.slice(channelPrefix.length, -channelSuffix.length));
    });
    // after a Redis outage the screens may have missed events: recompute everything once
    subscriber.on('ready', () => hub.tick());
    await subscriber.connect();
    await subscriber.psubscribe(app.keys.ingestedPattern());

    if (app.background) hub.startHeartbeat();
    const unregisterGauge = connectedScreensGauge(app, io);

    app.decorate('realtime', {
      io,
      hub,
      emitAlertChange(change: AlertChange) {
        alertRelay.push(change);
      },
      setAlertAcknowledger(fn: AlertAcknowledger) {
        acknowledger = fn;
      },
    } satisfies Realtime);

    app.addHook('preClose', async () => {
      hub.close();
      alertRelay.flush();
      // closing the transports (not a server-side disconnect) makes screens reconnect by themselves,
      // to this process when it is back or to another one behind the load balancer
      io.engine.close();
    });
    app.addHook('onClose', async () => {
      unregisterGauge();
      await subscriber.quit().catch(() => subscriber.disconnect());
    });
  },
  { name: 'realtime', dependencies: ['auth', 'redis'] },
);

/**
 * Cross-site WebSocket hijacking guard: a browser always sends Origin; it must be this server's
 * own origin (same host as the request) or a configured one. Non-browser clients (the benchmark,
 * producers' tools) send none and are judged by their token alone.
 */
export function originAllowed(req: IncomingMessage, allowed: Set<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (allowed.has(parsed.origin)) return true;
  return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host === req.headers.host;
}

type Reply = (res: { ok: true; viewId?: string } | { ok: false; error: AckErrorCode }) => void;

/** a client may omit the ack callback; then answers are simply dropped */
function replier(ack: unknown): Reply {
  return typeof ack === 'function' ? (res) => (ack as (r: unknown) => void)(res) : () => {};
}

function rateLimiter(): () => boolean {
  let windowStart = 0;
  let count = 0;
  return () => {
    const now = performance.now();
    if (now - windowStart > 1000) {
      windowStart = now;
      count = 0;
    }
    return ++count <= maxMessagesPerSec;
  };
}
