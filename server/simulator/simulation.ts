import type { AgentState, ContractEventInput } from '../../shared/contract/events.ts';
import {
  buildRoster,
  curveAt,
  curveMax,
  dayMs,
  selectQueues,
  type AgentProfile,
  type QueueProfile,
} from './center.ts';
import { TimerHeap } from './heap.ts';
import { Rng, hash32 } from './prng.ts';

/**
 * Discrete-event simulation of the demo center. Pure: no clock, no I/O. Time only moves when the
 * caller asks for events up to some instant (`runUntil`), so the offline generator and the
 * real-time feeder drive the very same model, and a seed replays the same event stream whatever
 * the chunking. Everything it says is a contract event, as a real ACD adapter would send it.
 */
export interface SimulationOptions {
  seed: number;
  /** simulation start, epoch ms; agents on shift at that moment log in then */
  from: number;
  /** multiplier of the base arrival curve (1 ≈ 10–11k contacts a day, peak ≈ 950/h) */
  rate: number;
  /** roster size (all shifts); default: what the load needs at this rate (≈ 130 at rate 1) */
  agents?: number;
  /** number of queues (1–5 = the catalog; more = numbered copies) */
  queues: number;
  /** a traffic spike on one queue every this many seconds (0 = none), epoch-aligned */
  spikeEverySec: number;
  spikeDurationSec: number;
  /** arrival multiplier during a spike */
  spikeFactor: number;
  center: string;
  /** the center's UTC offset for the intraday curve and shifts (Asia/Shanghai = 480) */
  utcOffsetMin: number;
  /** shifts the simulated time of day (demo at night: pretend it is mid-morning); 0 = real */
  dayShiftMin: number;
  /** extra event producers (IVR, bot, surveys: the KPI pack) */
  producers?: EventProducer[];
}

/** minutes after local midnight at an instant, for a fixed UTC offset */
export function localMinuteOfDay(at: number, utcOffsetMin: number): number {
  return minutesForward(0, Math.floor(at / 60_000) + utcOffsetMin);
}

/** minutes from local minute `from` forward to the next `to` (0–1439; both may lie outside a day) */
export function minutesForward(from: number, to: number): number {
  return (((to - from) % 1440) + 1440) % 1440;
}

export const simulationDefaults = {
  seed: 1,
  rate: 1,
  queues: 5,
  spikeEverySec: 600,
  spikeDurationSec: 150,
  spikeFactor: 3,
  center: 'default',
  utcOffsetMin: 480,
  dayShiftMin: 0,
} satisfies Partial<SimulationOptions>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the simulator sends it: epoch-ms time, explicit id and center. */
export type SimEvent = ContractEventInput & { id: string; ts: number; center: string };
export type EventBody = DistributiveOmit<ContractEventInput, 'id' | 'ts' | 'center'>;

/** What an extra producer sees of a contact. */
export interface ContactInfo {
  contactId: string;
  queue: string;
  channel: QueueProfile['channel'];
  customerId: string;
}

export interface ProducerContext {
  now(): number;
  /** the producer's own random stream, so its draws do not shift the base model's */
  rng: Rng;
  emit(body: EventBody): void;
  at(time: number, run: () => void): void;
  newId(kind: string): string;
  queues: readonly QueueProfile[];
}

/**
 * An extra source of events in the same simulated center. The KPI pack adds IVR in front of voice
 * queues (`beforeQueue` delays or contains a call), a bot in front of chat, and surveys after
 * handled contacts (`afterContact`).
 */
export interface EventProducer {
  readonly name: string;
  start?(ctx: ProducerContext): void;
  /** called when a new contact arrives, before it joins the human queue */
  beforeQueue?(contact: ContactInfo, ctx: ProducerContext): { queueAfterMs: number } | 'contained' | undefined;
  afterContact?(contact: ContactInfo & { outcome: 'handled' | 'abandoned'; agentId?: string }, ctx: ProducerContext): void;
}

