import { afterEach, describe, expect, it } from 'vitest';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(config?: Parameters<typeof engineApp>[0]['config']) {
  const h = await engineApp({ now: T0, ...(config ? { config } : {}) });
  cleanup = () => h.app.close();
  return h;
}

describe('engine: contacts', () => {
  it('first path: answered, abandoned, waiting, agent time in one 15m window', async () => {
    const h = await setup();
    const r = await h.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - min(5), contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: T0 - min(5) + sec(12), contactId: 'c1', agentId: 'ag1' },
      { id: 'q2', type: 'contact.queued', ts: T0 - min(4), contactId: 'c2', queue: 'cards', channel: 'voice' },
      { id: 'b2', type: 'contact.abandoned', ts: T0 - min(4) + sec(30), contactId: 'c2' },
      { id: 'q3', type: 'contact.queued', ts: T0 - min(1), contactId: 'c3', queue: 'cards', channel: 'voice' },
      { id: 's1', type: 'agent.state', ts: T0 - min(10), agentId: 'ag1', state: 'available', queues: ['cards'], team: 'A' },
      { id: 's2', type: 'agent.state', ts: T0 - min(5) + sec(12), agentId: 'ag1', state: 'on_contact' },
    ]);
    expect(r.outcomes.every((o) => o.status === 'accepted')).toBe(true);
    const m = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '15m', T0);
    expect(m).toMatchObject({ offered: 2, answered: 1, abandoned: 1, arrivals: 3, serviceLevel: 0.5, asaSec: 12, waiting: 1, longestWaitSec: 60 });
    // available 10:50:00–10:55:12 = 312 s, on_contact 10:55:12–11:00 = 288 s
    expect(m.stateTimeSec).toMatchObject({ available: 312, on_contact: 288 });
    const ag = await h.engine.agents('default', {}, T0);
    expect(ag).toEqual([
      { agentId: 'ag1', name: null, state: 'on_contact', reason: null, since: new Date(T0 - min(5) + sec(12)).toISOString(), team: 'A', queues: ['cards'], handledToday: 1 },
    ]);
  });
});
