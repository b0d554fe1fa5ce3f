import type { SessionInfo } from '../../../shared/realtime/events.ts';
import { SocketClient } from './socket.ts';
import { syncServerClock, type ServerClock } from './now.svelte.ts';

/** Connection state of the page's socket, observed by every view (STALE) and the header. */
class Connection {
  connected = $state(false);
  session = $state.raw<SessionInfo | null>(null);
  /** the server's clock, from the session's serverTime at every (re)connect (a TV's own clock is
   * often wrong); read it with `serverNow` (now.svelte.ts); null before the first session */
  serverClock = $state.raw<ServerClock | null>(null);
  authError = $state<string | null>(null);
  private client: SocketClient | null = null;

  /** the socket, opened on first use (after the token has been taken from the URL) */
  get socket(): SocketClient {
    this.client ??= new SocketClient({
      onConnected: () => {
        this.connected = true;
        this.authError = null;
      },
      onDisconnected: () => (this.connected = false),
      onSession: (info) => {
        this.session = info;
        this.serverClock = syncServerClock(info.serverTime);
      },
      onAuthError: (code) => (this.authError = code),
    });
    return this.client;
  }
}

export const connection = new Connection();