interface Contact {
  id: string;
  queue: QueueProfile;
  customerId: string;
  status: 'waiting' | 'offered' | 'talking' | 'transit' | 'done';
  queuedAt: number;
  /** absolute time the caller gives up if still waiting */
  patienceAt: number;
  /** bumps on every new leg so timers of an earlier leg (overflow) become no-ops */
  leg: number;
  onHold: boolean;
  agent?: Agent;
}

interface Agent {
  p: AgentProfile;
  loggedIn: boolean;
  notReady?: { reason: string };
  offered?: Contact;
  talking: Set<Contact>;
  wrapping: number;
  pending?: { kind: 'break'; reason: string; durMs: number } | { kind: 'logout' };
  idleSince: number;
  shiftStart: number;
  shownState?: string;
}

const sec = 1000;
const minute = 60 * sec;

export class Simulation {
  readonly queues: QueueProfile[];
  readonly roster: AgentProfile[];
  private readonly opts: SimulationOptions;
  private readonly rng: Rng;
  private readonly heap = new TimerHeap();
  private readonly agents: Agent[];
  private readonly agentsByQueue = new Map<string, Agent[]>();
  private readonly waiting = new Map<string, Contact[]>();
  private readonly queueById = new Map<string, QueueProfile>();
  private readonly producers: { p: EventProducer; ctx: ProducerContext }[];
  private readonly tag: string;
  private out: SimEvent[] = [];
  private nowMs: number;
  private eventSeq = 0;
  private contactSeq = 0;

  constructor(options: SimulationOptions) {
    this.opts = options;
    this.rng = new Rng(options.seed);
    this.nowMs = options.from;
    this.tag = `s${(options.seed >>> 0).toString(36)}${Math.floor(options.from / 1000).toString(36)}`;
    this.queues = selectQueues(options.queues);
    for (const q of this.queues) {
      this.queueById.set(q.id, q);
      this.waiting.set(q.id, []);
    }
    this.roster = buildRoster(this.rng.fork('roster'), this.queues, options.rate, options.agents);
    this.agents = this.roster.map((p) => ({ p, loggedIn: false, talking: new Set(), wrapping: 0, idleSince: 0, shiftStart: 0 }));
    for (const a of this.agents) {
      for (const q of a.p.queues) {
        const list = this.agentsByQueue.get(q) ?? [];
        list.push(a);
        this.agentsByQueue.set(q, list);
      }
    }
    this.producers = (options.producers ?? []).map((p) => ({ p, ctx: this.contextFor(p) }));
    for (const a of this.agents) this.scheduleFirstShift(a);
    for (const q of this.queues) this.scheduleNextArrival(q);
    for (const { p, ctx } of this.producers) p.start?.(ctx);
  }

  get now(): number {
    return this.nowMs;
  }

  /** Runs the model up to `until` (inclusive) and returns the events produced, in time order. */
  runUntil(until: number): SimEvent[] {
    for (;;) {
      const t = this.heap.peekTime();
      if (t === undefined || t > until) break;
      const item = this.heap.pop()!;
      this.nowMs = item.at;
      item.run();
    }
    this.nowMs = Math.max(this.nowMs, until);
    const events = this.out;
    this.out = [];
    return events;
  }

  // ---- time helpers ----------------------------------------------------------------------

  private at(time: number, run: () => void): void {
    this.heap.push(Math.max(Math.round(time), this.nowMs), run);
  }

  private after(ms: number, run: () => void): void {
    this.at(this.nowMs + ms, run);
  }

  /** local (center, possibly day-shifted) ms since epoch, for the curve and shifts */
  private local(t: number): number {
    return t + (this.opts.utcOffsetMin + this.opts.dayShiftMin) * minute;
  }

  private emit(body: EventBody): void {
    this.out.push({ ...body, id: `${this.tag}-${(this.eventSeq++).toString(36)}`, ts: this.nowMs, center: this.opts.center } as SimEvent);
  }

