import type { ContractEvent } from '../../../shared/contract/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { RS, US } from '../../metrics/codec.ts';
import { add, BucketAccumulator, bump, dimList, fieldId, slot, subMap, type Target } from '../../metrics/write/buckets.ts';
import {
  applyDiff,
  expiryStep,
  GS,
  localDayOf,
  parseStoredEvent,
  recordExpiry,
  type ContactEv,
  type CoreSettings,
  type PendingContact,
} from '../../metrics/write/core-batch.ts';
import type { PartResult, PartState, WriterPart } from '../../metrics/write/center-writer.ts';
import type { WriteOps } from '../../metrics/write/ops.ts';
import { byEventOrder, bytesLess, eventLess } from '../../metrics/write/order.ts';

/**
 * The KPI pack's part of a batch (counting rules: shared/metrics/SEMANTICS-KPI.md), computed in
 * Node and written in the same fenced applyWrites call as the core's (metrics/write/center-writer.ts).
 *
 * Like the core, every entity (contact, IVR session, robot session) keeps its events and its
 * applied contribution, so figures are a pure function of the set of events whatever their order.
 * Stored layout:
 *   ct:<contactId>   the core's contact record (core-batch.ts), shared: the pack reads the core's
 *                    `e:<id>` events of types 0–3 (queued, answered, abandoned, transferred; the
 *                    customer id is their sixth field) and keeps its own fields beside them:
 *                    ks:<id> = 0 US ts US rating US queue US channel US agent (surveys),
 *                    ka = applied items (GS), kv = applied survey items, kz = state machine
 *                    (encodeState; every record written since this layout carries it),
 *                    ke:<id> = an event of the earlier layout's mirror that the core's record no
 *                    longer had; x = the shared expiry deadline (the later of both parts' needs)
 *   kc:<contactId>   the earlier layout (until 2026-12): the same as its own record, with mirrors of
 *                    the contact's events (e:, the customer id sixth), s:, a, v, z, x. Never written
 *                    now; read at the first touch of a ct: record of that layout (isEarlierLayout),
 *                    and of every contact without kz while such records may outlive their ct:
 *                    (KpiWriterPart.legacyWindow), and carried into ct: (importLegacy)
 *   ki:<sessionId> / kbs:<sessionId>   x:<id> = the session's events, a = the counted exit's item, x
 *   kb:…             counter buckets, the core's layout (metrics/write/buckets.ts)
 *   kad:<day>        agentId US field → that local day's ratings
 *   kfc:<day>:<dim> / kfs:<day>:<dim>  FCR (applyWrites' F operation)
 * Item strings: "ts US dims(RS) US field US delta ..." (bucket sums),
 *   "@ US day US agentId US dayEndMs US field US delta ..." (per-agent day ratings),
 *   "% US day US dayEndMs US customerId US dims(RS)" (FCR memberships; '' = no customerId).
 * Contact events arriving in order resume the stored state and append items; a late one
 * re-derives the contact from every event and applies new − old item by item.
 */

export type KpiRecord = Map<string, string>;

type Item = (string | number)[];

interface MachineState {
  last?: { ts: number; t: number; id: string };
  leg?: { q: string; at: number };
  prev?: { q: string; closedAt: number; out: string };
  n: number;
  la?: { q: string; ag: string };
  maxTs: number;
  seen?: Set<string>;
  seenFrom?: string;
}

/** an IVR or robot session's record */
interface SessionEntity {
  key: string;
  h: KpiRecord;
  write: string[];
  kind: 'i' | 'b';
}

/** a contact: its record is the core's (PendingContact), the pack's fields added to its write */
interface ContactEntity {
  h: KpiRecord;
  pending: PendingContact;
  /** the batch's new contact events of types 0–3 */
  added: ContactEv[];
  surveyTs: number[];
  surveys: boolean;
}

/** contact event types the pack reads (queued, answered, abandoned, transferred) */
const kpiEventType = (t: number): boolean => t <= 3;

const split = (s: string | undefined, sep: string): string[] => (s === undefined || s === '' ? [] : s.split(sep));

/** The session record an event belongs to, or undefined (contacts live in the core's record). */
function kpiRecordKey(keys: Keys, center: string, e: ContractEvent): string | undefined {
  switch (e.type) {
    case 'ivr.entered':
    case 'ivr.exited':
      return keys.kpiIvrSession(center, e.sessionId);
    case 'bot.started':
    case 'bot.ended':
      return keys.kpiBotSession(center, e.sessionId);
    default:
      return undefined;
  }
}

