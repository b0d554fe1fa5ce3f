import type { Channel, CoreEvent } from '../../../shared/contract/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { RS, US, agentPackBase, contactTypeCode, displayName, stateCode } from '../codec.ts';
import { add, BucketAccumulator, dimList, fieldAt, fieldId, slot, type Retention, type Target } from './buckets.ts';
import { WriteOps } from './ops.ts';
import { byEventOrder, bytesLess, eventLess, type SortKey } from './order.ts';

/**
 * One batch of contact and agent-state events of one center → its writes: the counting rules of
 * shared/metrics/SEMANTICS.md, computed in Node from state read beforehand (center-writer.ts loads it
 * and applies the result with one fenced applyWrites.lua call).
 *
 * Stored layout (server/redis/keys.ts), unchanged from the Lua engine this replaced, so records it
 * wrote are continued:
 *   contact hash ct:<id>: e:<eventId> = type US ts US queue US channel US agent [US customerId of
 *     a contact.queued] (the queue of a contact.transferred is its toQueue; records written before
 *     it was kept have ''); a = the applied contribution items joined by GS; s = state machine
 *     after the last event (encodeState; a tenth field, the request start, only where it is not
 *     the open leg's queuedAt); w = waiting leg "queue US request start" (its score in the waiting
 *     set) or ''; x = expiry deadline (ms), shared with the KPI pack, whose fields (k…) live in the
 *     same record (kpi-batch.ts); every contact a batch changes is one HSET (writeContacts), after
 *     the pack added its fields
 *   item strings: "ts US dims(RS) US field US delta ..." (bucket sums) or
 *     "@ US localDate US agentId US dayEndMs" (handledToday)
 *   agent timeline at:<agent> (member = event id, score = ts) and points ap:<agent>: <eventId> =
 *     state US reason US team US queues(RS) US name US dims(RS); '' (agentMetaField, a name no
 *     event id can have) = "trimStep US sinceTs US sinceId": the expiry step of the last trim and
 *     the start of the final run of equal state + reason (a record written before it had
 *     `_s` = "ts US id" and `_t` = trimStep instead, fields an event id could overwrite)
 *
 * Events arriving in order (the common case) resume the stored state machine and append items;
 * a late one re-derives the contact from every stored event and applies new − old item by item,
 * so late, reordered and repeated events still count each contact exactly once.
 */

export const GS = '\x1d';

export interface CoreSettings {
  now: number;
  /** lateEventHours in ms: contacts live this long after their last event, timelines are trimmed to it */
  late: number;
  ret: Retention;
  /** default service-level thresholds (ms) per channel, for queues without their own */
  sl: Record<Channel, number>;
  /** default short-abandon threshold (ms) */
  short: number;
  /** waitingTimeout (ms) */
  wto: number;
  /** local midnights [ms, YYYY-MM-DD] ascending, covering the late-event horizon and tomorrow */
  mid: [number, string][];
  /** a bucket that ended this long before now is sealed */
  seal: number;
}

/** a contact's stored hash (empty: the contact is new); updated in place by a batch (the writer
 * forgets everything it holds whenever a batch does not commit) */
export type ContactRecord = Map<string, string>;

export interface Point {
  state: string;
  reason: string;
  team: string;
  /** RS-joined */
  queues: string;
  name: string;
  /** RS-joined dimensions the point counts in */
  dims: string;
}

/** what a batch needs of an agent: its last point and `since` */
export interface AgentHead {
  lastId?: string;
  lastTs?: number;
  last?: Point;
  since?: number;
  sinceId?: string;
  /** the stored since was missing: `since` is recomputed from the whole timeline */
  sinceDirty: boolean;
  trimStep?: string;
}

/** an agent's whole stored timeline, ascending (score, member bytes), and its stored points */
export interface Timeline {
  members: { id: string; ts: number }[];
  points: ReadonlyMap<string, string>;
}

export interface CoreState {
  /** raw queue map values (queue → channel US slMs US shortMs US groups); learned queues are added */
  qmap: Map<string, string>;
  contacts: ReadonlyMap<string, ContactRecord>;
  agents: ReadonlyMap<string, AgentHead>;
  /** agent US eventId of agent events already in their timeline */
  known: ReadonlySet<string>;
  /** agents whose whole timeline was loaded (see timelinesNeeded) */
  timelines: ReadonlyMap<string, Timeline>;
}

export interface CoreResult {
  /** one char per event: a = accepted, d = duplicate */
  statuses: string;
  accepted: number;
  sealed: boolean;
  ops: WriteOps;
  /** the contacts the batch changed, by contact id: their fields are written by writeContacts,
   * after a part (the KPI pack) added its own to the same record */
  pending: Map<string, PendingContact>;
  agents: Map<string, AgentHead>;
}

