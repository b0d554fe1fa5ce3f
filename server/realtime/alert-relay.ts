import type { AlertChange } from '../../shared/contract/alerts.ts';
import { centerRoom } from '../../shared/realtime/events.ts';
import type { IO } from './hub.ts';

/** How long the first change of a center waits for company before it goes out. */
const windowMs = 50;

/**
 * Alert changes → `alert:changed` to the screens of each center connected to this process, one
 * message per center per window instead of one per change.
 *
 * Why: one evaluation that finds a traffic spike raises (or resolves) an alert per queue, and
 * each message is one frame written to every screen of the center. Measured in the benchmark's
 * 1,000-screen room: 12 alerts raised in one evaluation were 12 fan-outs of ≈ 22 ms each, ≈ 260 ms
 * during which ingest requests and view pushes waited. An evaluation publishes its changes one
 * after another over a few milliseconds, so a short window gathers them; 50 ms more on an alert's
 * way to the screen is nothing next to its own hysteresis. Changes keep their order, in a message
 * and between messages.
 */
export class AlertRelay {
  private readonly pending = new Map<string, AlertChange[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly io: IO) {}

  push(change: AlertChange): void {
    const center = change.alert.scope.center;
    const list = this.pending.get(center);
    if (list) list.push(change);
    else this.pending.set(center, [change]);
    this.timer ??= setTimeout(() => this.flush(), windowMs);
  }

  /** send what is pending now (also on close: nothing is dropped) */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const [center, changes] of this.pending) {
      // `local`: every process relays to its own sockets (each learns of changes via Redis)
      this.io.local.to(centerRoom(center)).emit('alert:changed', changes);
    }
    this.pending.clear();
  }
}
