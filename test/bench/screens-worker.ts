import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, ViewPayload } from '../../shared/realtime/events.ts';
import { figuresOf } from './screens.ts';
import { LatencyHistogram, matchDeliveries } from './stats.ts';

/**
 * A process holding many real Socket.IO screens (websocket transport, like the wall client). It
 * records, for every screen, the ingest `seq` of each payload and when it arrived; the bench's
 * main process sends back which seq each producer batch got, and the worker turns the pairs into
 * a latency histogram. Driven over the IPC channel of `child_process.fork`.
 */
type WorkerMessage =
  | { kind: 'connect'; url: string; token: string; count: number; center: string; board: string }
  | { kind: 'reset' }
  | { kind: 'status' }
  | { kind: 'holding'; seq: number; asOf: string; figures: string }
  | { kind: 'collect'; batches: { seq: number; sentAt: number; events: number }[] }
  | { kind: 'close' };

type Screen = Socket<ServerToClientEvents, ClientToServerEvents>;
interface ScreenState {
  socket: Screen;
  updates: [number, number][];
  last: ViewPayload | null;
  /** the last few payloads, so a screen that already moved on to the next heartbeat can still be
   * compared on the one the check is about */
  recent: ViewPayload[];
}

/** payloads kept per screen: a heartbeat comes every 5 s, so 3 span ≥ 10 s of delivery */
const keptPayloads = 3;

const wallNow = (): number => performance.timeOrigin + performance.now();
const screens: ScreenState[] = [];

function send(msg: unknown): void {
  process.send!(msg);
}

async function connectOne(url: string, token: string, center: string, board: string): Promise<ScreenState> {
  const socket: Screen = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false, timeout: 60_000 });
  const state: ScreenState = { socket, updates: [], last: null, recent: [] };
  const onPayload = (p: ViewPayload) => {
    state.updates.push([p.seq, wallNow()]);
    state.last = p;
    state.recent.push(p);
    if (state.recent.length > keptPayloads) state.recent.shift();
  };
  socket.on('view:updated', onPayload);
  socket.on('view:snapshotted', onPayload);
  await new Promise<void>((resolveConnect, reject) => {
    socket.once('connect', () => resolveConnect());
    socket.once('connect_error', (err) => reject(err));
  });
  const ack = await socket.timeout(60_000).emitWithAck('view:subscribe', { kind: 'board', center, board });
  if (!ack.ok) throw new Error(`subscribe refused: ${ack.error}`);
  return state;
}

async function onMessage(msg: WorkerMessage): Promise<void> {
  switch (msg.kind) {
    case 'connect': {
      // in waves: a thousand simultaneous handshakes measure the accept queue, not the product
      const wave = 50;
      for (let i = 0; i < msg.count; i += wave) {
        const n = Math.min(wave, msg.count - i);
        screens.push(...(await Promise.all(Array.from({ length: n }, () => connectOne(msg.url, msg.token, msg.center, msg.board)))));
      }
      send({ kind: 'connected', count: screens.length });
      return;
    }
    case 'reset':
      for (const s of screens) {
        s.updates = [];
        s.recent = [];
      }
      send({ kind: 'reset' });
      return;
    case 'status':
      send({
        kind: 'status',
        minLastSeq: Math.min(...screens.map((s) => s.last?.seq ?? -1)),
        disconnected: screens.filter((s) => !s.socket.connected).length,
        last: screens[0]?.last ?? null,
      });
      return;
    case 'holding': {
      // of this process's screens: how many received the payload (seq, asOf), and how many of
      // those show other figures in it than the reference
      let received = 0;
      let differing = 0;
      for (const sc of screens) {
        const p = sc.recent.find((r) => r.seq === msg.seq && r.asOf === msg.asOf);
        if (!p) continue;
        received++;
        if (figuresOf(p) !== msg.figures) differing++;
      }
      send({ kind: 'holding', received, differing, screens: screens.length });
      return;
    }
    case 'collect': {
      const batches = [...msg.batches].sort((a, b) => a.seq - b.seq);
      const hist = new LatencyHistogram(0.5, 60_000);
      let undelivered = 0;
      let samples = 0;
      for (const s of screens) {
        undelivered += matchDeliveries(batches, s.updates, (ms, events) => {
          hist.add(ms, events);
          samples += events;
        });
      }
      const first = screens[0]?.last ?? null;
      const lastSeqs = screens.map((s) => s.last?.seq ?? -1);
      send({
        kind: 'collected',
        histogram: hist.toJSON(),
        undelivered,
        samples,
        minLastSeq: Math.min(...lastSeqs),
        last: first,
        disconnected: screens.filter((s) => !s.socket.connected).length,
      });
      return;
    }
    case 'close':
      for (const s of screens) s.socket.disconnect();
      send({ kind: 'closed' });
      setTimeout(() => process.exit(0), 100);
      return;
  }
}

process.on('message', (msg: WorkerMessage) => {
  onMessage(msg).catch((err: Error) => send({ kind: 'error', message: err.stack ?? err.message }));
});
send({ kind: 'hello' });
