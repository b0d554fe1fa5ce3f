import type { AppConfig } from '../../shared/contract/config.ts';
import type {
  AgentState,
  AgentStateEvent,
  Channel,
  ContactEvent,
  ContractEvent,
} from '../../shared/contract/events.ts';
import { isContactEvent } from '../../shared/contract/events.ts';
import {
  agentTimeMetrics,
  contactMetrics,
  type ContactMetrics,
} from '../../shared/metrics/formulas.ts';
import {
  agentCountsFromStates,
  emptyContactSums,
  emptyStateTime,
  type AgentCounts,
  type ContactSums,
  type StateTimeMs,
} from '../../shared/metrics/raw.ts';
import {
  asOfSecond,
  isRolling,
  localMidnight,
  rollingWindowMs,
  type WindowId,
} from '../../shared/metrics/windows.ts';

/**
 * The independent oracle for the metric engine: a brute-force, pure TypeScript reading of
 * shared/metrics/SEMANTICS.md. It knows nothing about Redis or server/; it keeps every accepted
 * event and recomputes each figure from scratch, so it is slow but easy to check by eye. The
 * property tests require the engine to agree with it on every window and scope.
 *
 * Preconditions the rules themselves leave open (the tests respect them):
 * - live figures assume no accepted event lies after the query's asOf;
 * - an `agent.state` without `team`/`queues` inherits them from the previous point in time order
 *   (the engine inherits in ingest order, which is the same only when events arrive in order).
 * Readings of points SEMANTICS.md leaves open (the engine agrees with each):
 * - `longestWaitSec` is 0, not null, when nobody waits (null is kept for history ranges);
 * - a team query is center-wide: its agent figures are those of dimension `t:<team>` (the engine
 *   refuses a team with a queue/channel/group: there is no queue×team dimension);
 * - "waited longer than waitingTimeoutMin" is strict: at exactly the timeout a contact still waits;
 * - `since` is the start of the current run of points with the same state and reason.
 */

export type ModelScope =
  | { kind: 'all' }
  | { kind: 'queue'; queue: string }
  | { kind: 'channel'; channel: Channel }
  | { kind: 'group'; group: string };

export interface ModelQuery {
  center?: string;
  scope: ModelScope;
  team?: string;
}

export interface ModelLive {
  waiting: number;
  longestWaitSec: number | null;
  agents: AgentCounts;
}

/** The published figures, shaped like MetricsResult (numbers only, plus the raw sums). */
export interface ModelResult extends ContactMetrics {
  asOfMs: number;
  fromMs: number;
  toMs: number;
  thresholdSec: number | null;
  waiting: number | null;
  longestWaitSec: number | null;
  agents: AgentCounts | null;
  occupancy: number | null;
  utilization: number | null;
  stateTimeSec: Record<keyof StateTimeMs, number>;
  sums: ContactSums;
  stateTimeMs: StateTimeMs;
}

export interface ModelAgentRow {
  agentId: string;
  name: string | null;
  state: AgentState;
  reason: string | null;
  sinceMs: number;
  team: string | null;
  queues: string[];
  handledToday: number;
}

type Outcome = 'answered' | 'abandoned' | 'transferredOut';

/** Something a contact contributes to one bucket at one instant. */
type Placement =
  | { kind: 'arrival'; at: number; queue: string; channel: Channel }
  | {
      kind: 'closure';
      at: number;
      queue: string;
      channel: Channel;
      outcome: Outcome;
      /** time in this queue (the leg) */
      waitMs: number;
      /** time since the customer asked for a human (the request, across pre-answer transfers) */
      customerWaitMs: number;
      agentId?: string;
    }
  | { kind: 'talk' | 'handle'; at: number; queue: string; channel: Channel; durationMs: number };

interface OpenLeg {
  queue: string;
  channel: Channel;
  queuedAt: number;
  /** when the customer asked for a human: the first queued of the running request */
  requestedAt: number;
}

interface AgentPoint {
  ts: number;
  id: string;
  state: AgentState;
  reason: string | null;
  team: string | null;
  queues: string[];
  name: string | null;
}

const typeOrder: Record<ContactEvent['type'], number> = {
  'contact.queued': 0,
  'contact.answered': 1,
  'contact.abandoned': 2,
  'contact.transferred': 3,
  'contact.ended': 4,
  'contact.wrapped': 5,
};

