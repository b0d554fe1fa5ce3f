import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { US } from '../../server/metrics/codec.ts';
import { Keys } from '../../server/redis/keys.ts';
import type { Scope } from '../../server/metrics/types.ts';
import { testRedisClient } from '../support/redis.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/**
 * The customer's wait across pre-answer transfers (SEMANTICS.md "The customer's wait"), by hand,
 * on a real Redis. A bank's VIP overflow: callers move from vip to the general queue vq after 90 s.
 * Queue rows keep the time in that queue; center, channel and group rows count from the moment the
 * customer asked for a human. T0 = 2026-03-02 10:00:00 Asia/Shanghai.
 */

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const config: AppConfigInput = {
  queues: [
    { id: 'vip', name: { zh: '贵宾', en: 'VIP' }, channel: 'voice' },
    { id: 'vq', name: { zh: '普通', en: 'General' }, channel: 'voice', shortAbandonThresholdSec: 5 },
  ],
  groups: [
    { id: 'overflow', name: { zh: '溢出', en: 'Overflow' }, queues: ['vip', 'vq'] },
    { id: 'general', name: { zh: '普通组', en: 'General' }, queues: ['vq'] },
  ],
};

async function setup(prefix?: string) {
  const h = await engineApp({ now: T0, config, ...(prefix ? { prefix } : {}) });
  cleanup.push(() => h.app.close());
  return h;
}

const q = (id: string, ts: number, contactId: string, queue: string): ContractEventInput => ({ id, type: 'contact.queued', ts, contactId, queue, channel: 'voice' });
const ans = (id: string, ts: number, contactId: string, agentId = 'ag1'): ContractEventInput => ({ id, type: 'contact.answered', ts, contactId, agentId });
const abd = (id: string, ts: number, contactId: string): ContractEventInput => ({ id, type: 'contact.abandoned', ts, contactId });
const xfer = (id: string, ts: number, contactId: string, toQueue: string): ContractEventInput => ({ id, type: 'contact.transferred', ts, contactId, toQueue });

const vip: Scope = { kind: 'queue', queue: 'vip' };
const vq: Scope = { kind: 'queue', queue: 'vq' };
const wide: [string, Scope][] = [
  ['center', { kind: 'all' }],
  ['channel voice', { kind: 'channel', channel: 'voice' }],
  ['group overflow (vip + vq)', { kind: 'group', group: 'overflow' }],
  ['group general (vq only)', { kind: 'group', group: 'general' }],
];

/** the figures a row shows, with its label so a failure names the row */
const figures = async (h: Awaited<ReturnType<typeof setup>>, label: string, scope: Scope, at = T0) => {
  const r = await h.engine.query({ center: 'default', scope }, '15m', at);
  return {
    row: label,
    offered: r.offered,
    answered: r.answered,
    answeredInThreshold: r.answeredInThreshold,
    abandoned: r.abandoned,
    abandonedInThreshold: r.abandonedInThreshold,
    shortAbandoned: r.shortAbandoned,
    serviceLevel: r.serviceLevel,
    asaSec: r.asaSec === null ? null : Math.round(r.asaSec * 1000) / 1000,
    waiting: r.waiting,
    longestWaitSec: r.longestWaitSec,
  };
};

// Four callers wait 90 s in vip and reach vq 1 s later (o1, o2 with a transferred event, o3, o4 by
// being queued in vq), answered after 5 s in vq: 96 s since they asked. o5 goes straight to vq and
// is answered after 5 s. o6 asked 4 min 09 s ago, was moved to vq 1 min 09 s ago and still waits.
const t = T0 - min(10);
const asked = [
  ...['o1', 'o2', 'o3', 'o4'].map((c) => q(`${c}q`, t, c, 'vip')),
  q('o6q', T0 - sec(249), 'o6', 'vip'),
];
const moved = [
  ...['o1', 'o2'].flatMap((c) => [xfer(`${c}x`, t + sec(90), c, 'vq'), q(`${c}q2`, t + sec(91), c, 'vq')]),
  ...['o3', 'o4'].map((c) => q(`${c}q2`, t + sec(91), c, 'vq')),
  q('o5q', t + sec(91), 'o5', 'vq'),
  xfer('o6x', T0 - sec(70), 'o6', 'vq'),
  q('o6q2', T0 - sec(69), 'o6', 'vq'),
];
const answers = ['o1', 'o2', 'o3', 'o4', 'o5'].map((c) => ans(`${c}a`, t + sec(96), c));

