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
    for (const j of this.queue) j.prefetch = undefined;
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

export const usable = (r: Held | undefined, now: number): r is Held =>
  r !== undefined && (r.expiresAt === undefined ? r.h.size === 0 : now < r.expiresAt - expiryMarginMs);
