import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, ViewPayload } from '../../shared/realtime/events.ts';
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
  | { kind: 'collect'; batches: { seq: number; sentAt: number; events: number }[] }
  | { kind: 'close' };

type Screen = Socket<ServerToClientEvents, ClientToServerEvents>;
interface ScreenState {
  socket: Screen;
  updates: [number, number][];
  last: ViewPayload | null;
}

const wallNow = (): number => performance.timeOrigin + performance.now();
const screens: ScreenState[] = [];

function send(msg: unknown): void {
  process.send!(msg);
}

async function connectOne(url: string, token: string, center: string, board: string): Promise<ScreenState> {
  const socket: Screen = io(url, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false, timeout: 60_000 });
  const state: ScreenState = { socket, updates: [], last: null };
  const onPayload = (p: ViewPayload) => {
    state.updates.push([p.seq, wallNow()]);
    state.last = p;
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
      for (const s of screens) s.updates = [];
      send({ kind: 'reset' });
      return;
    case 'status':
      send({
        kind: 'status',
        minLastSeq: Math.min(...screens.map((s) => s.last?.seq ?? -1)),
        disconnected: screens.filter((s) => !s.socket.connected).length,
        disagreeing: disagreeingScreens(),
        last: screens[0]?.last ?? null,
      });
      return;
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
      const disagreeing = disagreeingScreens();
      const lastSeqs = screens.map((s) => s.last?.seq ?? -1);
      send({
        kind: 'collected',
        histogram: hist.toJSON(),
        undelivered,
        samples,
        disagreeing,
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

/** screens whose last figures differ from the first screen's (a broadcast still being delivered, or a real divergence) */
function disagreeingScreens(): number {
  const first = screens[0]?.last ?? null;
  const reference = first ? JSON.stringify({ seq: first.seq, rows: first.rows }) : '';
  return screens.filter((s) => !s.last || JSON.stringify({ seq: s.last.seq, rows: s.last.rows }) !== reference).length;
}

process.on('message', (msg: WorkerMessage) => {
  onMessage(msg).catch((err: Error) => send({ kind: 'error', message: err.stack ?? err.message }));
});
send({ kind: 'hello' });
