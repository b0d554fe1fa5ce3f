import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ContractEvent } from '../../shared/contract/events.ts';
import type { AgentRow, MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { ContactMetrics } from '../../shared/metrics/formulas.ts';
import { timedStates } from '../../shared/metrics/raw.ts';
import { intervalMs, windowIds, type WindowId } from '../../shared/metrics/windows.ts';
import { FakeClock } from '../../server/clock.ts';
import { engineQuery } from '../../server/metrics/engine.ts';
import type { MetricEngine, Scope } from '../../server/metrics/types.ts';
import { deliveryArb, describeEvents, historyArb, type Delivery, type History } from '../support/event-generators.ts';
import { ReferenceModel, type ModelAgentRow, type ModelQuery, type ModelResult } from '../support/reference-model.ts';
import { serverProcesses } from '../support/server-processes.ts';

/**
 * The Redis engine must agree with the reference model (test/support/reference-model.ts) on every
 * figure, for random histories delivered late, out of order, in random batches, with exact
 * re-sends and semantic duplicates, around a Shanghai midnight. Counts must match exactly; ratios
 * and means (quotients of the same integers) to 1e-9.
 *
 * Each run builds a fresh app (own key prefix) because the center's queues and thresholds are
 * random too. Batches go to one of two server processes on the same Redis (writerMask), so the
 * writers' fence (server/metrics/write/center-writer.ts) is exercised on every switch. Checks happen mid-stream (only the events delivered so far) and at the end, at two
 * query times, through the engine interface and, for a sample, through the HTTP API.
 */

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 30);
// Reproduce a reported failure with PROPERTY_SEED=<seed> PROPERTY_PATH=<path> (printed by fast-check).
const SEED = Number(process.env.PROPERTY_SEED ?? 20260310);
const PATH = process.env.PROPERTY_PATH;
const SHRINK = process.env.PROPERTY_SHRINK === '1';
/** ~1.5 s per run on the 2-core box; generous so only a real slowdown trips it */
const TIME_LIMIT_MS = Math.max(240_000, NUM_RUNS * 8_000);

interface Run {
  h: History;
  d: Delivery;
  /** extra minutes after the last event for the second set of checks */
  laterSec: number;
  /** which batches go through HTTP instead of engine.ingest */
  httpMask: number;
  /** which batches a second server process on the same Redis ingests (its writer's fence is then
   * all that keeps either process's held state exact) */
  writerMask: number;
  /** which edge-probe query times to use (see edgeProbes) */
  probePicks: number[];
}

/**
 * Transfers event-generators.ts does not make: an agent transfers an answered contact and another
 * (or the same) agent answers it in the next queue while the first conversation is still open,
 * with ended / wrapped naming their agent, naming none or naming another agent; and transfers whose
 * new `queued` shares the transfer's millisecond (or comes 1 ms either side), to the next queue, to
 * the same queue, or naming a queue the contact is not queued in.
 */
const transferLeg = fc.record({
  /** the next leg's queue: this many queues on from the previous one (0 = the same queue) */
  queueShift: fc.integer({ min: 0, max: 3 }),
  waitMs: fc.oneof(fc.integer({ min: 0, max: 90_000 }), fc.constantFrom(0, 20_000)),
  exit: fc.constantFrom('answered' as const, 'answered' as const, 'answered' as const, 'transfer' as const, 'transfer' as const, 'abandoned' as const, 'none' as const),
  agentIndex: fc.nat(),
  talkMs: fc.option(fc.integer({ min: 0, max: 6 * 60_000 }), { nil: undefined, freq: 5 }),
  acwMs: fc.option(fc.integer({ min: 0, max: 2 * 60_000 }), { nil: undefined, freq: 5 }),
  /** agentId of ended / wrapped: the answering agent, none, or the next agent of the fixture */
  endBy: fc.constantFrom('own' as const, 'own' as const, 'none' as const, 'other' as const),
  wrapBy: fc.constantFrom('own' as const, 'own' as const, 'none' as const, 'other' as const),
  /** after an answer: the next queued this long after it (0: the same ms) */
  requeueGapMs: fc.constantFrom(0, 1, 1_000, 20_000, 90_000),
  /** a transfer: its time relative to the next queued (0: the same ms, what a 1-second ACD sends) */
  transferLagMs: fc.constantFrom(0, 0, 0, -1, 1, -1_000),
  /** a transfer naming a queue the contact is not queued in next */
  transferElsewhere: fc.constantFrom(false, false, false, false, true),
});
const transferContact = fc.record({
  startMs: fc.integer({ min: 0, max: 1_000_000_000 }),
  snapSeconds: fc.boolean(),
  queueIndex: fc.nat(),
  legs: fc.array(transferLeg, { minLength: 2, maxLength: 3 }),
  /** semantic duplicates (new id, shifted), ended / wrapped sometimes without their agent */
  dupes: fc.array(fc.record({ index: fc.nat(), shiftMs: fc.constantFrom(0, 1, 2_000), dropAgent: fc.boolean() }), { maxLength: 3 }),
});
type TransferContact = typeof transferContact extends fc.Arbitrary<infer T> ? T : never;

