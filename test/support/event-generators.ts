import fc from 'fast-check';
import { appConfig, type AppConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import type { AgentState, Channel, ContractEvent } from '../../shared/contract/events.ts';
import { agentStates } from '../../shared/contract/events.ts';
import { localMidnight } from '../../shared/metrics/windows.ts';

/**
 * fast-check arbitraries for a small contact center and random, realistic-but-nasty event
 * histories: contacts that are answered, abandoned, transferred (explicitly or by being queued
 * elsewhere), still waiting or still talking; semantic duplicates (same meaning, new id); rare
 * clock skew; agents changing state, team and queues. Delivery (out of order, exact re-sends,
 * batching) is a separate arbitrary so the same history can be fed in many ways. The benchmark
 * may reuse these to build load.
 *
 * Events come out already parsed (ts in epoch ms, center set), ids plain ASCII so byte order and
 * JS string order agree.
 */

export const timeZone = 'Asia/Shanghai';
const minute = 60_000;

export interface QueueSpec {
  id: string;
  channel: Channel;
  slSec?: number;
  shortSec?: number;
}

export interface CenterFixture {
  center: string;
  queues: QueueSpec[];
  groups: { id: string; queues: string[] }[];
  teams: string[];
  agents: { id: string; team: string; queues: string[] }[];
  waitingTimeoutMin: number;
  config: AppConfig;
}

const queueTemplates: { id: string; channel: Channel }[] = [
  { id: 'voice-cards', channel: 'voice' },
  { id: 'text-chat', channel: 'text' },
  { id: 'video-vip', channel: 'video' },
  { id: 'voice-loans', channel: 'voice' },
];

const name = (s: string) => ({ zh: s, en: s });

/** 2–4 queues over voice/text/video, two overlapping groups, teams A and B, 2–5 agents. */
export function centerFixtureArb(center = 'default'): fc.Arbitrary<CenterFixture> {
  return fc
    .record({
      queueCount: fc.integer({ min: 2, max: 4 }),
      thresholds: fc.array(
        fc.record({
          slSec: fc.option(fc.constantFrom(10, 20, 30), { nil: undefined }),
          shortSec: fc.option(fc.constantFrom(0, 3, 5), { nil: undefined }),
        }),
        { minLength: 4, maxLength: 4 },
      ),
      defaultShortSec: fc.constantFrom(0, 0, 2),
      waitingTimeoutMin: fc.constantFrom(20, 45, 240),
      agentCount: fc.integer({ min: 2, max: 5 }),
      agentPicks: fc.array(fc.record({ team: fc.constantFrom('A', 'B'), mask: fc.integer({ min: 1, max: 15 }) }), {
        minLength: 5,
        maxLength: 5,
      }),
    })
    .map((r) => {
      const queues: QueueSpec[] = queueTemplates.slice(0, r.queueCount).map((t, i) => ({
        ...t,
        ...(r.thresholds[i]!.slSec !== undefined ? { slSec: r.thresholds[i]!.slSec } : {}),
        ...(r.thresholds[i]!.shortSec !== undefined ? { shortSec: r.thresholds[i]!.shortSec } : {}),
      }));
      const ids = queues.map((q) => q.id);
      // g-front shares its first queue with g-back, so group sums are not simply disjoint
      const groups = [
        { id: 'g-front', queues: ids.slice(0, 2) },
        { id: 'g-back', queues: [ids[0]!, ...ids.slice(2)] },
      ];
      const agents = r.agentPicks.slice(0, r.agentCount).map((p, i) => {
        const served = ids.filter((_, qi) => (p.mask >> qi) & 1);
        return { id: `agent-${i + 1}`, team: p.team, queues: served.length ? served : [ids[0]!] };
      });
      const input: AppConfigInput = {
        centers: [{ id: center, name: name(center), timeZone }],
        defaults: {
          serviceLevelThresholdSec: { voice: 20, text: 60, video: 30 },
          shortAbandonThresholdSec: r.defaultShortSec,
        },
        queues: queues.map((q) => ({
          id: q.id,
          center,
          name: name(q.id),
          channel: q.channel,
          ...(q.slSec !== undefined ? { serviceLevelThresholdSec: q.slSec } : {}),
          ...(q.shortSec !== undefined ? { shortAbandonThresholdSec: q.shortSec } : {}),
        })),
        groups: groups.map((g) => ({ ...g, center, name: name(g.id) })),
        teams: ['A', 'B'].map((t) => ({ id: t, center, name: name(t) })),
        retention: { lateEventHours: 48, intervalDays: 40, waitingTimeoutMin: r.waitingTimeoutMin },
      };
      return {
        center,
        queues,
        groups,
        teams: ['A', 'B'],
        agents,
        waitingTimeoutMin: r.waitingTimeoutMin,
        config: appConfig.parse(input),
      };
    });
}

export interface History {
  fixture: CenterFixture;
  /** unique ids; what the engine should end up with */
  events: ContractEvent[];
  /** a local midnight the history is placed around */
  midnightMs: number;
  /** latest event time */
  lastTs: number;
}

/** A time that is sometimes snapped to a whole minute or second (to land on window edges). */
const jitter = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 999 }) },
  { weight: 1, arbitrary: fc.constant(0) },
);