function encodeState(st: MachineState): string {
  const { last: l, leg, prev, la } = st;
  return [
    l?.ts ?? '', l?.t ?? '', l?.id ?? '',
    leg?.q ?? '', leg?.at ?? '',
    prev?.q ?? '', prev?.closedAt ?? '', prev?.out ?? '',
    st.n, la ? '1' : '', la?.q ?? '', la?.ag ?? '', st.maxTs,
  ].join(US);
}

function decodeState(v: string): MachineState | undefined {
  const p = v.split(US);
  if (p.length !== 13) return undefined;
  const st: MachineState = { n: Number(p[8]), maxTs: Number(p[12]) };
  if (p[0] !== '') st.last = { ts: Number(p[0]), t: Number(p[1]), id: p[2]! };
  if (p[3] !== '') st.leg = { q: p[3]!, at: Number(p[4]) };
  if (p[5] !== '') st.prev = { q: p[5]!, closedAt: Number(p[6]), out: p[7]! };
  if (p[9] === '1') st.la = { q: p[10]!, ag: p[11]! };
  return st;
}

/** the earlier format of `a`: JSON {i, a, f}, as item strings */
function legacyItems(enc: string, list: string[]): string[] {
  const c = JSON.parse(enc) as { i?: (string | number)[][]; a?: (string | number)[][]; f?: (string | number)[][] };
  for (const it of c.i ?? []) list.push(it.join(US));
  for (const a of c.a ?? []) list.push(['@', ...a].join(US));
  for (const f of c.f ?? []) list.push(['%', f[0], f[1], f[3], f[2]].join(US));
  return list;
}

function storedItems(h: ReadonlyMap<string, string>, list: string[]): string[] {
  const a = h.get('a');
  if (a !== undefined && a.startsWith('{')) return legacyItems(a, list);
  for (const item of split(a, GS)) list.push(item);
  return list;
}