function withTransfers(h: History, plans: TransferContact[]): History {
  const { center, queues, agents } = h.fixture;
  const first = h.events.length ? Math.min(...h.events.map((e) => e.ts)) : h.midnightMs - 30 * 60_000;
  const span = Math.max(20 * 60_000, h.lastTs - first);
  const events: ContractEvent[] = [...h.events];
  plans.forEach((plan, n) => {
    const contactId = `xc${n + 1}`;
    const own: ContractEvent[] = [];
    let k = 0;
    const id = () => `${contactId}-${++k}`;
    const agentOf = (i: number) => agents[i % agents.length]!.id;
    let t = first + Math.floor((plan.startMs / 1_000_000_000) * span);
    if (plan.snapSeconds) t = Math.floor(t / 1000) * 1000;
    let qi = plan.queueIndex % queues.length;
    const queue = (i: number) => queues[i % queues.length]!;
    own.push({ id: id(), type: 'contact.queued', ts: t, center, contactId, queue: queue(qi).id, channel: queue(qi).channel });
    for (const [i, leg] of plan.legs.entries()) {
      const next = plan.legs[i + 1];
      const leave = t + leg.waitMs;
      const nextQi = qi + (next?.queueShift ?? 1);
      const queueNext = (at: number) => {
        own.push({ id: id(), type: 'contact.queued', ts: at, center, contactId, queue: queue(nextQi).id, channel: queue(nextQi).channel });
        t = at;
        qi = nextQi;
      };
      if (leg.exit === 'answered') {
        const agentId = agentOf(leg.agentIndex);
        const by = (who: 'own' | 'none' | 'other') => (who === 'own' ? { agentId } : who === 'other' ? { agentId: agentOf(leg.agentIndex + 1) } : {});
        own.push({ id: id(), type: 'contact.answered', ts: leave, center, contactId, agentId });
        if (leg.talkMs !== undefined) own.push({ id: id(), type: 'contact.ended', ts: leave + leg.talkMs, center, contactId, ...by(leg.endBy) });
        if (leg.acwMs !== undefined) own.push({ id: id(), type: 'contact.wrapped', ts: leave + (leg.talkMs ?? 0) + leg.acwMs, center, contactId, ...by(leg.wrapBy) });
        if (!next) break;
        queueNext(leave + leg.requeueGapMs);
      } else if (leg.exit === 'transfer') {
        const toQueue = queue(leg.transferElsewhere ? nextQi + 1 : nextQi).id;
        own.push({ id: id(), type: 'contact.transferred', ts: Math.max(0, leave + leg.transferLagMs), center, contactId, toQueue });
        if (!next) break;
        queueNext(leave);
      } else {
        if (leg.exit === 'abandoned') own.push({ id: id(), type: 'contact.abandoned', ts: leave, center, contactId });
        break;
      }
    }
    for (const d of plan.dupes) {
      const orig = own[d.index % own.length]!;
      const copy = { ...orig, id: `${contactId}-dup${++k}`, ts: orig.ts + d.shiftMs };
      if (d.dropAgent && (copy.type === 'contact.ended' || copy.type === 'contact.wrapped')) delete copy.agentId;
      own.push(copy);
    }
    events.push(...own);
  });
  return { ...h, events, lastTs: events.reduce((m, e) => Math.max(m, e.ts), h.lastTs) };
}

const MAX_CONTACTS = Number(process.env.PROPERTY_CONTACTS ?? 20);
const MAX_TRANSFER_CONTACTS = Number(process.env.PROPERTY_TRANSFER_CONTACTS ?? 4);
const historyWithTransfersArb: fc.Arbitrary<History> = historyArb({ maxContacts: MAX_CONTACTS, maxAgentSteps: 12, transferChains: true }).chain((h) =>
  fc.array(transferContact, { maxLength: MAX_TRANSFER_CONTACTS }).map((plans) => withTransfers(h, plans)),
);
const runArb: fc.Arbitrary<Run> = historyWithTransfersArb.chain((h) =>
  fc.record({
    h: fc.constant(h),
    d: deliveryArb(h.events),
    laterSec: fc.integer({ min: 0, max: 50 * 60 }),
    httpMask: fc.nat(),
    writerMask: fc.nat(),
    probePicks: fc.array(fc.nat(), { minLength: 2, maxLength: 2 }),
  }),
);

