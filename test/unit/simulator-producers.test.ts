import { describe, expect, it } from 'vitest';
import { simulationOptions } from '../../server/simulator/generate.ts';
import { simulatorParams } from '../../server/simulator/options.ts';
import { Simulation, type ContactInfo, type EventProducer } from '../../server/simulator/simulation.ts';

const from = Date.parse('2026-03-02T10:00:00+08:00');

/**
 * The extension point the KPI pack uses (IVR in front of voice, bot in front of chat, surveys
 * after contacts): a toy IVR that keeps a third of voice calls in self-service and delays the rest
 * by 30 s, and a survey hook that sees every finished contact.
 */
describe('simulator event producers', () => {
  it('can contain or delay arrivals and observe finished contacts', () => {
    const contained = new Set<string>();
    const delayed = new Map<string, number>();
    const finished: (ContactInfo & { outcome: string; agentId?: string })[] = [];
    let started = 0;
    const ivr: EventProducer = {
      name: 'toy-ivr',
      start: () => void started++,
      beforeQueue(contact, ctx) {
        if (contact.channel !== 'voice') return undefined;
        if (ctx.rng.chance(1 / 3)) {
          contained.add(contact.contactId);
          return 'contained';
        }
        delayed.set(contact.contactId, ctx.now());
        return { queueAfterMs: 30_000 };
      },
      afterContact: (c) => void finished.push(c),
    };
    const sim = new Simulation(simulationOptions(simulatorParams.parse({ seed: 9 }), from, [ivr]));
    const events = sim.runUntil(from + 60 * 60_000);
    expect(started).toBe(1);
    expect(contained.size).toBeGreaterThan(50);
    const queuedAt = new Map<string, number>();
    for (const e of events) if (e.type === 'contact.queued' && !queuedAt.has(e.contactId)) queuedAt.set(e.contactId, e.ts);
    for (const id of contained) expect(queuedAt.has(id)).toBe(false);
    for (const [id, arrived] of delayed) if (queuedAt.has(id)) expect(queuedAt.get(id)! - arrived).toBe(30_000);
    const handled = finished.filter((f) => f.outcome === 'handled');
    const wrapped = new Set(events.filter((e) => e.type === 'contact.wrapped').map((e) => 'contactId' in e && e.contactId));
    expect(handled.length).toBeGreaterThan(100);
    for (const h of handled) {
      expect(wrapped.has(h.contactId)).toBe(true);
      expect(h.agentId).toBeTruthy();
    }
    expect(finished.some((f) => f.outcome === 'abandoned')).toBe(true);
  });

  it('gives each producer its own random stream, so adding one that draws nothing changes nothing', () => {
    const params = simulatorParams.parse({ seed: 4 });
    const plain = new Simulation(simulationOptions(params, from)).runUntil(from + 20 * 60_000);
    const drawing: EventProducer = {
      name: 'observer',
      afterContact: (_c, ctx) => void ctx.rng.next(),
    };
    const observed = new Simulation(simulationOptions(params, from, [drawing])).runUntil(from + 20 * 60_000);
    expect(observed).toEqual(plain);
  });
});