  private contextFor(p: EventProducer): ProducerContext {
    return {
      now: () => this.nowMs,
      rng: this.rng.fork(`producer:${p.name}`),
      emit: (body) => this.emit(body),
      at: (time, run) => this.at(time, run),
      newId: (kind) => `${this.tag}-${kind}${(this.eventSeq++).toString(36)}`,
      queues: this.queues,
    };
  }

  // ---- arrivals: non-homogeneous Poisson by thinning --------------------------------------

  private isOpen(q: QueueProfile, t: number): boolean {
    const h = (((this.local(t) % dayMs) + dayMs) % dayMs) / 3_600_000;
    return h >= q.openFromHour && h < q.openToHour;
  }

  /** spike k covers [k·every, k·every + duration) and hits one queue picked by volume */
  spikeQueueAt(t: number): string | undefined {
    const every = this.opts.spikeEverySec * sec;
    if (every <= 0) return undefined;
    const k = Math.floor(t / every);
    if (t - k * every >= this.opts.spikeDurationSec * sec) return undefined;
    const total = this.queues.reduce((s, q) => s + q.peakPerHour, 0);
    let u = (hash32(this.opts.seed * 7919 + k) / 4294967296) * total;
    for (const q of this.queues) {
      u -= q.peakPerHour;
      if (u < 0) return q.id;
    }
    return this.queues[0]?.id;
  }

  /** arrivals per ms of a queue at t */
  intensity(q: QueueProfile, t: number): number {
    if (!this.isOpen(q, t)) return 0;
    const spike = this.spikeQueueAt(t) === q.id ? this.opts.spikeFactor : 1;
    return ((q.peakPerHour * this.opts.rate) / 3_600_000) * curveAt(this.local(t) % dayMs) * spike;
  }

  private scheduleNextArrival(q: QueueProfile): void {
    const maxRate = ((q.peakPerHour * this.opts.rate) / 3_600_000) * curveMax * Math.max(1, this.opts.spikeFactor);
    if (maxRate <= 0) return;
    const candidate = this.nowMs + this.rng.exponential(1 / maxRate);
    this.at(candidate, () => {
      // thinning (Lewis–Shedler): accept with probability λ(t)/λmax
      if (this.rng.next() * maxRate < this.intensity(q, this.nowMs)) this.arrive(q, this.newCustomer());
      this.scheduleNextArrival(q);
    });
  }

  private newCustomer(): string {
    // a finite customer base makes some customers call twice a day, as in real data
    return `cu${hash32(this.opts.seed ^ this.rng.int(0, 60_000)).toString(36)}`;
  }

  private arrive(q: QueueProfile, customerId: string): void {
    const id = `${this.tag}-c${(this.contactSeq++).toString(36)}`;
    const contact: Contact = { id, queue: q, customerId, status: 'transit', queuedAt: 0, patienceAt: 0, leg: 0, onHold: false };
    const info = this.info(contact);
    for (const { p, ctx } of this.producers) {
      const decision = p.beforeQueue?.(info, ctx);
      if (decision === 'contained') return;
      if (decision) {
        this.after(Math.max(1, decision.queueAfterMs), () => this.enqueue(contact, q, true));
        return;
      }
    }
    this.enqueue(contact, q, true);
  }

  private info(c: Contact): ContactInfo {
    return { contactId: c.id, queue: c.queue.id, channel: c.queue.channel, customerId: c.customerId };
  }

  // ---- queueing and routing ---------------------------------------------------------------

  private enqueue(c: Contact, q: QueueProfile, freshPatience: boolean): void {
    c.queue = q;
    c.status = 'waiting';
    c.queuedAt = this.nowMs;
    c.leg++;
    this.emit({ type: 'contact.queued', contactId: c.id, queue: q.id, channel: q.channel, customerId: c.customerId });
    this.waiting.get(q.id)!.push(c);
    if (freshPatience) {
      c.patienceAt = this.nowMs + Math.max(2 * sec, this.rng.exponential(q.patienceMeanSec * sec));
      this.scheduleAbandon(c);
    }
    if (q.overflowAfterSec > 0 && q.overflowTo && this.queueById.has(q.overflowTo)) {
      const leg = c.leg;
      this.after(q.overflowAfterSec * sec, () => this.overflow(c, leg));
    }
    this.routeContact(c);
  }