/**
 * Query times that put a whole-second event exactly on a window's lower edge, or a waiting
 * contact exactly at (and one second past) the waiting timeout: where off-by-one bugs live.
 * Only times after the last delivery qualify (the model assumes no event after asOf).
 */
function edgeProbes(run: Run, endNow: number): number[] {
  const timeoutMs = run.h.fixture.waitingTimeoutMin * 60_000;
  const windowEdges = new Set<number>();
  const timeoutEdges = new Set<number>();
  for (const e of run.h.events) {
    if (e.ts % 1000 !== 0) continue;
    for (const w of [15, 30, 60]) windowEdges.add(e.ts + w * 60_000);
  }
  // the timeout counts from the customer's request, which may have begun in another queue
  for (const leg of new ReferenceModel(run.h.fixture.config, run.h.events).openLegs(run.h.fixture.center)) {
    if (leg.requestedAt % 1000 === 0) timeoutEdges.add(leg.requestedAt + timeoutMs);
  }
  const pick = (set: Set<number>, k: number) => {
    const usable = [...set].filter((t) => t >= endNow).sort((a, b) => a - b);
    return usable.length ? [usable[k % usable.length]!] : [];
  };
  const [a = 0, b = 0] = run.probePicks;
  return [...pick(windowEdges, a), ...pick(timeoutEdges, b)];
}

const engineOf = (app: FastifyInstance): MetricEngine => app.engine;

const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
const floorInterval = (ms: number) => Math.floor(ms / intervalMs) * intervalMs;
const iso8 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');

function scopesOf(h: History): { label: string; scope: Scope; team?: string }[] {
  const out: { label: string; scope: Scope; team?: string }[] = [{ label: 'all', scope: { kind: 'all' } }];
  for (const q of h.fixture.queues) out.push({ label: `q:${q.id}`, scope: { kind: 'queue', queue: q.id } });
  for (const ch of ['voice', 'text', 'video'] as const) out.push({ label: `ch:${ch}`, scope: { kind: 'channel', channel: ch } });
  for (const g of h.fixture.groups) out.push({ label: `g:${g.id}`, scope: { kind: 'group', group: g.id } });
  // a team goes with the center scope only (agent figures are kept per team and per queue, not per both)
  for (const t of h.fixture.teams) out.push({ label: `all+t:${t}`, scope: { kind: 'all' }, team: t });
  return out;
}

// ---- comparison -------------------------------------------------------------------------------

type Flat = Record<string, number | null | string>;

/** the contact figures, shared by the engine's result, the model's and contactSeries */
function flatContacts(m: ContactMetrics): Flat {
  return {
    offered: m.offered,
    answered: m.answered,
    answeredInThreshold: m.answeredInThreshold,
    abandoned: m.abandoned,
    abandonedInThreshold: m.abandonedInThreshold,
    shortAbandoned: m.shortAbandoned,
    transferredOut: m.transferredOut,
    arrivals: m.arrivals,
    serviceLevel: m.serviceLevel,
    slExcluded: m.serviceLevelVariants.abandonsInThresholdExcluded,
    slMet: m.serviceLevelVariants.abandonsInThresholdMet,
    answerRate: m.answerRate,
    abandonRate: m.abandonRate,
    asaSec: m.asaSec,
    avgTalkSec: m.avgTalkSec,
    ahtSec: m.ahtSec,
  };
}

function flatEngine(r: MetricsResult, live: boolean): Flat {
  const f: Flat = {
    asOf: Date.parse(r.asOf),
    from: Date.parse(r.from),
    to: Date.parse(r.to),
    thresholdSec: r.thresholdSec,
    ...flatContacts(r),
    occupancy: r.occupancy,
    utilization: r.utilization,
  };
  for (const s of timedStates) f[`stateTimeSec.${s}`] = r.stateTimeSec[s] ?? 0;
  if (live) {
    f.waiting = r.waiting;
    f.longestWaitSec = r.longestWaitSec;
    for (const [k, v] of Object.entries(r.agents ?? {})) f[`agents.${k}`] = v;
  } else {
    f.waiting = r.waiting;
    f.agents = r.agents === null ? null : 'present';
  }
  return f;
}

