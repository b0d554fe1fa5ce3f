import { afterEach, describe, expect, it } from 'vitest';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { engineApp, T0, sec } from './engine-helpers.ts';

/**
 * Many producers at once (group commit, server/metrics/coalesce.ts): concurrent requests of one
 * center share script calls, and still every event is counted exactly once and every producer
 * hears the truth about its own events.
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('engine: concurrent producers', () => {
  it('counts each event once and answers each request for its own events, in fewer script calls', async () => {
    const h = await engineApp({ now: T0 });
    cleanup = () => h.app.close();
    const redis = h.app.redis as unknown as { applyWrites: (...a: string[]) => Promise<number> };
    const original = redis.applyWrites.bind(h.app.redis);
    let calls = 0;
    redis.applyWrites = (...a: string[]) => {
      calls++;
      return original(...a);
    };
    // 40 producers × 5 contacts queued and answered; producer p re-sends producer p−1's first
    // contact (an at-least-once retry landing on another connection)
    const producers = 40;
    const batches: ContractEventInput[][] = Array.from({ length: producers }, (_, p) => {
      const own = Array.from({ length: 5 }, (_, k): ContractEventInput[] => {
        const c = `p${p}c${k}`;
        const at = T0 - sec(300) + p * 1000 + k * 100;
        return [
          { id: `${c}-q`, type: 'contact.queued', ts: at, contactId: c, queue: 'cards', channel: 'voice' },
          { id: `${c}-a`, type: 'contact.answered', ts: at + sec(k + 5), contactId: c, agentId: `ag${p}` },
        ];
      }).flat();
      const prev = `p${(p + producers - 1) % producers}c0`;
      const retry: ContractEventInput = { id: `${prev}-q`, type: 'contact.queued', ts: T0 - sec(300) + ((p + producers - 1) % producers) * 1000, contactId: prev, queue: 'cards', channel: 'voice' };
      return [...own, retry];
    });
    const results = await Promise.all(batches.map((b) => h.ingest(b)));
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(producers);
    // per id: exactly one accepted over all requests, the copy a duplicate
    const byId = new Map<string, string[]>();
    results.forEach((r, p) => r.outcomes.forEach((o, j) => byId.set(batches[p]![j]!.id, [...(byId.get(batches[p]![j]!.id) ?? []), o.status])));
    expect(byId.size).toBe(producers * 10);
    for (const [id, statuses] of byId) {
      expect(statuses.filter((s) => s === 'accepted'), id).toHaveLength(1);
      expect(statuses.every((s) => s === 'accepted' || s === 'duplicate'), id).toBe(true);
    }
    // figures: 200 answered contacts; the sequence counts each accepted event once
    const m = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    expect(m.answered).toBe(producers * 5);
    expect(m.arrivals).toBe(producers * 5);
    expect(await h.engine.sequence('default')).toBe(producers * 10);
    expect(Math.max(...results.map((r) => r.seq.default!))).toBe(producers * 10);
  });
});
