import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/** Hand-computed examples for every contact figure. T0 = 2026-03-02 10:00:00 Asia/Shanghai. */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(config?: AppConfigInput) {
  const h = await engineApp({ now: T0, ...(config ? { config } : {}) });
  cleanup = () => h.app.close();
  return h;
}

const cards = { kind: 'queue', queue: 'cards' } as const;
const q = (id: string, ts: number, contactId: string, queue = 'cards', channel: 'voice' | 'text' | 'video' = 'voice'): ContractEventInput => ({
  id,
  type: 'contact.queued',
  ts,
  contactId,
  queue,
  channel,
});
const ans = (id: string, ts: number, contactId: string, agentId = 'ag1'): ContractEventInput => ({ id, type: 'contact.answered', ts, contactId, agentId });
const abd = (id: string, ts: number, contactId: string): ContractEventInput => ({ id, type: 'contact.abandoned', ts, contactId });
const end = (id: string, ts: number, contactId: string): ContractEventInput => ({ id, type: 'contact.ended', ts, contactId });
const wrap = (id: string, ts: number, contactId: string): ContractEventInput => ({ id, type: 'contact.wrapped', ts, contactId });
const xfer = (id: string, ts: number, contactId: string, toQueue: string): ContractEventInput => ({ id, type: 'contact.transferred', ts, contactId, toQueue });

