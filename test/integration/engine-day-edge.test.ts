import { afterEach, describe, expect, it } from 'vitest';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/**
 * the writer maps an event time to its local day with a list of midnights
 * (engine.midnights), cached per local day under the key of the day's midnight. The list, built
 * at the day's first batch, once ended at the next midnight. Later that day (the cache still hits),
 * an event stamped just after the next midnight — accepted, ts ≤ now + 60 s — fell after the list's
 * last midnight: localDayOf answered undefined and the answer was never counted in the agent's handledToday (ad:<day>), nor the
 * customer in the new day's first-contact-resolution summary (kfs:<day>).
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const config = { queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' as const }] };

describe('events stamped just after midnight, ingested just before it', () => {
  it('count in the new day (handledToday, FCR)', async () => {
    const h = await engineApp({ now: T0, config }); // T0 = 10:00 Asia/Shanghai
    cleanup = () => h.app.close();
    const midnight = T0 + min(14 * 60); // next local midnight (00:00 +08:00)
    const first: ContractEventInput[] = [
      { id: 's1', type: 'agent.state', ts: T0, agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
    ];
    expect((await h.ingest(first)).outcomes.every((o) => o.status === 'accepted')).toBe(true);

    // 23:59:30 local: a producer whose clock runs a few seconds ahead posts a contact of 00:00:05
    h.clock.set(midnight - sec(30));
    const late: ContractEventInput[] = [
      { id: 'q1', type: 'contact.queued', ts: midnight + sec(5), contactId: 'c1', queue: 'cards', channel: 'voice', customerId: 'cu1' },
      { id: 'a1', type: 'contact.answered', ts: midnight + sec(10), contactId: 'c1', agentId: 'ag1' },
    ];
    expect((await h.ingest(late)).outcomes.every((o) => o.status === 'accepted')).toBe(true);

    const now = midnight + sec(20);
    h.clock.set(now);
    const today = (await h.engine.query({ center: 'default', scope: { kind: 'all' } }, 'today', now)) as MetricsResult;
    const agents = await h.engine.agents('default', {}, now);
    expect({
      answeredToday: today.answered,
      handledToday: agents.find((a) => a.agentId === 'ag1')?.handledToday,
      fcrCustomers: today.kpi?.firstContactResolution?.customers,
    }).toEqual({ answeredToday: 1, handledToday: 1, fcrCustomers: 1 });
  });
});