const queueRow = { offered: 5, answered: 5, answeredInThreshold: 5, serviceLevel: 1, asaSec: 5 };
// the standard's reading: answered within 20 s of asking ÷ contacts that asked = 1 / 5;
// ASA (4 × 96 + 5) / 5 = 77.8 s; o6 has waited 4 min 09 s
const customerRow = { offered: 5, answered: 5, answeredInThreshold: 1, serviceLevel: 0.2, asaSec: 77.8, waiting: 1, longestWaitSec: 249 };

describe('engine: the customer’s wait across pre-answer transfers (hand-computed)', () => {
  it('VIP overflow: queue rows show the time in the queue, center, channel and group rows the customer’s wait', async () => {
    const h = await setup();
    // three batches, each resuming the state the previous one stored (a request still running)
    await h.ingest(asked);
    await h.ingest(moved);
    await h.ingest(answers);
    for (const [label, scope] of wide) expect(await figures(h, label, scope)).toMatchObject({ row: label, ...customerRow });
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ row: 'queue vq', ...queueRow, waiting: 1, longestWaitSec: 249 });
    expect(await figures(h, 'queue vip', vip)).toMatchObject({ row: 'queue vip', offered: 0, serviceLevel: null, asaSec: null, waiting: 0, longestWaitSec: 0 });
    const center = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, 'today', T0);
    expect(center).toMatchObject({ arrivals: 11, transferredOut: 5, answeredInThreshold: 1, serviceLevel: 0.2 });
    // the 15-minute interval history carries the same sums as the live window
    const [row] = await h.engine.intervals({ center: 'default', scope: { kind: 'all' } }, T0 - min(15), T0, T0);
    expect(row).toMatchObject({ offered: 5, answeredInThreshold: 1, serviceLevel: 0.2 });
    expect(row!.asaSec).toBeCloseTo(77.8, 9);
  });

  it('gives the same figures whatever the delivery order (a late first queued re-derives the request)', async () => {
    const h = await setup();
    // the vip queued events arrive last: every contact is first counted as if it asked in vq
    await h.ingest([...answers].reverse());
    await h.ingest([...moved].reverse());
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ answeredInThreshold: 5, asaSec: 5, longestWaitSec: 69 });
    await h.ingest(asked);
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ ...queueRow, waiting: 1, longestWaitSec: 249 });
    for (const [label, scope] of wide) expect(await figures(h, label, scope)).toMatchObject({ row: label, ...customerRow });
    // repeats change nothing
    await h.ingest([...asked, ...moved, ...answers]);
    for (const [label, scope] of wide) expect(await figures(h, label, scope)).toMatchObject({ row: label, ...customerRow });
  });

  it('a late answer before the transfer ends the request there: the queue it moved to starts a new one', async () => {
    const h = await setup();
    await h.ingest([q('1q', t, 'c1', 'vip'), xfer('1x', t + sec(90), 'c1', 'vq'), q('1q2', t + sec(91), 'c1', 'vq'), ans('1a2', t + sec(96), 'c1')]);
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ answered: 1, answeredInThreshold: 0, asaSec: 96 });
    // an agent had answered in vip after 10 s and put the caller into vq: two requests, 10 s and 5 s
    await h.ingest([ans('1a', t + sec(10), 'c1', 'ag2')]);
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ answered: 2, answeredInThreshold: 2, asaSec: 7.5 });
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ answered: 1, answeredInThreshold: 1, asaSec: 5 });
    expect(await figures(h, 'queue vip', vip)).toMatchObject({ answered: 1, answeredInThreshold: 1, asaSec: 10 });
  });

  it('classifies a short abandon by the customer’s wait at every level: offered is the same contacts everywhere', async () => {
    const h = await setup();
    await h.ingest([
      // s1: 90 s in vip, hangs up 3 s into vq (short threshold 5 s): no misdial, abandoned
      q('1q', t, 's1', 'vip'), xfer('1x', t + sec(90), 's1', 'vq'), q('1q2', t + sec(90) + 1, 's1', 'vq'), abd('1b', t + sec(93), 's1'),
      // s2: straight into vq, gone after 3 s: short everywhere
      q('2q', t, 's2', 'vq'), abd('2b', t + sec(3), 's2'),
      // s3: 2 s in vip, 2 s in vq: 4 s since asking < 5 s, short everywhere
      q('3q', t, 's3', 'vip'), q('3q2', t + sec(2), 's3', 'vq'), abd('3b', t + sec(4), 's3'),
    ]);
    // vq: s1 abandoned within its threshold (3 s in vq); center: abandoned after 93 s, not within
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ offered: 1, abandoned: 1, abandonedInThreshold: 1, shortAbandoned: 2 });
    expect(await figures(h, 'queue vip', vip)).toMatchObject({ offered: 0, abandoned: 0, shortAbandoned: 0 });
    for (const [label, scope] of wide) {
      expect(await figures(h, label, scope)).toMatchObject({ row: label, offered: 1, abandoned: 1, abandonedInThreshold: 0, shortAbandoned: 2 });
    }
  });

  it('live: the longest wait and the waiting timeout count from the request, at every level', async () => {
    const h = await setup();
    await h.ingest(asked.filter((e) => e.id.startsWith('o6')));
    await h.ingest(moved.filter((e) => e.id.startsWith('o6')));
    for (const [label, scope] of [...wide, ['queue vq', vq] as [string, Scope]]) {
      expect(await figures(h, label, scope)).toMatchObject({ row: label, waiting: 1, longestWaitSec: 249 });
    }
    expect(await figures(h, 'queue vip', vip)).toMatchObject({ waiting: 0, longestWaitSec: 0 });
    // 240 min after the request (not after the move to vq) the contact no longer counts as waiting
    const askedAt = T0 - sec(249);
    expect(await figures(h, 'center', { kind: 'all' }, askedAt + min(240))).toMatchObject({ waiting: 1, longestWaitSec: 240 * 60 });
    expect(await figures(h, 'queue vq', vq, askedAt + min(240) + sec(1))).toMatchObject({ waiting: 0, longestWaitSec: 0 });
  });

  it('re-derives a record stored before requests were kept (eight-field `s`) when it is next touched', async () => {
    const redis = testRedisClient();
    cleanup.push(async () => void redis.disconnect());
    const first = await engineApp({ now: T0, config });
    let firstOpen = true;
    cleanup.push(async () => void (firstOpen && (await first.app.close())));
    const keys = new Keys(first.prefix);
    // k1 moved to vq and waits there; k2 left vip with a transferred event and is not queued yet
    await first.ingest([q('k1q', t, 'k1', 'vip'), xfer('k1x', t + sec(90), 'k1', 'vq'), q('k1q2', t + sec(91), 'k1', 'vq'), q('k2q', t, 'k2', 'vip'), xfer('k2x', t + sec(90), 'k2', 'vq')]);
    await first.app.close();
    firstOpen = false;
    // Rewrite both records as the builds before conversations and requests were kept left them
    // (their `s` had eight fields, the waiting leg and its score were the time queued in vq):
    const k1 = keys.contact('default', 'k1');
    const k2 = keys.contact('default', 'k2');
    const oldS1 = [t + sec(91), 0, 'k1q2', 'vq', t + sec(91), '', '', ''].join(US);
    const oldS2 = [t + sec(90), 3, 'k2x', '', '', '', '', ''].join(US);
    // this build writes the same eight fields, its conversations (none) and the request start (t),
    // and scores k1 by it
    expect(await redis.hget(k1, 's')).toBe(oldS1 + US + US + t);
    expect(await redis.hget(k2, 's')).toBe(oldS2 + US + US + t);
    expect(await redis.hget(k1, 'w')).toBe(`vq${US}${t}`);
    await redis.hset(k1, 's', oldS1, 'w', `vq${US}${t + sec(91)}`);
    await redis.hset(k2, 's', oldS2);
    await redis.zadd(keys.waiting('default', 'vq'), t + sec(91), 'k1');

    const h = await setup(first.prefix);
    // until it is touched, the waiting leg stored before counts as it did: since it was queued in vq
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ waiting: 1, longestWaitSec: 600 - 91 });
    // the next event of each re-derives it from all its events under the rule: the customers
    // waited 96 s for the center, 5 s in vq
    await h.ingest([ans('k1a', t + sec(96), 'k1'), q('k2q2', t + sec(91), 'k2', 'vq'), ans('k2a', t + sec(96), 'k2')]);
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ answered: 2, answeredInThreshold: 0, asaSec: 96, waiting: 0 });
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ answered: 2, answeredInThreshold: 2, asaSec: 5 });
    // a late event re-derives k1 again and changes nothing: what was applied is replaced exactly
    await h.ingest([xfer('k1x-again', t + sec(89), 'k1', 'vq')]);
    expect(await figures(h, 'center', { kind: 'all' })).toMatchObject({ answered: 2, answeredInThreshold: 0, asaSec: 96 });
    expect(await figures(h, 'queue vq', vq)).toMatchObject({ answered: 2, answeredInThreshold: 2, asaSec: 5 });
  });
});
