import nodemailer, { type Transporter } from 'nodemailer';
import type { AlertState, AlertsConfig, NotificationAttempt, NotificationChannel } from '../../../shared/contract/alerts.ts';
import { buildRequest, emailContent, responseError, type Notification } from './payloads.ts';

export type AttemptRecord = Omit<NotificationAttempt, 'id'>;

interface Job {
  channel: NotificationChannel;
  notification: Notification;
  attempt: number;
}

export interface DispatcherOptions {
  notify: Omit<AlertsConfig['notify'], 'shutdownGraceMs'> & { shutdownGraceMs?: number };
  smtp?: AlertsConfig['smtp'];
  now(): number;
  record(attempt: AttemptRecord): Promise<void>;
  /**
   * The alert's state now (null: gone). Asked before each retry of a raised / escalated /
   * re-notify message, and before the first attempt of an escalated / re-notify one: one whose
   * alert resolved since is dropped (recorded, "superseded"), so a receiver never ends on "firing"
   * after "resolved". Absent: messages are sent as queued.
   */
  alertState?(alertId: string): Promise<AlertState | null>;
  log: { warn(obj: object, msg: string): void };
  /** tests inject a transport (nodemailer JSON transport) */
  mailTransport?: Transporter;
}

/** grace given on close() to what is queued or sending (notify.shutdownGraceMs overrides) */
export const defaultShutdownGraceMs = 5000;

/**
 * Sends notifications off the evaluation path: `enqueue` returns at once, a bounded in-memory
 * queue feeds a few concurrent senders, failures retry with exponential backoff (base·2ⁿ, capped).
 * A dead endpoint therefore costs queue slots, never evaluation time; when the queue is full the
 * oldest job is dropped (and recorded as dropped) — recent alerts matter more than stale repeats.
 * Each channel sends one message at a time, in order (a robot group reads "raised" before
 * "resolved"), so a stalled channel holds one sender, never the other channels' messages; every
 * send ends within notify.timeoutMs (fetch abort, SMTP timeouts, and a hard deadline). A failed
 * message keeps its channel's head while it waits for its retry (it frees its sender): later
 * messages of that channel wait behind it, at most until its attempts run out, so a stale
 * "warning" never arrives after the "critical" that followed it.
 * close() gives queued and in-flight jobs a bounded grace, then records what is left as dropped.
 * Trade-off: queued jobs live in memory, so a process crash loses pending retries (the attempt
 * stream shows what was sent); the next re-notify round covers an unacknowledged critical.
 */
export class NotificationDispatcher {
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private readonly busyChannels = new Set<string>();
  private readonly aborts = new Set<AbortController>();
  /** retries waiting for their back-off; each holds its channel (busyChannels) meanwhile */
  private readonly waitingRetry = new Map<NodeJS.Timeout, Job>();
  private idleWaiters: (() => void)[] = [];
  /** close() called: no new retries; `closed`: nothing more is sent */
  private closing = false;
  private closed = false;
  private closingDone: Promise<void> | undefined;
  private mail: Transporter | undefined;

  constructor(private readonly opts: DispatcherOptions) {
    this.mail = opts.mailTransport ?? (opts.smtp ? createSmtp(opts.smtp, opts.notify.timeoutMs) : undefined);
  }

  enqueue(channel: NotificationChannel, notification: Notification): void {
    const job = { channel, notification, attempt: 1 };
    if (this.closing) {
      void this.record(job, 'dropped', null, 'server stopping');
      return;
    }
    this.push(job);
  }

  get pending(): number {
    return this.queue.length + this.inFlight + this.waitingRetry.size;
  }