/** Event ids tie-break by byte order (UTF-8), which differs from JS string order beyond ASCII. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function overlapMs(start: number, end: number, a: number, b: number): number {
  return Math.max(0, Math.min(end, b) - Math.max(start, a));
}

class CenterModel {
  readonly placements: Placement[] = [];
  /** contacts still in a queue after all their events, keyed by contact id */
  readonly openLegs = new Map<string, OpenLeg>();
  readonly agentTimelines = new Map<string, AgentPoint[]>();
  /** channel of each queue: config first, else its first contact.queued (by time) */
  readonly queueChannel = new Map<string, Channel>();

  constructor(
    readonly id: string,
    readonly timeZone: string,
    private readonly config: AppConfig,
    events: readonly ContractEvent[],
  ) {
    for (const q of config.queues) if (q.center === id) this.queueChannel.set(q.id, q.channel);
    const byContact = new Map<string, ContactEvent[]>();
    const byAgent = new Map<string, AgentStateEvent[]>();
    for (const e of events) {
      if (e.type === 'agent.state') {
        const list = byAgent.get(e.agentId) ?? [];
        list.push(e);
        byAgent.set(e.agentId, list);
      } else if (isContactEvent(e)) {
        // survey.rated / ivr.* / bot.*: test/support/kpi-reference-model.ts
        const list = byContact.get(e.contactId) ?? [];
        list.push(e);
        byContact.set(e.contactId, list);
      }
    }
    const queuedByTime = events
      .filter((e): e is Extract<ContractEvent, { type: 'contact.queued' }> => e.type === 'contact.queued')
      .sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id));
    for (const e of queuedByTime) if (!this.queueChannel.has(e.queue)) this.queueChannel.set(e.queue, e.channel);

    for (const [contactId, list] of byContact) this.replayContact(contactId, list);
    for (const [agentId, list] of byAgent) this.agentTimelines.set(agentId, this.buildTimeline(list));
  }

  /** The state machine of SEMANTICS.md "Contacts", over the contact's events in canonical order. */
  private replayContact(contactId: string, events: ContactEvent[]): void {
    const sorted = [...events].sort(
      (a, b) => a.ts - b.ts || typeOrder[a.type] - typeOrder[b.type] || compareBytes(a.id, b.id),
    );
    let leg: OpenLeg | undefined;
    // SEMANTICS.md "The customer's wait": the request runs from the queued that opened a leg with no
    // request running, through pre-answer transfers, until a leg closes answered or abandoned
    let requestedAt: number | undefined;
    // one per answer, in answer order; wrapped ones stay (an agent who answered one is still "an
    // agent who answered one of them" for the target rule)
    const conversations: {
      queue: string;
      channel: Channel;
      agentId: string | undefined;
      answeredAt: number;
      ended: boolean;
      wrapped: boolean;
    }[] = [];
    /** SEMANTICS.md "the target": the named agent's latest qualifying conversation if that agent
     * answered any; otherwise (no agent, or one who answered none) the latest qualifying one */
    const targetOf = (agentId: string | undefined, qualifies: (c: (typeof conversations)[number]) => boolean) => {
      const answeredBefore = agentId !== undefined && conversations.some((c) => c.agentId === agentId);
      const candidates = conversations.filter((c) => qualifies(c) && (!answeredBefore || c.agentId === agentId));
      return candidates.at(-1);
    };
    const close = (outcome: Outcome, at: number, agentId?: string) => {
      if (!leg) return;
      this.placements.push({
        kind: 'closure',
        at,
        queue: leg.queue,
        channel: leg.channel,
        outcome,
        waitMs: at - leg.queuedAt,
        customerWaitMs: at - leg.requestedAt,
        ...(agentId !== undefined ? { agentId } : {}),
      });
      leg = undefined;
      if (outcome !== 'transferredOut') requestedAt = undefined;
    };
    for (const e of sorted) {
      switch (e.type) {
        case 'contact.queued':
          if (leg && leg.queue === e.queue) break;
          if (leg) close('transferredOut', e.ts);
          {
            // a contact counts in its queue's channel (SEMANTICS.md), whatever its event says
            const channel = this.queueChannel.get(e.queue) ?? e.channel;
            requestedAt ??= e.ts;
            leg = { queue: e.queue, channel, queuedAt: e.ts, requestedAt };
            this.placements.push({ kind: 'arrival', at: e.ts, queue: e.queue, channel });
          }
          break;
        case 'contact.answered':
          if (!leg) break;
          conversations.push({ queue: leg.queue, channel: leg.channel, agentId: e.agentId, answeredAt: e.ts, ended: false, wrapped: false });
          close('answered', e.ts, e.agentId);
          break;
        case 'contact.abandoned':
          close('abandoned', e.ts);
          break;
        case 'contact.transferred':
          // a leg in the transfer's own target queue is its arrival, never the leg it leaves
          if (leg && leg.queue === e.toQueue) break;
          close('transferredOut', e.ts);
          break;
        case 'contact.ended': {
          const target = targetOf(e.agentId, (c) => !c.ended && !c.wrapped);
          if (!target) break;
          target.ended = true;
          this.placements.push({
            kind: 'talk',
            at: e.ts,
            queue: target.queue,
            channel: target.channel,
            durationMs: e.ts - target.answeredAt,
          });
          break;
        }
        case 'contact.wrapped': {
          const target = targetOf(e.agentId, (c) => !c.wrapped);
          if (!target) break;
          target.wrapped = true;
          this.placements.push({
            kind: 'handle',
            at: e.ts,
            queue: target.queue,
            channel: target.channel,
            durationMs: e.ts - target.answeredAt,
          });
          break;
        }
      }
    }
    if (leg) this.openLegs.set(contactId, leg);
  }

  private buildTimeline(events: AgentStateEvent[]): AgentPoint[] {
    const sorted = [...events].sort((a, b) => a.ts - b.ts || compareBytes(a.id, b.id));
    const points: AgentPoint[] = [];
    let prev: AgentPoint | undefined;
    for (const e of sorted) {
      const p: AgentPoint = {
        ts: e.ts,
        id: e.id,
        state: e.state,
        reason: e.reason ?? null,
        team: e.team ?? prev?.team ?? null,
        queues: e.queues ?? prev?.queues ?? [],
        name: e.name ?? prev?.name ?? null,
      };
      points.push(p);
      prev = p;
    }
    return points;
  }

  groupsOf(queue: string): string[] {
    return this.config.groups.filter((g) => g.center === this.id && g.queues.includes(queue)).map((g) => g.id);
  }

  /** Dimensions a contact placement counts in. */
  contactDims(queue: string, channel: Channel): Set<string> {
    return new Set(['all', `q:${queue}`, `ch:${channel}`, ...this.groupsOf(queue).map((g) => `g:${g}`)]);
  }

  /** Dimensions an agent point counts in (team handled separately, see matchesAgent). */
  agentDims(p: AgentPoint): Set<string> {
    const dims = new Set(['all']);
    for (const q of p.queues) {
      dims.add(`q:${q}`);
      const ch = this.queueChannel.get(q);
      if (ch) dims.add(`ch:${ch}`);
      for (const g of this.groupsOf(q)) dims.add(`g:${g}`);
    }
    return dims;
  }

  /** SEMANTICS.md: a team query (center scope only) has the agent figures of dimension
   * t:<team>; there is no queue×team dimension, so the engine refuses a team with another scope. */
  matchesAgent(p: AgentPoint, q: ModelQuery): boolean {
    if (q.team !== undefined) return p.team === q.team;
    return this.agentDims(p).has(scopeDim(q.scope));
  }

  thresholdsOf(queue: string): { slMs: number; shortMs: number } {
    const qc = this.config.queues.find((q) => q.center === this.id && q.id === queue);
    const channel = this.queueChannel.get(queue) ?? 'voice';
    const sl = qc?.serviceLevelThresholdSec ?? this.config.defaults.serviceLevelThresholdSec[channel];
    const short = qc?.shortAbandonThresholdSec ?? this.config.defaults.shortAbandonThresholdSec;
    return { slMs: sl * 1000, shortMs: short * 1000 };
  }
}

