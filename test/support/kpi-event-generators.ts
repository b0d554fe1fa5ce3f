import fc from 'fast-check';
import type { ContractEvent } from '../../shared/contract/events.ts';
import { botOutcomes, ivrOutcomes, surveyVias, type Rating } from '../../shared/contract/kpi-events.ts';
import { historyArb, type History, type HistoryOptions } from './event-generators.ts';

/**
 * The KPI pack's events on top of event-generators.ts's random histories: customerIds on some
 * contact.queued (a small pool, so customers repeat, some contacts without one), surveys (first
 * and second ratings of a contact, with or without queue/agent, for known and unknown contacts),
 * IVR and robot sessions with semantic duplicate exits and session ids shared between the two.
 * Delivery (late, out of order, re-sends) stays deliveryArb's job.
 */
const minute = 60_000;

const rating = fc.constantFrom<Rating>(1, 2, 3, 4, 5, 5, 4, 'satisfied', 'neutral', 'dissatisfied');

const surveyPlan = fc.record({
  contactIndex: fc.nat(),
  atFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  rating,
  via: fc.constantFrom(...surveyVias),
  withQueue: fc.constantFrom(true, false, false),
  withAgent: fc.constantFrom(true, false, false),
  withChannel: fc.boolean(),
  second: fc.option(fc.record({ shiftMs: fc.constantFrom(0, 1, 60_000), rating }), { nil: undefined, freq: 4 }),
});

const sessionPlan = fc.record({
  kind: fc.constantFrom('ivr', 'bot', 'bot'),
  idIndex: fc.integer({ min: 1, max: 12 }),
  atFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  durationMs: fc.integer({ min: 0, max: 8 * minute }),
  ivrOutcome: fc.constantFrom(...ivrOutcomes),
  botOutcome: fc.constantFrom(...botOutcomes),
  channel: fc.constantFrom('text' as const, 'text' as const, 'voice' as const),
  questions: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined, freq: 5 }),
  recognizedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  unresolvedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  withStart: fc.boolean(),
  secondExit: fc.option(fc.record({ shiftMs: fc.constantFrom(0, 1, 5_000) }), { nil: undefined, freq: 5 }),
});

/** An agent transfers an answered contact: it is queued again (another or the same queue) after
 * the answer, so the answered leg becomes a transfer whose target leg then closes (or not). */
const agentTransferPlan = fc.record({
  contactIndex: fc.nat(),
  queueShift: fc.integer({ min: 0, max: 2 }),
  gapMs: fc.constantFrom(0, 1, 1_000, 30_000),
  outcome: fc.constantFrom('answered' as const, 'abandoned' as const, 'transferred' as const, 'waiting' as const),
  waitMs: fc.integer({ min: 0, max: 90_000 }),
});

export interface KpiHistory extends History {
  /** the history's events plus the KPI events (events of the core alone: core) */
  core: ContractEvent[];
}

export function kpiHistoryArb(opts: HistoryOptions & { maxSurveys?: number; maxSessions?: number } = {}): fc.Arbitrary<KpiHistory> {
  const { maxSurveys = 12, maxSessions = 14, ...historyOpts } = opts;
  return historyArb(historyOpts).chain((h) =>
    fc
      .record({
        customers: fc.array(fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined, freq: 4 }), { minLength: 40, maxLength: 40 }),
        surveys: fc.array(surveyPlan, { maxLength: maxSurveys }),
        sessions: fc.array(sessionPlan, { maxLength: maxSessions }),
        agentTransfers: fc.array(agentTransferPlan, { maxLength: 4 }),
      })
      .map((r) => build(h, r)),
  );
}

type SurveyPlan = typeof surveyPlan extends fc.Arbitrary<infer T> ? T : never;
type SessionPlan = typeof sessionPlan extends fc.Arbitrary<infer T> ? T : never;
type AgentTransferPlan = typeof agentTransferPlan extends fc.Arbitrary<infer T> ? T : never;

