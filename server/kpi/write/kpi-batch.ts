import type { ContactEvent, ContractEvent } from '../../../shared/contract/events.ts';
import type { Keys } from '../../redis/keys.ts';
import { RS, US } from '../../metrics/codec.ts';
import { add, BucketAccumulator, bump, dimList, fieldId, slot, subMap, type Target } from '../../metrics/write/buckets.ts';
import { applyDiff, expiryStep, GS, localDayOf, recordExpiry, type CoreSettings } from '../../metrics/write/core-batch.ts';
import type { PartResult, WriterPart } from '../../metrics/write/center-writer.ts';
import type { WriteOps } from '../../metrics/write/ops.ts';
import { byEventOrder, bytesLess, eventLess } from '../../metrics/write/order.ts';

/**
 * The KPI pack's part of a batch (counting rules: shared/metrics/SEMANTICS-KPI.md), computed in
 * Node and written in the same fenced applyWrites call as the core's (metrics/write/center-writer.ts).
 *
 * Like the core, every entity (contact, IVR session, robot session) keeps its events and its
 * applied contribution, so figures are a pure function of the set of events whatever their order.
 * Stored layout (unchanged from the Lua engine this replaced, so records it wrote are continued):
 *   kc:<contactId>   e:<id> = type US ts US queue US channel US agent US customer (the contact's
 *                    queued / answered / abandoned / transferred events, mirrored from the core's
 *                    input), s:<id> = 0 US ts US rating US queue US channel US agent (surveys),
 *                    a = applied items (GS), v = applied survey items, z = state machine (encodeState),
 *                    x = expiry deadline (last event + lateEvent, with the core's headroom: recordExpiry)
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

export interface KpiState {
  qmap: ReadonlyMap<string, string>;
  /** every entity hash the batch touches, by key (empty: new); updated in place */
  records: ReadonlyMap<string, KpiRecord>;
}


type Item = (string | number)[];

interface ContactEv {
  t: number;
  ts: number;
  q: string;
  ag: string;
  cu: string;
  id: string;
}

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

interface Entity {
  key: string;
  h: KpiRecord;
  write: string[];
  added: ContactEv[];
  surveyTs: number[];
  surveys: boolean;
  fresh: boolean;
  contact: boolean;
  kind: 'c' | 's' | 'i' | 'b';
}

const contactType: Partial<Record<ContactEvent['type'], number>> = {
  'contact.queued': 0,
  'contact.answered': 1,
  'contact.abandoned': 2,
  'contact.transferred': 3,
};

const split = (s: string | undefined, sep: string): string[] => (s === undefined || s === '' ? [] : s.split(sep));

