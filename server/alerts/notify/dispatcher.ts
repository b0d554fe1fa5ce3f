import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertsConfig, NotificationAttempt, NotificationChannel } from '../../../shared/contract/alerts.ts';
import { buildRequest, emailContent, responseError, type Notification } from './payloads.ts';

export type AttemptRecord = Omit<NotificationAttempt, 'id'>;

interface Job {
  channel: NotificationChannel;
  notification: Notification;
  attempt: number;
}

export interface DispatcherOptions {
  notify: AlertsConfig['notify'];
  smtp?: AlertsConfig['smtp'];
  now(): number;
  record(attempt: AttemptRecord): Promise<void>;
  log: { warn(obj: object, msg: string): void };
  /** tests inject a transport (nodemailer JSON transport) */
  mailTransport?: Transporter;
}

/**
 * Sends notifications off the evaluation path: `enqueue` returns at once, a bounded in-memory
 * queue feeds a few concurrent senders, failures retry with exponential backoff (base·2ⁿ, capped).
 * A dead endpoint therefore costs queue slots, never evaluation time; when the queue is full the
 * oldest job is dropped (and recorded as dropped) — recent alerts matter more than stale repeats.
 * Trade-off: queued jobs live in memory, so a process crash loses pending retries (the attempt
 * stream shows what was sent); the next re-notify round covers an unacknowledged critical.
 */
export class NotificationDispatcher {
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private waitingRetry = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private mail: Transporter | undefined;

  constructor(private readonly opts: DispatcherOptions) {
    this.mail = opts.mailTransport ?? (opts.smtp ? createSmtp(opts.smtp) : undefined);
  }

  enqueue(channel: NotificationChannel, notification: Notification): void {
    if (this.closed) return;
    this.push({ channel, notification, attempt: 1 });
  }

  get pending(): number {
    return this.queue.length + this.inFlight + this.waitingRetry.size;
  }

  /** resolves when nothing is queued, sending or waiting to retry */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.waitingRetry) clearTimeout(t);
    this.waitingRetry.clear();
    this.queue.length = 0;
    this.settle();
  }

  private push(job: Job): void {
    if (this.queue.length >= this.opts.notify.maxQueue) {
      const dropped = this.queue.shift()!;
      void this.record(dropped, 'dropped', null, 'notification queue full');
    }
    this.queue.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.opts.notify.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.inFlight++;
      void this.run(job).finally(() => {
        this.inFlight--;
        this.pump();
        this.settle();
      });
    }
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }

  private async run(job: Job): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    try {
      status = await this.send(job);
    } catch (err) {
      error = (err as Error).message || String(err);
      status = (err as { status?: number }).status ?? null;
    }
    if (error === null) return this.record(job, 'sent', status, null);
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.opts.notify;
    if (job.attempt >= maxAttempts || this.closed) return this.record(job, 'failed', status, error);
    await this.record(job, 'retrying', status, error);
    const delay = Math.min(backoffBaseMs * 2 ** (job.attempt - 1), backoffMaxMs);
    const timer = setTimeout(() => {
      this.waitingRetry.delete(timer);
      this.push({ ...job, attempt: job.attempt + 1 });
      this.settle();
    }, delay);
    timer.unref?.();
    this.waitingRetry.add(timer);
  }

  private async send(job: Job): Promise<number | null> {
    const { channel, notification } = job;
    if (channel.type === 'email') {
      if (!this.mail) throw new Error('email channel configured but alerts.smtp is not');
      const { subject, text } = emailContent(notification);
      await this.mail.sendMail({ from: this.opts.smtp?.from ?? 'wallboard@localhost', to: channel.to, subject, text });
      return null;
    }
    const req = buildRequest(channel, notification, this.opts.now());
    const res = await fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(this.opts.notify.timeoutMs),
    });
    const text = await res.text().catch(() => '');
    const problem = responseError(channel.type, res.status, text);
    if (problem) throw Object.assign(new Error(problem), { status: res.status });
    return res.status;
  }

  private async record(job: Job, outcome: AttemptRecord['outcome'], status: number | null, error: string | null) {
    try {
      await this.opts.record({
        at: new Date(this.opts.now()).toISOString(),
        alertId: job.notification.alert.id,
        kind: job.notification.kind,
        level: job.notification.level,
        channel: job.channel.id,
        channelType: job.channel.type,
        attempt: job.attempt,
        outcome,
        status,
        error,
      });
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'could not record notification attempt');
    }
  }
}

function createSmtp(smtp: NonNullable<AlertsConfig['smtp']>): Transporter {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
  });
}