  private scheduleAbandon(c: Contact): void {
    this.at(c.patienceAt, () => {
      if (c.status === 'transit') {
        c.patienceAt = this.nowMs + 5;
        this.scheduleAbandon(c);
      } else if (c.status === 'waiting' || c.status === 'offered') this.abandon(c);
    });
  }

  private overflow(c: Contact, leg: number): void {
    if (c.leg !== leg || c.status !== 'waiting') return;
    const to = this.queueById.get(c.queue.overflowTo!)!;
    this.removeWaiting(c);
    c.status = 'transit';
    this.emit({ type: 'contact.transferred', contactId: c.id, toQueue: to.id });
    this.after(1, () => this.enqueue(c, to, false));
  }

  private removeWaiting(c: Contact): void {
    const list = this.waiting.get(c.queue.id)!;
    const i = list.indexOf(c);
    if (i >= 0) list.splice(i, 1);
  }

  private canTake(a: Agent, q?: string): boolean {
    if (!a.loggedIn || a.notReady || a.pending || a.offered) return false;
    if (a.talking.size + a.wrapping >= a.p.concurrency) return false;
    return q === undefined || a.p.queues.includes(q);
  }

  private routeContact(c: Contact): void {
    let best: Agent | undefined;
    for (const a of this.agentsByQueue.get(c.queue.id) ?? []) {
      if (!this.canTake(a)) continue;
      const load = a.talking.size + a.wrapping;
      if (!best) best = a;
      else {
        const bestLoad = best.talking.size + best.wrapping;
        if (load < bestLoad || (load === bestLoad && a.idleSince < best.idleSince)) best = a;
      }
    }
    if (best) this.offer(best, c);
  }

  /** the agent has room: take the contact that has (virtually) waited longest in its queues */
  private pullWork(a: Agent): void {
    while (this.canTake(a)) {
      let pick: Contact | undefined;
      let score = -Infinity;
      for (const qid of a.p.queues) {
        const head = this.waiting.get(qid)?.find((c) => c.status === 'waiting');
        if (!head) continue;
        const s = this.nowMs - head.queuedAt + head.queue.priorityBonusSec * sec;
        if (s > score) {
          score = s;
          pick = head;
        }
      }
      if (!pick) return;
      this.offer(a, pick);
    }
  }

  private offer(a: Agent, c: Contact): void {
    c.status = 'offered';
    c.agent = a;
    a.offered = c;
    this.refresh(a);
    const leg = c.leg;
    // chats are assigned and greeted within seconds; calls ring a few seconds
    const delay = c.queue.channel === 'text' ? this.rng.uniform(1.5, 6) * sec : clamp(this.rng.lognormal(5 * sec, 0.4), 1.5 * sec, 20 * sec);
    this.after(delay, () => {
      if (c.status !== 'offered' || c.agent !== a || c.leg !== leg) return;
      a.offered = undefined;
      if (c.queue.channel !== 'text' && this.rng.chance(0.01)) {
        // ring-no-answer: the ACD makes the agent not ready and offers the call elsewhere
        c.status = 'waiting';
        c.agent = undefined;
        a.notReady = { reason: 'ring_no_answer' };
        this.refresh(a);
        this.after(this.rng.uniform(20, 60) * sec, () => this.endNotReady(a));
        this.routeContact(c);
        return;
      }
      this.answer(a, c);
    });
  }

  private answer(a: Agent, c: Contact): void {
    this.removeWaiting(c);
    c.status = 'talking';
    a.talking.add(c);
    this.emit({ type: 'contact.answered', contactId: c.id, agentId: a.p.id, queue: c.queue.id });
    this.refresh(a);
    const q = c.queue;
    const talk = Math.max(q.channel === 'text' ? 20 * sec : 3 * sec, this.rng.lognormal(q.talkMeanSec * sec, q.talkCv));
    let holdMs = 0;
    if (q.holdShare > 0 && this.rng.chance(q.holdShare)) {
      holdMs = clamp(this.rng.lognormal(45 * sec, 0.6), 5 * sec, 300 * sec);
      const start = talk * this.rng.uniform(0.2, 0.7);
      this.after(start, () => {
        c.onHold = true;
        this.refresh(a);
      });
      this.after(start + holdMs, () => {
        c.onHold = false;
        this.refresh(a);
      });
    }
    this.after(talk + holdMs + 1, () => this.endTalk(a, c));
  }