function build(
  h: History,
  r: { customers: (number | undefined)[]; surveys: SurveyPlan[]; sessions: SessionPlan[]; agentTransfers: AgentTransferPlan[] },
): KpiHistory {
  const center = h.fixture.center;
  const customerOf = (contactId: string) => r.customers[Number(contactId.slice(1)) % r.customers.length];
  const answers = h.events.filter((e) => e.type === 'contact.answered');
  const transfers: ContractEvent[] = [];
  r.agentTransfers.forEach((x, i) => {
    const a = answers[x.contactIndex % Math.max(1, answers.length)];
    if (a === undefined || a.type !== 'contact.answered') return;
    const from = h.events.find((e) => e.type === 'contact.queued' && e.contactId === a.contactId);
    const fromIndex = Math.max(0, h.fixture.queues.findIndex((q) => from?.type === 'contact.queued' && q.id === from.queue));
    const q = h.fixture.queues[(fromIndex + x.queueShift) % h.fixture.queues.length]!;
    const at = a.ts + x.gapMs;
    const contactId = a.contactId;
    transfers.push({ id: `ax${i}-q`, type: 'contact.queued', ts: at, center, contactId, queue: q.id, channel: q.channel });
    const leave = at + x.waitMs;
    if (x.outcome === 'answered') transfers.push({ id: `ax${i}-x`, type: 'contact.answered', ts: leave, center, contactId, agentId: a.agentId });
    if (x.outcome === 'abandoned') transfers.push({ id: `ax${i}-x`, type: 'contact.abandoned', ts: leave, center, contactId });
    if (x.outcome === 'transferred') transfers.push({ id: `ax${i}-x`, type: 'contact.transferred', ts: leave, center, contactId, toQueue: h.fixture.queues[(fromIndex + x.queueShift + 1) % h.fixture.queues.length]!.id });
  });
  const core = [...h.events, ...transfers].map((e): ContractEvent => {
    if (e.type !== 'contact.queued') return e;
    const n = customerOf(e.contactId);
    return n === undefined ? e : { ...e, customerId: `cust-${n}` };
  });
  const contactIds = [...new Set(core.flatMap((e) => ('contactId' in e ? [e.contactId] : [])))];
  const first = core.reduce((m, e) => Math.min(m, e.ts), h.lastTs);
  const span = Math.max(1, h.lastTs - first);
  const at = (f: number) => first + Math.floor(f * span);
  const kpi: ContractEvent[] = [];
  r.surveys.forEach((s, i) => {
    const contactId = contactIds.length === 0 ? `nobody-${i}` : contactIds[s.contactIndex % contactIds.length]!;
    const queue = h.fixture.queues[s.contactIndex % h.fixture.queues.length]!;
    const agent = h.fixture.agents[s.contactIndex % h.fixture.agents.length]!;
    const ts = at(s.atFraction);
    const base = {
      type: 'survey.rated' as const,
      center,
      contactId,
      via: s.via,
      ...(s.withQueue ? { queue: queue.id } : {}),
      ...(s.withAgent ? { agentId: agent.id } : {}),
      ...(s.withChannel ? { channel: queue.channel } : {}),
    };
    kpi.push({ ...base, id: `sv${i}`, ts, rating: s.rating });
    if (s.second) kpi.push({ ...base, id: `sv${i}-2`, ts: ts + s.second.shiftMs, rating: s.second.rating });
  });
  r.sessions.forEach((s, i) => {
    const start = at(s.atFraction);
    const end = start + s.durationMs;
    const sessionId = `S${s.idIndex}`;
    if (s.kind === 'ivr') {
      if (s.withStart) kpi.push({ id: `iv${i}-a`, type: 'ivr.entered', ts: start, center, sessionId });
      kpi.push({ id: `iv${i}-b`, type: 'ivr.exited', ts: end, center, sessionId, outcome: s.ivrOutcome });
      if (s.secondExit) kpi.push({ id: `iv${i}-c`, type: 'ivr.exited', ts: end + s.secondExit.shiftMs, center, sessionId, outcome: 'to_agent' });
    } else {
      if (s.withStart) kpi.push({ id: `bt${i}-a`, type: 'bot.started', ts: start, center, sessionId, channel: s.channel });
      const q = s.questions;
      const recognized = q === undefined ? undefined : Math.floor(q * s.recognizedShare);
      const unresolved = recognized === undefined ? undefined : Math.floor(recognized * s.unresolvedShare);
      kpi.push({
        id: `bt${i}-b`,
        type: 'bot.ended',
        ts: end,
        center,
        sessionId,
        channel: s.channel,
        outcome: s.botOutcome,
        ...(q !== undefined ? { questions: q, recognized, unresolvedRated: unresolved } : {}),
      });
      if (s.secondExit) {
        kpi.push({ id: `bt${i}-c`, type: 'bot.ended', ts: end + s.secondExit.shiftMs, center, sessionId, channel: 'text', outcome: 'abandoned' });
      }
    }
  });
  const events = [...core, ...kpi];
  return { ...h, events, core, lastTs: events.reduce((m, e) => Math.max(m, e.ts), h.lastTs) };
}
