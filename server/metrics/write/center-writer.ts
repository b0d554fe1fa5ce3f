import type { Redis } from 'ioredis';
import { isCoreEvent, type ContractEvent, type CoreEvent } from '../../../shared/contract/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { US } from '../codec.ts';
import {
  computeCoreBatch,
  parsePoint,
  timelinesNeeded,
  type AgentHead,
  type ContactRecord,
  type CoreSettings,
  type Timeline,
} from './core-batch.ts';
import type { WriteOps } from './ops.ts';
import { LruMap, versionSource } from './state-cache.ts';

/** applyWrites' header (server/redis/lua/applyWrites.lua) */
export interface ApplyHeader {
  vf: string;
  v: string;
  nv: string;
  acc: number;
  now: number;
  pub: boolean;
  sealed: boolean;
  epoch: string;
  demo: boolean;
  chan: string;
}

export interface WriterScripts {
  loadState(tag: string, request: string): Promise<LoadReply>;
  applyWrites(tag: string, header: string, ops: Buffer): Promise<number>;
}

type Flat = string[];
/** loadState's reply (Lua false arrives as null) */
export type LoadReply = [
  version: string | null,
  hashes: Flat[],
  lasts: [string | null, string | null, string | null, string | null, string | null][],
  scores: (string | null)[],
  timelines: [Flat, Flat][],
  qmap: Flat | null,
];

export interface LoadRequest {
  v: string;
  h?: string[];
  a?: [string, string][];
  z?: [string, string][];
  t?: [string, string][];
  q?: boolean;
}

export function mapOf(flat: Flat): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
  return m;
}

/** A record a part holds between batches, with its Redis deadline (forgotten a minute before). */
export interface HeldRecord {
  h: Map<string, string>;
  expiresAt: number | undefined;
}

/**
 * A pack of figures computed from the same batches besides the core's (the KPI pack): the hash
 * records it needs are read with the core's in one loadState call, its writes go into the same
 * fenced applyWrites call, and what it holds between batches lives and dies with the core's.
 */
export interface WriterPart {
  /** the event types the part stores itself (besides core events it may also read) */
  owns(e: ContractEvent): boolean;
  /** the record key an event needs, or undefined */
  recordKey(center: string, e: ContractEvent): string | undefined;
  compute(
    center: string,
    events: readonly ContractEvent[],
    settings: CoreSettings,
    state: { qmap: ReadonlyMap<string, string>; records: ReadonlyMap<string, Map<string, string>> },
    ops: WriteOps,
  ): {
    /** per event: 'a' / 'd' for the part's own events, '' otherwise */
    statuses: string[];
    accepted: number;
    /** a contribution changed (screens must hear of it even with nothing accepted) */
    changed: boolean;
    sealed: boolean;
    records: Map<string, HeldRecord>;
  };
}

/** Thrown when other writers kept changing the center between this writer's read and its write. */
export class WriteConflictError extends Error {
  override name = 'WriteConflictError';
}

/** per center: a promise chain, so one center's batches are computed and applied one at a time */
class CenterLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(center: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(center) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(center, tail);
    void tail.then(() => {
      if (this.tails.get(center) === tail) this.tails.delete(center);
    });
    return next;
  }
}

interface CenterCache {
  /** the center's writer version everything below was read or written at */
  version: string;
  contacts: LruMap<HeldRecord>;
  records: LruMap<HeldRecord>;
  agents: Map<string, AgentHead>;
  qmap: Map<string, string>;
}

/** records held per center and kind: a busy floor's contacts of the last tens of minutes */
const maxHeldRecords = 50_000;
/** a held record is forgotten this long before its Redis deadline (writers' clocks may differ) */
const expiryMarginMs = 60_000;
const maxAttempts = 8;

const usable = (r: HeldRecord | undefined, now: number): r is HeldRecord =>
  r !== undefined && (r.expiresAt === undefined ? r.h.size === 0 : now < r.expiresAt - expiryMarginMs);

/**
 * The engine's writer: a center's batches of events → counter buckets, contact records, agent
 * timelines, live counts (core-batch.ts has the rules), plus a part's figures (the KPI pack).
 *
 * Why the work is in Node and not in a Lua script: the counting rules in Lua cost ≈ 30 µs of Redis
 * CPU per event for the core and ≈ 18 µs for the KPI pack (most of it the Lua interpreter), and
 * Redis is one core shared by every writer and reader. Here Redis runs one read script (loadState)
 * for the records a batch needs that this process does not hold, and one write script
 * (applyWrites) that only applies the computed writes.
 *
 * Exactness with several writers: the write is fenced. Every apply names the version (meta `wv`)
 * its inputs were read at and sets a new one; if another process wrote the center meanwhile, the
 * apply writes nothing, this writer drops what it holds, reads and computes again. Held state is
 * also dropped whenever a load finds another version, or a batch fails in any way. One process per
 * center is the fast case; several processes writing one center stay exact and degrade to a full
 * read per batch.
 */