/** A record a batch wrote: its Redis deadline (undefined: about to expire) and whether it is still
 * open (worth holding for the next batches). */
export interface HeldRecord {
  h: Map<string, string>;
  expiresAt: number | undefined;
  open: boolean;
}

/** A contact record a batch writes: one HSET (and at most one PEXPIRE) per contact and batch. */
export interface PendingContact {
  key: string;
  /** the record, updated in place */
  h: ContactRecord;
  /** fields to write, alternating names and values */
  write: string[];
  /** the latest event time the record must outlive by lateEvent (see recordExpiry) */
  lastTs: number;
  /** waiting or in conversation: worth holding for the next batches */
  open: boolean;
  /** the batch's new events of the contact, in event order */
  added: readonly ContactEv[];
}

/** A contact event as stored in `e:<id>` = type US ts US queue US channel US agent [US customer]. */
export interface ContactEv extends SortKey {
  /** queued: its queue; transferred: its toQueue ('' if stored before it was kept) */
  q: string;
  ag: string;
  /** customer id of a contact.queued that has one (the KPI pack's first-contact resolution), else '' */
  cu: string;
}

/** one per answer: an agent may transfer an answered contact, which another agent answers in the
 * new queue while the first one's conversation is still open */
interface Conversation {
  q: string;
  at: number;
  /** the answering agent ('' if the answer named none) */
  ag: string;
  ended: boolean;
  wrapped: boolean;
}

interface MachineState {
  last?: SortKey;
  leg?: { q: string; at: number };
  /** the contact's conversations in answer order, wrapped ones included (ended / wrapped naming
   * their agent must not fall back to another agent's conversation) */
  convs?: Conversation[];
  /** start of the customer's request for a human (SEMANTICS.md "The customer's wait"): from the
   * queued that opened a leg with none running until a leg closes answered or abandoned; it runs on
   * with no leg open between a transferred and the next queued */
  req?: number;
}

interface QueueInfo {
  ch: string;
  sl: number | undefined;
  short: number;
  dims: string;
  /** the queue's own row, judged by the time in the queue */
  qd: string;
  /** the rows judged by the customer's wait: all, ch:, g: */
  wd: string;
}

type Item = (string | number)[];

/** timed states (logged_out is never timed) → their short bucket field code */
const timedCode = new Map<string, string>(Object.entries(stateCode));
/** a state code's bucket fields: n, m (60 s and 900 s levels) and p, both packed (1 s level) */
const timedFields = new Map([...timedCode.values()].map((c) => [c, { n: `n:${c}`, m: `m:${c}`, p: `p:${c}` }]));

/**
 * The field of an agent's points hash (ap:) that holds "trimStep US sinceTs US sinceId". Event ids
 * are 1–128 characters, so '' is the one name no point can take (the earlier `_s` / `_t` could be
 * overwritten by an event with that id).
 */
export const agentMetaField = '';

export const parsePoint = (v: string): Point => {
  const p = v === '' ? [] : v.split(US);
  return { state: p[0] ?? '', reason: p[1] ?? '', team: p[2] ?? '', queues: p[3] ?? '', name: p[4] ?? '', dims: p[5] ?? '' };
};

const split = (s: string | undefined, sep: string): string[] => (s === undefined || s === '' ? [] : s.split(sep));

/** expiry step of contact records and timeline trims: 10 min, or lateEvent / 8 if shorter */
export const expiryStep = (late: number): number => Math.max(1000, Math.min(600_000, (late - (late % 8000)) / 8));

/**
 * A record's expiry. It must live until its last event + lateEvent, so that a late or repeated
 * event still finds the ids already counted. The deadline is stored as `x` with a step of headroom
 * (rounded up to a step, plus one) and moved only once the need passes it: a contact's events span
 * minutes, so its record gets one PEXPIRE, when it is first written, instead of one more each time
 * its last event crosses a step boundary (1.5–1.6 per contact and record before, by engine-micro's
 * operation count). Memory stays bounded by lateEvent + two steps.
 * Returns the new `x` to store (if it moves), the PEXPIRE to send (if any) and the deadline a writer
 * may hold the record until (undefined: about to expire).
 */