function flatModel(m: ModelResult, live: boolean): Flat {
  const f: Flat = {
    asOf: m.asOfMs,
    from: m.fromMs,
    to: m.toMs,
    thresholdSec: m.thresholdSec,
    ...flatContacts(m),
    occupancy: m.occupancy,
    utilization: m.utilization,
  };
  for (const s of timedStates) f[`stateTimeSec.${s}`] = m.stateTimeSec[s];
  if (live) {
    f.waiting = m.waiting;
    f.longestWaitSec = m.longestWaitSec;
    for (const [k, v] of Object.entries(m.agents ?? {})) f[`agents.${k}`] = v;
  } else {
    f.waiting = null;
    f.agents = null;
  }
  return f;
}

function same(a: number | null | string | undefined, b: number | null | string | undefined): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

function diff(engine: Flat, model: Flat): string[] {
  const keys = new Set([...Object.keys(engine), ...Object.keys(model)]);
  return [...keys].filter((k) => !same(engine[k], model[k])).map((k) => `${k}: engine=${engine[k]} model=${model[k]}`);
}

function flatAgentRow(r: AgentRow | ModelAgentRow): Flat {
  return {
    name: r.name,
    state: r.state,
    reason: r.reason,
    since: 'sinceMs' in r ? r.sinceMs : Date.parse(r.since),
    team: r.team,
    queues: [...r.queues].sort().join(','),
    handledToday: r.handledToday,
  };
}

function diffAgents(engine: AgentRow[], model: ModelAgentRow[]): string[] {
  const out: string[] = [];
  const e = new Map(engine.map((r) => [r.agentId, r]));
  const m = new Map(model.map((r) => [r.agentId, r]));
  for (const id of new Set([...e.keys(), ...m.keys()])) {
    const er = e.get(id);
    const mr = m.get(id);
    if (!er || !mr) {
      out.push(`${id}: engine ${er ? 'lists' : 'omits'} it, model ${mr ? 'lists' : 'omits'} it`);
      continue;
    }
    out.push(...diff(flatAgentRow(er), flatAgentRow(mr)).map((d) => `${id}.${d}`));
  }
  return out;
}

// ---- one run ----------------------------------------------------------------------------------

class Disagreements {
  readonly items: string[] = [];
  add(where: string, diffs: string[]): void {
    if (diffs.length) this.items.push(`${where}\n    ${diffs.join('\n    ')}`);
  }
}

