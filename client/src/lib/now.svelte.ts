/**
 * One shared 1-second ticker for clocks, ages and time-in-state. A single timer for the page
 * instead of one per tile keeps a TV's CPU idle between updates.
 *
 * Two clocks tick together: `ms` is the device's wall clock (Date.now: what a clock shows, once the
 * connection's server offset is added), `mono` the monotonic one (performance.now: never stepped
 * by NTP or a user, so "how long since the last payload" cannot run backwards).
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
 */
export function elapsedSince(a: Arrival): number {
  return Math.max(0, now.mono - a.mono, now.ms - a.wall);
}