export function recordExpiry(
  storedX: string | undefined,
  lastTs: number,
  late: number,
  step: number,
  now: number,
): { x?: string; expireIn?: number; expiresAt?: number } {
  const need = lastTs + late;
  const held = storedX === undefined ? NaN : Number(storedX);
  const deadline = held >= need ? held : need - (need % step) + 2 * step;
  if (deadline - now < 1000) return { expireIn: 1000 };
  if (deadline === held) {
    // Read from Redis within a minute of its deadline, the record may expire before this write
    // lands (batches queue behind each other); the HSET would then create it anew without any
    // expiry, a key kept forever. Close to the deadline the expiry goes out again: rare, and cheap.
    return deadline - now < reExpireWithinMs ? { expireIn: deadline - now, expiresAt: held } : { expiresAt: held };
  }
  return { x: String(deadline), expireIn: deadline - now, expiresAt: deadline };
}

/** a record this close to its deadline gets its expiry sent with every write (recordExpiry); the
 * writer holds no record this close to it either (center-state.ts usable) */
const reExpireWithinMs = 60_000;

/**
 * Each pending contact record as one HSET, with the expiry it needs (the latest of the core's and
 * the part's event times + lateEvent, never lowered). Returns what the writer may hold: each
 * record with its Redis deadline (undefined: about to expire) and whether it is still open.
 */
export function writeContacts(ops: WriteOps, pending: ReadonlyMap<string, PendingContact>, s: CoreSettings): Map<string, HeldRecord> {
  const step = expiryStep(s.late);
  const held = new Map<string, HeldRecord>();
  for (const [cid, p] of pending) {
    const w = p.write;
    const { x, expireIn, expiresAt } = recordExpiry(p.h.get('x'), p.lastTs, s.late, step, s.now);
    if (x !== undefined) w.push('x', x);
    // the fields first: an expiry on a key that does not exist yet is lost
    ops.hset(p.key, w);
    if (expireIn !== undefined) ops.pexpire(p.key, expireIn);
    for (let k = 0; k < w.length; k += 2) p.h.set(w[k]!, w[k + 1]!);
    held.set(cid, { h: p.h, expiresAt, open: p.open });
  }
  return held;
}

/**
 * `s` = last ts US t US id US leg queue US leg queuedAt US conversation queue US answeredAt US
 * ended ('1' or '') US conversations. The first eight fields are the earlier layout's, which kept
 * only the conversation not yet wrapped, without its agent; they still hold the latest such one, so
 * a process of the previous build touching the record during an upgrade continues it by its own
 * rules. The ninth holds every conversation, RS-joined, each "queue GS answeredAt GS agent GS flags"
 * (1 = ended, 2 = wrapped); its presence marks the current layout.
 */
function encodeState(st: MachineState): string {
  const l = st.last!;
  const { leg, convs = [], req } = st;
  const open = convs.findLast((c) => !c.wrapped);
  const all = convs.map((c) => [c.q, c.at, c.ag, (c.ended ? 1 : 0) + (c.wrapped ? 2 : 0)].join(GS)).join(RS);
  const f = [l.ts, l.t, l.id, leg?.q ?? '', leg?.at ?? '', open?.q ?? '', open?.at ?? '', open?.ended ? '1' : '', all];
  // the request start only where it is not the open leg's queuedAt (decodeState's default), so a
  // contact without a transfer before its answer keeps nine fields
  if (req !== undefined && req !== leg?.at) f.push(req);
  return f.join(US);
}

/** undefined: a state of the earlier layout, which kept neither the agent of its conversation nor
 * the agents of wrapped ones (whose later ended / wrapped must not fall back to another agent's):
 * the record is re-derived from its events, which name them, once */
function decodeState(v: string): MachineState | undefined {
  const p = v.split(US);
  if (p.length < 9) return undefined;
  const st: MachineState = { last: { ts: Number(p[0]), t: Number(p[1]), id: p[2] ?? '' } };
  if ((p[3] ?? '') !== '') st.leg = { q: p[3]!, at: Number(p[4]) };
  const convs = split(p[8], RS).map((enc): Conversation => {
    const c = enc.split(GS);
    const flags = Number(c[3]);
    return { q: c[0]!, at: Number(c[1]), ag: c[2] ?? '', ended: (flags & 1) !== 0, wrapped: (flags & 2) !== 0 };
  });
  if (convs.length > 0) st.convs = convs;
  // missing: the request began with the open leg
  const req = (p[9] ?? '') !== '' ? Number(p[9]) : st.leg?.at;
  if (req !== undefined) st.req = req;
  return st;
}

export function parseStoredEvent(field: string, v: string): ContactEv {
  const p = v.split(US);
  return { t: Number(p[0]), ts: Number(p[1]), q: p[2] ?? '', ag: p[4] ?? '', cu: p[5] ?? '', id: field.slice(field.indexOf(':') + 1) };
}

