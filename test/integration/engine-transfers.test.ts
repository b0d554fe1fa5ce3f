import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { Scope } from '../../server/metrics/types.ts';
import { US } from '../../server/metrics/codec.ts';
import { GS } from '../../server/metrics/write/core-batch.ts';
import { engineApp, min, sec, T0 } from './engine-helpers.ts';

/**
 * Transfers between queues, worked out by hand from SEMANTICS.md:
 * - an agent transfers an answered contact and another agent answers it in the new queue: each
 *   agent's ended / wrapped measure that agent's own conversation, in its own queue;
 * - an ACD with a 1-second clock stamps `contact.transferred` and the new `contact.queued` with the
 *   same time: the contact waits in, and is answered from, the new queue;
 * - records an earlier build wrote (machine state without the conversation's agent, a transferred
 *   event stored without its queue) continue under the rules they were written with.
 */

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const config: AppConfigInput = {
  centers: [{ id: 'c2', name: { zh: '二中心', en: 'Center 2' }, timeZone: 'Asia/Shanghai' }],
  queues: [
    { id: 'vq', center: 'c2', name: { zh: '语音', en: 'Voice' }, channel: 'voice' },
    { id: 'vip', center: 'c2', name: { zh: '贵宾', en: 'VIP' }, channel: 'voice' },
  ],
};