async function compareAt(
  app: FastifyInstance,
  h: History,
  events: ContractEvent[],
  nowMs: number,
  label: string,
  out: Disagreements,
  http: boolean,
  windowsOnly = false,
): Promise<void> {
  const engine = engineOf(app);
  const model = new ReferenceModel(h.fixture.config, events);
  const center = h.fixture.center;
  const scopes = scopesOf(h);
  const local = `${label} now=${iso8(nowMs)}`;

  for (const w of windowIds) {
    const got = await engine.queryMany(center, scopes.map(({ scope, team }) => engineQuery(scope, team)), w, nowMs);
    scopes.forEach((s, i) => {
      const want = model.query(toModelQuery(s), w, nowMs);
      out.add(`${local} window=${w} scope=${s.label}`, diff(flatEngine(got[i]!, true), flatModel(want, true)));
    });
  }
  if (windowsOnly) return;
  await compareSeries(engine, model, h, nowMs, local, out);
  const single = await engine.query({ center, scope: scopes[1]!.scope }, '15m', nowMs);
  out.add(`${local} query() 15m scope=${scopes[1]!.label}`, diff(flatEngine(single, true), flatModel(model.query(toModelQuery(scopes[1]!), '15m', nowMs), true)));

  const asOfInterval = floorInterval(nowMs);
  const ranges: [number, number][] = [
    [asOfInterval - intervalMs, asOfInterval],
    [asOfInterval - 4 * intervalMs, asOfInterval - intervalMs],
    [floorInterval(h.midnightMs - 3 * 3_600_000), asOfInterval],
  ];
  if (h.midnightMs + 2 * intervalMs <= asOfInterval) ranges.push([h.midnightMs - 2 * intervalMs, h.midnightMs + 2 * intervalMs]);
  for (const [from, to] of ranges.filter(([a, b]) => a < b)) {
    for (const s of scopes) {
      const got = await engine.history({ center, ...engineQuery(s.scope, s.team) }, from, to, nowMs);
      const want = model.history(toModelQuery(s), from, to, nowMs);
      out.add(`${local} history [${iso8(from)}, ${iso8(to)}) scope=${s.label}`, diff(flatEngine(got, false), flatModel(want, false)));
    }
  }
  const rows = await engine.intervals({ center, scope: { kind: 'all' } }, asOfInterval - 4 * intervalMs, asOfInterval, nowMs);
  const starts = [0, 1, 2, 3].map((i) => asOfInterval - (4 - i) * intervalMs);
  if (rows.length !== starts.length) out.add(`${local} intervals`, [`engine returned ${rows.length} rows, expected ${starts.length}`]);
  rows.forEach((row, i) => {
    const from = Date.parse(row.from);
    const want = model.history({ scope: { kind: 'all' } }, from, from + intervalMs, nowMs);
    if (from !== starts[i]) out.add(`${local} intervals row ${i}`, [`from=${row.from}, expected ${iso8(starts[i]!)}`]);
    out.add(`${local} intervals row ${row.from}`, diff(flatEngine(row, false), flatModel(want, false)));
  });

  const filters: { team?: string; queue?: string }[] = [{}, { team: 'A' }, { queue: h.fixture.queues[0]!.id }];
  for (const f of filters) {
    const got = await engine.agents(center, f, nowMs);
    out.add(`${local} agents ${JSON.stringify(f)}`, diffAgents(got, model.agents(center, f, nowMs)));
  }

  if (http) {
    (app.clock as FakeClock).set(nowMs);
    const q = h.fixture.queues[h.fixture.queues.length - 1]!.id;
    const res = await app.inject({ method: 'GET', url: `/api/v1/metrics?window=30m&queue=${encodeURIComponent(q)}` });
    if (res.statusCode !== 200) out.add(`${local} HTTP metrics`, [`status ${res.statusCode}: ${res.body}`]);
    else out.add(`${local} HTTP metrics window=30m queue=${q}`, diff(flatEngine(res.json(), true), flatModel(model.query({ scope: { kind: 'queue', queue: q } }, '30m', nowMs), true)));
    const [from, to] = ranges[1]!;
    const hist = await app.inject({
      method: 'GET',
      url: `/api/v1/metrics?team=B&from=${encodeURIComponent(iso8(from))}&to=${encodeURIComponent(iso8(to))}`,
    });
    if (hist.statusCode !== 200) out.add(`${local} HTTP history`, [`status ${hist.statusCode}: ${hist.body}`]);
    else out.add(`${local} HTTP history team=B`, diff(flatEngine(hist.json(), false), flatModel(model.history({ scope: { kind: 'all' }, team: 'B' }, from, to, nowMs), false)));
    const ag = await app.inject({ method: 'GET', url: '/api/v1/agents?team=B' });
    if (ag.statusCode !== 200) out.add(`${local} HTTP agents`, [`status ${ag.statusCode}: ${ag.body}`]);
    else {
      const body = ag.json() as AgentRow[] | { agents: AgentRow[] };
      const list = Array.isArray(body) ? body : body.agents;
      out.add(`${local} HTTP agents team=B`, diffAgents(list, model.agents(center, { team: 'B' }, nowMs)));
    }
  }
}

/**
 * contactSeries (the trend chart's history) against the model's window as it stood at each end:
 * minute ends over the last hour and a few odd seconds in the last ten minutes. Every such window
 * is still readable (60 s buckets live 121 min), except a rolling hour ending at an odd second
 * more than a minute ago, whose 1 s edge may have expired: there null is the only right answer
 * besides the exact one.
 */
async function compareSeries(engine: MetricEngine, model: ReferenceModel, h: History, nowMs: number, local: string, out: Disagreements): Promise<void> {
  const center = h.fixture.center;
  const scopes = scopesOf(h).filter((s) => !s.team);
  const asOf = Math.floor(nowMs / 1000) * 1000;
  const minute = Math.floor(asOf / 60_000) * 60_000;
  const ends = [asOf, asOf - 7_000, asOf - 185_000, asOf - 539_000];
  for (let k = 0; k <= 60; k += 6) ends.push(minute - k * 60_000);
  for (const w of windowIds) {
    const got = await engine.contactSeries(center, scopes.map((s) => s.scope), w, ends, nowMs);
    scopes.forEach((s, i) =>
      ends.forEach((e, j) => {
        const where = `${local} contactSeries window=${w} end=${iso8(e)} scope=${s.label}`;
        const r = got[i]![j];
        const oddSecond = e % 60_000 !== 0;
        if (r === null || r === undefined) {
          if (!(w === '60m' && oddSecond && e < asOf - 60_000)) out.add(where, ['engine returned null for a readable window']);
          return;
        }
        out.add(where, diff(flatContacts(r), flatContacts(model.query({ scope: s.scope }, w, e))));
      }),
    );
  }
}