/** apply(item, ±1) for new − old, item by item: unchanged items cost a string compare */
export function applyDiff(oldItems: string[], newItems: string[], apply: (item: string, sign: number) => void): void {
  const count = new Map<string, number>();
  for (const item of oldItems) count.set(item, (count.get(item) ?? 0) + 1);
  for (const item of newItems) {
    const n = count.get(item);
    if (n !== undefined && n > 0) count.set(item, n - 1);
    else apply(item, 1);
  }
  for (const [item, n] of count) for (let k = 0; k < n; k++) apply(item, -1);
}

/** The local day of ts from the midnights list, with the next midnight; undefined outside it. */
export function localDayOf(mid: [number, string][], ts: number): [string, number] | undefined {
  for (let i = mid.length - 2; i >= 0; i--) {
    if (mid[i]![0] <= ts) return ts < mid[i + 1]![0] ? [mid[i]![1], mid[i + 1]![0]] : undefined;
  }
  return undefined;
}

function isAppended(head: { lastId?: string; lastTs?: number }, ts: number, id: string): boolean {
  return head.lastId === undefined || ts > head.lastTs! || (ts === head.lastTs && bytesLess(head.lastId, id));
}

/**
 * Agents whose whole timeline this batch needs: an accepted event that lands before the agent's
 * last point (an out-of-order insert needs its neighbours), or a stored head without `since`.
 */
export function timelinesNeeded(events: readonly CoreEvent[], agents: ReadonlyMap<string, AgentHead>, known: ReadonlySet<string>): Set<string> {
  const need = new Set<string>();
  const heads = new Map<string, { lastId?: string; lastTs?: number }>();
  const seen = new Set<string>();
  for (const e of events) {
    if (e.type !== 'agent.state') continue;
    const key = e.agentId + US + e.id;
    if (known.has(key) || seen.has(key)) continue;
    seen.add(key);
    let h = heads.get(e.agentId);
    if (!h) {
      const stored = agents.get(e.agentId);
      heads.set(e.agentId, (h = { ...(stored?.lastId !== undefined ? { lastId: stored.lastId, lastTs: stored.lastTs! } : {}) }));
      if (stored?.sinceDirty) need.add(e.agentId);
    }
    if (isAppended(h, e.ts, e.id)) {
      h.lastId = e.id;
      h.lastTs = e.ts;
    } else need.add(e.agentId);
  }
  return need;
}

interface ContactWork {
  h: Map<string, string>;
  fresh: boolean;
  /** fields to write: new events, then a, s, w, x */
  write: string[];
  added: ContactEv[];
}

/** an agent's working state in one batch (a class: one hidden class for every agent) */
class AgentWork implements AgentHead {
  lastId: string | undefined;
  lastTs: number | undefined;
  last: Point | undefined;
  since: number | undefined;
  sinceId: string | undefined;
  sinceDirty: boolean;
  trimStep: string | undefined;
  readonly oldLastId: string | undefined;
  readonly oldLast: Point | undefined;
  changed = false;
  readonly points = new Map<string, string>();
  /** accepted event ids of this batch → ts */
  readonly batchIds = new Map<string, number>();
  /** working copy of the whole timeline (stored + this batch), when loaded */
  readonly timeline: { id: string; ts: number }[] | undefined;
  readonly stored: ReadonlyMap<string, string> | undefined;

  constructor(head: AgentHead, tl: Timeline | undefined) {
    this.lastId = this.oldLastId = head.lastId;
    this.lastTs = head.lastTs;
    this.last = this.oldLast = head.last;
    this.since = head.since;
    this.sinceId = head.sinceId;
    this.sinceDirty = head.sinceDirty;
    this.trimStep = head.trimStep;
    this.timeline = tl?.members.slice();
    this.stored = tl?.points;
  }
}