  /** resolves when nothing is queued, sending or waiting to retry */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stop: retries waiting for their back-off are cancelled and recorded as dropped; queued and
   * in-flight jobs get `graceMs` (notify.shutdownGraceMs, default 5 s) to finish; then every job
   * still queued is recorded as dropped ("server stopping") and sends still running are aborted
   * (recorded the same way). The next re-notify round covers an unacknowledged critical.
   */
  close(graceMs = this.opts.notify.shutdownGraceMs ?? defaultShutdownGraceMs): Promise<void> {
    this.closingDone ??= this.shutdown(graceMs);
    return this.closingDone;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const cancelled = [...this.waitingRetry];
    for (const [t, job] of cancelled) {
      clearTimeout(t);
      this.busyChannels.delete(job.channel.id); // what is queued behind it gets the grace
    }
    this.waitingRetry.clear();
    const records = cancelled.map(([, job]) => this.record({ ...job, attempt: job.attempt + 1 }, 'dropped', null, 'server stopping (retry not sent)'));
    this.pump();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.closed = true;
    for (const job of this.queue.splice(0)) records.push(this.record(job, 'dropped', null, 'server stopping'));
    for (const c of this.aborts) c.abort(new Error('server stopping'));
    // aborted sends settle (and record) at once; do not wait on a send that ignores its abort
    await Promise.race([this.drain(), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    await Promise.all(records);
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

  /**
   * the oldest job of a channel that is neither sending nor holding a retry, while senders are
   * free (a retry due goes back at the head of the queue, so it is its channel's oldest)
   */
  private pump(): void {
    while (!this.closed && this.inFlight < this.opts.notify.concurrency) {
      const i = this.queue.findIndex((j) => !this.busyChannels.has(j.channel.id));
      if (i < 0) return;
      const [job] = this.queue.splice(i, 1) as [Job];
      this.inFlight++;
      this.busyChannels.add(job.channel.id);
      let holdsChannel = false;
      void this.run(job)
        .then((retrying) => (holdsChannel = retrying))
        .finally(() => {
          this.inFlight--;
          if (!holdsChannel) this.busyChannels.delete(job.channel.id);
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

  /** true: a retry is scheduled and holds the job's channel until it is due */
  private async run(job: Job): Promise<boolean> {
    // retries, and escalations / re-notifies from their first attempt (a reminder queued behind a
    // slow message, or made just before another process resolved the alert, is stale when due)
    const recheck = job.attempt > 1 || job.notification.kind === 'escalated' || job.notification.kind === 'renotify';
    if (recheck && (await this.superseded(job))) return false;
    let status: number | null = null;
    let error: string | null = null;
    const abort = new AbortController();
    this.aborts.add(abort);
    try {
      status = await this.send(job, abort.signal);
    } catch (err) {
      error = describeError(err);
      status = (err as { status?: number }).status ?? null;
    } finally {
      this.aborts.delete(abort);
    }
    if (error === null) return this.record(job, 'sent', status, null).then(() => false);
    if (this.closing) return this.record(job, 'dropped', status, `server stopping; not retried after: ${error}`).then(() => false);
    const { maxAttempts, backoffBaseMs, backoffMaxMs } = this.opts.notify;
    if (job.attempt >= maxAttempts) return this.record(job, 'failed', status, error).then(() => false);
    await this.record(job, 'retrying', status, error);
    if (this.closing) return this.record({ ...job, attempt: job.attempt + 1 }, 'dropped', null, 'server stopping (retry not sent)').then(() => false);
    const delay = Math.min(backoffBaseMs * 2 ** (job.attempt - 1), backoffMaxMs);
    const timer = setTimeout(() => {
      this.waitingRetry.delete(timer);
      // back at the head of the queue with its channel free again: it goes before every later
      // message of its channel (and counts towards maxQueue like any queued job)
      this.busyChannels.delete(job.channel.id);
      if (this.queue.length >= this.opts.notify.maxQueue) {
        const dropped = this.queue.shift()!; // as push(): the oldest queued job makes room
        void this.record(dropped, 'dropped', null, 'notification queue full');
      }
      this.queue.unshift({ ...job, attempt: job.attempt + 1 });
      this.pump();
      this.settle();
    }, delay);
    timer.unref?.();
    this.waitingRetry.set(timer, job);
    return true;
  }

  /**
   * A retry (or a first escalation / re-notify attempt) must not contradict what happened since
   * it was queued: a raised / escalated / re-notify message of an alert that resolved (or is gone)
   * is dropped, as is a "still unacknowledged" reminder of an alert acknowledged since. Recorded
   * as dropped, "superseded". A first "raised" is always sent: its "resolved" follows it.
   */
  private async superseded(job: Job): Promise<boolean> {
    const { kind, alert } = job.notification;
    if (kind === 'resolved' || !this.opts.alertState) return false;
    let state: AlertState | null;
    try {
      state = await this.opts.alertState(alert.id);
    } catch {
      return false; // cannot tell: sending a possibly stale message beats losing a live one
    }
    const why = state === null || state === 'resolved' ? 'alert resolved' : kind === 'renotify' && state === 'acknowledged' ? 'alert acknowledged' : null;
    if (!why) return false;
    await this.record(job, 'dropped', null, `superseded: ${why} since it was ${job.attempt > 1 ? 'first attempted' : 'queued'}`);
    return true;
  }

  private async send(job: Job, abort: AbortSignal): Promise<number | null> {
    const { channel, notification } = job;
    const { timeoutMs } = this.opts.notify;
    if (channel.type === 'email') {
      if (!this.mail) throw new Error('email channel configured but alerts.smtp is not');
      const { subject, text } = emailContent(notification);
      const sending = this.mail.sendMail({ from: this.opts.smtp?.from ?? 'wallboard@localhost', to: channel.to, subject, text });
      sending.catch(() => {}); // may settle after the deadline below
      // nodemailer's connection/greeting/socket timeouts are timeoutMs; this deadline also bounds
      // a server that keeps the connection alive by trickling bytes
      await withDeadline(sending, timeoutMs * 2, abort, `email not sent within ${timeoutMs * 2} ms`);
      return null;
    }
    const req = buildRequest(channel, notification, this.opts.now());
    // One controller this call holds, aborted by its own timer or by close(): a composite of
    // AbortSignal.timeout and AbortSignal.any is only weakly held by fetch, and under load a robot
    // that sent its headers but never its body held a sender for over a minute in CI. The timer
    // bounds the whole send, the body's read included.
    const deadline = new AbortController();
    const onClose = () => deadline.abort(abort.reason);
    abort.addEventListener('abort', onClose, { once: true });
    const timer = setTimeout(() => deadline.abort(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      return await this.post(channel, req, deadline.signal);
    } finally {
      clearTimeout(timer);
      abort.removeEventListener('abort', onClose);
    }
  }

  private async post(channel: Job['channel'], req: ReturnType<typeof buildRequest>, signal: AbortSignal): Promise<number | null> {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal });
    if (channel.type === 'webhook') {
      // a generic webhook's status is its answer; its body is not read (nothing to confirm)
      await res.body?.cancel().catch(() => {});
      const problem = responseError(channel.type, res.status, '');
      if (problem) throw Object.assign(new Error(problem), { status: res.status });
      return res.status;
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // a robot's 200 means nothing until its errcode is read: a reply cut off is a failure
      throw Object.assign(new Error(`reply not read completely: ${describeError(err)}`), { status: res.status });
    }
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

function withDeadline<T>(p: Promise<T>, ms: number, abort: AbortSignal, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (e: Error) => {
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = () => fail(abort.reason instanceof Error ? abort.reason : new Error('aborted'));
    const timer = setTimeout(() => fail(new Error(message)), ms);
    abort.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => fail(e instanceof Error ? e : new Error(String(e))),
    );
  });
}

/**
 * What went wrong, for the attempts API: the error and its cause (undici's "fetch failed" says
 * nothing; its cause carries ECONNREFUSED, ENOTFOUND, a TLS error…). Credentials never appear:
 * URLs are cut to their origin and key/token/sign/secret/password values are masked.
 */
export function describeError(err: unknown): string {
  const e = err as { message?: string; name?: string; code?: string; cause?: unknown };
  const parts: string[] = [e?.message || e?.name || String(err)];
  let cause = e?.cause as { message?: string; code?: string; cause?: unknown; errors?: { code?: string; message?: string }[] } | undefined;
  for (let depth = 0; cause && typeof cause === 'object' && depth < 3; depth++) {
    const first = cause.errors?.[0];
    const code = cause.code ?? first?.code;
    const msg = cause.message || first?.message || '';
    const text = code && !msg.includes(code) ? `${code} ${msg}`.trim() : msg;
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    cause = cause.cause as typeof cause;
  }
  if (e?.code && !parts.some((p) => p.includes(e.code!))) parts.push(e.code);
  return redact(parts.join(': ')).slice(0, 500);
}

export function redact(text: string): string {
  return text
    .replace(/\b(https?|smtps?):\/\/[^\s"'<>]+/gi, (url) => {
      try {
        return `${new URL(url).origin}/…`;
      } catch {
        return '<url>';
      }
    })
    .replace(/\b(key|access_token|token|sign|secret|password|pass|auth)=([^&\s"']+)/gi, '$1=***');
}

function createSmtp(smtp: NonNullable<AlertsConfig['smtp']>, timeoutMs: number): Transporter {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    // notify.timeoutMs bounds each step (nodemailer's own defaults: 2 min connect, 30 s greeting, 10 min idle)
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
  });
}