function toModelQuery(s: { scope: Scope; team?: string }): ModelQuery {
  return { scope: s.scope, ...(s.team ? { team: s.team } : {}) };
}

/** Events in the HTTP contract's input form: ts as ISO with +08:00 on odd positions, center omitted. */
function toWire(events: ContractEvent[]): unknown[] {
  return events.map((e, i) => {
    const { center: _center, ...rest } = e;
    return i % 2 ? { ...rest, ts: iso8(e.ts) } : rest;
  });
}

async function deliver(apps: FastifyInstance[], run: Run, upTo: number, from: number, seen: Set<string>, out: Disagreements): Promise<void> {
  for (let b = from; b < upTo; b++) {
    const batch = run.d.batches[b]!;
    const app = apps[(run.writerMask >> b % 30) & 1]!;
    (app.clock as FakeClock).set(batch.nowMs);
    let statuses: string[];
    let reasons: (string | undefined)[];
    if ((run.httpMask >> b % 30) & 1) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/events', payload: toWire(batch.events) });
      if (res.statusCode >= 300) {
        out.add(`batch ${b} HTTP`, [`status ${res.statusCode}: ${res.body}`]);
        continue;
      }
      const body = res.json() as { results: { status: string; reason?: string }[] };
      statuses = body.results.map((r) => r.status);
      reasons = body.results.map((r) => r.reason);
    } else {
      const result = await engineOf(app).ingest(batch.events, batch.nowMs);
      statuses = result.outcomes.map((o) => o.status);
      reasons = result.outcomes.map((o) => ('reason' in o ? o.reason : undefined));
    }
    const problems: string[] = [];
    batch.events.forEach((e, i) => {
      const expected = seen.has(e.id) ? 'duplicate' : 'accepted';
      seen.add(e.id);
      if (statuses[i] !== expected) problems.push(`${e.id} (${e.type}): ${statuses[i]} ${reasons[i] ?? ''}, expected ${expected}`);
    });
    out.add(`ingest batch ${b} at ${iso8(batch.nowMs)}`, problems);
  }
}

function describeDelivery(run: Run): string {
  return run.d.batches
    .map((b, i) => `  #${i} ${((b.nowMs - run.h.midnightMs) / 1000).toFixed(3)}s ${(run.httpMask >> i % 30) & 1 ? 'HTTP' : 'engine'}${(run.writerMask >> i % 30) & 1 ? ' (2nd process)' : ''}: ${b.events.map((e) => e.id).join(' ')}`)
    .join('\n');
}

function deliveredEvents(run: Run, upTo: number): ContractEvent[] {
  return run.d.batches.slice(0, upTo).flatMap((b) => b.events);
}

const TIMING = process.env.PROPERTY_TIMING === '1';
async function checkRun(run: Run): Promise<void> {
  const t0 = performance.now();
  const apps = await serverProcesses(run.h.fixture.config, { label: 'prop', startMs: run.h.lastTs, count: 2 });
  const app = apps[0]!;
  const out = new Disagreements();
  try {
    const seen = new Set<string>();
    const half = Math.ceil(run.d.batches.length / 2);
    await deliver(apps, run, half, 0, seen, out);
    if (half > 0 && half < run.d.batches.length) {
      const midNow = ceilSecond(run.d.batches[half - 1]!.nowMs);
      await compareAt(app, run.h, deliveredEvents(run, half), midNow, 'mid-stream', out, false);
    }
    await deliver(apps, run, run.d.batches.length, half, seen, out);
    const all = deliveredEvents(run, run.d.batches.length);
    const lastDelivery = run.d.batches.at(-1)?.nowMs ?? run.h.lastTs;
    const endNow = ceilSecond(Math.max(lastDelivery, run.h.lastTs));
    await compareAt(app, run.h, all, endNow, 'end', out, true);
    await compareAt(app, run.h, all, endNow + run.laterSec * 1000, 'later', out, false);
    for (const probe of edgeProbes(run, endNow)) await compareAt(app, run.h, all, probe, 'edge-probe', out, false, true);
  } finally {
    await Promise.all(apps.map((a) => a.close()));
  }
  if (TIMING) console.log(`run: ${run.h.events.length} events, ${run.d.batches.length} batches, ${(performance.now() - t0).toFixed(0)} ms`);
  if (out.items.length) {
    const fieldCounts = new Map<string, number>();
    for (const item of out.items) {
      for (const line of item.split('\n').slice(1)) {
        const field = line.trim().split(':')[0]!;
        fieldCounts.set(field, (fieldCounts.get(field) ?? 0) + 1);
      }
    }
    // show the first disagreement of each field first, so one noisy field does not hide the rest
    const firstPerField = [...fieldCounts.keys()].map((f) => out.items.find((i) => i.includes(`\n    ${f}:`))!);
    const shown = [...new Set([...firstPerField, ...out.items])].slice(0, 12).join('\n  ');
    throw new Error(
      `engine and reference model disagree (${out.items.length} places; fields: ${[...fieldCounts].map(([f, n]) => `${f}×${n}`).join(', ')}):\n  ${shown}\n` +
        `config: ${JSON.stringify({ queues: run.h.fixture.queues, groups: run.h.fixture.groups, waitingTimeoutMin: run.h.fixture.waitingTimeoutMin, shortDefault: run.h.fixture.config.defaults.shortAbandonThresholdSec })}\n` +
        `events (seconds from midnight ${iso8(run.h.midnightMs)}):\n${describeEvents(run.h.events, run.h.midnightMs)}\n` +
        `delivery (batch: clock → ids in order):\n${describeDelivery(run)}`,
    );
  }
}