  private endTalk(a: Agent, c: Contact): void {
    this.emit({ type: 'contact.ended', contactId: c.id, agentId: a.p.id });
    a.talking.delete(c);
    a.wrapping++;
    const target = c.queue.transferShare > 0 && this.rng.chance(c.queue.transferShare) ? this.transferTarget(c.queue) : undefined;
    if (target) {
      // blind transfer: the agent's part is over at once; the customer queues again elsewhere
      c.status = 'transit';
      this.refresh(a);
      this.after(1, () => this.emit({ type: 'contact.wrapped', contactId: c.id, agentId: a.p.id }));
      this.after(2, () => this.emit({ type: 'contact.transferred', contactId: c.id, toQueue: target.id }));
      this.after(3, () => this.enqueue(c, target, true));
      this.after(clamp(this.rng.lognormal(10 * sec, 0.5), 2 * sec, 60 * sec), () => {
        a.wrapping--;
        this.afterFree(a);
      });
      return;
    }
    this.refresh(a);
    const acw = Math.max(1 * sec, this.rng.lognormal(c.queue.acwMeanSec * sec, c.queue.acwCv));
    this.after(acw, () => {
      this.emit({ type: 'contact.wrapped', contactId: c.id, agentId: a.p.id });
      c.status = 'done';
      a.wrapping--;
      this.notifyDone(c, 'handled', a.p.id);
      this.afterFree(a);
    });
  }

  private transferTarget(from: QueueProfile): QueueProfile | undefined {
    const options = this.queues.filter((q) => q.id !== from.id && q.channel === from.channel && this.isOpen(q, this.nowMs));
    return options.length ? this.rng.pick(options) : undefined;
  }

  private abandon(c: Contact): void {
    const a = c.status === 'offered' ? c.agent : undefined;
    this.removeWaiting(c);
    c.status = 'done';
    this.emit({ type: 'contact.abandoned', contactId: c.id, queue: c.queue.id });
    this.notifyDone(c, 'abandoned');
    if (a) {
      a.offered = undefined;
      this.afterFree(a);
    }
    // about a third of those who hang up try again within minutes: repeat contacts
    if (this.rng.chance(0.3)) {
      const q = c.queue;
      this.after(this.rng.exponential(5 * minute) + 30 * sec, () => {
        if (this.isOpen(q, this.nowMs)) this.arrive(q, c.customerId);
      });
    }
  }

  private notifyDone(c: Contact, outcome: 'handled' | 'abandoned', agentId?: string): void {
    for (const { p, ctx } of this.producers) p.afterContact?.({ ...this.info(c), outcome, ...(agentId ? { agentId } : {}) }, ctx);
  }

  // ---- agents: shifts, breaks, state ------------------------------------------------------

  private afterFree(a: Agent): void {
    const busy = a.talking.size + a.wrapping + (a.offered ? 1 : 0);
    if (busy === 0 && a.pending && !a.notReady) {
      const pending = a.pending;
      a.pending = undefined;
      if (pending.kind === 'logout') {
        a.loggedIn = false;
        this.refresh(a);
        this.scheduleShift(a, a.shiftStart + dayMs);
        return;
      }
      a.notReady = { reason: pending.reason };
      this.refresh(a);
      this.after(pending.durMs, () => this.endNotReady(a));
      return;
    }
    this.refresh(a);
    this.pullWork(a);
  }

  private endNotReady(a: Agent): void {
    if (!a.notReady) return;
    a.notReady = undefined;
    a.idleSince = this.nowMs;
    this.afterFree(a);
  }