/** A wait in ms, or "exactly at the queue's threshold ± 1 ms" (resolved once the queue is known). */
type WaitSpec = number | { edge: 'sl' | 'short'; deltaMs: -1 | 0 | 1 };
const waitMs: fc.Arbitrary<WaitSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 120_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 6_000 }) }, // around the short-abandon thresholds
  { weight: 1, arbitrary: fc.constantFrom(0, 1_000, 60_000) },
  { weight: 2, arbitrary: fc.record({ edge: fc.constantFrom('sl' as const, 'short' as const), deltaMs: fc.constantFrom(-1 as const, 0 as const, 1 as const) }) },
);

function resolveWait(spec: WaitSpec, fixture: CenterFixture, q: QueueSpec): number {
  if (typeof spec === 'number') return spec;
  const d = fixture.config.defaults;
  const sec = spec.edge === 'sl' ? (q.slSec ?? d.serviceLevelThresholdSec[q.channel]) : (q.shortSec ?? d.shortAbandonThresholdSec);
  return Math.max(0, sec * 1000 + spec.deltaMs);
}

type Outcome = 'answered' | 'abandoned' | 'waiting' | 'transferred' | 'requeued';

const contactPlan = fc.record({
  queueIndex: fc.nat(),
  startMs: fc.integer({ min: 0, max: 1_000_000_000 }), // scaled into the span later
  snapSeconds: fc.constantFrom(true, true, false),
  outcome: fc.constantFrom<Outcome>('answered', 'answered', 'answered', 'abandoned', 'abandoned', 'abandoned', 'waiting', 'waiting', 'transferred', 'requeued'),
  wait: waitMs,
  agentIndex: fc.nat(),
  talkMs: fc.option(fc.integer({ min: 0, max: 12 * minute }), { nil: undefined, freq: 4 }),
  acwMs: fc.option(fc.integer({ min: 0, max: 3 * minute }), { nil: undefined, freq: 4 }),
  /** after a transfer: gap before queued in the new queue (0 = same ms, see SEMANTICS tie rule) */
  transferGapMs: fc.constantFrom(0, 1, 1_000, 15_000),
  secondOutcome: fc.constantFrom<Exclude<Outcome, 'transferred' | 'requeued'>>('answered', 'abandoned', 'waiting'),
  secondWait: waitMs,
  /** semantic duplicates: re-send event #i with a new id, shifted by shiftMs */
  dupes: fc.array(fc.record({ index: fc.nat(), shiftMs: fc.constantFrom(0, 0, 1, 500, 5_000) }), { maxLength: 2 }),
  /** a conflicting exit at the very same ms (customer hangs up as the agent answers) */
  race: fc.constantFrom(false, false, false, false, true),
  /** rare clock skew: move one event earlier */
  skew: fc.option(fc.record({ index: fc.nat(), byMs: fc.integer({ min: 1, max: 30_000 }) }), { nil: undefined, freq: 12 }),
});

/**
 * Longer requests for a human (HistoryOptions.transferChains): the customer's wait runs from the
 * first queued through every move before an answer (SEMANTICS.md), so a request may cross several
 * queues and window edges before it closes, and an answered contact may be queued again.
 */