async function setup(now: number, prefix?: string) {
  const h = await engineApp({ now, config, ...(prefix ? { prefix } : {}) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await h.app.close();
  };
  cleanups.push(close);
  return { ...h, close };
}

const queued = (id: string, contactId: string, queue: string, ts: number): ContractEventInput => ({
  id, type: 'contact.queued', ts, center: 'c2', contactId, queue, channel: 'voice',
});
const answered = (id: string, contactId: string, agentId: string, ts: number): ContractEventInput => ({
  id, type: 'contact.answered', ts, center: 'c2', contactId, agentId,
});
const ended = (id: string, contactId: string, ts: number, agentId?: string): ContractEventInput => ({
  id, type: 'contact.ended', ts, center: 'c2', contactId, ...(agentId ? { agentId } : {}),
});
const wrapped = (id: string, contactId: string, ts: number, agentId?: string): ContractEventInput => ({
  id, type: 'contact.wrapped', ts, center: 'c2', contactId, ...(agentId ? { agentId } : {}),
});
const transferred = (id: string, contactId: string, toQueue: string, ts: number): ContractEventInput => ({
  id, type: 'contact.transferred', ts, center: 'c2', contactId, toQueue,
});

const all: Scope = { kind: 'all' };
const vq: Scope = { kind: 'queue', queue: 'vq' };
const vip: Scope = { kind: 'queue', queue: 'vip' };
const voice: Scope = { kind: 'channel', channel: 'voice' };

type Figures = Pick<
  MetricsResult,
  'arrivals' | 'offered' | 'answered' | 'abandoned' | 'transferredOut' | 'asaSec' | 'avgTalkSec' | 'ahtSec'
>;
const figures = (m: MetricsResult): Figures => ({
  arrivals: m.arrivals,
  offered: m.offered,
  answered: m.answered,
  abandoned: m.abandoned,
  transferredOut: m.transferredOut,
  asaSec: m.asaSec,
  avgTalkSec: m.avgTalkSec,
  ahtSec: m.ahtSec,
});

type Engine = Awaited<ReturnType<typeof setup>>['engine'];
async function historyOf(engine: Engine, from: number, to: number, now: number): Promise<Record<string, Figures>> {
  const out: Record<string, Figures> = {};
  for (const [label, scope] of [['all', all], ['voice', voice], ['vq', vq], ['vip', vip]] as const) {
    out[label] = figures(await engine.history({ center: 'c2', scope }, from, to, now));
  }
  return out;
}

// ---------------------------------------------------------------- A1: transfer after answer

/** One contact: A1 answers in vq, ends, the contact is queued in vip, A2 answers, then A1 wraps
 * (after A2's answer), A2 ends and wraps. T+0 = 09:45:00 Shanghai, all inside [09:45, 10:00). */
const T = T0 - min(15);
const postAnswerTransfer = (cid: string): ContractEventInput[] => [
  queued(`${cid}-q1`, cid, 'vq', T),
  answered(`${cid}-a1`, cid, 'A1', T + sec(10)),
  ended(`${cid}-e1`, cid, T + sec(70), 'A1'),
  queued(`${cid}-q2`, cid, 'vip', T + sec(71)),
  answered(`${cid}-a2`, cid, 'A2', T + sec(80)),
  wrapped(`${cid}-w1`, cid, T + sec(100), 'A1'),
  ended(`${cid}-e2`, cid, T + sec(200), 'A2'),
  wrapped(`${cid}-w2`, cid, T + sec(230), 'A2'),
];
// vq: wait 10, talk 70 − 10 = 60, handle 100 − 10 = 90 (A1's conversation, placed at 70 and 100)
// vip: wait 80 − 71 = 9, talk 200 − 80 = 120, handle 230 − 80 = 150 (A2's)
// center: talk (60 + 120) / 2 = 90, handle (90 + 150) / 2 = 120; nothing transferred out (the vq
// leg closed answered before the contact was queued in vip)
const a1Expected: Record<string, Figures> = {
  vq: { arrivals: 1, offered: 1, answered: 1, abandoned: 0, transferredOut: 0, asaSec: 10, avgTalkSec: 60, ahtSec: 90 },
  vip: { arrivals: 1, offered: 1, answered: 1, abandoned: 0, transferredOut: 0, asaSec: 9, avgTalkSec: 120, ahtSec: 150 },
  all: { arrivals: 2, offered: 2, answered: 2, abandoned: 0, transferredOut: 0, asaSec: 9.5, avgTalkSec: 90, ahtSec: 120 },
  voice: { arrivals: 2, offered: 2, answered: 2, abandoned: 0, transferredOut: 0, asaSec: 9.5, avgTalkSec: 90, ahtSec: 120 },
};

describe('engine: a transfer after the answer (several conversations, one per answer)', () => {
  it('each agent’s ended / wrapped measure that agent’s conversation, in its queue', async () => {
    const h = await setup(T0);
    await h.ingest(postAnswerTransfer('k1'));
    expect(await historyOf(h.engine, T, T0, T0)).toEqual(a1Expected);
    // the live windows agree, and nobody waits
    for (const [scope, label] of [[vq, 'vq'], [vip, 'vip'], [all, 'all']] as const) {
      const m = await h.engine.query({ center: 'c2', scope }, '15m', T0);
      expect(figures(m), label).toEqual(a1Expected[label]);
      expect(m.waiting).toBe(0);
    }
  });

  it('is the same whatever the delivery: reversed, one event per batch, with re-sends and agentless duplicates', async () => {
    const evs = postAnswerTransfer('k1');
    const reversed = await setup(T0);
    await reversed.ingest([...evs].reverse());
    expect(await historyOf(reversed.engine, T, T0, T0)).toEqual(a1Expected);

    const oneByOne = await setup(T0);
    // in time order, one batch each: every event resumes the stored state (the fast path)
    for (const e of evs) await oneByOne.ingest([e]);
    // a second ended / wrapped of an agent whose conversation is already ended / wrapped (another
    // id, same meaning) has no effect, even while the other agent's conversation is still open
    await oneByOne.ingest([ended('k1-e1-again', 'k1', T + sec(90), 'A1'), wrapped('k1-w1-again', 'k1', T + sec(110), 'A1')]);
    await oneByOne.ingest(evs.slice(2, 5));
    expect(await historyOf(oneByOne.engine, T, T0, T0)).toEqual(a1Expected);
  });

  it('without agentId (or with an agent that answered none of its conversations) ended / wrapped act on the latest conversation', async () => {
    const h = await setup(T0);
    // k2: A1 answers in vq, the contact goes to vip, A2 answers; then an agentless ended and an
    // ended naming an agent who never answered it, then two agentless wraps
    await h.ingest([
      queued('k2-q1', 'k2', 'vq', T),
      answered('k2-a1', 'k2', 'A1', T + sec(10)),
      queued('k2-q2', 'k2', 'vip', T + sec(20)),
      answered('k2-a2', 'k2', 'A2', T + sec(30)),
      ended('k2-e1', 'k2', T + sec(90)), // latest conversation not ended: A2's → vip talk 60
      ended('k2-e2', 'k2', T + sec(100), 'A9'), // A9 answered none: latest not ended: A1's → vq talk 90
      wrapped('k2-w1', 'k2', T + sec(130)), // latest not wrapped: A2's → vip handle 100
      wrapped('k2-w2', 'k2', T + sec(140)), // then A1's → vq handle 130
      wrapped('k2-w3', 'k2', T + sec(150)), // nothing left to wrap
    ]);
    const got = await historyOf(h.engine, T, T0, T0);
    expect(got.vq).toMatchObject({ answered: 1, asaSec: 10, avgTalkSec: 90, ahtSec: 130 });
    expect(got.vip).toMatchObject({ answered: 1, asaSec: 10, avgTalkSec: 60, ahtSec: 100 });
    expect(got.all).toMatchObject({ answered: 2, avgTalkSec: 75, ahtSec: 115 });
  });
});

// ---------------------------------------------------------------- A2: transferred and queued at the same ms

const at = (local: string) => Date.parse(`2026-03-02T${local}+08:00`);
const sameMsTransfer = (cid: string): ContractEventInput[] => [
  queued(`${cid}-q1`, cid, 'vq', at('21:00:00')),
  transferred(`${cid}-x`, cid, 'vip', at('21:00:30')),
  queued(`${cid}-q2`, cid, 'vip', at('21:00:30')),
  answered(`${cid}-a`, cid, 'A2', at('21:00:40')),
  ended(`${cid}-e`, cid, at('21:03:40'), 'A2'),
  wrapped(`${cid}-w`, cid, at('21:04:00'), 'A2'),
];
// vq: arrival, transferred out at 21:00:30, never offered; vip: arrival at 21:00:30, answered after
// 10 s in vip, talk 180, handle 200; the center and the channel count the customer's wait since
// 21:00:00 (SEMANTICS.md "The customer's wait"): 40 s
const a2Expected: Record<string, Figures> = {
  vq: { arrivals: 1, offered: 0, answered: 0, abandoned: 0, transferredOut: 1, asaSec: null, avgTalkSec: null, ahtSec: null },
  vip: { arrivals: 1, offered: 1, answered: 1, abandoned: 0, transferredOut: 0, asaSec: 10, avgTalkSec: 180, ahtSec: 200 },
  all: { arrivals: 2, offered: 1, answered: 1, abandoned: 0, transferredOut: 1, asaSec: 40, avgTalkSec: 180, ahtSec: 200 },
  voice: { arrivals: 2, offered: 1, answered: 1, abandoned: 0, transferredOut: 1, asaSec: 40, avgTalkSec: 180, ahtSec: 200 },
};

describe('engine: contact.transferred and the new contact.queued at the same millisecond', () => {
  it('counts the contact in the new queue: offered, answered, talk and handle there, transferred out of the old one', async () => {
    const now = at('21:15:00');
    const h = await setup(now);
    const res = await h.ingest(sameMsTransfer('k3'));
    expect(res.outcomes.map((o) => o.status)).toEqual(Array(6).fill('accepted'));
    expect(await historyOf(h.engine, at('21:00:00'), now, now)).toEqual(a2Expected);
    // KPI pack (SEMANTICS-KPI.md, legs of SEMANTICS.md): the vq leg is a transfer, resolved and
    // answered by the vip leg; the vip leg closed answered, no transfer
    const kpi = async (q: string) => {
      const r = await h.app.inject({ method: 'GET', url: `/api/v1/metrics?center=c2&window=15m&${q}` });
      expect(r.statusCode, r.body).toBe(200);
      const k = (r.json() as MetricsResult).kpi!;
      return [k.transfers, k.transferRate, k.transfersResolved, k.transfersAnswered, k.transferSuccessRate, k.newContacts];
    };
    expect(await kpi('queue=vq')).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await kpi('queue=vip')).toEqual([0, 0, 0, 0, null, 0]);
    expect(await kpi('channel=voice')).toEqual([1, 0.5, 1, 1, 1, 1]);
  });

  it('a contact still waiting after a same-ms transfer waits in the new queue, whatever the delivery order', async () => {
    const now = at('21:01:00');
    const h = await setup(now);
    const [q1, x, q2] = sameMsTransfer('w1');
    const [r1, rx, r2] = sameMsTransfer('w2');
    const [s1, sx, s2] = sameMsTransfer('w3');
    await h.ingest([q1!, x!, q2!, r1!, r2!, s1!]);
    // w2: the transfer arrives after the new queued (a late event: the record is re-derived)
    await h.ingest([rx!]);
    // w3: the transfer first, the new queued afterwards (same ms, it sorts before the transfer)
    await h.ingest([sx!]);
    await h.ingest([s2!]);
    const live = async (scope: Scope) => {
      const m = await h.engine.query({ center: 'c2', scope }, '15m', now);
      return { waiting: m.waiting, longestWaitSec: m.longestWaitSec, arrivals: m.arrivals, transferredOut: m.transferredOut };
    };
    // the customers have waited since 21:00:00, in every row (SEMANTICS.md "The customer's wait")
    expect(await live(vip)).toEqual({ waiting: 3, longestWaitSec: 60, arrivals: 3, transferredOut: 0 });
    expect(await live(vq)).toEqual({ waiting: 0, longestWaitSec: 0, arrivals: 3, transferredOut: 3 });
    expect(await live(all)).toEqual({ waiting: 3, longestWaitSec: 60, arrivals: 6, transferredOut: 3 });
    expect(await live(voice)).toEqual({ waiting: 3, longestWaitSec: 60, arrivals: 6, transferredOut: 3 });
  });

  it('a transfer sent 1 ms before its queued (the earlier advice) counts the same, 1 ms apart', async () => {
    const now = at('21:15:00');
    const h = await setup(now);
    const evs = sameMsTransfer('k4');
    evs[1] = { ...evs[1]!, ts: at('21:00:30') - 1 };
    await h.ingest(evs);
    expect(await historyOf(h.engine, at('21:00:00'), now, now)).toEqual(a2Expected);
  });
});