/** The entity hash an event belongs to, or undefined for an event the KPI pack does not take. */
function kpiRecordKey(keys: Keys, center: string, e: ContractEvent): string | undefined {
  switch (e.type) {
    case 'contact.queued':
    case 'contact.answered':
    case 'contact.abandoned':
    case 'contact.transferred':
    case 'survey.rated':
      return keys.kpiContact(center, e.contactId);
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
  state: KpiState,
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
        } else close(e.ts, e.t === 2 ? 'b' : 'x');
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
      if (!f.startsWith('s:')) continue;
      const id = f.slice(2);
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

  const updateContact = (ent: Entity): [string[], boolean, number, boolean] => {
    const h = ent.h;
    const w: string[] = [];
    let changed = false;
    const z = h.get('z');
    let st: MachineState | undefined = ent.fresh ? { n: 0, maxTs: 0 } : z !== undefined ? decodeState(z) : undefined;
    const added = ent.added.sort(byEventOrder);
    const oldA = h.get('a') ?? '';
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
      const oldV = h.get('v') ?? '';
      if (ent.surveys) {
        const newV = surveyItems(h, st.la)[0].join(GS);
        if (newV !== oldV) {
          applyDiff(split(oldV, GS), split(newV, GS), applyItem);
          w.push('v', newV);
          changed = true;
        }
      }
    } else {
      // slow path: re-derive from every event, apply the difference
      const evs: ContactEv[] = [];
      for (const [f, v] of h) {
        if (!f.startsWith('e:')) continue;
        const p = v.split(US);
        evs.push({ t: Number(p[0]), ts: Number(p[1]), q: p[2] ?? '', ag: p[4] ?? '', cu: p[5] ?? '', id: f.slice(2) });
      }
      evs.sort(byEventOrder);
      st = { n: 0, maxTs: 0 };
      const out: Item[] = [];
      run(st, evs, out);
      let maxTs = st.last ? st.last.ts : 0;
      newA = out.map((it) => it.join(US)).join(GS);
      const [sv] = surveyItems(h, st.la);
      for (const [f, v] of h) {
        if (!f.startsWith('s:')) continue;
        const ts = Number(v.split(US)[1]);
        if (ts > maxTs) maxTs = ts;
      }
      st.maxTs = maxTs;
      const newV = sv.join(GS);
      const oldV = h.get('v') ?? '';
      const oldItems = storedItems(h, []);
      for (const it of split(oldV, GS)) oldItems.push(it);
      const newItems = [...split(newA, GS), ...split(newV, GS)];
      applyDiff(oldItems, newItems, applyItem);
      if (newV !== oldV) {
        w.push('v', newV);
        changed = true;
      }
    }
    if (newA !== oldA) {
      w.push('a', newA);
      changed = true;
    }
    w.push('z', encodeState(st));
    return [w, changed, st.maxTs, st.leg !== undefined];
  };

  // ---- IVR / robot sessions: counted once, at the first exit by (ts, id)
  const updateSession = (ent: Entity): [string[], boolean, number, boolean] => {
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
  const entities = new Map<string, Entity>();
  const statuses: string[] = new Array(events.length);
  let accepted = 0;
  events.forEach((e, i) => {
    statuses[i] = '';
    let kind: Entity['kind'];
    let field: string;
    let value: string;
    let counted = true;
    let added: ContactEv | undefined;
    let surveyTs: number | undefined;
    if (e.type === 'survey.rated') {
      kind = 's';
      field = `s:${e.id}`;
      value = ['0', e.ts, e.rating, e.queue ?? '', e.channel ?? '', e.agentId ?? ''].join(US);
      surveyTs = e.ts;
    } else if (e.type === 'ivr.entered' || e.type === 'ivr.exited') {
      kind = 'i';
      field = `x:${e.id}`;
      value = [e.type === 'ivr.exited' ? '1' : '0', e.ts, e.type === 'ivr.exited' ? e.outcome : ''].join(US);
    } else if (e.type === 'bot.started' || e.type === 'bot.ended') {
      kind = 'b';
      field = `x:${e.id}`;
      value =
        e.type === 'bot.ended'
          ? ['1', e.ts, e.channel, e.outcome, e.questions ?? 0, e.recognized ?? 0, e.unresolvedRated ?? 0].join(US)
          : ['0', e.ts, e.channel, '', '', '', ''].join(US);
    } else {
      const t = e.type.startsWith('contact.') ? contactType[e.type as ContactEvent['type']] : undefined;
      // contact.ended / contact.wrapped and agent events change nothing here
      if (t === undefined) return;
      const c = e as ContactEvent;
      kind = 'c';
      counted = false;
      field = `e:${e.id}`;
      const q = c.type === 'contact.queued' ? c.queue : '';
      const ag = c.type === 'contact.answered' ? c.agentId : '';
      const cu = c.type === 'contact.queued' ? (c.customerId ?? '') : '';
      value = [t, e.ts, q, c.type === 'contact.queued' ? c.channel : '', ag, cu].join(US);
      added = { t, ts: e.ts, q, ag, cu, id: e.id };
    }
    const key = kpiRecordKey(keys, center, e)!;
    let ent = entities.get(key);
    if (!ent) {
      const h = state.records.get(key);
      if (h === undefined) throw new Error(`KPI record ${key} was not loaded`);
      let surveys = false;
      for (const f of h.keys()) {
        if (f.startsWith('s:')) {
          surveys = true;
          break;
        }
      }
      ent = { key, h, write: [], added: [], surveyTs: [], surveys, fresh: h.size === 0, contact: kind === 'c' || kind === 's', kind };
      entities.set(key, ent);
    }
    let status = 'a';
    if (ent.h.has(field)) status = 'd';
    else {
      ent.h.set(field, value);
      ent.write.push(field, value);
      if (added) ent.added.push(added);
      if (surveyTs !== undefined) {
        ent.surveys = true;
        ent.surveyTs.push(surveyTs);
      }
      if (counted) accepted++;
    }
    statuses[i] = counted ? status : '';
  });

  // ---- each touched entity once
  let changed = false;
  const records: PartResult['records'] = new Map();
  for (const ent of entities.values()) {
    if (ent.write.length === 0) continue;
    const [w, ch, maxTs, open] = ent.contact ? updateContact(ent) : updateSession(ent);
    if (ch) changed = true;
    // as the core's contacts: the hash lives until its last event + lateEvent, with a step of headroom
    const { x, expireIn, expiresAt } = recordExpiry(ent.h.get('x'), maxTs, s.late, step, now);
    if (x !== undefined) w.push('x', x);
    // the fields first: an expiry on a key that does not exist yet is lost
    ops.hset(ent.key, ent.write.concat(w));
    if (expireIn !== undefined) ops.pexpire(ent.key, expireIn);
    for (let k = 0; k < w.length; k += 2) ent.h.set(w[k]!, w[k + 1]!);
    // the writer holds it only while open (a leg waiting, a session without its exit)
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

/** The KPI pack as a part of the center writer (metrics/write/center-writer.ts). */
export class KpiWriterPart implements WriterPart {
  constructor(private readonly keys: Keys) {}

  owns(e: ContractEvent): boolean {
    return e.type.startsWith('survey.') || e.type.startsWith('ivr.') || e.type.startsWith('bot.');
  }

  recordKey(center: string, e: ContractEvent): string | undefined {
    return kpiRecordKey(this.keys, center, e);
  }

  compute: WriterPart['compute'] = (center, events, settings, state, ops) => computeKpiBatch(this.keys, center, events, settings, state, ops);
}