function computeKpiBatch(
  keys: Keys,
  center: string,
  /** events the engine accepted for storage (validated, within the time limits) */
  events: readonly ContractEvent[],
  s: CoreSettings,
  state: PartState,
  ops: WriteOps,
): PartResult {
  const now = s.now;
  const step = expiryStep(s.late);
  const buckets = new BucketAccumulator(keys.kpiBucketPrefix(center), now, s.ret, s.seal);
  const localDay = (ts: number) => localDayOf(s.mid, ts);

  // net change of "customer contacted on day in dim": day → {dayEnd, dim → customer → delta}
  const fcrDelta = new Map<string, { dayEnd: number; d: Map<string, Map<string, number>> }>();
  const bumpFcr = (day: string, dayEnd: number, dim: string, customer: string, delta: number): void => {
    let byDay = fcrDelta.get(day);
    if (!byDay) fcrDelta.set(day, (byDay = { dayEnd, d: new Map() }));
    bump(subMap(byDay.d, dim), customer, delta);
  };

  const kadTarget = (day: string, ttl: number): Target => buckets.target(keys.kpiAgentDay(center, day), ttl);
  const applyParsed = (it: Item, sign: number): void => {
    const k1 = it[0];
    if (k1 === '@') {
      const ttl = (it[3] as number) + s.late - now;
      if (ttl > 0) {
        const h = slot(kadTarget(it[1] as string, ttl), '');
        for (let k = 4; k + 1 < it.length; k += 2) add(h, fieldId(`${it[2] as string}${US}${it[k] as string}`), sign * (it[k + 1] as number));
      }
    } else if (k1 === '%') {
      for (const dim of dimList(it[4] as string)) bumpFcr(it[1] as string, it[2] as number, dim, it[3] as string, sign);
    } else buckets.addItem(it[0] as number, it[1] as string, it, 2, sign);
  };
  const applyItem = (item: string, sign: number): void => {
    const it: Item = item.split(US);
    if (it[0] === '@') {
      it[3] = Number(it[3]);
      for (let k = 5; k < it.length; k += 2) it[k] = Number(it[k]);
    } else if (it[0] === '%') it[2] = Number(it[2]);
    else {
      it[0] = Number(it[0]);
      for (let k = 3; k < it.length; k += 2) it[k] = Number(it[k]);
    }
    applyParsed(it, sign);
  };

  // the core's queue map, read only here (the core learns channels earlier in the same batch)
  const qcache = new Map<string, { list: string[]; enc: string; ch: string }>();
  const qdims = (q: string) => {
    let d = qcache.get(q);
    if (d) return d;
    const p = split(state.qmap.get(q), US);
    const ch = p[0] ?? '';
    const list = ['all', `q:${q}`];
    if (ch !== '') list.push(`ch:${ch}`);
    for (const g of split(p[3], RS)) list.push(`g:${g}`);
    d = { list, enc: list.join(RS), ch };
    qcache.set(q, d);
    return d;
  };

  // The contact state machine over contact events sorted by (ts, type, id): legs, transfers, the
  // first leg, FCR memberships. Feeding events one by one appends exactly the items a run over
  // the whole sorted set appends. An answered leg becomes a transfer when a later leg opens.
  const run = (st: MachineState, evs: readonly ContactEv[], out: Item[]): void => {
    let { leg, prev, n } = st;
    const close = (ts: number, outcome: string): void => {
      const it: Item = [ts, qdims(leg!.q).enc, 'l', 1];
      if (outcome === 'x') it.push('t', 1);
      out.push(it);
      if (prev && prev.out !== 'b') {
        const x: Item = [ts, qdims(prev.q).enc, 'x', 1];
        if (outcome === 'a') x.push('xa', 1);
        out.push(x);
      }
      prev = { q: leg!.q, closedAt: ts, out: outcome };
      leg = undefined;
    };
    for (const e of evs) {
      if (e.t === 0) {
        const q = e.q;
        const day = localDay(e.ts);
        if (day) {
          let seen = st.seen;
          if (!seen) {
            seen = st.seen = new Set();
            // resumed state: the memberships already applied are the stored "%" items
            for (const item of split(st.seenFrom, GS)) {
              if (!item.startsWith('%')) continue;
              const p = item.split(US);
              for (const dim of dimList(p[4] ?? '')) seen.add(p[1] + US + dim + US + p[3]);
            }
          }
          const qd = qdims(q);
          const fresh: string[] = [];
          for (const dim of qd.list) {
            const key = day[0] + US + dim + US + e.cu;
            if (!seen.has(key)) {
              seen.add(key);
              fresh.push(dim);
            }
          }
          if (fresh.length > 0) out.push(['%', day[0], day[1], e.cu, fresh.length === qd.list.length ? qd.enc : fresh.join(RS)]);
        }
        if (!(leg && leg.q === q)) {
          if (leg) close(e.ts, 'x');
          if (prev && prev.out === 'a') out.push([prev.closedAt, qdims(prev.q).enc, 't', 1]);
          leg = { q, at: e.ts };
          n++;
          if (n === 1) out.push([e.ts, qdims(q).enc, 'f', 1]);
        }
      } else if (leg) {
        if (e.t === 1) {
          st.la = { q: leg.q, ag: e.ag };
          close(e.ts, 'a');
        } else if (e.t === 2) close(e.ts, 'b');
        // the legs of SEMANTICS.md: a transfer to Q leaves a leg in Q open (it is the transfer's
        // arrival); one stored without its queue ('', earlier records) closes any leg
        else if (leg.q !== e.q) close(e.ts, 'x');
      }
      st.last = { ts: e.ts, t: e.t, id: e.id };
    }
    st.leg = leg;
    st.prev = prev;
    st.n = n;
  };

  // The contact's survey items from its first survey (by ts, id) and its last answered leg.
  const surveyItems = (h: ReadonlyMap<string, string>, la: MachineState['la']): [string[], number | undefined] => {
    let best: string[] | undefined;
    let bestId = '';
    let bestTs = 0;
    for (const [f, v] of h) {
      if (!f.startsWith('ks:')) continue;
      const id = f.slice(3);
      const p = v.split(US);
      const ts = Number(p[1]);
      if (!best || ts < bestTs || (ts === bestTs && bytesLess(id, bestId))) {
        best = p;
        bestId = id;
        bestTs = ts;
      }
    }
    if (!best) return [[], undefined];
    const rating = best[2] ?? '';
    let q = best[3] ?? '';
    const ch = best[4] ?? '';
    let ag = best[5] ?? '';
    if (q === '' && la) q = la.q;
    if (ag === '' && la) ag = la.ag;
    let dims: string;
    if (q !== '') {
      const qd = qdims(q);
      dims = qd.enc;
      if (qd.ch === '' && ch !== '') dims = dims + RS + 'ch:' + ch;
    } else {
      dims = 'all';
      if (ch !== '') dims = dims + RS + 'ch:' + ch;
    }
    const score = rating !== '' && Number.isFinite(Number(rating)) ? Number(rating) : undefined;
    const dissatisfied = rating === 'dissatisfied' || (score !== undefined && score <= 2);
    const fields: Item = ['r', 1];
    if (dissatisfied) fields.push('rd', 1);
    if (score !== undefined) fields.push('rn', 1, 'rs', score);
    const items = [[bestTs, dims, ...fields].join(US)];
    const day = localDay(bestTs);
    if (day && ag !== '') items.push(['@', day[0], ag, day[1], ...fields].join(US));
    return [items, bestTs];
  };

  /** the contact's stored events the pack reads: the core's `e:` of types 0–3 and the earlier
   * layout's `ke:` mirrors, except `skip` (ids) */
  const storedEvents = (h: ReadonlyMap<string, string>, skip?: ReadonlySet<string>): ContactEv[] => {
    // by id: an event the core took again as new after its own record expired may also be an
    // earlier mirror (it sorts no later than the state's last event, so it comes here, not to the
    // fast path)
    const evs = new Map<string, ContactEv>();
    for (const [f, v] of h) {
      if (!(f.startsWith('e:') || f.startsWith('ke:'))) continue;
      const e = parseStoredEvent(f, v);
      if (kpiEventType(e.t) && !skip?.has(e.id) && !evs.has(e.id)) evs.set(e.id, e);
    }
    return [...evs.values()].sort(byEventOrder);
  };

  /** does the record hold events the pack reads besides the batch's new ones (`added`)? */
  const storesEarlierEvents = (h: ReadonlyMap<string, string>, added: readonly ContactEv[]): boolean => {
    for (const [f, v] of h) {
      if (!(f.startsWith('e:') || f.startsWith('ke:'))) continue;
      const id = f.slice(f.indexOf(':') + 1);
      if (kpiEventType(Number(v.slice(0, v.indexOf(US)))) && !added.some((e) => e.id === id)) return true;
    }
    return false;
  };

  /**
   * A contact record of the earlier layout (isEarlierLayout; its legacy entry): carried over
   * before anything else touches it, so the batch continues it exactly. The earlier record's state, items and surveys move into `ct:`; its mirrors of events
   * the core's record no longer has become `ke:`; customer ids go into the core's `e:` values.
   * Without an earlier record (it expired before the core's, whose deadline also counts ended and
   * wrapped events) its contribution was applied all the same: the state derived from the
   * record's events before this batch is stored as applied, and no bucket changes.
   */
  const importLegacy = (ent: ContactEntity, old: ReadonlyMap<string, string>): void => {
    const h = ent.h;
    const set = (f: string, v: string): void => {
      h.set(f, v);
      ent.pending.write.push(f, v);
    };
    if (old.size > 0) {
      const items = storedItems(old, []);
      if (items.length > 0) set('ka', items.join(GS));
      const v = old.get('v');
      if (v !== undefined && v !== '') set('kv', v);
      for (const [f, val] of old) {
        if (f.startsWith('s:')) set(`k${f}`, val);
        else if (f.startsWith('e:')) {
          const cur = h.get(f);
          if (cur === undefined) set(`ke:${f.slice(2)}`, val);
          else {
            const cu = val.split(US)[5] ?? '';
            if (cu !== '' && cur.split(US).length < 6) set(f, cur + US + cu);
          }
        }
      }
      const z = old.get('z');
      if (z !== undefined && decodeState(z)) {
        set('kz', z);
        return;
      }
    }
    // no earlier state to continue: what the record's earlier events contribute counts as applied
    const st: MachineState = { n: 0, maxTs: 0 };
    const out: Item[] = [];
    run(st, storedEvents(h, new Set(ent.added.map((e) => e.id))), out);
    st.maxTs = st.last?.ts ?? 0;
    if (out.length > 0 && !h.has('ka')) set('ka', out.map((it) => it.join(US)).join(GS));
    set('kz', encodeState(st));
  };

  const updateContact = (ent: ContactEntity): [boolean, number, boolean] => {
    const h = ent.h;
    const w = ent.pending.write;
    let changed = false;
    const z = h.get('kz');
    // only the core's ended / wrapped events, no surveys: nothing of the pack's can move, so its
    // state is neither decoded nor encoded again (the two took ≈ 1.3 % of engine-micro's busy
    // samples, for every contact a batch touched)
    if (z !== undefined && ent.added.length === 0 && !ent.surveys) return [false, 0, false];
    const added = ent.added.sort(byEventOrder);
    // no state: nothing of this contact was applied yet (every record the pack has written carries
    // `kz`), so it starts empty, unless events older than the batch's are stored (then re-derive)
    let st: MachineState | undefined;
    if (z !== undefined) st = decodeState(z);
    else if (!storesEarlierEvents(h, added)) st = { n: 0, maxTs: 0 };
    const oldA = h.get('ka') ?? '';
    let newA: string;
    if (st && (added.length === 0 || st.last === undefined || eventLess(st.last, added[0]!))) {
      // fast path: resume the state machine, append its new items
      const out: Item[] = [];
      st.seenFrom = oldA;
      run(st, added, out);
      if (out.length > 0) {
        const strs = out.map((it) => {
          applyParsed(it, 1);
          return it.join(US);
        });
        const more = strs.join(GS);
        newA = oldA === '' ? more : oldA + GS + more;
      } else newA = oldA;
      let maxTs = st.maxTs;
      for (const e of added) if (e.ts > maxTs) maxTs = e.ts;
      for (const ts of ent.surveyTs) if (ts > maxTs) maxTs = ts;
      st.maxTs = maxTs;
      // the survey items depend on the first survey, the last answered leg and the queue map: cheap
      // to recompute for the few contacts that have a survey
      const oldV = h.get('kv') ?? '';
      if (ent.surveys) {
        const newV = surveyItems(h, st.la)[0].join(GS);
        if (newV !== oldV) {
          applyDiff(split(oldV, GS), split(newV, GS), applyItem);
          w.push('kv', newV);
          changed = true;
        }
      }
    } else {
      // slow path: re-derive from every event, apply the difference
      st = { n: 0, maxTs: 0 };
      const out: Item[] = [];
      run(st, storedEvents(h), out);
      let maxTs = st.last ? st.last.ts : 0;
      newA = out.map((it) => it.join(US)).join(GS);
      const [sv] = surveyItems(h, st.la);
      for (const [f, v] of h) {
        if (!f.startsWith('ks:')) continue;
        const ts = Number(v.split(US)[1]);
        if (ts > maxTs) maxTs = ts;
      }
      st.maxTs = maxTs;
      const newV = sv.join(GS);
      const oldV = h.get('kv') ?? '';
      const oldItems = split(oldA, GS);
      for (const it of split(oldV, GS)) oldItems.push(it);
      const newItems = [...split(newA, GS), ...split(newV, GS)];
      applyDiff(oldItems, newItems, applyItem);
      if (newV !== oldV) {
        w.push('kv', newV);
        changed = true;
      }
    }
    if (newA !== oldA) {
      w.push('ka', newA);
      changed = true;
    }
    const enc = encodeState(st);
    if (enc !== z) w.push('kz', enc);
    return [changed, st.maxTs, st.leg !== undefined];
  };

  const updateSession = (ent: SessionEntity): [string[], boolean, number, boolean] => {
    const h = ent.h;
    let best: string[] | undefined;
    let bestId = '';
    let bestTs = 0;
    let maxTs = 0;
    for (const [f, v] of h) {
      if (!f.startsWith('x:')) continue;
      const p = v.split(US);
      const ts = Number(p[1]);
      if (ts > maxTs) maxTs = ts;
      if (p[0] === '1') {
        const id = f.slice(2);
        if (!best || ts < bestTs || (ts === bestTs && bytesLess(id, bestId))) {
          best = p;
          bestId = id;
          bestTs = ts;
        }
      }
    }
    let newA = '';
    if (best) {
      let it: Item;
      if (ent.kind === 'i') {
        // x:<id> = type US ts US outcome
        it = [bestTs, `all${RS}ch:voice`, 'i', 1];
        if (best[2] === 'to_agent') it.push('ia', 1);
        if (best[2] === 'self_served') it.push('is', 1);
      } else {
        // x:<id> = type US ts US channel US outcome US questions US recognized US unresolved
        it = [bestTs, `all${RS}ch:${best[2] ?? ''}`, 'b', 1];
        const add = (f: string, v: number | undefined) => {
          if (v !== undefined && v !== 0) it.push(f, v);
        };
        const num = (x: string | undefined) => (x === undefined || x === '' || !Number.isFinite(Number(x)) ? undefined : Number(x));
        add('ba', best[3] === 'to_agent' ? 1 : 0);
        add('br', best[3] === 'resolved' ? 1 : 0);
        add('bq', num(best[4]));
        add('bg', num(best[5]));
        add('bu', num(best[6]));
      }
      newA = it.join(US);
    }
    if (newA !== (h.get('a') ?? '')) {
      applyDiff(storedItems(h, []), split(newA, GS), applyItem);
      return [['a', newA], true, maxTs, newA === ''];
    }
    return [[], false, maxTs, newA === ''];
  };

  // ---- intake
  // contacts: every one the core wrote (the pack's state goes with each), and those surveys name
  const contacts = new Map<string, ContactEntity>();
  const contactEntity = (cid: string): ContactEntity => {
    let ent = contacts.get(cid);
    if (ent) return ent;
    let pending = state.pending.get(cid);
    if (!pending) {
      const h = state.contacts.get(cid);
      if (h === undefined) throw new Error(`contact ${cid} was not loaded`);
      pending = { key: keys.contact(center, cid), h, write: [], lastTs: 0, open: false, added: [] };
      state.pending.set(cid, pending);
    }
    const h = pending.h;
    ent = { h, pending, added: pending.added.filter((e) => kpiEventType(e.t)), surveyTs: [], surveys: false };
    contacts.set(cid, ent);
    // a record of the earlier layout, or any without kz while such records may outlive their ct:
    // (the writer read its kc: then: WriterPart.needsLegacy), not yet carried over
    const old = state.legacy.get(cid);
    if (old !== undefined && !h.has('kz')) importLegacy(ent, old);
    for (const f of h.keys()) {
      if (f.startsWith('ks:')) {
        ent.surveys = true;
        break;
      }
    }
    return ent;
  };
  for (const cid of state.pending.keys()) contactEntity(cid);

  const sessions = new Map<string, SessionEntity>();
  const statuses: string[] = new Array(events.length);
  let accepted = 0;
  events.forEach((e, i) => {
    statuses[i] = '';
    if (e.type === 'survey.rated') {
      const ent = contactEntity(e.contactId);
      const field = `ks:${e.id}`;
      if (ent.h.has(field)) statuses[i] = 'd';
      else {
        const value = ['0', e.ts, e.rating, e.queue ?? '', e.channel ?? '', e.agentId ?? ''].join(US);
        ent.h.set(field, value);
        ent.pending.write.push(field, value);
        ent.surveys = true;
        ent.surveyTs.push(e.ts);
        statuses[i] = 'a';
        accepted++;
      }
      return;
    }
    let kind: SessionEntity['kind'];
    let value: string;
    if (e.type === 'ivr.entered' || e.type === 'ivr.exited') {
      kind = 'i';
      value = [e.type === 'ivr.exited' ? '1' : '0', e.ts, e.type === 'ivr.exited' ? e.outcome : ''].join(US);
    } else if (e.type === 'bot.started' || e.type === 'bot.ended') {
      kind = 'b';
      value =
        e.type === 'bot.ended'
          ? ['1', e.ts, e.channel, e.outcome, e.questions ?? 0, e.recognized ?? 0, e.unresolvedRated ?? 0].join(US)
          : ['0', e.ts, e.channel, '', '', '', ''].join(US);
    } else return; // contact events: the core's record has them (statuses: the core counts them)
    const key = kpiRecordKey(keys, center, e)!;
    let ent = sessions.get(key);
    if (!ent) {
      const h = state.records.get(key);
      if (h === undefined) throw new Error(`KPI record ${key} was not loaded`);
      ent = { key, h, write: [], kind };
      sessions.set(key, ent);
    }
    const field = `x:${e.id}`;
    if (ent.h.has(field)) statuses[i] = 'd';
    else {
      ent.h.set(field, value);
      ent.write.push(field, value);
      statuses[i] = 'a';
      accepted++;
    }
  });

  // ---- each touched entity once
  let changed = false;
  for (const ent of contacts.values()) {
    const [ch, maxTs, open] = updateContact(ent);
    if (ch) changed = true;
    // one deadline per record: the later of the core's and the pack's needs (writeContacts)
    if (maxTs > ent.pending.lastTs) ent.pending.lastTs = maxTs;
    if (open) ent.pending.open = true;
  }
  const records: PartResult['records'] = new Map();
  for (const ent of sessions.values()) {
    if (ent.write.length === 0) continue;
    const [w, ch, maxTs, open] = updateSession(ent);
    if (ch) changed = true;
    // as the core's contacts: the hash lives until its last event + lateEvent, with a step of headroom
    const { x, expireIn, expiresAt } = recordExpiry(ent.h.get('x'), maxTs, s.late, step, now);
    if (x !== undefined) w.push('x', x);
    // the fields first: an expiry on a key that does not exist yet is lost
    ops.hset(ent.key, ent.write.concat(w));
    if (expireIn !== undefined) ops.pexpire(ent.key, expireIn);
    for (let k = 0; k < w.length; k += 2) ent.h.set(w[k]!, w[k + 1]!);
    // the writer holds it only while open (a session without its exit)
    records.set(ent.key, { h: ent.h, expiresAt, open });
  }

  const sealed = buckets.flush(ops);

  // FCR: kfc:<day>:<dim> customer → contacts that day (kept while late events may still come);
  // kfs:<day>:<dim> {c = customers, o = customers with one contact, n = contacts without customerId}
  // (kept for the interval retention, so past days keep their figure). Read-modify-write in Lua.
  for (const [day, byDay] of fcrDelta) {
    for (const [dim, deltas] of byDay.d) {
      const customers: [string, number][] = [];
      let dn = 0;
      for (const [customer, d] of deltas) {
        if (d === 0) continue;
        if (customer === '') dn = d;
        else customers.push([customer, d]);
      }
      if (customers.length === 0 && dn === 0) continue;
      ops.fcr(keys.kpiFcrCounts(center, day, dim), keys.kpiFcrSummary(center, day, dim), byDay.dayEnd + s.late - now, byDay.dayEnd + s.ret.iret - now, dn, customers);
    }
  }
  return { statuses, accepted, changed, sealed, records };
}

