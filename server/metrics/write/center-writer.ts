import type { Redis } from 'ioredis';
import { isCoreEvent, type ContractEvent, type CoreEvent } from '../../../shared/contract/events.ts';
import { isRedisTimeoutError } from '../../errors.ts';
import type { Keys } from '../../redis/keys.ts';
import { US } from '../codec.ts';
import { CenterState, maxAttempts, readAhead, usable, type Held, type Job, type Prefetch } from './center-state.ts';
import {
  computeCoreBatch,
  timelinesNeeded,
  writeContacts,
  type AgentHead,
  type ContactRecord,
  type CoreSettings,
  type HeldRecord,
  type PendingContact,
  type Timeline,
} from './core-batch.ts';
import type { WriteOps } from './ops.ts';
import { agentHead, mapOf, type ApplyHeader, type LoadReply, type LoadRequest, type WriterScripts } from './scripts-io.ts';
import { LruMap, versionSource } from './state-cache.ts';

export type { LoadReply, WriterScripts } from './scripts-io.ts';

export type { HeldRecord } from './core-batch.ts';

/** What a part's computation gets besides the batch's events. */
export interface PartState {
  qmap: ReadonlyMap<string, string>;
  /** the part's own records (recordKey) by key (empty: new) */
  records: ReadonlyMap<string, Map<string, string>>;
  /** contact records (`ct:`) by contact id: every contact of the batch's core events, and those
   * the part's own events name (contactOf); shared with the core, updated in place */
  contacts: ReadonlyMap<string, ContactRecord>;
  /** the contacts the core wrote; the part adds its fields to their writes, and adds entries for
   * the contacts only its own events touched, so each contact is one HSET */
  pending: Map<string, PendingContact>;
  /** for each contact whose earlier-layout record was read (the part's needsLegacy), what that
   * record (legacyKey) holds (empty: none, or it expired). Without an entry: the current layout. */
  legacy: ReadonlyMap<string, Map<string, string>>;
}

/**
 * A pack of figures computed from the same batches besides the core's (the KPI pack): the records
 * it needs are read with the core's in one loadState call, its fields of a contact live in the
 * core's contact record, its writes go into the same fenced applyWrites call, and what it holds
 * between batches lives and dies with the core's.
 */
export interface WriterPart {
  /** the event types the part stores itself (besides core events it may also read) */
  owns(e: ContractEvent): boolean;
  /** the contact whose record one of the part's own events needs, or undefined */
  contactOf(e: ContractEvent): string | undefined;
  /** a record of the part's own an event needs, or undefined */
  recordKey(center: string, e: ContractEvent): string | undefined;
  /** whether a contact's record in an earlier layout of the part (legacyKey) must be read before
   * the contact record `h` (as read from Redis, or held) is touched, to be carried over */
  needsLegacy(h: ReadonlyMap<string, string>, now: number): boolean;
  /** while earlier-layout records may exist without their contact record, which nothing in that
   * record tells: then every contact's is read ahead with it (needsLegacy holds for new ones) */
  legacyWindow(now: number): boolean;
  /** the key of a contact's record in the earlier layout */
  legacyKey(center: string, contactId: string): string;
  compute(center: string, events: readonly ContractEvent[], settings: CoreSettings, state: PartState, ops: WriteOps): PartResult;
}

export interface PartResult {
  /** per event: 'a' / 'd' for the part's own events, '' for the rest (core events it only reads) */
  statuses: string[];
  /** the part's own events accepted (core events are counted by the core) */
  accepted: number;
  /** a contribution changed (a core event it reads can change figures without being counted) */
  changed: boolean;
  sealed: boolean;
  /** its own records it wrote, for the writer to hold (contacts are held with the core's) */
  records: Map<string, HeldRecord>;
}

