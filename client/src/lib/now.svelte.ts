/**
 * One shared 1-second ticker for clocks, ages and time-in-state. A single timer for the page
 * instead of one per tile keeps a TV's CPU idle between updates.
 */
class Ticker {
  ms = $state(Date.now());
  constructor() {
    setInterval(() => (this.ms = Date.now()), 1000);
  }
}
export const now = new Ticker();
