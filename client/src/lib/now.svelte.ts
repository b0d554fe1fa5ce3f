/**
 * One shared 1-second ticker for clocks, ages and time-in-state. A single timer for the page
 * instead of one per tile keeps a TV's CPU idle between updates.
 *
 * Two clocks tick together: `ms` is the device's wall clock (Date.now), `mono` the monotonic one
 * (performance.now: never stepped by NTP or a user, so "how long since the last payload" cannot run
 * backwards, and the server's time, `serverNow`, runs on it from the last sync).
 */
class Ticker {
  ms = $state(Date.now());
  mono = $state(performance.now());
  constructor() {
    setInterval(() => {
      this.ms = Date.now();
      this.mono = performance.now();
    }, 1000);
  }
}
export const now = new Ticker();

/** A moment of arrival on both clocks (see `elapsedSince`). */
export interface Arrival {
  wall: number;
  mono: number;
}

export function arrivalNow(): Arrival {
  return { wall: Date.now(), mono: performance.now() };
}

/**
 * Time since `a`, as of the ticker's last tick. Measured on the monotonic clock, so a device clock
 * stepped back (NTP correction, a TV's wrong clock being set) cannot keep old figures looking live.
 * The wall clock is consulted too and the longer of the two wins: on a laptop that slept, the
 * monotonic clock may stand still while asleep, and the figures must not look fresh on waking.
 * The price: a device clock stepped forward looks the same (after a sleep, too, the monotonic clock
 * and the timers tick on normally), so it shows STALE, aged by the step, until the next payload.
 */
export function elapsedSince(a: Arrival): number {
  return Math.max(0, now.mono - a.mono, now.ms - a.wall);
}

/**
 * The server's clock as read at a moment of this device's monotonic clock: the session's
 * `serverTime`, taken at every (re)connect (connection.svelte.ts).
 */
export interface ServerClock {
  serverMs: number;
  mono: number;
}

export function syncServerClock(serverTime: string): ServerClock {
  return { serverMs: Date.parse(serverTime), mono: performance.now() };
}

/**
 * The server's time as of the ticker's last tick: the last sync advanced by the monotonic clock, so
 * a device clock stepped after the sync (NTP, a user setting a TV's clock) moves neither the header
 * clock nor an agent's time in state. Before the first sync, the device's clock. A laptop's
 * monotonic clock may stand still while it sleeps: the clock then runs behind by the sleep until
 * the socket reconnects after waking, which syncs again.
 */
export function serverNow(clock: ServerClock | null): number {
  return clock ? clock.serverMs + Math.max(0, now.mono - clock.mono) : now.ms;
}