const chainPlan = fc.record({
  /** an answered or abandoned contact is first moved (by a transferred event) from another queue */
  overflow: fc.boolean(),
  /** a direct abandon just under the queue's short-abandon threshold (overflow takes abandons away) */
  quickHangUp: fc.constantFrom(false, false, true),
  /** a contact abandoned after a move hangs up this soon in the last queue (around the short-abandon
   * thresholds: short in that queue, not for the customer who waited before) */
  hangUpAfterMove: fc.option(
    fc.oneof(fc.integer({ min: 0, max: 6_000 }), fc.constant<WaitSpec>({ edge: 'short', deltaMs: -1 })),
    { nil: undefined, freq: 4 },
  ),
  /** the wait before the first move: a VIP overflow (90 s) or minutes, across window edges */
  firstWaitMs: fc.option(fc.oneof(fc.constant(90_000), fc.integer({ min: 60_000, max: 12 * minute })), { nil: undefined, freq: 2 }),
  /** moves after the first one, each to the next queue: a transferred event (then queued after
   * gapMs) or a queued there without one */
  hops: fc.array(fc.record({ explicit: fc.boolean(), wait: waitMs, gapMs: fc.constantFrom(0, 1, 1_000, 15_000) }), { maxLength: 2 }),
  /** an agent puts the answered contact into another queue (a new request) afterMs after the answer */
  requeueAfterAnswer: fc.option(
    fc.record({ afterMs: fc.integer({ min: 0, max: 5 * minute }), outcome: fc.constantFrom<'answered' | 'abandoned' | 'waiting'>('answered', 'abandoned', 'waiting'), wait: waitMs }),
    { nil: undefined, freq: 3 },
  ),
});
// abandons that may be short stay direct: a short abandon is one of the hard cases too
const mayBeShort = (w: WaitSpec) => (typeof w === 'number' ? w < 6_000 : w.edge === 'short');
const chainedContactPlan = fc.tuple(contactPlan, chainPlan).map(([c, chain]) =>
  chain.overflow && (c.outcome === 'answered' || (c.outcome === 'abandoned' && !mayBeShort(c.wait)))
    ? { ...c, outcome: 'transferred' as const, secondOutcome: c.outcome, secondWait: c.wait, chain }
    : chain.quickHangUp && c.outcome === 'abandoned'
      ? { ...c, wait: { edge: 'short' as const, deltaMs: -1 as const }, chain }
      : { ...c, chain },
);

const agentStep = fc.record({
  gapMs: fc.oneof(fc.integer({ min: 0, max: 10 * minute }), fc.constantFrom(0, minute, 15 * minute)),
  // not_ready twice more: consecutive not-ready points with a new reason restart `since`
  state: fc.constantFrom<AgentState>(...agentStates, 'available', 'on_contact', 'acw', 'not_ready', 'not_ready'),
  reason: fc.constantFrom('break', 'meal', 'training'),
  changeTeam: fc.boolean(),
  changeQueues: fc.option(fc.integer({ min: 1, max: 15 }), { nil: undefined, freq: 6 }),
  resend: fc.constantFrom(false, false, false, true),
});

export interface HistoryOptions {
  maxContacts?: number;
  maxAgentSteps?: number;
  /** longer pre-answer transfer chains and re-queues after an answer (chainPlan) */
  transferChains?: boolean;
}

/**
 * A history of up to ~150 events, spanning 20–150 minutes placed anywhere from 2.5 h before to
 * 1 h after a Shanghai midnight near today (keys with absolute expiry stay alive).
 */
export function historyArb(opts: HistoryOptions = {}): fc.Arbitrary<History> {
  const { maxContacts = 25, maxAgentSteps = 12, transferChains = false } = opts;
  return centerFixtureArb().chain((fixture) =>
    fc
      .record({
        dayOffset: fc.integer({ min: 0, max: 1 }),
        spanStartMin: fc.integer({ min: -150, max: 60 }),
        spanMin: fc.integer({ min: 20, max: 150 }),
        contacts: fc.array<ContactPlan>(transferChains ? chainedContactPlan : contactPlan, { maxLength: maxContacts }),
        agents: fc.array(
          fc.record({ leadMs: fc.integer({ min: 0, max: 90 * minute }), steps: fc.array(agentStep, { maxLength: maxAgentSteps }) }),
          { minLength: fixture.agents.length, maxLength: fixture.agents.length },
        ),
        startJitter: jitter,
      })
      .map((r) => buildHistory(fixture, r)),
  );
}

interface HistoryPlan {
  dayOffset: number;
  spanStartMin: number;
  spanMin: number;
  contacts: ContactPlan[];
  agents: { leadMs: number; steps: AgentStep[] }[];
  startJitter: number;
}
type ContactPlan = (typeof contactPlan extends fc.Arbitrary<infer T> ? T : never) & { chain?: ChainPlan };
type ChainPlan = typeof chainPlan extends fc.Arbitrary<infer T> ? T : never;
type AgentStep = typeof agentStep extends fc.Arbitrary<infer T> ? T : never;