describe('engine: contact figures (hand-computed)', () => {
  it('empty center: counts 0, every ratio and mean null', async () => {
    const h = await setup();
    const m = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    expect(m).toMatchObject({
      offered: 0,
      answered: 0,
      abandoned: 0,
      serviceLevel: null,
      serviceLevelVariants: { abandonsInThresholdExcluded: null, abandonsInThresholdMet: null },
      answerRate: null,
      abandonRate: null,
      asaSec: null,
      avgTalkSec: null,
      ahtSec: null,
      waiting: 0,
      longestWaitSec: 0,
      occupancy: null,
      utilization: null,
      thresholdSec: null,
    });
  });

  it('computes every contact metric for a mixed 15 minutes', async () => {
    const h = await setup();
    const t = T0 - min(10);
    await h.ingest([
      // c1: wait 10 s (in threshold), talk 100 s, handle 130 s
      q('1q', t, 'c1'), ans('1a', t + sec(10), 'c1'), end('1e', t + sec(110), 'c1'), wrap('1w', t + sec(140), 'c1'),
      // c2: wait 20 s — exactly the threshold counts as met (≤)
      q('2q', t, 'c2'), ans('2a', t + sec(20), 'c2'), end('2e', t + sec(80), 'c2'),
      // c3: wait 21 s — not met
      q('3q', t, 'c3'), ans('3a', t + sec(21), 'c3'),
      // c4: abandoned after 5 s (within threshold), c5 after 60 s
      q('4q', t, 'c4'), abd('4b', t + sec(5), 'c4'),
      q('5q', t, 'c5'), abd('5b', t + sec(60), 'c5'),
      // c6: still waiting since t + 300 s
      q('6q', t + sec(300), 'c6'),
    ]);
    const m = await h.engine.query({ center: 'default', scope: cards }, '15m', T0);
    expect(m).toMatchObject({
      thresholdSec: 20,
      arrivals: 6,
      offered: 5,
      answered: 3,
      answeredInThreshold: 2,
      abandoned: 2,
      abandonedInThreshold: 1,
      shortAbandoned: 0,
      transferredOut: 0,
      serviceLevel: 2 / 5,
      serviceLevelVariants: { abandonsInThresholdExcluded: 2 / 4, abandonsInThresholdMet: 3 / 5 },
      answerRate: 3 / 5,
      abandonRate: 2 / 5,
      asaSec: (10 + 20 + 21) / 3,
      avgTalkSec: (100 + 60) / 2,
      ahtSec: 130,
      waiting: 1,
      longestWaitSec: 300,
    });
    // the same figures for the center, the channel and a 60-minute window
    const all = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '60m', T0);
    const voice = await h.engine.query({ center: 'default', scope: { kind: 'channel', channel: 'voice' } }, '30m', T0);
    for (const r of [all, voice]) expect(r).toMatchObject({ offered: 5, answered: 3, serviceLevel: 0.4, waiting: 1 });
    const text = await h.engine.query({ center: 'default', scope: { kind: 'channel', channel: 'text' } }, '30m', T0);
    expect(text).toMatchObject({ offered: 0, serviceLevel: null, waiting: 0 });
  });

  it('counts a contact once whatever the order and however often it is delivered', async () => {
    const inOrder = await setup();
    const t = T0 - min(3);
    const events = [q('q', t, 'c1'), ans('a', t + sec(15), 'c1'), end('e', t + sec(75), 'c1'), wrap('w', t + sec(95), 'c1')];
    await inOrder.ingest(events);
    const expected = await inOrder.engine.query({ center: 'default', scope: cards }, '15m', T0);
    await inOrder.app.close();

    const shuffled = await setup();
    const r1 = await shuffled.ingest([events[3]!, events[1]!]);
    expect(r1.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted']);
    // without its queued event nothing is counted yet
    expect(await shuffled.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ answered: 0, ahtSec: null });
    const r2 = await shuffled.ingest([events[2]!, events[0]!, events[1]!, events[3]!]);
    expect(r2.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'duplicate', 'duplicate']);
    // a semantic duplicate (another id, same meaning) has no effect
    await shuffled.ingest([ans('a-again', t + sec(16), 'c1')]);
    const got = await shuffled.engine.query({ center: 'default', scope: cards }, '15m', T0);
    expect(got).toEqual(expected);
    expect(got).toMatchObject({ answered: 1, asaSec: 15, avgTalkSec: 60, ahtSec: 80, waiting: 0 });
  });

  it('a late answer moves a contact from abandoned-free waiting to answered, re-classifying it', async () => {
    const h = await setup();
    const t = T0 - min(2);
    await h.ingest([q('q', t, 'c1')]);
    expect(await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ waiting: 1, offered: 0 });
    // an abandon arrives, then (late) an earlier answer: the answer wins because it came first
    await h.ingest([abd('b', t + sec(40), 'c1')]);
    expect(await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ abandoned: 1, answered: 0, waiting: 0 });
    await h.ingest([ans('a', t + sec(30), 'c1')]);
    expect(await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ abandoned: 0, answered: 1, asaSec: 30, waiting: 0 });
  });

  it('transfers: transferredOut in the old queue, counted in the new queue once queued there', async () => {
    const h = await setup({ queues: [{ id: 'sales', name: { zh: '销售', en: 'Sales' }, channel: 'voice', serviceLevelThresholdSec: 30 }] });
    const t = T0 - min(5);
    await h.ingest([
      q('q1', t, 'c1'),
      xfer('x1', t + sec(10), 'c1', 'sales'),
      q('q2', t + sec(11), 'c1', 'sales'),
      ans('a', t + sec(36), 'c1'),
      // c2 moves queues by being queued elsewhere without a transfer event
      q('q3', t, 'c2'),
      q('q4', t + sec(5), 'c2', 'sales'),
    ]);
    const cardsM = await h.engine.query({ center: 'default', scope: cards }, '15m', T0);
    expect(cardsM).toMatchObject({ arrivals: 2, transferredOut: 2, offered: 0, serviceLevel: null, waiting: 0 });
    const sales = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'sales' } }, '15m', T0);
    // wait in sales 25 s ≤ 30 s (sales threshold); c2 has waited since it asked in cards, 300 s ago
    expect(sales).toMatchObject({ thresholdSec: 30, arrivals: 2, answered: 1, answeredInThreshold: 1, asaSec: 25, waiting: 1, longestWaitSec: 300 });
    // center: queues have different thresholds → null; c1 waited 36 s since it asked (> sales' 30 s)
    const center = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    expect(center).toMatchObject({ thresholdSec: null, answered: 1, answeredInThreshold: 0, asaSec: 36, longestWaitSec: 300 });
  });

  it('a query sees the queue map change: a queue first seen after the last read joins the center and its channel', async () => {
    // the read script returns the queue map only when its digest differs from the one the process
    // holds; a process that kept using its held map would still answer 30 s here
    const h = await setup({ queues: [{ id: 'sales', name: { zh: '销售', en: 'Sales' }, channel: 'voice', serviceLevelThresholdSec: 30 }] });
    const all = { center: 'default', scope: { kind: 'all' } } as const;
    const voice = { center: 'default', scope: { kind: 'channel', channel: 'voice' } } as const;
    expect(await h.engine.query(all, '15m', T0)).toMatchObject({ thresholdSec: 30, waiting: 0 });
    expect(await h.engine.query(all, '15m', T0)).toMatchObject({ thresholdSec: 30, waiting: 0 });
    await h.ingest([q('q1', T0 - min(1), 'c1')]); // cards: first seen, default 20 s
    expect(await h.engine.query(all, '15m', T0)).toMatchObject({ thresholdSec: null, waiting: 1 });
    expect(await h.engine.query(voice, '15m', T0)).toMatchObject({ thresholdSec: null, waiting: 1 });
    expect(await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ thresholdSec: 20, waiting: 1 });
  });

  it('short abandons are reported separately and excluded from offered', async () => {
    const h = await setup({ defaults: { shortAbandonThresholdSec: 5 } });
    const t = T0 - min(5);
    await h.ingest([
      q('1q', t, 'c1'), abd('1b', t + sec(4) + 999, 'c1'), // 4.999 s < 5 s: short
      q('2q', t, 'c2'), abd('2b', t + sec(5), 'c2'), // exactly 5 s: not short
      q('3q', t, 'c3'), ans('3a', t + sec(2), 'c3'),
    ]);
    const m = await h.engine.query({ center: 'default', scope: cards }, '15m', T0);
    expect(m).toMatchObject({ shortAbandoned: 1, abandoned: 1, abandonedInThreshold: 1, offered: 2, answerRate: 0.5, abandonRate: 0.5 });
  });

  it('windows are half-open [asOf − W, asOf) with asOf truncated to the second', async () => {
    const h = await setup();
    const a = T0 - min(15);
    await h.ingest([
      q('1q', a - sec(30), 'c1'), ans('1a', a - 1, 'c1'), // 1 ms before the window: out
      q('2q', a - sec(30), 'c2'), ans('2a', a, 'c2'), // exactly at the start: in
      q('3q', T0 - sec(30), 'c3'), ans('3a', T0 - 1, 'c3'), // last ms before asOf: in
      q('4q', T0 - sec(30), 'c4'), ans('4a', T0, 'c4'), // at asOf: out (still the current second)
    ]);
    const at = (now: number) => h.engine.query({ center: 'default', scope: cards }, '15m', now);
    expect((await at(T0)).answered).toBe(2);
    // 999 ms later asOf is unchanged
    expect((await at(T0 + 999)).answered).toBe(2);
    // one second later c4 is in, c2 (at the old start) has left
    expect((await at(T0 + 1000)).answered).toBe(2);
    expect((await at(T0 + 1000)).asOf).toBe(new Date(T0 + 1000).toISOString());
    expect((await at(T0 + 1000)).from).toBe(new Date(a + 1000).toISOString());
  });

  it('today starts at local midnight (Asia/Shanghai) and handledToday follows the local day', async () => {
    const midnight = Date.parse('2026-03-02T16:00:00Z'); // 2026-03-03 00:00 +08:00
    const h = await engineApp({ now: midnight - min(1) });
    cleanup = () => h.app.close();
    const before = midnight - min(2);
    await h.ingest([q('1q', before - sec(10), 'c1'), ans('1a', before, 'c1', 'ag1'), q('2q', before, 'c2'), ans('2a', before + sec(5), 'c2', 'ag1')]);
    await h.ingest([{ id: 's', type: 'agent.state', ts: before - min(10), agentId: 'ag1', state: 'available', queues: ['cards'] }]);
    expect((await h.engine.query({ center: 'default', scope: cards }, 'today', midnight - min(1))).answered).toBe(2);
    expect((await h.engine.agents('default', {}, midnight - min(1)))[0]!.handledToday).toBe(2);
    h.clock.set(midnight + min(3));
    await h.ingest([q('3q', midnight + sec(10), 'c3'), ans('3a', midnight + sec(20), 'c3', 'ag1')]);
    const today = await h.engine.query({ center: 'default', scope: cards }, 'today', midnight + min(3));
    expect(today).toMatchObject({ from: new Date(midnight).toISOString(), answered: 1, asaSec: 10 });
    // the 15-minute window still sees the calls before midnight
    expect((await h.engine.query({ center: 'default', scope: cards }, '15m', midnight + min(3))).answered).toBe(3);
    expect((await h.engine.agents('default', {}, midnight + min(3)))[0]!.handledToday).toBe(1);
    // a late answer from yesterday counts for yesterday, not today
    await h.ingest([q('4q', before, 'c4'), ans('4a', before + sec(1), 'c4', 'ag1')]);
    expect((await h.engine.agents('default', {}, midnight + min(3)))[0]!.handledToday).toBe(1);
    expect((await h.engine.query({ center: 'default', scope: cards }, 'today', midnight + min(3))).answered).toBe(1);
  });

  it('groups aggregate their queues; a queue first seen in events takes the default threshold of its channel', async () => {
    const h = await setup({
      defaults: { serviceLevelThresholdSec: { voice: 20, text: 60, video: 20 } },
      groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'loans'] }],
    });
    const t = T0 - min(5);
    await h.ingest([
      q('1q', t, 'c1'), ans('1a', t + sec(15), 'c1'),
      q('2q', t, 'c2', 'loans'), ans('2a', t + sec(25), 'c2'),
      q('3q', t, 'c3', 'chat', 'text'), ans('3a', t + sec(50), 'c3'),
    ]);
    const retail = await h.engine.query({ center: 'default', scope: { kind: 'group', group: 'retail' } }, '15m', T0);
    expect(retail).toMatchObject({ group: 'retail', offered: 2, answeredInThreshold: 1, serviceLevel: 0.5, thresholdSec: 20 });
    const chat = await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'chat' } }, '15m', T0);
    expect(chat).toMatchObject({ thresholdSec: 60, answeredInThreshold: 1, serviceLevel: 1 });
    const all = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, '15m', T0);
    expect(all).toMatchObject({ offered: 3, answeredInThreshold: 2, thresholdSec: null });
  });

  it('a contact waiting longer than waitingTimeoutMin no longer counts as waiting', async () => {
    const h = await setup({ retention: { waitingTimeoutMin: 10 } });
    await h.ingest([q('1q', T0 - min(10), 'c1'), q('2q', T0 - min(10) - sec(1), 'c2')]);
    expect(await h.engine.query({ center: 'default', scope: cards }, '15m', T0)).toMatchObject({ waiting: 1, longestWaitSec: 600 });
  });

  it('history and 15-minute intervals', async () => {
    const h = await setup();
    const from = T0 - min(60);
    await h.ingest([
      q('1q', from + min(1), 'c1'), ans('1a', from + min(1) + sec(5), 'c1'),
      q('2q', from + min(16), 'c2'), abd('2b', from + min(16) + sec(40), 'c2'),
      q('3q', from + min(44), 'c3'), ans('3a', from + min(45), 'c3'),
    ]);
    const hist = await h.engine.history({ center: 'default', scope: cards }, from, T0, T0);
    expect(hist).toMatchObject({ window: null, offered: 3, answered: 2, answeredInThreshold: 1, waiting: null, agents: null });
    const rows = await h.engine.intervals({ center: 'default', scope: cards }, from, T0, T0);
    expect(rows.map((r) => [r.from, r.offered, r.answered, r.abandoned])).toEqual([
      [new Date(from).toISOString(), 1, 1, 0],
      [new Date(from + min(15)).toISOString(), 1, 0, 1],
      [new Date(from + min(30)).toISOString(), 0, 0, 0],
      [new Date(from + min(45)).toISOString(), 1, 1, 0],
    ]);
    expect(rows[2]!.serviceLevel).toBeNull();
    await expect(h.engine.history({ center: 'default', scope: cards }, from + 1000, T0, T0)).rejects.toThrow(/15-minute/);
    await expect(h.engine.history({ center: 'default', scope: cards }, T0 - 41 * 86_400_000, T0, T0)).rejects.toThrow(/retention/);
  });
});