export class CenterWriter {
  private readonly caches = new Map<string, CenterCache>();
  private readonly locks = new CenterLocks();
  private readonly nextVersion = versionSource();
  /** apply calls, loadState calls and fenced-write conflicts since start (tests, benchmark) */
  readonly stats = { batches: 0, conflicts: 0, loads: 0 };

  constructor(
    private readonly redis: Redis & WriterScripts,
    private readonly keys: Keys,
    private readonly part?: WriterPart,
  ) {}

  /** may this writer store the event (a core event, or one of the part's)? */
  takes(e: ContractEvent): boolean {
    return isCoreEvent(e) || (this.part?.owns(e) ?? false);
  }

  /** Forget what is held for a center (the next batch reads everything it needs). */
  forget(center?: string): void {
    if (center === undefined) this.caches.clear();
    else this.caches.delete(center);
  }

  write(
    center: string,
    events: readonly ContractEvent[],
    settings: CoreSettings,
    meta: { demo: boolean; epoch: string },
  ): Promise<{ seq: number; statuses: string }> {
    return this.locks.run(center, async () => {
      try {
        return await this.writeNow(center, events, settings, meta);
      } catch (err) {
        // a batch that did not commit may have updated held records in place, or may have been
        // written after all (a lost reply): hold nothing
        this.forget(center);
        throw err;
      }
    });
  }

