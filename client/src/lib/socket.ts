import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  AckErrorCode,
  ClientToServerEvents,
  ServerToClientEvents,
  SessionInfo,
  ViewPayload,
  ViewSpecInput,
} from '../../../shared/realtime/events.ts';
import { currentToken } from './auth.ts';

export type AppSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type Listener = {
  spec: ViewSpecInput;
  onPayload: (payload: ViewPayload, kind: 'snapshot' | 'update') => void;
  /** the server's answer to each subscription: an error code when it refused the view, else null */
  onAnswer?: (error: AckErrorCode | null) => void;
  viewId: string | null;
};

/**
 * The one typed Socket.IO connection of the page. Views register here; on every (re)connect each
 * registered view is subscribed again and the server answers with a full snapshot, so a screen
 * resyncs by itself after any outage. Connection state is reported to one observer (the
 * connection store), which turns figures STALE.
 */
export class SocketClient {
  readonly socket: AppSocket;
  private readonly listeners = new Set<Listener>();

  constructor(handlers: {
    onConnected(): void;
    onDisconnected(): void;
    onSession(info: SessionInfo): void;
    onAuthError(code: string): void;
  }) {
    this.socket = io({
      path: '/socket.io',
      transports: ['websocket'],
      // read at every (re)connect so a new sign-in applies without a reload
      auth: (cb) => cb({ token: currentToken() ?? '' }),
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
    });
    this.socket.on('connect', () => {
      handlers.onConnected();
      for (const l of this.listeners) this.subscribe(l);
    });
    this.socket.on('disconnect', (reason) => {
      handlers.onDisconnected();
      // a server shutting down disconnects its sockets; Socket.IO leaves those to the app to retry
      if (reason === 'io server disconnect') setTimeout(() => this.socket.connect(), 1000);
    });
    this.socket.on('connect_error', (err) => {
      handlers.onDisconnected();
      if (err.message === 'unauthorized' || err.message === 'forbidden') handlers.onAuthError(err.message);
    });
    this.socket.on('session:established', (info) => handlers.onSession(info));
    this.socket.on('view:snapshotted', (p) => this.dispatch(p, 'snapshot'));
    this.socket.on('view:updated', (p) => this.dispatch(p, 'update'));
  }

  /** keep a view subscribed (across reconnects) until the returned function is called */
  watch(spec: ViewSpecInput, onPayload: Listener['onPayload'], onAnswer?: Listener['onAnswer']): () => void {
    const l: Listener = { spec, onPayload, viewId: null, ...(onAnswer ? { onAnswer } : {}) };
    this.listeners.add(l);
    if (this.socket.connected) this.subscribe(l);
    return () => {
      this.listeners.delete(l);
      if (l.viewId && this.socket.connected && ![...this.listeners].some((o) => o.viewId === l.viewId)) {
        this.socket.emit('view:unsubscribe', { viewId: l.viewId }, () => {});
      }
    };
  }

  reconnect(): void {
    this.socket.disconnect().connect();
  }

  private subscribe(l: Listener): void {
    this.socket.emit('view:subscribe', l.spec, (res: Ack<{ viewId: string }>) => {
      if (res.ok) l.viewId = res.viewId;
      else console.warn('view:subscribe refused', res.error);
      l.onAnswer?.(res.ok ? null : res.error);
    });
  }

  private dispatch(p: ViewPayload, kind: 'snapshot' | 'update'): void {
    for (const l of this.listeners) if (l.viewId === p.viewId) l.onPayload(p, kind);
  }
}