/** Thrown when other writers kept changing the center between this writer's read and its write. */
export class WriteConflictError extends Error {
  override name = 'WriteConflictError';
}

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
 * apply writes nothing and this writer starts a new epoch: it drops everything it holds, reads
 * and computes again. A read that finds a version this writer did not produce does the same. One
 * process per center is the fast case; several processes writing one center stay exact and
 * degrade to a full read per batch.
 *
 * Pipeline: a center's batches are computed one at a time, in order, each on the state the
 * previous one left (held optimistically before its write is confirmed: a failed write fails
 * every later one too, since each names its predecessor's version). The read of the next batches
 * goes out before the current one is computed, so Redis reads and applies while Node computes.
 * A read issued ahead can predate the write of a batch computed after it was issued; the keys
 * such batches wrote are held, or read again (CenterState.writtenSince).
 */
export class CenterWriter {
  private readonly centers = new Map<string, CenterState>();
  private readonly nextVersion = versionSource();
  private submitted = 0;
  /** since start (tests, benchmark): apply calls, loadState calls, fenced-write conflicts, and
   * records or event ids read again because a batch computed after a read-ahead changed them */
  readonly stats = { batches: 0, conflicts: 0, loads: 0, reread: 0 };

  constructor(
    private readonly redis: Redis & WriterScripts,
    private readonly keys: Keys,
    private readonly part?: WriterPart,
  ) {}

  /** may this writer store the event (a core event, or one of the part's)? */
  takes(e: ContractEvent): boolean {
    return isCoreEvent(e) || (this.part?.owns(e) ?? false);
  }

  /** batches waiting for their read, computation or turn, over all centers (tests) */
  get queued(): number {
    let n = 0;
    for (const st of this.centers.values()) n += st.queue.length;
    return n;
  }

  /** Forget what is held for a center, or all (the next batch reads everything it needs). */
  forget(center?: string): void {
    for (const [id, st] of this.centers) if (center === undefined || id === center) st.reset();
  }

  /** Writes queue-map entries (the config's, at start) under a new writer version, so every writer
   * that holds the old queue map, this one included, reads it again. */
  async writeQueueMap(center: string, entries: Record<string, string>): Promise<void> {
    await this.redis.multi().hset(this.keys.queueMap(center), entries).hset(this.keys.meta(center), 'wv', this.nextVersion()).exec();
    this.forget(center);
  }

  write(
    center: string,
    events: readonly ContractEvent[],
    settings: CoreSettings,
    meta: { demo: boolean; epoch: string },
  ): Promise<{ seq: number; statuses: string }> {
    let st = this.centers.get(center);
    if (!st) this.centers.set(center, (st = new CenterState()));
    const coreEvents: CoreEvent[] = [];
    const coreIndex: number[] = [];
    events.forEach((e, i) => {
      if (isCoreEvent(e)) {
        coreEvents.push(e);
        coreIndex.push(i);
      }
    });
    const state = st;
    return new Promise((resolve, reject) => {
      state.queue.push({ seq: ++this.submitted, events, coreEvents, coreIndex, settings, meta, attempts: 0, reads: 0, prefetch: undefined, resolve, reject });
      void this.pump(center, state);
    });
  }

  /** a batch whose write met another writer's version goes back in its place, up to maxAttempts */
  private requeue(center: string, st: CenterState, job: Job): void {
    if (++job.attempts >= maxAttempts) {
      job.reject(new WriteConflictError(`center ${center}: other writers changed it ${maxAttempts} times in a row`));
      return;
    }
    job.prefetch = undefined;
    let i = st.queue.length;
    while (i > 0 && st.queue[i - 1]!.seq > job.seq) i--;
    st.queue.splice(i, 0, job);
    void this.pump(center, st);
  }

  /**
   * A read or write of the center got no reply in time (errors.ts isRedisTimeoutError): Redis
   * hangs without closing the connection. Every batch still queued for the center fails now with
   * the same error, instead of each sending its read into the stall and failing one timeout after
   * the other (a queue of n batches would take n timeouts to drain while producers' re-sends kept
   * adding to it). Their commands would only queue behind the unanswered one on the same
   * connection. Nothing of theirs was written (a queued batch has not been computed), and their
   * requests answer 503, so their producers re-send. What is held was reset with the failed call.
   */
  private stalled(st: CenterState, err: unknown): void {
    for (const j of st.queue.splice(0)) j.reject(err);
  }

  /** another writer was here (or a write failed): start over from what Redis holds */
  private conflict(st: CenterState, epoch: number): void {
    this.stats.conflicts++;
    if (st.epoch === epoch) st.reset();
  }

  private prefetch(center: string, st: CenterState, job: Job): Prefetch {
    const now = job.settings.now;
    const contacts: string[] = [];
    const records: string[] = [];
    const agents: string[] = [];
    const zKeys: string[] = [];
    const z: string[] = [];
    const asked = new Set<string>();
    const askContact = (cid: string): void => {
      if (asked.has(`c:${cid}`) || usable(st.contacts.get(cid), now)) return;
      asked.add(`c:${cid}`);
      contacts.push(cid);
    };
    for (const e of job.coreEvents) {
      if (e.type === 'agent.state') {
        const ag = e.agentId;
        if (!st.agents.has(ag) && !asked.has(`a:${ag}`)) {
          asked.add(`a:${ag}`);
          agents.push(ag);
        }
        z.push(this.keys.agentTimeline(center, ag), e.id);
        zKeys.push(ag + US + e.id);
      } else askContact(e.contactId);
    }
    if (this.part) {
      for (const e of job.events) {
        const cid = this.part.contactOf(e);
        if (cid !== undefined) {
          askContact(cid);
          continue;
        }
        const key = this.part.recordKey(center, e);
        if (key === undefined || asked.has(`r:${key}`) || usable(st.records.get(key), now)) continue;
        asked.add(`r:${key}`);
        records.push(key);
      }
    }
    const legacy = this.legacyAhead(center, contacts, now);
    this.stats.loads++;
    const reply = this.redis.loadState(
      this.keys.center(center),
      JSON.stringify({
        h: [...contacts.map((cid) => this.keys.contact(center, cid)), ...records, ...legacy],
        a: agents.map((ag) => this.agentKeys(center, ag)),
        z,
        q: st.qmap === undefined,
      } satisfies LoadRequest),
    );
    // a read that fails is seen by the batch it belongs to
    reply.catch(() => undefined);
    return { epoch: st.epoch, after: st.computes, contacts, records, legacy: legacy.length > 0, agents, zKeys, reply };
  }

  /** the earlier-layout records to read with these contacts' records, while the part's window is
   * open (a read issued ahead cannot be stale for them: nothing writes that layout any more) */
  private legacyAhead(center: string, contacts: readonly string[], now: number): string[] {
    const part = this.part;
    if (!part?.legacyWindow(now)) return [];
    return contacts.map((cid) => part.legacyKey(center, cid));
  }

  private agentKeys(center: string, ag: string): [string, string] {
    return [this.keys.agentTimeline(center, ag), this.keys.agentPoints(center, ag)];
  }

  /** A read at once (after every write this writer has sent), or undefined when the epoch ended
   * meanwhile or the read found another writer's version (then a new epoch starts). */
  private async readNow(center: string, st: CenterState, epoch: number, request: LoadRequest): Promise<LoadReply | undefined> {
    this.stats.loads++;
    const r = await this.redis.loadState(this.keys.center(center), JSON.stringify(request));
    return this.checked(st, epoch, r);
  }

  /** the reply if it belongs to this epoch and its version is one this writer read or produced */
  private checked(st: CenterState, epoch: number, r: LoadReply): LoadReply | undefined {
    if (st.epoch !== epoch) return undefined;
    if (!this.versionOk(st, r[0] ?? '')) {
      this.conflict(st, epoch);
      return undefined;
    }
    return r;
  }

  /** a version a read found: the epoch's first read sets the base; later ones must be ours */
  private versionOk(st: CenterState, version: string): boolean {
    if (st.chain.size === 0) {
      st.chain.add(version);
      st.version = version;
      return true;
    }
    return st.chain.has(version);
  }

  private async pump(center: string, st: CenterState): Promise<void> {
    if (st.pumping) return;
    st.pumping = true;
    try {
      while (st.queue.length > 0) {
        for (let k = 0; k < Math.min(readAhead, st.queue.length); k++) {
          const j = st.queue[k]!;
          if (!j.prefetch || j.prefetch.epoch !== st.epoch) j.prefetch = this.prefetch(center, st, j);
        }
        const job = st.queue[0]!;
        const epoch = st.epoch;
        try {
          const ready = await this.prepare(center, st, job, epoch);
          if (!ready || st.epoch !== epoch || st.queue[0] !== job) {
            // reads kept finding another writer's version: give up rather than spin
            if (++job.reads > maxAttempts * 4 && st.queue[0] === job) {
              st.queue.shift();
              job.reject(new WriteConflictError(`center ${center}: other writers kept changing it while this batch was read`));
            }
            continue;
          }
          st.queue.shift();
          this.computeAndApply(center, st, job, ready);
        } catch (err) {
          // a failed read or computation: this batch fails, nothing held survives it (a read
          // that timed out may still run later: it is read-only, its reply goes nowhere)
          if (st.queue[0] === job) st.queue.shift();
          if (st.epoch === epoch) st.reset();
          job.reject(err);
          if (isRedisTimeoutError(err)) this.stalled(st, err);
        }
      }
    } finally {
      st.pumping = false;
    }
  }

  /** The batch's inputs: held records, the read issued ahead, and what must still be read now. */
  private async prepare(center: string, st: CenterState, job: Job, epoch: number) {
    const pf = job.prefetch!;
    const r = pf.epoch === epoch ? this.checked(st, epoch, await pf.reply) : undefined;
    if (!r) return undefined;
    st.qmap ??= mapOf(r[5] ?? []);
    const now = job.settings.now;
    const stale = st.writtenSince(pf.after);
    const loaded = new Map<string, Map<string, string>>();
    const legacyLoaded = new Map<string, Map<string, string>>();
    pf.contacts.forEach((cid, i) => loaded.set(`c:${cid}`, mapOf(r[1][i] ?? [])));
    pf.records.forEach((key, i) => loaded.set(`r:${key}`, mapOf(r[1][pf.contacts.length + i] ?? [])));
    const legacyAt = pf.contacts.length + pf.records.length;
    if (pf.legacy) pf.contacts.forEach((cid, i) => legacyLoaded.set(cid, mapOf(r[1][legacyAt + i] ?? [])));
    pf.agents.forEach((ag, i) => {
      if (!st.agents.has(ag)) st.agents.set(ag, agentHead(r[2][i]!));
    });
    const known = new Set<string>();
    const recheck: string[] = [];
    pf.zKeys.forEach((k, i) => {
      if (stale?.has(`z:${k}`)) recheck.push(k);
      else if (r[3][i] !== null && r[3][i] !== undefined) known.add(k);
    });

    // every record the batch needs: held, read ahead (unless written since), or read now
    const contacts = new Map<string, ContactRecord>();
    const records = new Map<string, Map<string, string>>();
    const legacy = new Map<string, Map<string, string>>();
    const missingContacts: string[] = [];
    const missingRecords: string[] = [];
    const needContact = (cid: string): void => {
      if (contacts.has(cid)) return;
      const held = st.contacts.get(cid);
      const pre = loaded.get(`c:${cid}`);
      if (usable(held, now)) contacts.set(cid, held.h);
      else if (pre && !stale?.has(`c:${cid}`)) {
        contacts.set(cid, pre);
        const old = legacyLoaded.get(cid);
        if (old) legacy.set(cid, old);
      } else if (!missingContacts.includes(cid)) {
        if (pre) this.stats.reread++;
        missingContacts.push(cid);
      }
    };
    for (const e of job.coreEvents) if (e.type !== 'agent.state') needContact(e.contactId);
    if (this.part) {
      for (const e of job.events) {
        const cid = this.part.contactOf(e);
        if (cid !== undefined) {
          needContact(cid);
          continue;
        }
        const key = this.part.recordKey(center, e);
        if (key === undefined || records.has(key)) continue;
        const held = st.records.get(key);
        const pre = loaded.get(`r:${key}`);
        if (usable(held, now)) records.set(key, held.h);
        else if (pre && !stale?.has(`r:${key}`)) records.set(key, pre);
        else if (!missingRecords.includes(key)) {
          if (pre) this.stats.reread++;
          missingRecords.push(key);
        }
      }
    }
    const missingAgents = [...new Set(job.coreEvents.flatMap((e) => (e.type === 'agent.state' && !st.agents.has(e.agentId) ? [e.agentId] : [])))];
    this.stats.reread += recheck.length;
    if (missingContacts.length + missingRecords.length + missingAgents.length + recheck.length > 0) {
      // records a batch computed after the read-ahead wrote and then let go, or evicted ones
      const cut = (k: string) => k.indexOf(US);
      const legacyKeys = this.legacyAhead(center, missingContacts, now);
      const m = await this.readNow(center, st, epoch, {
        h: [...missingContacts.map((cid) => this.keys.contact(center, cid)), ...missingRecords, ...legacyKeys],
        a: missingAgents.map((ag) => this.agentKeys(center, ag)),
        z: recheck.flatMap((k) => [this.keys.agentTimeline(center, k.slice(0, cut(k))), k.slice(cut(k) + 1)]),
      });
      if (!m) return undefined;
      missingContacts.forEach((cid, i) => contacts.set(cid, mapOf(m[1][i] ?? [])));
      missingRecords.forEach((key, i) => records.set(key, mapOf(m[1][missingContacts.length + i] ?? [])));
      if (legacyKeys.length > 0) {
        const at = missingContacts.length + missingRecords.length;
        missingContacts.forEach((cid, i) => legacy.set(cid, mapOf(m[1][at + i] ?? [])));
      }
      missingAgents.forEach((ag, i) => {
        if (!st.agents.has(ag)) st.agents.set(ag, agentHead(m[2][i]!));
      });
      recheck.forEach((k, i) => {
        if (m[3][i] !== null && m[3][i] !== undefined) known.add(k);
      });
    }
    if (!(await this.legacyRecords(center, st, epoch, contacts, now, legacy))) return undefined;
    const agents = new Map<string, AgentHead>();
    for (const e of job.coreEvents) if (e.type === 'agent.state') agents.set(e.agentId, st.agents.get(e.agentId)!);

    // an out-of-order agent event needs the agent's whole timeline, read now (after every write
    // this writer has sent)
    const need = timelinesNeeded(job.coreEvents, agents, known);
    const timelines = new Map<string, Timeline>();
    if (need.size > 0) {
      const list = [...need];
      const t = await this.readNow(center, st, epoch, { t: list.map((ag) => this.agentKeys(center, ag)) });
      if (!t) return undefined;
      list.forEach((ag, i) => {
        const [zr, points] = t[4][i]!;
        const members: Timeline['members'] = [];
        for (let k = 0; k + 1 < zr.length; k += 2) members.push({ id: zr[k]!, ts: Number(zr[k + 1]) });
        timelines.set(ag, { members, points: mapOf(points) });
      });
    }
    return { contacts, records, legacy, agents, known, timelines };
  }

  /**
   * The earlier-layout records the part needs for the batch's contacts (an upgrade's leftovers,
   * gone once their retention has passed) that were not read ahead with them, added to `legacy`:
   * read now, one more read, for a batch that touches a contact record of that layout outside the
   * part's window (or one held since before it opened). Nothing writes the earlier layout any
   * more, so what a read finds there is current. False: the read met another writer's version.
   */
  private async legacyRecords(
    center: string,
    st: CenterState,
    epoch: number,
    contacts: ReadonlyMap<string, ContactRecord>,
    now: number,
    legacy: Map<string, Map<string, string>>,
  ): Promise<boolean> {
    const part = this.part;
    if (!part) return true;
    const earlier: string[] = [];
    for (const [cid, h] of contacts) if (!legacy.has(cid) && part.needsLegacy(h, now)) earlier.push(cid);
    if (earlier.length === 0) return true;
    const r = await this.readNow(center, st, epoch, { h: earlier.map((cid) => part.legacyKey(center, cid)) });
    if (!r) return false;
    earlier.forEach((cid, i) => legacy.set(cid, mapOf(r[1][i] ?? [])));
    return true;
  }

  private computeAndApply(center: string, st: CenterState, job: Job, input: NonNullable<Awaited<ReturnType<CenterWriter['prepare']>>>): void {
    const epoch = st.epoch;
    const c = ++st.computes;
    const core = computeCoreBatch(this.keys, center, job.coreEvents, job.settings, { qmap: st.qmap!, ...input });
    const statuses: string[] = new Array(job.events.length).fill('');
    job.coreIndex.forEach((i, j) => (statuses[i] = core.statuses[j]!));
    let accepted = core.accepted;
    let changed = false;
    let sealed = core.sealed;
    const partOut = this.part?.compute(
      center,
      job.events,
      job.settings,
      { qmap: st.qmap!, records: input.records, contacts: input.contacts, pending: core.pending, legacy: input.legacy },
      core.ops,
    );
    const written = writeContacts(core.ops, core.pending, job.settings);
    if (partOut) {
      partOut.statuses.forEach((s, i) => {
        if (s !== '') statuses[i] = s;
      });
      accepted += partOut.accepted;
      changed = partOut.changed;
      sealed ||= partOut.sealed;
    }
    // what this batch wrote is held (optimistically: a failed write resets the epoch), closed
    // records only until a few batches after the write is confirmed (CenterState.closedConfirmed)
    const touched = new Set<string>();
    const closed: [LruMap<Held>, string][] = [];
    const hold = (lru: LruMap<Held>, prefix: string, key: string, rec: HeldRecord) => {
      touched.add(prefix + key);
      if (rec.expiresAt === undefined) {
        lru.delete(key);
        return;
      }
      lru.set(key, { h: rec.h, expiresAt: rec.expiresAt, c });
      // a closed record stays held for a few batches after this one's write is confirmed
      if (!rec.open) closed.push([lru, key]);
    };
    for (const [cid, rec] of written) hold(st.contacts, 'c:', cid, rec);
    for (const [key, rec] of partOut?.records ?? []) hold(st.records, 'r:', key, rec);
    for (const [ag, head] of core.agents) st.agents.set(ag, head);
    job.coreEvents.forEach((e, j) => {
      if (e.type === 'agent.state' && core.statuses[j] === 'a') touched.add(`z:${e.agentId}${US}${e.id}`);
    });
    st.touches.push({ c, keys: touched });
    st.pruneTouches();

    // a batch of duplicates writes no state: the version stays, and so does every holder's cache
    const v = st.version;
    const nv = core.ops.empty ? v : this.nextVersion();
    st.chain.add(nv);
    st.version = nv;
    const header: ApplyHeader = {
      v,
      nv,
      acc: accepted,
      now: job.settings.now,
      pub: accepted > 0 || changed,
      sealed: sealed ? this.nextVersion() : '',
      epoch: job.meta.epoch,
      demo: job.meta.demo,
      chan: this.keys.ingested(center),
    };
    this.stats.batches++;
    this.redis.applyWrites(this.keys.center(center), JSON.stringify(header), core.ops.encode()).then(
      (reply) => {
        const seq = Number(reply);
        if (seq === -1) {
          // another writer changed the center after this batch's read (or an earlier batch of
          // this epoch failed): compute it again from what Redis holds
          this.conflict(st, epoch);
          this.requeue(center, st, job);
          return;
        }
        if (st.epoch === epoch) {
          st.closedConfirmed(c, closed);
        }
        job.resolve({ seq, statuses: statuses.join('') });
      },
      (err: unknown) => {
        // Outcome unknown: the write may or may not have happened (the connection was lost after
        // it was sent, or it got no reply within the command timeout), so nothing held survives
        // it. A write that timed out is the same case as one whose connection was lost after
        // sending, on purpose: the command is not withdrawn, so Redis may still run it later, once
        // (in order on this connection, or re-sent first after a reconnect) or never. Either way
        // stays exact, because the write is fenced on the version it was computed at (v):
        // - it runs only if meta wv is still v, i.e. exactly on the state it was computed from,
        //   and then it is a complete, correct batch (its events are stored and count once; the
        //   request answered 503, so the producer re-sends them and gets "duplicate"). Versions
        //   are never reused, so it runs at most once, however often it is re-sent.
        // - the new epoch (reset below) starts with a read. On this connection that read runs
        //   after the stale write, so it sees the write's effects and version. If the stale write
        //   lands after it (re-sent on another connection), the new epoch's first write names the
        //   version the read found, which the stale write has moved: it writes nothing, and the
        //   batch is read and computed again (a conflict, as with a second process). If the new
        //   epoch's write lands first, the stale write finds another version and writes nothing.
        // - later batches of this epoch were computed on this one's result and name its nv: they
        //   can apply only if it did, and each one's own reply says which (its own timeout, a
        //   seq, or -1 and a new computation); those still queued fail with it (stalled).
        // Cost: a stall answers 503 for the work in flight and the process reads the center's
        // records again afterwards, the price of any lost connection; the alternative, waiting
        // for the reply, is the unbounded wait this avoids.
        if (st.epoch === epoch) st.reset();
        job.reject(err);
        if (isRedisTimeoutError(err)) this.stalled(st, err);
      },
    );
  }
}

