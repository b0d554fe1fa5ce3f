import type { SessionInfo } from '../../../shared/realtime/events.ts';
import { SocketClient } from './socket.ts';

/** Connection state of the page's socket, observed by every view (STALE) and the header. */
class Connection {
  connected = $state(false);
  session = $state.raw<SessionInfo | null>(null);
  /** server clock minus this device's clock, from the session's serverTime (a TV's own clock is
   * often wrong); null before the first session */
  serverOffsetMs = $state<number | null>(null);
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
        this.serverOffsetMs = Date.parse(info.serverTime) - Date.now();
      },
      onAuthError: (code) => (this.authError = code),
    });
    return this.client;
  }
}

export const connection = new Connection();
