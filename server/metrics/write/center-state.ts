import type { ContractEvent, CoreEvent } from '../../../shared/contract/events.ts';
import type { AgentHead, CoreSettings } from './core-batch.ts';
import type { LoadReply } from './scripts-io.ts';
import { LruMap } from './state-cache.ts';

/**
 * What the center writer (center-writer.ts) keeps per center: held records, the versions of the
 * current epoch, the queue of batches and their reads issued ahead.
 */

/** A held record, with its Redis deadline (forgotten a minute before) and the compute that wrote it. */
export interface Held {
  h: Map<string, string>;
  expiresAt: number | undefined;
  /** the compute (per-epoch count) that last wrote it */
  c: number;
}

export interface Job {
  /** submission order: retried batches keep their place */
  seq: number;
  events: readonly ContractEvent[];
  coreEvents: CoreEvent[];
  coreIndex: number[];
  settings: CoreSettings;
  meta: { demo: boolean; epoch: string };
  attempts: number;
  /** reads that ended without a computation (another writer's version, a reset meanwhile) */
  reads: number;
  prefetch: Prefetch | undefined;
  resolve(r: { seq: number; statuses: string }): void;
  reject(err: unknown): void;
}

/** a read issued ahead of the batch's computation */
export interface Prefetch {
  epoch: number;
  /** computes done (this epoch) when issued: their writes reached Redis before this read */
  after: number;
  contacts: string[];
  records: string[];
  /** each contact's earlier-layout record was read too, after the records (WriterPart.legacyWindow) */
  legacy: boolean;
  agents: string[];
  /** agent US eventId of the batch's agent events, in order */
  zKeys: string[];
  reply: Promise<LoadReply>;
}

/** Everything a writer holds for one center, valid for one epoch (reset on any doubt). */
export class CenterState {
  epoch = 0;
  /** versions this epoch has seen or produced: a read at any of them saw only this writer's writes */
  readonly chain = new Set<string>();
  /** the version the next apply names */
  version = '';
  /** computes done this epoch */
  computes = 0;
  contacts = new LruMap<Held>(maxHeldRecords);
  records = new LruMap<Held>(maxHeldRecords);
  agents = new Map<string, AgentHead>();
  qmap: Map<string, string> | undefined;
  /** keys written by recent computes (see writtenSince) */
  touches: { c: number; keys: Set<string> }[] = [];
  queue: Job[] = [];
  pumping = false;
  /** records closed by batches whose write is confirmed, oldest first (see closedConfirmed) */
  private closedHeld: { c: number; keys: [LruMap<Held>, string][] }[] = [];

  reset(): void {
    this.epoch++;
    this.chain.clear();
    this.version = '';
    this.computes = 0;
    this.contacts = new LruMap(maxHeldRecords);
    this.records = new LruMap(maxHeldRecords);
    this.agents = new Map();
    this.qmap = undefined;
    this.touches = [];
    this.closedHeld = [];
    for (const j of this.queue) j.prefetch = undefined;
  }

  /**
   * Batch `c`'s write is confirmed: the records it closed (a contact wrapped, a session over) are
   * let go `closedGrace` confirmed batches later, unless a later batch wrote them again. Letting go
   * at once kept what is held to the floor's open records, but the events that still come for a
   * record just closed (a survey after the wrap, a repeated event) then found it neither held nor
   * in the read issued ahead (that read predates the closing write), and the batch read it again
   * behind the previous batch's write: about one such read per 1,000-event batch, which left the
   * writer waiting for Redis half of the time. The grace holds at most `closedGrace` batches'
   * closed records (≈ 300 per 1,000 events).
   */
  closedConfirmed(c: number, keys: [LruMap<Held>, string][]): void {
    if (keys.length > 0) this.closedHeld.push({ c, keys });
    while (this.closedHeld.length > 0 && this.closedHeld[0]!.c <= c - closedGrace) {
      const done = this.closedHeld.shift()!;
      for (const [lru, key] of done.keys) if (lru.get(key)?.c === done.c) lru.delete(key);
    }
  }

  /** keys written by computes after `after` (a read issued then may predate their writes) */
  writtenSince(after: number): Set<string> | undefined {
    let out: Set<string> | undefined;
    for (const t of this.touches) {
      if (t.c <= after) continue;
      if (!out) out = new Set(t.keys);
      else for (const k of t.keys) out.add(k);
    }
    return out;
  }

  /** forget touch lists no outstanding read can need */
  pruneTouches(): void {
    let oldest = this.computes;
    for (const j of this.queue) if (j.prefetch && j.prefetch.epoch === this.epoch) oldest = Math.min(oldest, j.prefetch.after);
    this.touches = this.touches.filter((t) => t.c > oldest);
  }
}

/** records held per center and kind: the floor's open contacts and sessions */
export const maxHeldRecords = 50_000;
/** a held record is forgotten this long before its Redis deadline (writers' clocks may differ) */
const expiryMarginMs = 60_000;
export const maxAttempts = 8;
/** batches whose read goes out ahead of the one being computed */
export const readAhead = 2;
/** confirmed batches a closed record stays held after the batch that closed it */
export const closedGrace = 16;

export const usable = (r: Held | undefined, now: number): r is Held =>
  r !== undefined && (r.expiresAt === undefined ? r.h.size === 0 : now < r.expiresAt - expiryMarginMs);
