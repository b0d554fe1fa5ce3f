import { describe, expect, it } from 'vitest';
import { baseConfig, cleanupsAfterEach, min, oneHook, scopedReceiver, sleep, slowEngine, T, twoProcesses, waitingRule } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

// Found in review (2026-12-07): the lease is checked once, at the start of evaluateOnce. An
// evaluation that outlives leaseMs (slow engine/Redis, event-loop stall) keeps writing while the
// next holder evaluates too; resolve() was not idempotent (mergeLua returned the already-resolved
// alert), so the one resolution was published, recorded and notified twice. The merge of a
// resolved alert now changes nothing and says so.
describe('evaluation outliving its lease', () => {
  it('one condition clearing resolves its alert once (one history entry, one resolved notification)', async () => {
    const rx = await scopedReceiver(cleanups);
    const cfg = () =>
      baseConfig({
        leaseMs: 2000,
        rules: [waitingRule({ sustainedForSec: 0 })],
        ...oneHook(rx.base),
      });
    const [first, second] = await twoProcesses(cleanups, cfg);

    const ids = await first.queue('q1', 3);
    expect((await first.app.alerts.evaluateOnce(T)).raised).toBe(1);
    await first.abandon(ids); // the condition clears
    first.clock.set(T + min(1));

    // the first process's engine becomes slow (2.5 s per query) during its next evaluation
    slowEngine(first, 2500);

    const slowRun = first.app.alerts.evaluateOnce(T + min(1)); // takes the lease, reads the open alerts, then waits
    await sleep(2300); // lease (2 s) expired meanwhile
    const fast = await second.app.alerts.evaluateOnce(T + min(1) + 5000);
    const late = await slowRun;
    await first.app.alerts.dispatcher.drain();

    await second.app.alerts.dispatcher.drain();
    // whole stream: an entry whose app-clock id is behind the last id gets a server-time id
    const hist = (await first.app.alerts.store.history(0, Number.MAX_SAFE_INTEGER, 100)).map((e) => e.type);
    const events = rx.received.map((r) => (JSON.parse(r.body) as { event: string }).event);
    expect({ evaluated: [late.evaluated, fast.evaluated], resolved: late.resolved + fast.resolved, hist, events }).toEqual({
      evaluated: [true, true],
      resolved: 1,
      hist: ['raised', 'resolved'],
      events: ['alert.raised', 'alert.resolved'],
    });
  });
});