// ---------------------------------------------------------------- records of the earlier encoding

/** A contact record's core fields as the build before this change wrote them (x, the expiry, and
 * the KPI pack's k… fields aside: neither changed). */
async function coreFields(h: Awaited<ReturnType<typeof setup>>, cid: string): Promise<Record<string, string>> {
  const rec = await h.app.redis.hgetall(h.app.keys.contact('c2', cid));
  return Object.fromEntries(Object.entries(rec).filter(([f]) => f.startsWith('e:') || f === 'a' || f === 's' || f === 'w'));
}
const item = (ts: number, q: string, ...fields: (string | number)[]) => [ts, ['all', `q:${q}`, 'ch:voice'].join('\x1e'), ...fields].join(US);

describe('engine: records written before several conversations and the transfer’s queue were stored', () => {
  it('continues a record whose state holds one conversation without its agent (the earlier `s`)', async () => {
    const prefix = `eng-old-s-${Math.random().toString(36).slice(2, 10)}`;
    const evs = postAnswerTransfer('k5');
    const before = await setup(T + sec(75), prefix);
    await before.ingest(evs.slice(0, 3));
    // the record as the earlier build left it after queued, answered (A1) and ended (A1): the same
    // events and items, and `s` = last event, leg (none), conversation (queue, answeredAt, ended)
    const earlier = {
      'e:k5-q1': [0, T, 'vq', 'voice', ''].join(US),
      'e:k5-a1': [1, T + sec(10), '', '', 'A1'].join(US),
      'e:k5-e1': [4, T + sec(70), '', '', 'A1'].join(US),
      a: [
        item(T, 'vq', 'arr', 1),
        item(T + sec(10), 'vq', 'ans', 1, 'awm', 10_000, 'ait', 1),
        ['@', '2026-03-02', 'A1', Date.parse('2026-03-02T16:00:00Z')].join(US),
        item(T + sec(70), 'vq', 'tc', 1, 'tm', 60_000),
      ].join(GS),
      s: [T + sec(70), 4, 'k5-e1', '', '', 'vq', T + sec(10), '1'].join(US),
    };
    const { w: w5, ...stored } = await coreFields(before, 'k5');
    expect(w5 ?? '').toBe('');
    expect({ ...stored, s: earlier.s }).toEqual(earlier);
    await before.app.redis.hset(before.app.keys.contact('c2', 'k5'), 's', earlier.s);
    await before.close();

    // a new process continues it, the rest of the contact in time order
    const after = await setup(T0, prefix);
    for (const e of evs.slice(3)) await after.ingest([e]);
    expect(await historyOf(after.engine, T, T0, T0)).toEqual(a1Expected);
  });

  it('continues a record whose state forgot a wrapped conversation: that agent’s later ended does not end another agent’s', async () => {
    const prefix = `eng-old-w-${Math.random().toString(36).slice(2, 10)}`;
    const before = await setup(T + sec(105), prefix);
    await before.ingest([
      queued('k8-q1', 'k8', 'vq', T),
      answered('k8-a1', 'k8', 'A1', T + sec(10)),
      ended('k8-e1', 'k8', T + sec(70), 'A1'),
      wrapped('k8-w1', 'k8', T + sec(100), 'A1'),
    ]);
    // the earlier build's state after A1's wrap: no leg, no conversation
    const earlier = {
      'e:k8-q1': [0, T, 'vq', 'voice', ''].join(US),
      'e:k8-a1': [1, T + sec(10), '', '', 'A1'].join(US),
      'e:k8-e1': [4, T + sec(70), '', '', 'A1'].join(US),
      'e:k8-w1': [5, T + sec(100), '', '', 'A1'].join(US),
      a: [
        item(T, 'vq', 'arr', 1),
        item(T + sec(10), 'vq', 'ans', 1, 'awm', 10_000, 'ait', 1),
        ['@', '2026-03-02', 'A1', Date.parse('2026-03-02T16:00:00Z')].join(US),
        item(T + sec(70), 'vq', 'tc', 1, 'tm', 60_000),
        item(T + sec(100), 'vq', 'hc', 1, 'hm', 90_000),
      ].join(GS),
      s: [T + sec(100), 5, 'k8-w1', '', '', '', '', ''].join(US),
    };
    const { w, ...stored } = await coreFields(before, 'k8');
    expect(w ?? '').toBe('');
    expect({ ...stored, s: earlier.s }).toEqual(earlier);
    await before.app.redis.hset(before.app.keys.contact('c2', 'k8'), 's', earlier.s);
    await before.close();

    const after = await setup(T0, prefix);
    // queued in vip, answered by A2; a repeat of A1's ended (another id) while A2 talks; A2 ends, wraps
    for (const e of [
      queued('k8-q2', 'k8', 'vip', T + sec(110)),
      answered('k8-a2', 'k8', 'A2', T + sec(120)),
      ended('k8-e1-again', 'k8', T + sec(130), 'A1'),
      ended('k8-e2', 'k8', T + sec(180), 'A2'),
      wrapped('k8-w2', 'k8', T + sec(200), 'A2'),
    ]) await after.ingest([e]);
    const got = await historyOf(after.engine, T, T0, T0);
    expect(got.vq).toMatchObject({ answered: 1, avgTalkSec: 60, ahtSec: 90 });
    // A2: talk 180 − 120 = 60, handle 200 − 120 = 80 (not 10 s, from A1's repeated ended)
    expect(got.vip).toMatchObject({ answered: 1, avgTalkSec: 60, ahtSec: 80 });
  });

  it('a transferred event stored without its queue keeps the earlier rule: it closes whatever leg is open', async () => {
    const prefix = `eng-old-x-${Math.random().toString(36).slice(2, 10)}`;
    const evs = sameMsTransfer('k6');
    const before = await setup(at('21:00:31'), prefix);
    await before.ingest(evs.slice(0, 2));
    const earlier = {
      'e:k6-q1': [0, at('21:00:00'), 'vq', 'voice', ''].join(US),
      'e:k6-x': [3, at('21:00:30'), '', '', ''].join(US),
      a: [item(at('21:00:00'), 'vq', 'arr', 1), item(at('21:00:30'), 'vq', 'xfr', 1)].join(GS),
      s: [at('21:00:30'), 3, 'k6-x', '', '', '', '', ''].join(US),
    };
    const { w: w6, ...stored } = await coreFields(before, 'k6');
    expect(w6 ?? '').toBe('');
    expect({ ...stored, 'e:k6-x': earlier['e:k6-x'], s: earlier.s }).toEqual(earlier);
    await before.app.redis.hset(before.app.keys.contact('c2', 'k6'), 'e:k6-x', earlier['e:k6-x'], 's', earlier.s);
    await before.close();

    const now = at('21:15:00');
    const after = await setup(now, prefix);
    // the new queued sorts before the stored transfer (same ms, queued first): the record is
    // re-derived, and the stored transfer closes the vip leg as it did when it was written
    await after.ingest(evs.slice(2));
    const got = await historyOf(after.engine, at('21:00:00'), now, now);
    expect(got.vq).toEqual(a2Expected.vq);
    expect(got.vip).toEqual({ arrivals: 1, offered: 0, answered: 0, abandoned: 0, transferredOut: 1, asaSec: null, avgTalkSec: null, ahtSec: null });
    // the same contact sent now counts in vip
    await after.ingest(sameMsTransfer('k7'));
    const both = await historyOf(after.engine, at('21:00:00'), now, now);
    expect(both.vip).toMatchObject({ arrivals: 2, offered: 1, answered: 1, transferredOut: 1, asaSec: 10, avgTalkSec: 180, ahtSec: 200 });
  });
});
