import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { AlertChange } from '../../shared/contract/alerts.ts';

/**
 * Alert changes reach every server process: the evaluator (lease holder) and the acknowledging
 * process publish on the Redis channel `{<prefix>:alerts}:changes`; each process subscribes and
 * re-emits locally. The realtime plugin listens with `app.alerts.bus.onChange(fn)` and forwards
 * the changes as `alert:changed` to the sockets in scope (realtime/alert-relay.ts), so it never
 * needs to know where the change happened.
 */
export class AlertBus {
  private readonly emitter = new EventEmitter();
  private subscriber: Redis | undefined;

  constructor(
    private readonly publisher: Redis,
    private readonly channel: string,
  ) {
    this.emitter.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const sub = this.publisher.duplicate({ lazyConnect: true, enableOfflineQueue: true });
    sub.on('error', () => {});
    await sub.connect();
    await sub.subscribe(this.channel);
    sub.on('message', (_ch: string, message: string) => {
      try {
        this.emitter.emit('change', JSON.parse(message) as AlertChange);
      } catch {
        // a malformed message on our channel is not worth crashing the process for
      }
    });
    this.subscriber = sub;
  }

  async stop(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = undefined;
    if (sub) await sub.quit().catch(() => sub.disconnect());
  }

  /** publish to every process (this one included, via its own subscription) */
  async publish(change: AlertChange): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(change));
  }

  onChange(listener: (change: AlertChange) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }
}