/**
 * A contact record of the layout before one record per contact (2026-12-07): the pack's leg events
 * are stored but not its state, which lived in `kc:<contactId>`. Every record the pack has written
 * since carries `kz`, and the core's own events alone (ended, wrapped) are not leg events.
 */
export function isEarlierLayout(h: ReadonlyMap<string, string>): boolean {
  if (h.has('kz')) return false;
  for (const [f, v] of h) if (f.startsWith('e:') && kpiEventType(Number(v.slice(0, v.indexOf(US))))) return true;
  return false;
}

/** The KPI pack as a part of the center writer (metrics/write/center-writer.ts). */
export class KpiWriterPart implements WriterPart {
  /** until when a contact's earlier-layout record may exist without its `ct:` record (ms; 0:
   * none found, see legacyFound) */
  private legacyUntil = 0;

  constructor(private readonly keys: Keys) {}

  /** Earlier-layout records exist, the last of them until `until` (KpiMetricEngine.init). */
  legacyFound(until: number): void {
    this.legacyUntil = Math.max(this.legacyUntil, until);
  }

  owns(e: ContractEvent): boolean {
    return e.type.startsWith('survey.') || e.type.startsWith('ivr.') || e.type.startsWith('bot.');
  }

  contactOf(e: ContractEvent): string | undefined {
    return e.type === 'survey.rated' ? e.contactId : undefined;
  }

  recordKey(center: string, e: ContractEvent): string | undefined {
    return kpiRecordKey(this.keys, center, e);
  }

  /**
   * A `ct:` record of the earlier layout always needs its `kc:` (else its contribution would be
   * applied again). An earlier `kc:` can also outlive its `ct:` (a survey after the wrap-up moved
   * only its deadline), so while any may exist, every contact without the pack's state needs it:
   * new ones too, whose `kc:` is then found empty.
   */
  needsLegacy(h: ReadonlyMap<string, string>, now: number): boolean {
    if (h.has('kz')) return false;
    return now < this.legacyUntil || isEarlierLayout(h);
  }

  legacyWindow(now: number): boolean {
    return now < this.legacyUntil;
  }

  legacyKey(center: string, contactId: string): string {
    return this.keys.kpiContact(center, contactId);
  }

  compute: WriterPart['compute'] = (center, events, settings, state, ops) => computeKpiBatch(this.keys, center, events, settings, state, ops);
}
