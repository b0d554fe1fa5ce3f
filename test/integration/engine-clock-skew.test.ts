import { afterEach, describe, expect, it } from 'vitest';
import { engineApp, T0, sec } from './engine-helpers.ts';

/**
 * agent time in state = N(a⁻) × (b − a) + Σ transitions, with N(a⁻) = live count − every
 * transition in the plan's pieces and tail, which once ended at the reader's asOf + 61 s (now 121 s). The writer
 * accepts ts ≤ its OWN now + 60 s. Two server processes on one Redis whose clocks differ by a few
 * seconds (the sealed cache is documented to tolerate 60 s) let a transition land beyond that
 * tail: it was in the live hash but not subtracted, so the agent counted in that state for the
 * whole window.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('agent time with writer/reader clocks a few seconds apart', () => {
  it('an agent whose first state starts after the window has no time in it', async () => {
    const reader = await engineApp({ now: T0 });
    cleanups.push(() => reader.app.close());
    // a second server process on the same keys, its clock 3 s ahead
    const writer = await engineApp({ now: T0 + sec(3), prefix: reader.prefix });
    cleanups.push(() => writer.app.close());
    // a producer clock ~60 s ahead (ingest accepts ts ≤ now + 60 s)
    const res = await writer.ingest([
      { id: 's1', type: 'agent.state', ts: T0 + sec(63), agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
    ]);
    expect(res.outcomes[0]!.status).toBe('accepted');

    const m = await reader.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    // nothing happened in [T0 − 15 min, T0): no agent time, utilization/occupancy null
    expect({ available: m.stateTimeSec.available, utilization: m.utilization, occupancy: m.occupancy }).toEqual({
      available: 0,
      utilization: null,
      occupancy: null,
    });
  });
});
