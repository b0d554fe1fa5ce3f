import { beforeAll, describe, expect, it } from 'vitest';
import { contractEvent } from '../../shared/contract/events.ts';
import { generateAll } from '../../server/simulator/generate.ts';
import { autoRosterSize, queueCatalog, selectQueues } from '../../server/simulator/center.ts';
import { Simulation, type SimEvent } from '../../server/simulator/simulation.ts';
import { simulationOptions } from '../../server/simulator/generate.ts';
import { simulatorParams } from '../../server/simulator/options.ts';

/** One simulated Shanghai day, shared by the checks below (about a second to generate). */
const midnight = Date.parse('2026-03-02T00:00:00+08:00');
const hour = 3_600_000;
let day: SimEvent[];
beforeAll(() => {
  day = generateAll({ seed: 11, from: midnight, to: midnight + 24 * hour });
});

const ofType = <T extends SimEvent['type']>(t: T) => day.filter((e): e is Extract<SimEvent, { type: T }> => e.type === t);

describe('simulated day: traffic shape', () => {
  it('follows the intraday curve: morning and afternoon peaks, a lunch dip, quiet night', () => {
    const perHour = new Array<number>(24).fill(0);
    for (const e of ofType('contact.queued')) perHour[Math.floor((e.ts - midnight) / hour)]!++;
    const night = perHour[3]! + perHour[4]!;
    const morning = perHour[10]! + perHour[11]!;
    const afternoon = perHour[15]! + perHour[16]!;
    expect(morning).toBeGreaterThan(8 * night);
    expect(afternoon).toBeGreaterThan(8 * night);
    expect(perHour[12]!).toBeLessThan(perHour[10]!);
    expect(perHour[12]!).toBeLessThan(perHour[15]!);
    const total = perHour.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(8000);
    expect(total).toBeLessThan(14000);
  });

  it('uses every catalog queue and channel', () => {
    const queues = new Set(ofType('contact.queued').map((e) => e.queue));
    expect([...queues].sort()).toEqual(queueCatalog.map((q) => q.id).sort());
    expect(new Set(ofType('contact.queued').map((e) => e.channel))).toEqual(new Set(['voice', 'text', 'video']));
  });

  it('loses a plausible share of callers to abandonment (real centers: roughly 5–20%)', () => {
    const share = ofType('contact.abandoned').length / ofType('contact.queued').length;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.22);
  });

  it('transfers some contacts between queues', () => {
    expect(ofType('contact.transferred').length).toBeGreaterThan(20);
  });

  it('raises arrivals on the spiking queue during a spike', () => {
    const params = simulatorParams.parse({ seed: 5, spikeEvery: 600, spikeDuration: 150, spikeFactor: 3 });
    const sim = new Simulation(simulationOptions(params, midnight + 10 * hour));
    const events = sim.runUntil(midnight + 14 * hour);
    let inSpike = 0;
    let outSpike = 0;
    for (const e of events) {
      if (e.type !== 'contact.queued') continue;
      if (sim.spikeQueueAt(e.ts) === e.queue) inSpike++;
      else outSpike++;
    }
    // spikes cover 1/4 of the time on one queue; tripled traffic there must stand out
    expect(inSpike).toBeGreaterThan(0.1 * outSpike);
  });
});