function buildHistory(fixture: CenterFixture, plan: HistoryPlan): History {
  const midnightMs = localMidnight(Date.now(), timeZone) + plan.dayOffset * 24 * 60 * minute;
  const spanStart = midnightMs + plan.spanStartMin * minute + plan.startJitter;
  const spanMs = plan.spanMin * minute;
  const center = fixture.center;
  const events: ContractEvent[] = [];
  const queues = fixture.queues;

  plan.contacts.forEach((c, n) => {
    const contactId = `c${n + 1}`;
    const own: ContractEvent[] = [];
    let k = 0;
    const id = () => `${contactId}-${++k}`;
    const queue = queues[c.queueIndex % queues.length]!;
    const agentId = fixture.agents[c.agentIndex % fixture.agents.length]!.id;
    let t = spanStart + Math.floor((c.startMs / 1_000_000_000) * spanMs);
    // lost-exit contacts always start on a whole second so the timeout edge can be probed exactly
    if (c.snapSeconds || c.outcome === 'waiting') t = Math.floor(t / 1000) * 1000;

    const queueAt = (q: QueueSpec, at: number) =>
      own.push({ id: id(), type: 'contact.queued', ts: at, center, contactId, queue: q.id, channel: q.channel });
    const finish = (outcome: Exclude<Outcome, 'transferred' | 'requeued'>, from: number, q: QueueSpec, spec: WaitSpec) => {
      if (outcome === 'waiting') return;
      const wait = resolveWait(spec, fixture, q);
      const leave = from + wait;
      if (outcome === 'abandoned') {
        own.push({ id: id(), type: 'contact.abandoned', ts: leave, center, contactId });
        return;
      }
      own.push({ id: id(), type: 'contact.answered', ts: leave, center, contactId, agentId });
      if (c.talkMs !== undefined) own.push({ id: id(), type: 'contact.ended', ts: leave + c.talkMs, center, contactId, agentId });
      if (c.acwMs !== undefined) {
        const wrapAt = leave + (c.talkMs ?? 0) + c.acwMs;
        own.push({ id: id(), type: 'contact.wrapped', ts: wrapAt, center, contactId, agentId });
      }
    };

    queueAt(queue, t);
    if (c.outcome === 'transferred' || c.outcome === 'requeued') {
      const moves = [
        { explicit: c.outcome === 'transferred', wait: c.chain?.firstWaitMs ?? c.wait, gapMs: c.transferGapMs },
        ...(c.chain?.hops ?? []),
      ];
      let from = queue;
      let at = t;
      moves.forEach((m, k) => {
        const other = queues[(c.queueIndex + 1 + k) % queues.length]!;
        const leave = at + resolveWait(m.wait, fixture, from);
        if (m.explicit) {
          own.push({ id: id(), type: 'contact.transferred', ts: leave, center, contactId, toQueue: other.id });
        }
        const requeueAt = leave + (m.explicit ? m.gapMs : 0);
        queueAt(other, requeueAt);
        from = other;
        at = requeueAt;
      });
      const hangUp = c.secondOutcome === 'abandoned' ? c.chain?.hangUpAfterMove : undefined;
      finish(c.secondOutcome, at, from, hangUp ?? c.secondWait);
    } else {
      finish(c.outcome, t, queue, c.wait);
    }
    const again = c.chain?.requeueAfterAnswer;
    const answer = own.findLast((e) => e.type === 'contact.answered');
    if (again && answer) {
      const next = queues[(c.queueIndex + 2) % queues.length]!;
      const at = answer.ts + again.afterMs;
      queueAt(next, at);
      const leave = at + resolveWait(again.wait, fixture, next);
      if (again.outcome === 'answered') own.push({ id: id(), type: 'contact.answered', ts: leave, center, contactId, agentId });
      if (again.outcome === 'abandoned') own.push({ id: id(), type: 'contact.abandoned', ts: leave, center, contactId });
    }
    if (c.race) {
      const exit = own.find((e) => e.type === 'contact.answered' || e.type === 'contact.abandoned');
      if (exit?.type === 'contact.answered') own.push({ id: `${contactId}-race`, type: 'contact.abandoned', ts: exit.ts, center, contactId });
      if (exit?.type === 'contact.abandoned') own.push({ id: `${contactId}-race`, type: 'contact.answered', ts: exit.ts, center, contactId, agentId });
    }
    for (const d of c.dupes) {
      const orig = own[d.index % own.length]!;
      own.push({ ...orig, id: `${contactId}-dup${++k}`, ts: orig.ts + d.shiftMs });
    }
    if (c.skew) {
      const victim = own[c.skew.index % own.length]!;
      victim.ts = Math.max(0, victim.ts - c.skew.byMs);
    }
    events.push(...own);
  });

  plan.agents.forEach((a, n) => {
    const agent = fixture.agents[n]!;
    let team = agent.team;
    let served = agent.queues;
    let t = spanStart - a.leadMs;
    let k = 0;
    const push = (state: AgentState, reason: string | undefined, at: number) =>
      events.push({
        id: `${agent.id}-${++k}`,
        type: 'agent.state',
        ts: at,
        center,
        agentId: agent.id,
        state,
        team,
        queues: [...served],
        name: agent.id.toUpperCase(),
        ...(reason !== undefined ? { reason } : {}),
      });
    push('available', undefined, t);
    for (const s of a.steps) {
      t += s.gapMs;
      if (s.changeTeam) team = team === 'A' ? 'B' : 'A';
      if (s.changeQueues !== undefined) {
        const pick = queues.map((q) => q.id).filter((_, i) => (s.changeQueues! >> i) & 1);
        if (pick.length) served = pick;
      }
      const reason = s.state === 'not_ready' ? s.reason : undefined;
      push(s.state, reason, t);
      if (s.resend) push(s.state, reason, t + (s.gapMs % 2)); // semantic duplicate of a state
    }
  });

  const lastTs = events.reduce((m, e) => Math.max(m, e.ts), spanStart);
  return { fixture, events, midnightMs, lastTs };
}