  private scheduleFirstShift(a: Agent): void {
    const from = this.opts.from;
    const localFrom = this.local(from);
    const dayStartLocal = Math.floor(localFrom / dayMs) * dayMs;
    // the most recent shift start at or before `from` (today's or yesterday's)
    let startLocal = dayStartLocal + a.p.shiftStartMs;
    if (startLocal > localFrom) startLocal -= dayMs;
    const start = startLocal - (localFrom - from);
    if (from < start + a.p.shiftLengthMs - 10 * minute) this.scheduleShift(a, start, from);
    else this.scheduleShift(a, start + dayMs);
  }

  /** shift beginning at `start`; `loginAt` later than start when the simulation opens mid-shift */
  private scheduleShift(a: Agent, start: number, loginAt = start): void {
    this.at(loginAt, () => {
      a.shiftStart = start;
      a.loggedIn = true;
      a.notReady = undefined;
      a.pending = undefined;
      a.idleSince = this.nowMs;
      this.planBreaks(a, start);
      this.at(start + a.p.shiftLengthMs, () => {
        a.pending = { kind: 'logout' };
        this.afterFree(a);
      });
      this.afterFree(a);
    });
  }

  private planBreaks(a: Agent, start: number): void {
    const r = this.rng;
    const plan: { at: number; reason: string; durMs: number }[] = [
      // allowances as the default not-ready alerts assume (break 15 min, meal 30 min): most
      // agents keep them, about a third overrun a little, so the demo shows some alerts, not a wall of them
      { at: 2 * 60 + r.uniform(-20, 20), reason: 'break', durMs: r.uniform(10, 17) * minute },
      { at: 4 * 60 + r.uniform(-30, 30), reason: 'meal', durMs: r.uniform(24, 36) * minute },
      { at: 6.5 * 60 + r.uniform(-20, 20), reason: 'break', durMs: r.uniform(10, 17) * minute },
    ];
    if (r.chance(0.12)) plan.push({ at: r.uniform(60, 7 * 60), reason: 'training', durMs: r.uniform(45, 75) * minute });
    if (r.chance(0.15)) plan.push({ at: r.uniform(30, 7.5 * 60), reason: 'meeting', durMs: r.uniform(20, 35) * minute });
    for (const b of plan) {
      const t = start + b.at * minute;
      // part-time shifts get the short breaks that fit, no meal
      if (t < this.nowMs || b.at * minute + b.durMs > a.p.shiftLengthMs - 20 * minute) continue;
      if (b.reason === 'meal' && a.p.shiftLengthMs < 6 * 60 * minute) continue;
      this.at(t, () => {
        if (!a.loggedIn || a.pending || a.shiftStart !== start) return;
        a.pending = { kind: 'break', reason: b.reason, durMs: b.durMs };
        this.afterFree(a);
      });
    }
  }

  private stateOf(a: Agent): { state: AgentState; reason?: string } {
    if (!a.loggedIn) return { state: 'logged_out' };
    if (a.notReady) return { state: 'not_ready', reason: a.notReady.reason };
    if (a.offered && a.p.concurrency === 1) return { state: 'ringing' };
    if (a.talking.size > 0) return { state: [...a.talking].every((c) => c.onHold) ? 'hold' : 'on_contact' };
    if (a.wrapping > 0) return { state: 'acw' };
    return { state: 'available' };
  }

  /** emits agent.state when the visible state changed; team and queues ride on every event */
  private refresh(a: Agent): void {
    const s = this.stateOf(a);
    const key = `${s.state}:${s.reason ?? ''}`;
    if (key === a.shownState) return;
    if (s.state === 'available' && a.shownState !== undefined && !a.shownState.startsWith('available')) a.idleSince = this.nowMs;
    a.shownState = key;
    this.emit({
      type: 'agent.state',
      agentId: a.p.id,
      state: s.state,
      ...(s.reason ? { reason: s.reason } : {}),
      team: a.p.team,
      queues: a.p.queues,
      name: a.p.name,
    });
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
