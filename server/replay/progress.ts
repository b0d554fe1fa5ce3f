/**
 * Progress on stderr (stdout stays for the summary). On a TTY one redrawn line with a bar, events
 * sent/total, rate and ETA; elsewhere (CI logs, pipes) a plain line every few seconds, because a
 * carriage-return bar turns a log file into noise.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export class ProgressReporter {
  private startedAt = 0;
  private lastDrawAt = -Infinity;
  private drewOnTty = false;
  private lastDrawnSent = -1;

  constructor(
    private readonly out: ProgressStream,
    private readonly total: number,
    private readonly now: () => number = Date.now,
    private readonly lineEveryMs = 5000,
    /**
     * When the last event is due (a paced replay, `--speed N`): the events' own times set the end,
     * not the send rate, which swings with the source's traffic (a day's night hours send nothing for
     * hours, then the morning comes). Absent for `--speed max`.
     */
    private readonly lastDueAt?: number,
  ) {}

  start(): void {
    this.startedAt = this.now();
    if (!this.out.isTTY) this.out.write(`replay: sending ${fmt(this.total)} events\n`);
  }

  update(sent: number): void {
    const t = this.now();
    const interval = this.out.isTTY ? 100 : this.lineEveryMs;
    if (t - this.lastDrawAt < interval && sent < this.total) return;
    this.lastDrawAt = t;
    this.draw(sent, t);
  }

  finish(sent: number): void {
    if (sent !== this.lastDrawnSent) this.draw(sent, this.now());
    if (this.drewOnTty) this.out.write('\n');
  }

  private draw(sent: number, t: number): void {
    this.lastDrawnSent = sent;
    const line = progressLine(sent, this.total, t - this.startedAt, this.lastDueAt === undefined ? undefined : this.lastDueAt - t);
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - line.length - 4));
      const filled = this.total === 0 ? width : Math.round((sent / this.total) * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${line}\u001b[K`);
      this.drewOnTty = true;
    } else {
      this.out.write(`replay: ${line}\n`);
    }
  }
}

/**
 * `scheduledLeftMs`: for a paced replay, the time until its last event is due; the ETA is then the
 * later of that and what the send rate gives (the rate alone said "ETA 3s" for a day replayed at
 * 1×, whose evening was still hours away).
 */
export function progressLine(sent: number, total: number, elapsedMs: number, scheduledLeftMs?: number): string {
  const rate = elapsedMs > 0 ? (sent / elapsedMs) * 1000 : 0;
  const left = total - sent;
  const byRate = rate > 0 ? (left / rate) * 1000 : undefined;
  const etaMs = scheduledLeftMs === undefined ? byRate : Math.max(byRate ?? 0, scheduledLeftMs);
  const eta = etaMs !== undefined ? `ETA ${duration(etaMs)}` : 'ETA –';
  return `${fmt(sent)}/${fmt(total)} events  ${fmt(Math.round(rate))} ev/s  ${left === 0 ? `done in ${duration(elapsedMs)}` : eta}`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
