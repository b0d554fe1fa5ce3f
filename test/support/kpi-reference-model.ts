import type { AppConfig } from '../../shared/contract/config.ts';
import type { Channel, ContactEvent, ContractEvent, KpiEvent } from '../../shared/contract/events.ts';
import { isContactEvent } from '../../shared/contract/events.ts';
import { ratingClass } from '../../shared/contract/kpi-events.ts';
import {
  dailyCallsPerAgent,
  emptyKpiSums,
  fcrFigure,
  kpiFigures,
  type FcrCounts,
  type FcrFigure,
  type KpiFigures,
  type KpiSums,
} from '../../shared/metrics/kpi.ts';
import { ratio } from '../../shared/metrics/formulas.ts';
import { asOfSecond, isRolling, localDate, localMidnight, rollingWindowMs, type WindowId } from '../../shared/metrics/windows.ts';
import { compareBytes, scopeDim, type ModelQuery, type ReferenceModel } from './reference-model.ts';

/**
 * The independent oracle of the KPI pack: a brute-force reading of shared/metrics/SEMANTICS-KPI.md
 * in the style of reference-model.ts (keep every event, recompute from scratch). It knows nothing
 * about Redis; agent figures it needs from the core rules (answered, handled today, state time,
 * current team) come from the core ReferenceModel.
 */

interface Placement {
  at: number;
  dims: Set<string>;
  sums: Partial<KpiSums>;
}

interface AgentRating {
  day: string;
  agentId: string;
  dissatisfied: boolean;
  score: number | null;
}

type Queued = Extract<ContactEvent, { type: 'contact.queued' }>;

const typeOrder: Record<string, number> = {
  'contact.queued': 0,
  'contact.answered': 1,
  'contact.abandoned': 2,
  'contact.transferred': 3,
};

class KpiCenter {
  readonly placements: Placement[] = [];
  readonly ratings: AgentRating[] = [];
  /** day → dim → customer → contact ids */
  readonly fcr = new Map<string, Map<string, Map<string, Set<string>>>>();
  /** day → dim → contact ids queued without a customerId */
  readonly anonymous = new Map<string, Map<string, Set<string>>>();
  readonly queueChannel = new Map<string, Channel>();
  readonly stateEvents: Extract<ContractEvent, { type: 'agent.state' }>[] = [];