describe('metric engine vs reference model (property-based)', () => {
  it(
    `agrees on every window, scope and agent row for ${NUM_RUNS} random histories`,
    async () => {
      await fc.assert(fc.asyncProperty(runArb, checkRun), {
        numRuns: NUM_RUNS,
        seed: SEED,
        ...(PATH ? { path: PATH } : {}),
        // Shrinking rebuilds an app per attempt and rarely helps through chain(); the failure
        // message already lists the differing fields, the history and the delivery. Opt in with
        // PROPERTY_SHRINK=1 when hunting a minimal case.
        endOnFailure: !SHRINK,
        // running out of time counts as a failure, so a slow engine cannot pass on fewer runs
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: true,
      });
    },
    TIME_LIMIT_MS + 40_000,
  );

  it('generates histories that reach the hard cases (so agreement means something)', () => {
    const seen = new Map<string, number>();
    const hit = (what: string, yes: boolean) => yes && seen.set(what, (seen.get(what) ?? 0) + 1);
    for (const run of fc.sample(runArb, { numRuns: 30, seed: 20260310 })) {
      const { h, d } = run;
      const endNow = ceilSecond(Math.max(d.batches.at(-1)?.nowMs ?? 0, h.lastTs));
      const model = new ReferenceModel(h.fixture.config, h.events);
      const today = model.query({ scope: { kind: 'all' } }, 'today', endNow);
      const day = model.history({ scope: { kind: 'all' } }, floorInterval(h.midnightMs - 4 * 3_600_000), floorInterval(h.midnightMs + 4 * 3_600_000), endNow);
      hit('answered', day.answered > 0);
      hit('abandoned', day.abandoned > 0);
      hit('short abandon', day.shortAbandoned > 0);
      hit('transferred out', day.transferredOut > 0);
      hit('missed threshold', day.answered > day.answeredInThreshold);
      hit('talk and handle', day.sums.talkCount > 0 && day.sums.handleCount > 0);
      hit('waiting at the end', (today.waiting ?? 0) > 0);
      hit('lost exit timed out', model.openLegs().length > (today.waiting ?? 0));
      hit('events on both sides of midnight', h.events.some((e) => e.ts < h.midnightMs) && h.events.some((e) => e.ts >= h.midnightMs));
      hit('exact re-sends', d.batches.flatMap((b) => b.events).length > h.events.length);
      hit('semantic duplicates', h.events.some((e) => e.id.includes('-dup')));
      hit('same-ms exit race', h.events.some((e) => e.id.endsWith('-race')));
      hit('delivered out of order', d.batches.flatMap((b) => b.events).some((e, i, all) => i > 0 && e.ts < all[i - 1]!.ts));
      hit('edge probes', edgeProbes(run, endNow).length > 1);
      hit('agents in 5+ states', new Set(h.events.flatMap((e) => (e.type === 'agent.state' ? [e.state] : []))).size >= 5);
      // pre-answer transfer chains: the customer's wait differs from the time in the last queue
      const closures = model.closures();
      const shortOf = (q: string) => {
        const spec = h.fixture.queues.find((x) => x.id === q)!;
        return (spec.shortSec ?? h.fixture.config.defaults.shortAbandonThresholdSec) * 1000;
      };
      const chained = closures.filter((c) => c.outcome !== 'transferredOut' && c.customerWaitMs > c.waitMs);
      hit('answered after a pre-answer transfer', chained.some((c) => c.outcome === 'answered'));
      hit('abandoned after a pre-answer transfer', chained.some((c) => c.outcome === 'abandoned'));
      hit('short in the queue, not for the customer', chained.some((c) => c.outcome === 'abandoned' && c.waitMs < shortOf(c.queue) && c.customerWaitMs >= shortOf(c.queue)));
      hit('request of 3+ legs', h.events.some((e) => e.type === 'contact.queued' && new Set(h.events.filter((f) => f.type === 'contact.queued' && f.contactId === e.contactId).map((f) => f.ts)).size >= 3));
      hit('request crossing a 15-minute edge', chained.some((c) => Math.floor((c.at - c.customerWaitMs) / intervalMs) < Math.floor(c.at / intervalMs)));
      hit('waiting after a pre-answer transfer', model.openLegs().some((l) => l.requestedAt < l.queuedAt && endNow - l.requestedAt <= h.fixture.waitingTimeoutMin * 60_000));
      hit('queued again after an answer', h.events.some((a) => a.type === 'contact.answered' && h.events.some((q) => q.type === 'contact.queued' && q.contactId === a.contactId && q.ts > a.ts)));
      const byContact = new Map<string, ContractEvent[]>();
      for (const e of h.events) if (e.type.startsWith('contact.') && 'contactId' in e) byContact.set(e.contactId, [...(byContact.get(e.contactId) ?? []), e]);
      const contacts = [...byContact.values()];
      hit('same-ms transferred + queued in toQueue', contacts.some((evs) => evs.some((x) => x.type === 'contact.transferred' && evs.some((q) => q.type === 'contact.queued' && q.ts === x.ts && q.queue === x.toQueue))));
      const answers = (evs: ContractEvent[]) => evs.flatMap((e) => (e.type === 'contact.answered' ? [e] : []));
      hit('first agent ends or wraps after a second agent answered', contacts.some((evs) => {
        const [a1, a2] = answers(evs).sort((x, y) => x.ts - y.ts);
        return a1 !== undefined && a2 !== undefined && a1.agentId !== a2.agentId &&
          evs.some((e) => (e.type === 'contact.ended' || e.type === 'contact.wrapped') && e.agentId === a1.agentId && e.ts > a2.ts);
      }));
      hit('agentless ended / wrapped with several answers', contacts.some((evs) => answers(evs).length >= 2 && evs.some((e) => (e.type === 'contact.ended' || e.type === 'contact.wrapped') && e.agentId === undefined)));
      hit('duplicated ended / wrapped with several answers', contacts.some((evs) => answers(evs).length >= 2 && evs.some((e) => (e.type === 'contact.ended' || e.type === 'contact.wrapped') && e.id.includes('-dup'))));
    }
    const expected = [
      'answered', 'abandoned', 'short abandon', 'transferred out', 'missed threshold', 'talk and handle',
      'waiting at the end', 'lost exit timed out', 'events on both sides of midnight', 'exact re-sends',
      'semantic duplicates', 'same-ms exit race', 'delivered out of order', 'edge probes', 'agents in 5+ states',
      'answered after a pre-answer transfer', 'abandoned after a pre-answer transfer', 'short in the queue, not for the customer',
      'request of 3+ legs', 'request crossing a 15-minute edge', 'waiting after a pre-answer transfer', 'queued again after an answer',
      'same-ms transferred + queued in toQueue', 'first agent ends or wraps after a second agent answered',
      'agentless ended / wrapped with several answers', 'duplicated ended / wrapped with several answers',
    ];
    // each hard case must show up in at least a few runs of the fixed seed
    expect(Object.fromEntries(expected.map((k) => [k, (seen.get(k) ?? 0) >= 3]))).toEqual(Object.fromEntries(expected.map((k) => [k, true])));
  });

  it('accepts exact re-sends as duplicates and leaves the figures unchanged', async () => {
    const [run] = fc.sample(runArb, { numRuns: 1, seed: SEED + 1 });
    const doubled: Run = { ...run!, d: { batches: [...run!.d.batches, ...run!.d.batches.map((b) => ({ ...b, nowMs: run!.d.batches.at(-1)!.nowMs }))] } };
    await expect(checkRun(doubled)).resolves.toBeUndefined();
    expect(run!.h.events.length).toBeGreaterThan(0);
  });
});