  private async writeNow(
    center: string,
    events: readonly ContractEvent[],
    settings: CoreSettings,
    meta: { demo: boolean; epoch: string },
  ): Promise<{ seq: number; statuses: string }> {
    const tag = this.keys.center(center);
    const coreEvents: CoreEvent[] = [];
    const coreIndex: number[] = [];
    events.forEach((e, i) => {
      if (isCoreEvent(e)) {
        coreEvents.push(e);
        coreIndex.push(i);
      }
    });
    const now = settings.now;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const held = this.caches.get(center);
      const contacts = new Map<string, ContactRecord>();
      const records = new Map<string, Map<string, string>>();
      const agents = new Map<string, AgentHead>();
      const missingContacts: string[] = [];
      const missingRecords: string[] = [];
      const missingAgents: string[] = [];
      const asked = new Set<string>();
      const z: [string, string][] = [];
      const zKeys: string[] = [];
      for (const e of coreEvents) {
        if (e.type === 'agent.state') {
          const ag = e.agentId;
          if (!agents.has(ag)) {
            const head = held?.agents.get(ag);
            if (head) agents.set(ag, head);
            else if (!asked.has(US + ag)) {
              asked.add(US + ag);
              missingAgents.push(ag);
            }
          }
          z.push([this.keys.agentTimeline(center, ag), e.id]);
          zKeys.push(ag + US + e.id);
        } else if (!contacts.has(e.contactId)) {
          const c = held?.contacts.get(e.contactId);
          if (usable(c, now)) contacts.set(e.contactId, c.h);
          else if (!asked.has(e.contactId)) {
            asked.add(e.contactId);
            missingContacts.push(e.contactId);
          }
        }
      }
      if (this.part) {
        for (const e of events) {
          const key = this.part.recordKey(center, e);
          if (key === undefined || records.has(key)) continue;
          const r = held?.records.get(key);
          if (usable(r, now)) records.set(key, r.h);
          else {
            records.set(key, new Map());
            missingRecords.push(key);
          }
        }
      }
      this.stats.loads++;
      const r = await this.redis.loadState(
        tag,
        JSON.stringify({
          v: 'wv',
          h: [...missingContacts.map((cid) => this.keys.contact(center, cid)), ...missingRecords],
          a: missingAgents.map((ag) => [this.keys.agentTimeline(center, ag), this.keys.agentPoints(center, ag)]),
          z,
          q: held === undefined,
        } satisfies LoadRequest),
      );
      const version = r[0] ?? '';
      if (held && held.version !== version) {
        // another writer changed the center since this process last wrote it
        this.stats.conflicts++;
        this.forget(center);
        continue;
      }
      const cache: CenterCache = held ?? {
        version,
        contacts: new LruMap(maxHeldRecords),
        records: new LruMap(maxHeldRecords),
        agents: new Map(),
        qmap: mapOf(r[5] ?? []),
      };
      this.caches.set(center, cache);
      const hold = (lru: LruMap<HeldRecord>, key: string, h: Map<string, string>): void => {
        const x = Number(h.get('x'));
        // an absent record stays absent until a fenced write; a core contact only until its deadline
        if (h.size === 0 || Number.isFinite(x)) lru.set(key, { h, expiresAt: Number.isFinite(x) ? x : undefined });
      };
      missingContacts.forEach((cid, i) => {
        const h = mapOf(r[1][i] ?? []);
        contacts.set(cid, h);
        hold(cache.contacts, cid, h);
      });
      missingRecords.forEach((key, i) => {
        const h = mapOf(r[1][missingContacts.length + i] ?? []);
        records.set(key, h);
        // a KPI record's deadline is not stored in it: only an absent one is held before a write
        if (h.size === 0) cache.records.set(key, { h, expiresAt: undefined });
      });
      missingAgents.forEach((ag, i) => {
        const head = agentHead(r[2][i]!);
        agents.set(ag, head);
        cache.agents.set(ag, head);
      });
      const known = new Set<string>();
      zKeys.forEach((k, i) => {
        if (r[3][i] !== null && r[3][i] !== undefined) known.add(k);
      });

      const need = timelinesNeeded(coreEvents, agents, known);
      const timelines = new Map<string, Timeline>();
      if (need.size > 0) {
        const list = [...need];
        this.stats.loads++;
        const t = await this.redis.loadState(
          tag,
          JSON.stringify({ v: 'wv', t: list.map((ag) => [this.keys.agentTimeline(center, ag), this.keys.agentPoints(center, ag)]) } satisfies LoadRequest),
        );
        if ((t[0] ?? '') !== version) {
          this.stats.conflicts++;
          this.forget(center);
          continue;
        }
        list.forEach((ag, i) => {
          const [zr, points] = t[4][i]!;
          const members: Timeline['members'] = [];
          for (let k = 0; k + 1 < zr.length; k += 2) members.push({ id: zr[k]!, ts: Number(zr[k + 1]) });
          timelines.set(ag, { members, points: mapOf(points) });
        });
      }

      const core = computeCoreBatch(this.keys, center, coreEvents, settings, { qmap: cache.qmap, contacts, agents, known, timelines });
      const statuses: string[] = new Array(events.length).fill('');
      coreIndex.forEach((i, j) => (statuses[i] = core.statuses[j]!));
      let accepted = core.accepted;
      let changed = false;
      let sealed = core.sealed;
      const partOut = this.part?.compute(center, events, settings, { qmap: cache.qmap, records }, core.ops);
      if (partOut) {
        partOut.statuses.forEach((st, i) => {
          if (st !== '') statuses[i] = st;
        });
        accepted += partOut.accepted;
        changed = partOut.changed;
        sealed ||= partOut.sealed;
      }
      // a batch of duplicates writes no state: the version stays, and so does every holder's cache
      const nv = core.ops.empty ? version : this.nextVersion();
      const header: ApplyHeader = {
        vf: 'wv',
        v: version,
        nv,
        acc: accepted,
        now,
        pub: accepted > 0 || changed,
        sealed,
        epoch: meta.epoch,
        demo: meta.demo,
        chan: this.keys.ingested(center),
      };
      const seq = Number(await this.redis.applyWrites(tag, JSON.stringify(header), core.ops.encode()));
      this.stats.batches++;
      if (seq === -1) {
        this.stats.conflicts++;
        this.forget(center);
        continue;
      }
      cache.version = nv;
      for (const [cid, c] of core.contacts) {
        if (c.expiresAt === undefined) cache.contacts.delete(cid);
        else cache.contacts.set(cid, c);
      }
      for (const [key, rec] of partOut?.records ?? []) {
        if (rec.expiresAt === undefined) cache.records.delete(key);
        else cache.records.set(key, rec);
      }
      for (const [ag, head] of core.agents) cache.agents.set(ag, head);
      return { seq, statuses: statuses.join('') };
    }
    throw new WriteConflictError(`center ${center}: other writers changed it ${maxAttempts} times in a row`);
  }
}

/** loadState's [lastId, lastScore, point, _s, _t] of one agent */
function agentHead(v: LoadReply[2][number]): AgentHead {
  const [lastId, score, point, since, trim] = v;
  if (lastId === null) return { sinceDirty: false };
  const head: AgentHead = { lastId, lastTs: Number(score), last: parsePoint(point ?? ''), sinceDirty: true, ...(trim !== null ? { trimStep: trim } : {}) };
  if (since !== null) {
    const cut = since.indexOf(US);
    if (cut >= 0) {
      head.since = Number(since.slice(0, cut));
      head.sinceId = since.slice(cut + 1);
      head.sinceDirty = false;
    }
  }
  return head;
}