  constructor(
    readonly id: string,
    readonly timeZone: string,
    private readonly config: AppConfig,
    events: readonly ContractEvent[],
  ) {
    for (const q of config.queues) if (q.center === id) this.queueChannel.set(q.id, q.channel);
    const queued = events.filter((e): e is Queued => e.type === 'contact.queued').sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id));
    for (const e of queued) if (!this.queueChannel.has(e.queue)) this.queueChannel.set(e.queue, e.channel);

    const contacts = new Map<string, { events: ContactEvent[]; surveys: Extract<KpiEvent, { type: 'survey.rated' }>[] }>();
    const entry = (id: string) => {
      let c = contacts.get(id);
      if (!c) contacts.set(id, (c = { events: [], surveys: [] }));
      return c;
    };
    const ivr = new Map<string, Extract<KpiEvent, { type: 'ivr.exited' }>[]>();
    const bots = new Map<string, Extract<KpiEvent, { type: 'bot.ended' }>[]>();
    for (const e of events) {
      if (isContactEvent(e)) {
        if (e.type in typeOrder) entry(e.contactId).events.push(e);
      } else if (e.type === 'survey.rated') entry(e.contactId).surveys.push(e);
      else if (e.type === 'ivr.exited') ivr.set(e.sessionId, [...(ivr.get(e.sessionId) ?? []), e]);
      else if (e.type === 'bot.ended') bots.set(e.sessionId, [...(bots.get(e.sessionId) ?? []), e]);
      else if (e.type === 'agent.state') this.stateEvents.push(e);
    }
    for (const [contactId, c] of contacts) this.replayContact(contactId, c.events, c.surveys);
    for (const exits of ivr.values()) {
      const e = [...exits].sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id))[0]!;
      this.placements.push({
        at: e.ts,
        dims: new Set(['all', 'ch:voice']),
        sums: { ivrSessions: 1, ivrToAgent: e.outcome === 'to_agent' ? 1 : 0, ivrSelfServed: e.outcome === 'self_served' ? 1 : 0 },
      });
    }
    for (const ends of bots.values()) {
      const e = [...ends].sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id))[0]!;
      this.placements.push({
        at: e.ts,
        dims: new Set(['all', `ch:${e.channel}`]),
        sums: {
          botSessions: 1,
          botToAgent: e.outcome === 'to_agent' ? 1 : 0,
          botResolved: e.outcome === 'resolved' ? 1 : 0,
          botQuestions: e.questions ?? 0,
          botRecognized: e.recognized ?? 0,
          botUnresolvedRated: e.unresolvedRated ?? 0,
        },
      });
    }
  }

  groupsOf(queue: string): string[] {
    return this.config.groups.filter((g) => g.center === this.id && g.queues.includes(queue)).map((g) => g.id);
  }

  dimsOf(queue: string): Set<string> {
    const ch = this.queueChannel.get(queue);
    return new Set(['all', `q:${queue}`, ...(ch ? [`ch:${ch}`] : []), ...this.groupsOf(queue).map((g) => `g:${g}`)]);
  }

  private replayContact(contactId: string, events: ContactEvent[], surveys: Extract<KpiEvent, { type: 'survey.rated' }>[]): void {
    const sorted = [...events].sort((a, b) => a.ts - b.ts || typeOrder[a.type]! - typeOrder[b.type]! || compareBytes(a.id, b.id));
    type Leg = { queue: string; openedAt: number; outcome?: 'answered' | 'abandoned' | 'moved'; closedAt?: number };
    const legs: Leg[] = [];
    let open: Leg | undefined;
    let lastAnswered: { queue: string; agentId: string } | undefined;
    for (const e of sorted) {
      if (e.type === 'contact.queued') {
        this.addFcr(localDate(e.ts, this.timeZone), e.queue, contactId, e.customerId);
        if (open && open.queue === e.queue) continue;
        if (open) Object.assign(open, { outcome: 'moved', closedAt: e.ts });
        open = { queue: e.queue, openedAt: e.ts };
        legs.push(open);
      } else if (open) {
        // SEMANTICS.md: a transfer to a queue leaves the leg open in that queue (its arrival)
        if (e.type === 'contact.transferred' && e.toQueue === open.queue) continue;
        if (e.type === 'contact.answered') lastAnswered = { queue: open.queue, agentId: e.agentId };
        Object.assign(open, {
          outcome: e.type === 'contact.answered' ? 'answered' : e.type === 'contact.abandoned' ? 'abandoned' : 'moved',
          closedAt: e.ts,
        });
        open = undefined;
      }
    }
    // a leg is transferred when it was moved, or when a later leg follows it and it was not abandoned
    const transferred = (i: number) =>
      legs[i]!.outcome === 'moved' || (i < legs.length - 1 && legs[i]!.outcome !== undefined && legs[i]!.outcome !== 'abandoned');
    if (legs.length > 0) this.placements.push({ at: legs[0]!.openedAt, dims: this.dimsOf(legs[0]!.queue), sums: { newContacts: 1 } });
    legs.forEach((leg, i) => {
      if (leg.outcome === undefined) return;
      this.placements.push({ at: leg.closedAt!, dims: this.dimsOf(leg.queue), sums: { legsClosed: 1, transfers: transferred(i) ? 1 : 0 } });
      if (i > 0 && transferred(i - 1)) {
        this.placements.push({
          at: leg.closedAt!,
          dims: this.dimsOf(legs[i - 1]!.queue),
          sums: { transfersResolved: 1, transfersAnswered: leg.outcome === 'answered' ? 1 : 0 },
        });
      }
    });
    const s = [...surveys].sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id))[0];
    if (!s) return;
    const queue = s.queue ?? lastAnswered?.queue;
    const agentId = s.agentId ?? lastAnswered?.agentId;
    const dims = queue ? this.dimsOf(queue) : new Set(['all']);
    if (s.channel && !(queue && this.queueChannel.has(queue))) dims.add(`ch:${s.channel}`);
    const dissatisfied = ratingClass(s.rating) === 'dissatisfied';
    const score = typeof s.rating === 'number' ? s.rating : null;
    this.placements.push({
      at: s.ts,
      dims,
      sums: { ratings: 1, dissatisfied: dissatisfied ? 1 : 0, scored: score === null ? 0 : 1, scoreSum: score ?? 0 },
    });
    if (agentId) this.ratings.push({ day: localDate(s.ts, this.timeZone), agentId, dissatisfied, score });
  }

  private addFcr(day: string, queue: string, contactId: string, customerId: string | undefined): void {
    for (const dim of this.dimsOf(queue)) {
      if (customerId === undefined) {
        const byDim = this.anonymous.get(day) ?? new Map<string, Set<string>>();
        this.anonymous.set(day, byDim);
        byDim.set(dim, (byDim.get(dim) ?? new Set()).add(contactId));
      } else {
        const byDim = this.fcr.get(day) ?? new Map<string, Map<string, Set<string>>>();
        this.fcr.set(day, byDim);
        const customers = byDim.get(dim) ?? new Map<string, Set<string>>();
        byDim.set(dim, customers);
        customers.set(customerId, (customers.get(customerId) ?? new Set()).add(contactId));
      }
    }
  }
}

export interface ModelScorecardRow {
  agentId: string;
  team: string | null;
  handledToday: number;
  loggedInSec: number;
  dailyCallsPerAgent: number | null;
  ratings: number;
  dissatisfied: number;
  csat: number | null;
  csatMeanScore: number | null;
}

export class KpiReferenceModel {
  private readonly centers = new Map<string, KpiCenter>();