export interface Delivery {
  /** batches in delivery order, each with the clock reading at which it is ingested */
  batches: { nowMs: number; events: ContractEvent[] }[];
}

/**
 * Delivers a history late and out of order: each event (and each exact re-send) arrives after a
 * random delay (mostly seconds, sometimes up to 20 minutes), in batches of 1–40. A batch is ingested
 * at a clock reading no earlier than any of its events, so nothing is "from the future".
 */
export function deliveryArb(events: readonly ContractEvent[]): fc.Arbitrary<Delivery> {
  const n = events.length;
  return fc
    .record({
      delays: fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 * minute }) }), {
        minLength: n,
        maxLength: n,
      }),
      resends: fc.array(fc.record({ index: fc.nat(), delayMs: fc.integer({ min: 0, max: 10 * minute }) }), {
        maxLength: Math.max(1, Math.ceil(n / 5)),
      }),
      batchSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
      withinBatchOrder: fc.array(fc.nat(), { minLength: n, maxLength: n }),
    })
    .map((r) => {
      const sends = events.map((e, i) => ({ e, at: e.ts + r.delays[i]!, key: r.withinBatchOrder[i]! }));
      if (n > 0) {
        for (const s of r.resends) {
          const e = events[s.index % n]!;
          sends.push({ e, at: e.ts + s.delayMs, key: s.index });
        }
      }
      sends.sort((a, b) => a.at - b.at);
      const batches: Delivery['batches'] = [];
      let i = 0;
      let b = 0;
      while (i < sends.length) {
        const size = r.batchSizes[b++ % r.batchSizes.length]!;
        const chunk = sends.slice(i, i + size);
        i += size;
        const nowMs = Math.max(...chunk.map((s) => s.at));
        // shuffle inside the batch so ts order and position disagree
        chunk.sort((x, y) => x.key - y.key);
        batches.push({ nowMs, events: chunk.map((s) => s.e) });
      }
      return { batches };
    });
}

/** One-line-per-event rendering for failure messages (relative to `originMs`). */
export function describeEvents(events: readonly ContractEvent[], originMs: number): string {
  return [...events]
    .sort((a, b) => a.ts - b.ts)
    .map((e) => {
      const rel = `${((e.ts - originMs) / 1000).toFixed(3)}s`;
      const { id, type, ts: _ts, center: _c, ...rest } = e;
      return `${rel.padStart(12)} ${id} ${type} ${JSON.stringify(rest)}`;
    })
    .join('\n');
}