export function computeCoreBatch(keys: Keys, center: string, events: readonly CoreEvent[], s: CoreSettings, state: CoreState): CoreResult {
  const ops = new WriteOps();
  const now = s.now;
  const step = expiryStep(s.late);
  const buckets = new BucketAccumulator(keys.bucketPrefix(center), now, s.ret, s.seal);
  const qmap = state.qmap;

  // ------------------------------------------------------------------ queues
  const qcache = new Map<string, QueueInfo>();
  let agentDimsMemo = new Map<string, string>();
  const qinfo = (q: string): QueueInfo => {
    let qi = qcache.get(q);
    if (qi) return qi;
    const raw = qmap.get(q);
    const p = raw === undefined ? [] : raw.split(US);
    const ch = p[0] ?? '';
    const slRaw = p[1] ?? '';
    const shortRaw = p[2] ?? '';
    let sl = slRaw === '' ? undefined : Number(slRaw);
    if (sl === undefined && ch !== '') sl = s.sl[ch as Channel];
    const short = shortRaw === '' ? s.short : Number(shortRaw);
    const dims = ['all', `q:${q}`];
    if (ch !== '') dims.push(`ch:${ch}`);
    for (const g of split(p[3], RS)) dims.push(`g:${g}`);
    qi = { ch, sl, short, dims: dims.join(RS), qd: dims[1]!, wd: dims.filter((_, i) => i !== 1).join(RS) };
    qcache.set(q, qi);
    return qi;
  };
  // a queue first named by a contact.queued gets its channel from the event and default thresholds
  const learnQueue = (q: string, ch: string): void => {
    if (qinfo(q).ch !== '') return;
    const raw = qmap.get(q);
    let v: string;
    if (raw !== undefined) {
      const p = raw.split(US);
      if ((p[0] ?? '') !== '') return;
      v = [ch, p[1] ?? '', p[2] ?? '', p[3] ?? ''].join(US);
    } else v = ch + US + US + US;
    qmap.set(q, v);
    ops.hset(keys.queueMap(center), [q, v]);
    qcache.delete(q);
    agentDimsMemo = new Map();
  };

  // ------------------------------------------------------------------ contact items
  const adTarget = (day: string, ttl: number): Target => buckets.target(keys.agentDay(center, day), ttl);
  const applyItem = (item: string, sign: number): void => {
    const it = item.split(US);
    if (it[0] === '@') {
      const ttl = Number(it[3]) + s.late - now;
      if (ttl > 0) add(slot(adTarget(it[1]!, ttl), ''), fieldId(it[2]!), sign);
      return;
    }
    const parsed: Item = [Number(it[0]), it[1]!];
    for (let k = 2; k + 1 < it.length; k += 2) parsed.push(it[k]!, Number(it[k + 1]));
    buckets.addItem(parsed[0] as number, it[1]!, parsed, 2, sign);
  };

  // The SEMANTICS.md state machine: feeds sorted events into `st`, appends the contribution items
  // (classified with the queue's thresholds and dimensions at this moment, so a later removal is
  // exact even if the config changes) to `out` as strings, and to `parsed` when given.
  const run = (st: MachineState, evs: readonly ContactEv[], out: string[], parsed?: (Item | string)[]): void => {
    let { leg, req } = st;
    const convs = st.convs ?? [];
    const item = (it: Item): void => {
      out.push(it.join(US));
      parsed?.push(it);
    };
    // A closure's items: the queue row judged by the time in the queue, the other rows by the
    // customer's wait. Without a transfer before it the two agree and stay one item, as stored
    // before requests were kept.
    const closed = (ts: number, qi: QueueInfo, inQueue: number, customer: number, fields: (w: number) => Item): void => {
      const a = fields(inQueue);
      const b = customer === inQueue ? a : fields(customer);
      if (a.join(US) === b.join(US)) item([ts, qi.dims, ...a]);
      else {
        item([ts, qi.qd, ...a]);
        item([ts, qi.wd, ...b]);
      }
    };
    // ended / wrapped naming an agent who answered one of the conversations concern that agent's
    // own; naming none, or an agent who answered none of them, the latest that qualifies
    const target = (ag: string, ok: (c: Conversation) => boolean): Conversation | undefined => {
      const own = ag !== '' && convs.some((c) => c.ag === ag);
      return convs.findLast((c) => (!own || c.ag === ag) && ok(c));
    };
    for (const e of evs) {
      switch (e.t) {
        case 0:
          if (!(leg && leg.q === e.q)) {
            if (leg) item([e.ts, qinfo(leg.q).dims, 'xfr', 1]);
            leg = { q: e.q, at: e.ts };
            req ??= e.ts;
            item([e.ts, qinfo(e.q).dims, 'arr', 1]);
          }
          break;
        case 1:
          if (leg) {
            const qi = qinfo(leg.q);
            closed(e.ts, qi, e.ts - leg.at, e.ts - (req ?? leg.at), (w) => {
              const it: Item = ['ans', 1, 'awm', w];
              if (qi.sl !== undefined && w <= qi.sl) it.push('ait', 1);
              return it;
            });
            const day = localDayOf(s.mid, e.ts);
            if (day && e.ag !== '') {
              const h = ['@', day[0], e.ag, day[1]].join(US);
              out.push(h);
              parsed?.push(h);
            }
            convs.push({ q: leg.q, at: e.ts, ag: e.ag, ended: false, wrapped: false });
            leg = undefined;
            req = undefined;
          }
          break;
        case 2:
          if (leg) {
            const qi = qinfo(leg.q);
            const customer = e.ts - (req ?? leg.at);
            // short or not is the customer's wait at every level: offered is the same contacts
            if (customer < qi.short) item([e.ts, qi.dims, 'sab', 1]);
            else {
              closed(e.ts, qi, e.ts - leg.at, customer, (w) => {
                const it: Item = ['abn', 1];
                if (qi.sl !== undefined && w <= qi.sl) it.push('bit', 1);
                return it;
              });
            }
            leg = undefined;
            req = undefined;
          }
          break;
        case 3:
          // a leg in toQueue is this transfer's arrival (its queued sorts first at the same ms), not
          // the leg it leaves; a transfer stored without its queue ('') closes any leg, as it did
          if (leg && leg.q !== e.q) {
            item([e.ts, qinfo(leg.q).dims, 'xfr', 1]);
            leg = undefined;
          }
          break;
        case 4: {
          const conv = target(e.ag, (c) => !c.ended && !c.wrapped);
          if (conv) {
            item([e.ts, qinfo(conv.q).dims, 'tc', 1, 'tm', e.ts - conv.at]);
            conv.ended = true;
          }
          break;
        }
        case 5: {
          const conv = target(e.ag, (c) => !c.wrapped);
          if (conv) {
            item([e.ts, qinfo(conv.q).dims, 'hc', 1, 'hm', e.ts - conv.at]);
            conv.wrapped = true;
          }
          break;
        }
      }
      st.last = e;
    }
    st.leg = leg;
    if (convs.length > 0) st.convs = convs;
    st.req = req;
  };

  const derive = (h: ReadonlyMap<string, string>): [string, MachineState] => {
    const evs: ContactEv[] = [];
    for (const [f, v] of h) if (f.startsWith('e:')) evs.push(parseStoredEvent(f, v));
    evs.sort(byEventOrder);
    const st: MachineState = {};
    const out: string[] = [];
    run(st, evs, out);
    return [out.join(GS), st];
  };

  // ------------------------------------------------------------------ agents
  const agentDims = (team: string, queues: string): string => {
    const memoKey = team + US + queues;
    const memo = agentDimsMemo.get(memoKey);
    if (memo !== undefined) return memo;
    const dims = ['all'];
    const seen = new Set<string>();
    if (team !== '') dims.push(`t:${team}`);
    for (const q of split(queues, RS)) {
      const qi = qinfo(q);
      for (const d of dimList(qi.dims)) {
        if (d === 'all' || seen.has(d)) continue;
        seen.add(d);
        dims.push(d);
      }
    }
    const out = dims.join(RS);
    agentDimsMemo.set(memoKey, out);
    return out;
  };

  // sign × (state, dims) at time ts: n = count change, m = count change × offset into the bucket;
  // in the 1 s level both as one packed field (codec.ts agentPackBase)
  const transition = (ts: number, st: string, dims: string, sign: number): void => {
    const code = timedCode.get(st);
    if (code === undefined) return;
    const { n: nf, m: mf, p: pf } = timedFields.get(code)!;
    for (const lb of buckets.liveBuckets(ts)) {
      const h = slot(lb.target, dims);
      if (lb.sec >= 0) add(h, fieldAt(pf, lb.sec), sign * (agentPackBase + (ts - lb.start)));
      else {
        add(h, fieldId(nf), sign);
        add(h, fieldId(mf), sign * (ts - lb.start));
      }
    }
  };

  const pointOf = (a: AgentWork, id: string): Point => parsePoint(a.points.get(id) ?? a.stored?.get(id) ?? '');

  // ------------------------------------------------------------------ intake
  const statuses: string[] = new Array(events.length);
  let accepted = 0;
  const contacts = new Map<string, ContactWork>();
  const agents = new Map<string, AgentWork>();

  events.forEach((e, i) => {
    let status = 'a';
    if (e.type !== 'agent.state') {
      const cid = e.contactId;
      let c = contacts.get(cid);
      if (!c) {
        const rec = state.contacts.get(cid);
        if (rec === undefined) throw new Error(`contact ${cid} was not loaded`);
        c = { h: rec, fresh: rec.size === 0, write: [], added: [] };
        contacts.set(cid, c);
      }
      const f = `e:${e.id}`;
      if (c.h.has(f)) status = 'd';
      else {
        const t = Number(contactTypeCode[e.type]);
        const q = e.type === 'contact.queued' ? e.queue : e.type === 'contact.transferred' ? e.toQueue : '';
        const ch = e.type === 'contact.queued' ? e.channel : '';
        const ag = e.type === 'contact.answered' || e.type === 'contact.ended' || e.type === 'contact.wrapped' ? (e.agentId ?? '') : '';
        const cu = e.type === 'contact.queued' ? (e.customerId ?? '') : '';
        if (t === 0) learnQueue(q, ch);
        const v = cu === '' ? [t, e.ts, q, ch, ag].join(US) : [t, e.ts, q, ch, ag, cu].join(US);
        c.h.set(f, v);
        c.write.push(f, v);
        c.added.push({ t, ts: e.ts, q, ag, cu, id: e.id });
      }
    } else {
      const ag = e.agentId;
      let a = agents.get(ag);
      if (!a) {
        const head = state.agents.get(ag);
        if (head === undefined) throw new Error(`agent ${ag} was not loaded`);
        a = new AgentWork(head, state.timelines.get(ag));
        agents.set(ag, a);
      }
      if (state.known.has(ag + US + e.id) || a.batchIds.has(e.id)) status = 'd';
      else {
        a.batchIds.set(e.id, e.ts);
        a.changed = true;
        const ts = e.ts;
        const id = e.id;
        const reason = e.reason ?? '';
        let team = e.team ?? '';
        let queues = (e.queues ?? []).join(RS);
        let name = displayName(e.name);
        let prev: Point | undefined;
        let nextTs: number | undefined;
        const appended = isAppended(a, ts, id);
        if (appended) {
          prev = a.last;
          a.timeline?.push({ id, ts });
        } else {
          const tl = a.timeline;
          if (!tl) throw new Error(`agent ${ag}: out-of-order event without its timeline`);
          let r = tl.length;
          while (r > 0 && (tl[r - 1]!.ts > ts || (tl[r - 1]!.ts === ts && bytesLess(id, tl[r - 1]!.id)))) r--;
          tl.splice(r, 0, { id, ts });
          const prevId = r > 0 ? tl[r - 1]!.id : undefined;
          const next = tl[r + 1];
          nextTs = next?.ts;
          if (prevId !== undefined) prev = pointOf(a, prevId);
          // keep `since` (start of the final run of equal state+reason) exact without walking the
          // timeline: only an insertion inside the final run, or right before it, can move it
          if (a.sinceId !== undefined && a.last) {
            const same = e.state === a.last.state && reason === a.last.reason;
            const insideRun = ts > a.since! || (ts === a.since && bytesLess(a.sinceId, id));
            if (insideRun && !same) {
              a.since = next?.ts;
              a.sinceId = next?.id;
            } else if (!insideRun && same && next?.id === a.sinceId) {
              a.since = ts;
              a.sinceId = id;
            }
          } else a.sinceDirty = true;
        }
        if (team === '' && prev) team = prev.team;
        if (e.queues === undefined) queues = prev ? prev.queues : '';
        if (name === '' && prev) name = prev.name;
        const pt: Point = { state: e.state, reason, team, queues, name, dims: agentDims(team, queues) };
        a.points.set(id, [pt.state, reason, team, queues, name, pt.dims].join(US));
        // same timed state and dimensions as the point before: every bump below would cancel out
        if (!(prev && prev.state === pt.state && prev.dims === pt.dims)) {
          if (prev) transition(ts, prev.state, prev.dims, -1);
          transition(ts, pt.state, pt.dims, 1);
          if (nextTs !== undefined) {
            if (prev) transition(nextTs, prev.state, prev.dims, 1);
            transition(nextTs, pt.state, pt.dims, -1);
          }
        }
        if (appended) {
          if (!(prev && prev.state === pt.state && prev.reason === reason)) {
            a.since = ts;
            a.sinceId = id;
            a.sinceDirty = false;
          }
          a.lastId = id;
          a.lastTs = ts;
          a.last = pt;
        }
      }
    }
    if (status === 'a') accepted++;
    statuses[i] = status;
  });

  // ------------------------------------------------------------------ contacts: each once
  const waitingTouched = new Set<string>();
  const pending: CoreResult['pending'] = new Map();
  for (const [cid, c] of contacts) {
    if (c.added.length === 0) continue;
    const key = keys.contact(center, cid);
    const old = c.h.get('a') ?? '';
    c.added.sort(byEventOrder);
    const storedState = c.h.get('s');
    let st: MachineState | undefined = c.fresh ? {} : storedState !== undefined ? decodeState(storedState) : undefined;
    let enc: string;
    if (st && (st.last === undefined || eventLess(st.last, c.added[0]!))) {
      // fast path (in-order delivery): resume the stored state machine, append the new items
      const out: string[] = [];
      const parsed: (Item | string)[] = [];
      run(st, c.added, out, parsed);
      for (const it of parsed) {
        if (typeof it === 'string') applyItem(it, 1);
        else buckets.addItem(it[0] as number, it[1] as string, it, 2, 1);
      }
      const more = out.join(GS);
      enc = old === '' ? more : more === '' ? old : old + GS + more;
    } else {
      [enc, st] = derive(c.h);
      if (enc !== old) applyDiff(split(old, GS), split(enc, GS), applyItem);
    }
    const w = c.write;
    if (enc !== old) w.push('a', enc);
    w.push('s', encodeState(st));
    // a waiting contact is scored by its request start: the longest wait and the waiting timeout
    // are the customer's, in its queue's row too
    const since = st.leg ? (st.req ?? st.leg.at) : 0;
    const waiting = st.leg ? st.leg.q + US + since : '';
    const oldW = c.h.get('w') ?? '';
    if (waiting !== oldW) {
      if (oldW !== '') ops.zrem(keys.waiting(center, oldW.split(US)[0]!), cid);
      if (waiting !== '') {
        ops.zadd(keys.waiting(center, st.leg!.q), since, cid);
        waitingTouched.add(st.leg!.q);
      }
      w.push('w', waiting);
    }
    // a closed contact is rarely touched again (a late or repeated event): the writer lets it go,
    // so what it holds stays the floor's open contacts instead of everything of the last hour
    const open = st.leg !== undefined || st.req !== undefined || st.convs?.some((c) => !c.wrapped) === true;
    pending.set(cid, { key, h: c.h, write: w, lastTs: st.last!.ts, open, added: c.added });
  }
  // A contact that never got an exit event stops counting as waiting after waitingTimeout (queries
  // filter by score); trimming it here keeps the set bounded. Its hash keeps `w`, so a late exit
  // event's ZREM is a harmless no-op.
  for (const q of waitingTouched) ops.zremBelow(keys.waiting(center, q), now - s.wto);

  // ------------------------------------------------------------------ agents: live, current row, trim
  const horizon = now - s.late;
  const liveTarget = buckets.target(keys.live(center, ''), undefined);
  const trimStep = String((now - (now % step)) / step);
  const agentsOut = new Map<string, AgentHead>();
  // every changed agent's current row in one HSET (one redis.call per batch, not per agent)
  const rows: string[] = [];
  for (const [ag, a] of agents) {
    if (!a.changed) continue;
    const pt = a.last!;
    if (a.lastId !== a.oldLastId) {
      const op = a.oldLast;
      if (op && timedCode.has(op.state)) for (const d of dimList(op.dims)) add(slot(liveTarget, d), fieldId(op.state), -1);
      if (timedCode.has(pt.state)) for (const d of dimList(pt.dims)) add(slot(liveTarget, d), fieldId(pt.state), 1);
    }
    const points: string[] = [];
    for (const [id, enc] of a.points) points.push(id, enc);
    if (a.sinceDirty) {
      // start of the final run of equal (state, reason), walking the whole timeline from its end
      if (!a.timeline) throw new Error(`agent ${ag}: since without its timeline`);
      let lastKey: string | undefined;
      a.since = undefined;
      a.sinceId = undefined;
      for (let k = a.timeline!.length - 1; k >= 0; k--) {
        const m = a.timeline![k]!;
        const p = pointOf(a, m.id);
        const runKey = p.state + US + p.reason;
        if (lastKey === undefined) lastKey = runKey;
        else if (runKey !== lastKey) break;
        a.since = m.ts;
        a.sinceId = m.id;
      }
      a.sinceDirty = false;
    }
    // the timeline is trimmed to the late-event horizon at most once per step (memory bound:
    // lateEvent + one step), not on every batch that touches the agent
    const trim = trimStep !== a.trimStep;
    // the meta field is named '' so no event id (1–128 characters) can land on it
    points.push(agentMetaField, (trim ? trimStep : a.trimStep!) + US + (a.sinceId !== undefined ? String(a.since) + US + a.sinceId : US));
    for (const [id, ts] of a.batchIds) ops.zadd(keys.agentTimeline(center, ag), ts, id);
    ops.hset(keys.agentPoints(center, ag), points);
    const row = { name: pt.name, state: pt.state, reason: pt.reason, since: a.since, sinceId: a.sinceId, team: pt.team, queues: split(pt.queues, RS) };
    rows.push(ag, JSON.stringify(row));
    if (trim) ops.trimTimeline(keys.agentTimeline(center, ag), keys.agentPoints(center, ag), horizon);
    agentsOut.set(ag, {
      lastId: a.lastId!,
      lastTs: a.lastTs!,
      last: pt,
      ...(a.sinceId !== undefined ? { since: a.since!, sinceId: a.sinceId } : {}),
      sinceDirty: false,
      trimStep: trim ? trimStep : a.trimStep!,
    });
  }

  ops.hset(keys.agents(center), rows);
  const sealed = buckets.flush(ops);
  return { statuses: statuses.join(''), accepted, sealed, ops, pending, agents: agentsOut };
}