  /** `core` is the core ReferenceModel over the same events (answered, state time, agent rows). */
  constructor(
    private readonly config: AppConfig,
    events: readonly ContractEvent[],
    private readonly core: ReferenceModel,
  ) {
    const seen = new Set<string>();
    const byCenter = new Map<string, ContractEvent[]>();
    for (const e of events) {
      const key = `${e.center}\u0000${e.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      byCenter.set(e.center, [...(byCenter.get(e.center) ?? []), e]);
    }
    for (const c of new Set([...config.centers.map((c) => c.id), ...byCenter.keys()])) {
      const tz = config.centers.find((x) => x.id === c)?.timeZone ?? 'Asia/Shanghai';
      this.centers.set(c, new KpiCenter(c, tz, config, byCenter.get(c) ?? []));
    }
  }

  private center(id = 'default'): KpiCenter {
    return this.centers.get(id)!;
  }

  sums(q: ModelQuery, fromMs: number, toMs: number): KpiSums {
    const dim = scopeDim(q.scope);
    const s = emptyKpiSums();
    for (const p of this.center(q.center).placements) {
      if (p.at < fromMs || p.at >= toMs || !p.dims.has(dim)) continue;
      for (const [k, v] of Object.entries(p.sums)) s[k as keyof KpiSums] += v;
    }
    return s;
  }

  fcr(q: ModelQuery, day: string): FcrFigure {
    const c = this.center(q.center);
    const dim = scopeDim(q.scope);
    const customers = c.fcr.get(day)?.get(dim) ?? new Map<string, Set<string>>();
    const counts: FcrCounts = {
      customers: customers.size,
      singleContact: [...customers.values()].filter((s) => s.size === 1).length,
      withoutCustomerId: c.anonymous.get(day)?.get(dim)?.size ?? 0,
    };
    return fcrFigure(day, counts);
  }

  private figures(q: ModelQuery, from: number, to: number, fcr: FcrFigure | null, nowMs: number): KpiFigures {
    const base = this.core.history(q, from, to, nowMs);
    const loggedInSec = Object.values(base.stateTimeSec).reduce((s, v) => s + v, 0);
    return kpiFigures(this.sums(q, from, to), {
      scopeKind: q.scope.kind,
      team: q.team !== undefined,
      agentDay: { answered: base.answered, loggedInSec },
      standardDayHours: this.config.kpi.standardDayHours,
      fcr,
    });
  }

  query(q: ModelQuery, window: WindowId, nowMs: number): KpiFigures {
    const asOf = asOfSecond(nowMs);
    const tz = this.center(q.center).timeZone;
    const from = isRolling(window) ? asOf - rollingWindowMs[window] : localMidnight(asOf, tz);
    // state time of a live window runs up to asOf: the same as a history range ending at asOf
    return this.figures(q, from, asOf, this.fcr(q, localDate(asOf, tz)), nowMs);
  }

  history(q: ModelQuery, fromMs: number, toMs: number, nowMs: number): KpiFigures {
    const tz = this.center(q.center).timeZone;
    const wholeDay = localMidnight(fromMs, tz) === fromMs && localMidnight(fromMs + 30 * 3_600_000, tz) === toMs;
    return this.figures(q, fromMs, toMs, wholeDay ? this.fcr(q, localDate(fromMs, tz)) : null, nowMs);
  }

  /** intervals rows: like history, never with FCR */
  interval(q: ModelQuery, fromMs: number, toMs: number, nowMs: number): KpiFigures {
    return this.figures(q, fromMs, toMs, null, nowMs);
  }

  scorecard(center: string, nowMs: number): ModelScorecardRow[] {
    const c = this.center(center);
    const asOf = asOfSecond(nowMs);
    const from = localMidnight(asOf, c.timeZone);
    const day = localDate(asOf, c.timeZone);
    const std = this.config.kpi.standardDayHours;
    return this.core.agents(center, {}, nowMs).map((row) => {
      const points = c.stateEvents.filter((e) => e.agentId === row.agentId).sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id));
      let ms = 0;
      points.forEach((p, i) => {
        if (p.state === 'logged_out') return;
        const end = points[i + 1]?.ts ?? Number.POSITIVE_INFINITY;
        ms += Math.max(0, Math.min(end, asOf) - Math.max(p.ts, from));
      });
      const mine = c.ratings.filter((r) => r.day === day && r.agentId === row.agentId);
      const dissatisfied = mine.filter((r) => r.dissatisfied).length;
      const scored = mine.filter((r) => r.score !== null);
      return {
        agentId: row.agentId,
        team: row.team,
        handledToday: row.handledToday,
        loggedInSec: ms / 1000,
        dailyCallsPerAgent: dailyCallsPerAgent(row.handledToday, ms / 1000, std),
        ratings: mine.length,
        dissatisfied,
        csat: mine.length > 0 ? 1 - dissatisfied / mine.length : null,
        csatMeanScore: ratio(scored.reduce((s, r) => s + r.score!, 0), scored.length),
      };
    });
  }
}