describe('simulated day: coherence', () => {
  it('every event is valid against the contract', () => {
    for (const e of day) {
      const r = contractEvent.safeParse(e);
      if (!r.success) throw new Error(`${JSON.stringify(e)}: ${r.error.message}`);
    }
  });

  it("orders each contact's events causally", () => {
    const byContact = new Map<string, SimEvent[]>();
    for (const e of day) if ('contactId' in e) byContact.get(e.contactId)?.push(e) ?? byContact.set(e.contactId, [e]);
    const allowed: Record<string, string[]> = {
      start: ['contact.queued'],
      'contact.queued': ['contact.answered', 'contact.abandoned', 'contact.transferred'],
      'contact.answered': ['contact.ended'],
      'contact.ended': ['contact.wrapped'],
      'contact.wrapped': ['contact.transferred'],
      'contact.transferred': ['contact.queued'],
      'contact.abandoned': [],
    };
    for (const [id, events] of byContact) {
      let last = 'start';
      let lastTs = -Infinity;
      for (const e of events) {
        if (!allowed[last]!.includes(e.type)) throw new Error(`contact ${id}: ${e.type} after ${last}`);
        expect(e.ts).toBeGreaterThan(lastTs);
        last = e.type;
        lastTs = e.ts;
      }
    }
  });

  it('keeps agent states consistent with the contacts they handle', () => {
    const state = new Map<string, string>();
    const open = new Map<string, Set<string>>();
    const channelOf = new Map<string, string>();
    const agentOf = new Map<string, string>();
    let maxChats = 0;
    for (const e of day) {
      switch (e.type) {
        case 'agent.state':
          state.set(e.agentId, e.state);
          if (e.state === 'logged_out' || e.state === 'not_ready' || e.state === 'available') {
            expect(open.get(e.agentId)?.size ?? 0, `${e.agentId} ${e.state} with contacts open`).toBe(0);
          }
          break;
        case 'contact.queued':
          channelOf.set(e.contactId, e.channel);
          break;
        case 'contact.answered': {
          const s = open.get(e.agentId) ?? new Set();
          s.add(e.contactId);
          open.set(e.agentId, s);
          agentOf.set(e.contactId, e.agentId);
          const limit = channelOf.get(e.contactId) === 'text' ? 3 : 1;
          expect(s.size).toBeLessThanOrEqual(limit);
          if (channelOf.get(e.contactId) === 'text') maxChats = Math.max(maxChats, s.size);
          expect(['ringing', 'available', 'on_contact', 'acw']).toContain(state.get(e.agentId));
          break;
        }
        case 'contact.wrapped':
          expect(e.agentId).toBe(agentOf.get(e.contactId));
          open.get(e.agentId!)!.delete(e.contactId);
          break;
        default:
      }
    }
    // text agents really do handle several chats at once
    expect(maxChats).toBe(3);
  });

  it('reports the answering agent as busy right after the answer', () => {
    const latest = new Map<string, string>();
    const pendingCheck: { agentId: string; ts: number }[] = [];
    for (const e of day) {
      if (pendingCheck.length && pendingCheck[0]!.ts < e.ts) {
        for (const p of pendingCheck.splice(0)) expect(['on_contact', 'hold']).toContain(latest.get(p.agentId));
      }
      if (e.type === 'agent.state') latest.set(e.agentId, e.state);
      if (e.type === 'contact.answered') pendingCheck.push({ agentId: e.agentId, ts: e.ts });
    }
  });

  it('uses realistic not-ready reasons and sends team and queues on every agent event', () => {
    const agentEvents = ofType('agent.state');
    const reasons = new Set(agentEvents.filter((e) => e.state === 'not_ready').map((e) => e.reason));
    for (const r of ['break', 'meal']) expect(reasons).toContain(r);
    expect(agentEvents.every((e) => e.team && e.queues && e.queues.length > 0)).toBe(true);
    const states = new Set(agentEvents.map((e) => e.state));
    for (const s of ['available', 'ringing', 'on_contact', 'hold', 'acw', 'not_ready', 'logged_out']) expect(states).toContain(s);
  });
});

describe('simulator at high arrival rates (the CLI and demo accept --rate up to 1,000)', () => {
  // Until 2026-12-06 the shift planner looped forever at rate 10 over the demo's 5 queues (and at
  // rate ≥ 3 over 50): the constructor never returned and memory ran out.
  it('staffs to the load and runs, where the shift planner used to loop forever', () => {
    const base = autoRosterSize(selectQueues(5), 1);
    for (const rate of [3, 10, 100]) {
      const size = autoRosterSize(selectQueues(5), rate);
      // square-root staffing: a little less than proportional to the load, never more
      expect(size).toBeGreaterThan(0.85 * rate * base);
      expect(size).toBeLessThanOrEqual(rate * base);
    }
    const from = Date.parse('2026-03-02T10:00:00+08:00');
    const sim = new Simulation(simulationOptions(simulatorParams.parse({ seed: 3, rate: 10, queues: 5, spikeEvery: 0 }), from));
    const events = sim.runUntil(from + 60_000);
    expect(events.filter((e) => e.type === 'contact.queued').length).toBeGreaterThan(100);
  });
});
