import { describe, expect, it } from 'vitest';
import { contractEvent, type ContractEvent } from '../../shared/contract/events.ts';
import { ratingClass } from '../../shared/contract/kpi-events.ts';
import { generateAll } from '../../server/simulator/generate.ts';
import { kpiProducers } from '../../server/simulator/kpi-producers.ts';

/** The demo's KPI producers: valid events at the rates the demo promises, and causally placed. */
const from = Date.parse('2026-03-02T01:00:00Z'); // 09:00 Shanghai
const to = from + 3 * 3_600_000;
const events = generateAll({ seed: 11, from, to, producers: kpiProducers() }).map((e) => contractEvent.parse(e));
const of = <T extends ContractEvent['type']>(t: T) => events.filter((e): e is Extract<ContractEvent, { type: T }> => e.type === t);

describe('simulator KPI producers', () => {
  it('emits every KPI family, all valid against the contract', () => {
    for (const t of ['survey.rated', 'ivr.entered', 'ivr.exited', 'bot.started', 'bot.ended'] as const) expect(of(t).length).toBeGreaterThan(20);
  });

  it('IVR self-service ≈ 65% and robot text diversion ≈ 55%', () => {
    const ivr = of('ivr.exited');
    const ivrRate = 1 - ivr.filter((e) => e.outcome === 'to_agent').length / ivr.length;
    expect(ivrRate).toBeGreaterThan(0.57);
    expect(ivrRate).toBeLessThan(0.73);
    const bot = of('bot.ended');
    const botRate = 1 - bot.filter((e) => e.outcome === 'to_agent').length / bot.length;
    expect(botRate).toBeGreaterThan(0.47);
    expect(botRate).toBeLessThan(0.63);
    const recognized = bot.reduce((s, e) => s + (e.recognized ?? 0), 0);
    const unresolved = bot.reduce((s, e) => s + (e.unresolvedRated ?? 0), 0);
    expect(1 - unresolved / recognized).toBeGreaterThan(0.5);
  });

  it('hands every to_agent IVR session over to a voice contact queued right after it', () => {
    const queuedAt = new Map<number, number>();
    for (const e of of('contact.queued')) if (e.channel === 'voice') queuedAt.set(e.ts, (queuedAt.get(e.ts) ?? 0) + 1);
    const handed = of('ivr.exited').filter((e) => e.outcome === 'to_agent' && e.ts < to - 60_000);
    const followed = handed.filter((e) => queuedAt.has(e.ts + 1)).length;
    expect(followed / handed.length).toBeGreaterThan(0.95);
  });

  it('rates handled contacts with a realistic distribution (CSAT ≥ 85%) and has repeat customers', () => {
    const surveys = of('survey.rated');
    const dissatisfied = surveys.filter((s) => ratingClass(s.rating) === 'dissatisfied').length;
    const csat = 1 - dissatisfied / surveys.length;
    expect(csat).toBeGreaterThan(0.85);
    expect(csat).toBeLessThan(0.99);
    const answered = new Set(of('contact.answered').map((e) => e.contactId));
    expect(surveys.every((s) => answered.has(s.contactId))).toBe(true);
    const perCustomer = new Map<string, Set<string>>();
    for (const e of of('contact.queued')) if (e.customerId) perCustomer.set(e.customerId, (perCustomer.get(e.customerId) ?? new Set()).add(e.contactId));
    expect([...perCustomer.values()].some((s) => s.size > 1)).toBe(true);
  });
});
