import { describe, expect, it } from 'vitest';
import { appConfig } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import { KpiReferenceModel } from '../support/kpi-reference-model.ts';
import { ReferenceModel } from '../support/reference-model.ts';

/** Hand-computed examples of the KPI oracle itself (the property test trusts it). */
const T0 = Date.parse('2026-03-02T02:00:00.000Z'); // 10:00 Shanghai
const min = (m: number) => m * 60_000;
const config = appConfig.parse({
  queues: [
    { id: 'a', name: { zh: 'A', en: 'A' }, channel: 'voice' },
    { id: 'b', name: { zh: 'B', en: 'B' }, channel: 'voice' },
  ],
  groups: [{ id: 'g', name: { zh: 'G', en: 'G' }, queues: ['a', 'b'] }],
});

function model(events: ContractEventInput[]) {
  const parsed: ContractEvent[] = events.map((e) => contractEvent.parse(e));
  return new KpiReferenceModel(config, parsed, new ReferenceModel(config, parsed));
}
const q = (id: string, contactId: string, queue: string, ts: number, customerId?: string): ContractEventInput => ({
  id, type: 'contact.queued', ts, contactId, queue, channel: 'voice', ...(customerId ? { customerId } : {}),
});

describe('KPI reference model', () => {
  it('does not count an abandoned leg as a transfer, even when the contact queues again', () => {
    const m = model([
      q('1', 'k', 'a', T0),
      { id: '2', type: 'contact.abandoned', ts: T0 + 5000, contactId: 'k' },
      q('3', 'k', 'b', T0 + 9000),
      { id: '4', type: 'contact.answered', ts: T0 + 12_000, contactId: 'k', agentId: 'x' },
    ]);
    const a = m.sums({ scope: { kind: 'queue', queue: 'a' } }, T0, T0 + min(1));
    expect(a).toMatchObject({ legsClosed: 1, transfers: 0, transfersResolved: 0, newContacts: 1 });
    const b = m.sums({ scope: { kind: 'queue', queue: 'b' } }, T0, T0 + min(1));
    expect(b).toMatchObject({ legsClosed: 1, transfers: 0, newContacts: 0 });
  });

  it('places a transfer at the source leg’s close and its resolution at the target leg’s close', () => {
    const m = model([
      q('1', 'k', 'a', T0),
      { id: '2', type: 'contact.answered', ts: T0 + min(1), contactId: 'k', agentId: 'x' },
      { id: '3', type: 'contact.transferred', ts: T0 + min(6), contactId: 'k', toQueue: 'b' },
      // 1 ms later (the same ms counts alike: a transfer never closes a leg in its own toQueue)
      q('4', 'k', 'b', T0 + min(6) + 1),
      { id: '5', type: 'contact.answered', ts: T0 + min(20), contactId: 'k', agentId: 'y' },
    ]);
    const a = { scope: { kind: 'queue' as const, queue: 'a' } };
    expect(m.sums(a, T0, T0 + min(15))).toMatchObject({ legsClosed: 1, transfers: 1, transfersResolved: 0 });
    expect(m.sums(a, T0 + min(15), T0 + min(30))).toMatchObject({ legsClosed: 0, transfers: 0, transfersResolved: 1, transfersAnswered: 1 });
    // the group holds both legs: two closed, one transfer, resolved and answered
    expect(m.sums({ scope: { kind: 'group', group: 'g' } }, T0, T0 + min(30))).toMatchObject({ legsClosed: 2, transfers: 1, transfersResolved: 1, transfersAnswered: 1 });
  });

  it('counts FCR per local day by customer, contacts without customerId apart', () => {
    const m = model([
      q('1', 'k1', 'a', T0, 'c1'),
      q('2', 'k2', 'b', T0 + 1000, 'c1'),
      q('3', 'k3', 'a', T0 + 2000, 'c2'),
      q('4', 'k4', 'a', T0 + 3000),
      q('5', 'k5', 'a', T0 + min(15 * 60), 'c2'), // next day 01:00 Shanghai
    ]);
    expect(m.fcr({ scope: { kind: 'all' } }, '2026-03-02')).toEqual({ day: '2026-03-02', customers: 2, singleContact: 1, withoutCustomerId: 1, rate: 0.5 });
    expect(m.fcr({ scope: { kind: 'queue', queue: 'a' } }, '2026-03-02')).toMatchObject({ customers: 2, singleContact: 2, rate: 1 });
    expect(m.fcr({ scope: { kind: 'all' } }, '2026-03-03')).toMatchObject({ customers: 1, singleContact: 1 });
  });

  it('takes a contact’s first rating and the answering agent when the survey names none', () => {
    const m = model([
      q('1', 'k', 'b', T0),
      { id: '2', type: 'contact.answered', ts: T0 + 1000, contactId: 'k', agentId: 'ag' },
      { id: 's2', type: 'survey.rated', ts: T0 + min(3), contactId: 'k', rating: 5, via: 'sms' },
      { id: 's1', type: 'survey.rated', ts: T0 + min(2), contactId: 'k', rating: 2, via: 'ivr' },
    ]);
    expect(m.sums({ scope: { kind: 'queue', queue: 'b' } }, T0, T0 + min(5))).toMatchObject({ ratings: 1, dissatisfied: 1, scored: 1, scoreSum: 2 });
    expect(m.sums({ scope: { kind: 'queue', queue: 'a' } }, T0, T0 + min(5)).ratings).toBe(0);
  });
});