export function scopeDim(scope: ModelScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all';
    case 'queue':
      return `q:${scope.queue}`;
    case 'channel':
      return `ch:${scope.channel}`;
    case 'group':
      return `g:${scope.group}`;
  }
}

export class ReferenceModel {
  private readonly centers = new Map<string, CenterModel>();

  /** `events` are parsed contract events (ts in epoch ms, center filled in); exact id re-sends
   * are dropped here as the engine's dedupe would (first one wins). */
  constructor(
    private readonly config: AppConfig,
    events: readonly ContractEvent[],
  ) {
    const seen = new Set<string>();
    const byCenter = new Map<string, ContractEvent[]>();
    for (const e of events) {
      const key = `${e.center}\u0000${e.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const list = byCenter.get(e.center) ?? [];
      list.push(e);
      byCenter.set(e.center, list);
    }
    const centerIds = new Set([...config.centers.map((c) => c.id), ...byCenter.keys()]);
    for (const id of centerIds) {
      const tz = config.centers.find((c) => c.id === id)?.timeZone ?? 'Asia/Shanghai';
      this.centers.set(id, new CenterModel(id, tz, config, byCenter.get(id) ?? []));
    }
  }

  private center(id = 'default'): CenterModel {
    const c = this.centers.get(id);
    if (!c) throw new Error(`unknown center ${id}`);
    return c;
  }

  /** Raw contact sums of placements in [fromMs, toMs) for a scope (team never narrows contacts). */
  contactSums(q: ModelQuery, fromMs: number, toMs: number): ContactSums {
    const c = this.center(q.center);
    const dim = scopeDim(q.scope);
    const s = emptyContactSums();
    for (const p of c.placements) {
      if (p.at < fromMs || p.at >= toMs) continue;
      if (!c.contactDims(p.queue, p.channel).has(dim)) continue;
      // a queue row judges the time spent in it; every wider row the customer's wait
      const queueRow = dim.startsWith('q:');
      switch (p.kind) {
        case 'arrival':
          s.arrivals += 1;
          break;
        case 'talk':
          s.talkCount += 1;
          s.talkMs += p.durationMs;
          break;
        case 'handle':
          s.handleCount += 1;
          s.handleMs += p.durationMs;
          break;
        case 'closure': {
          const { slMs, shortMs } = c.thresholdsOf(p.queue);
          const wait = queueRow ? p.waitMs : p.customerWaitMs;
          if (p.outcome === 'answered') {
            s.answered += 1;
            s.answeredWaitMs += wait;
            if (wait <= slMs) s.answeredInThreshold += 1;
          } else if (p.outcome === 'abandoned') {
            // a misdial or not is the customer's call, the same at every level
            if (p.customerWaitMs < shortMs) {
              s.shortAbandoned += 1;
            } else {
              s.abandoned += 1;
              if (wait <= slMs) s.abandonedInThreshold += 1;
            }
          } else {
            s.transferredOut += 1;
          }
          break;
        }
      }
    }
    return s;
  }

  /** Agent-ms per state inside [fromMs, toMs); a state still running counts up to toMs. */
  stateTime(q: ModelQuery, fromMs: number, toMs: number): StateTimeMs {
    const c = this.center(q.center);
    const t = emptyStateTime();
    for (const points of c.agentTimelines.values()) {
      points.forEach((p, i) => {
        if (p.state === 'logged_out' || !c.matchesAgent(p, q)) return;
        const end = points[i + 1]?.ts ?? Number.POSITIVE_INFINITY;
        t[p.state] += overlapMs(p.ts, end, fromMs, toMs);
      });
    }
    return t;
  }

  /** Live figures at `asOfMs` (waiting contacts with the timeout, agents by last state). */
  live(q: ModelQuery, asOfMs: number): ModelLive {
    const c = this.center(q.center);
    const dim = scopeDim(q.scope);
    const timeoutMs = this.config.retention.waitingTimeoutMin * 60_000;
    let waiting = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const leg of c.openLegs.values()) {
      if (!c.contactDims(leg.queue, leg.channel).has(dim)) continue;
      // the customer's wait at every level, the queue row too
      if (asOfMs - leg.requestedAt > timeoutMs) continue; // "waited longer than waitingTimeoutMin"
      waiting += 1;
      oldest = Math.min(oldest, leg.requestedAt);
    }
    const byState: Partial<Record<AgentState, number>> = {};
    for (const points of c.agentTimelines.values()) {
      const last = points[points.length - 1];
      if (!last || !c.matchesAgent(last, q)) continue;
      byState[last.state] = (byState[last.state] ?? 0) + 1;
    }
    return {
      waiting,
      // SEMANTICS.md leaves the empty case open; a live figure is present (0), null is for history
      longestWaitSec: waiting > 0 ? (asOfMs - oldest) / 1000 : 0,
      agents: agentCountsFromStates(byState),
    };
  }

  /** Contacts still in a queue after all their events (whether or not past the waiting timeout). */
  openLegs(center = 'default'): { contactId: string; queue: string; queuedAt: number; requestedAt: number }[] {
    return [...this.center(center).openLegs].map(([contactId, leg]) => ({ contactId, queue: leg.queue, queuedAt: leg.queuedAt, requestedAt: leg.requestedAt }));
  }

  /** Every leg closure (answered, abandoned, transferred out) with both of its waits. */
  closures(center = 'default'): { at: number; queue: string; outcome: Outcome; waitMs: number; customerWaitMs: number }[] {
    return this.center(center).placements.flatMap((p) =>
      p.kind === 'closure' ? [{ at: p.at, queue: p.queue, outcome: p.outcome, waitMs: p.waitMs, customerWaitMs: p.customerWaitMs }] : [],
    );
  }

  /** Thresholds of the queues a scope includes: one value, or null when they differ / none. */
  thresholdSec(q: ModelQuery): number | null {
    const c = this.center(q.center);
    const dim = scopeDim(q.scope);
    const values = new Set<number>();
    for (const [queue, channel] of c.queueChannel) {
      if (c.contactDims(queue, channel).has(dim)) values.add(c.thresholdsOf(queue).slMs / 1000);
    }
    return values.size === 1 ? [...values][0]! : null;
  }

  /** A rolling window or today, as `GET /api/v1/metrics?window=` would answer at `nowMs`. */
  query(q: ModelQuery, window: WindowId, nowMs: number): ModelResult {
    const asOf = asOfSecond(nowMs);
    const from = isRolling(window) ? asOf - rollingWindowMs[window] : localMidnight(asOf, this.center(q.center).timeZone);
    return this.figures(q, from, asOf, asOf, this.live(q, asOf));
  }

  /** A 15-minute aligned history range [fromMs, toMs); no live figures. */
  history(q: ModelQuery, fromMs: number, toMs: number, nowMs: number): ModelResult {
    return this.figures(q, fromMs, toMs, asOfSecond(nowMs), undefined);
  }

  private figures(q: ModelQuery, from: number, to: number, asOf: number, live: ModelLive | undefined): ModelResult {
    if (q.team !== undefined && q.scope.kind !== 'all') throw new Error('team cannot be combined with queue/group/channel (as the engine)');
    const sums = this.contactSums(q, from, to);
    const stateTimeMs = this.stateTime(q, from, to);
    const agentTime = agentTimeMetrics(stateTimeMs);
    return {
      ...contactMetrics(sums),
      asOfMs: asOf,
      fromMs: from,
      toMs: to,
      thresholdSec: this.thresholdSec(q),
      waiting: live?.waiting ?? null,
      longestWaitSec: live?.longestWaitSec ?? null,
      agents: live?.agents ?? null,
      occupancy: agentTime.occupancy,
      utilization: agentTime.utilization,
      stateTimeSec: agentTime.stateTimeSec,
      sums,
      stateTimeMs,
    };
  }

  /** `GET /api/v1/agents`: every agent with at least one state event, its current point. */
  agents(center: string, filter: { team?: string; queue?: string; state?: string }, nowMs: number): ModelAgentRow[] {
    const c = this.center(center);
    const asOf = asOfSecond(nowMs);
    const todayFrom = localMidnight(asOf, c.timeZone);
    const handled = new Map<string, number>();
    for (const p of c.placements) {
      if (p.kind !== 'closure' || p.outcome !== 'answered' || p.agentId === undefined) continue;
      if (p.at < todayFrom || p.at >= asOf) continue;
      handled.set(p.agentId, (handled.get(p.agentId) ?? 0) + 1);
    }
    const rows: ModelAgentRow[] = [];
    for (const [agentId, points] of c.agentTimelines) {
      const last = points[points.length - 1]!;
      if (filter.team !== undefined && last.team !== filter.team) continue;
      if (filter.queue !== undefined && !last.queues.includes(filter.queue)) continue;
      if (filter.state !== undefined && last.state !== filter.state) continue;
      // since = start of the run of points that share the current state and reason
      let i = points.length - 1;
      while (i > 0 && points[i - 1]!.state === last.state && points[i - 1]!.reason === last.reason) i -= 1;
      rows.push({
        agentId,
        name: last.name,
        state: last.state,
        reason: last.reason,
        sinceMs: points[i]!.ts,
        team: last.team,
        queues: [...last.queues],
        handledToday: handled.get(agentId) ?? 0,
      });
    }
    return rows.sort((a, b) => compareBytes(a.agentId, b.agentId));
  }
}
