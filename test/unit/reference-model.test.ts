import { describe, expect, it } from 'vitest';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEvent } from '../../shared/contract/events.ts';
import { ReferenceModel, type ModelQuery } from '../support/reference-model.ts';

// Every expectation below is worked out by hand from SEMANTICS.md; the comments show the sums.
// Times are Shanghai local (UTC+8, no DST), written as ISO strings so the arithmetic is readable.

const config = appConfig.parse({
  defaults: { serviceLevelThresholdSec: { voice: 20, text: 60, video: 20 }, shortAbandonThresholdSec: 0 },
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice', serviceLevelThresholdSec: 30, shortAbandonThresholdSec: 5 },
    { id: 'vip', name: { zh: '贵宾', en: 'VIP' }, channel: 'voice' },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' },
    { id: 'video1', name: { zh: '视频', en: 'Video' }, channel: 'video' },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'loans'] }],
} satisfies AppConfigInput);

const at = (local: string) => Date.parse(`2026-03-10T${local}+08:00`);
let seq = 0;
function ev(input: Record<string, unknown>): ContractEvent {
  return contractEvent.parse({ id: `e${String(++seq).padStart(4, '0')}`, ...input });
}
const queued = (contactId: string, time: string, queue: string, channel = 'voice') =>
  ev({ type: 'contact.queued', contactId, ts: at(time), queue, channel });
const answered = (contactId: string, time: string, agentId: string) =>
  ev({ type: 'contact.answered', contactId, ts: at(time), agentId });
const abandoned = (contactId: string, time: string) => ev({ type: 'contact.abandoned', contactId, ts: at(time) });
const transferred = (contactId: string, time: string, toQueue: string) =>
  ev({ type: 'contact.transferred', contactId, ts: at(time), toQueue });
const ended = (contactId: string, time: string) => ev({ type: 'contact.ended', contactId, ts: at(time) });
const wrapped = (contactId: string, time: string) => ev({ type: 'contact.wrapped', contactId, ts: at(time) });
const state = (agentId: string, time: string, s: string, team: string, queues: string[], reason?: string) =>
  ev({ type: 'agent.state', agentId, ts: at(time), state: s, team, queues, name: agentId.toUpperCase(), ...(reason ? { reason } : {}) });

// One busy hour, queried at 10:00:00: 15m = [09:45, 10:00), 30m = [09:30, 10:00), today = [00:00, 10:00).
const morning: ContractEvent[] = [
  // c1 cards: wait 15 s (met), talk 300 s, handle 360 s, all inside 15m
  queued('c1', '09:50:00', 'cards'), answered('c1', '09:50:15', 'a1'), ended('c1', '09:55:15'), wrapped('c1', '09:56:15'),
  // c2 cards: wait 25 s (missed), talk 120, handle 180: inside 30m, not 15m
  queued('c2', '09:40:00', 'cards'), answered('c2', '09:40:25', 'a2'), ended('c2', '09:42:25'), wrapped('c2', '09:43:25'),
  // c3 cards abandoned after 10 s (within threshold), c4 after 60 s
  queued('c3', '09:51:00', 'cards'), abandoned('c3', '09:51:10'),
  queued('c4', '09:52:00', 'cards'), abandoned('c4', '09:53:00'),
  // c5 loans abandoned after 3 s < short-abandon 5 s
  queued('c5', '09:54:00', 'loans'), abandoned('c5', '09:54:03'),
  // c6 loans answered after exactly 30 s (threshold 30: met), still talking
  queued('c6', '09:46:00', 'loans'), answered('c6', '09:46:30', 'a1'),
  // c7 cards → loans: transferredOut in cards, answered after 20 s in loans
  queued('c7', '09:47:00', 'cards'), transferred('c7', '09:47:19', 'loans'), queued('c7', '09:47:20', 'loans'),
  answered('c7', '09:47:40', 'a2'),
  // waiting now: c8 chat for 120 s, c9 cards for 30 s; c10 queued 5 h ago is past the 240 min timeout
  queued('c8', '09:58:00', 'chat', 'text'), queued('c9', '09:59:30', 'cards'), queued('c10', '05:00:00', 'cards'),
  // agents
  state('a1', '09:00:00', 'available', 'A', ['cards', 'loans']),
  state('a1', '09:46:30', 'on_contact', 'A', ['cards', 'loans']),
  state('a2', '08:30:00', 'available', 'B', ['cards', 'chat']),
  state('a2', '09:40:25', 'on_contact', 'B', ['cards', 'chat']),
  state('a2', '09:42:25', 'acw', 'B', ['cards', 'chat']),
  state('a2', '09:43:25', 'available', 'B', ['cards', 'chat']),
  state('a2', '09:47:40', 'on_contact', 'B', ['cards', 'chat']),
  state('a2', '09:52:00', 'hold', 'B', ['cards', 'chat']),
  state('a2', '09:53:00', 'on_contact', 'B', ['cards', 'chat']),
  state('a2', '09:57:00', 'not_ready', 'B', ['cards', 'chat'], 'break'),
  state('a3', '07:00:00', 'available', 'A', ['video1']),
  state('a3', '09:50:00', 'logged_out', 'A', ['video1']),
];
const now = at('10:00:00');
const model = new ReferenceModel(config, morning);
const all: ModelQuery = { scope: { kind: 'all' } };
const cards: ModelQuery = { scope: { kind: 'queue', queue: 'cards' } };
const loans: ModelQuery = { scope: { kind: 'queue', queue: 'loans' } };

describe('reference model: contact figures (hand-computed)', () => {
  it('counts a queue over 15m: service level, its variants, rates and means', () => {
    const r = model.query(cards, '15m', now);
    // answered c1 (15 s, met); abandoned c3 (10 s, within), c4 (60 s); c7 transferred out
    expect(r.sums).toEqual({
      arrivals: 5, // c1 c3 c4 c7 c9
      answered: 1,
      answeredInThreshold: 1,
      answeredWaitMs: 15_000,
      abandoned: 2,
      abandonedInThreshold: 1,
      shortAbandoned: 0,
      transferredOut: 1,
      talkCount: 1,
      talkMs: 300_000,
      handleCount: 1,
      handleMs: 360_000,
    });
    expect(r.offered).toBe(3);
    expect(r.serviceLevel).toBeCloseTo(1 / 3, 15);
    expect(r.serviceLevelVariants.abandonsInThresholdExcluded).toBe(0.5); // 1 / (3 − 1)
    expect(r.serviceLevelVariants.abandonsInThresholdMet).toBeCloseTo(2 / 3, 15); // (1 + 1) / 3
    expect(r.answerRate).toBeCloseTo(1 / 3, 15);
    expect(r.abandonRate).toBeCloseTo(2 / 3, 15);
    expect(r.asaSec).toBe(15);
    expect(r.avgTalkSec).toBe(300);
    expect(r.ahtSec).toBe(360);
    expect(r.thresholdSec).toBe(20);
    expect(r.waiting).toBe(1); // c9
    expect(r.longestWaitSec).toBe(30);
    expect(r.fromMs).toBe(at('09:45:00'));
    expect(r.toMs).toBe(now);
  });

  it('widens to 30m and today by the leave time', () => {
    const r30 = model.query(cards, '30m', now);
    // + c2: answered after 25 s (missed), talk 120, handle 180
    expect(r30.answered).toBe(2);
    expect(r30.answeredInThreshold).toBe(1);
    expect(r30.offered).toBe(4);
    expect(r30.serviceLevel).toBe(0.25);
    expect(r30.asaSec).toBe(20); // (15 + 25) / 2
    expect(r30.avgTalkSec).toBe(210); // (300 + 120) / 2
    expect(r30.ahtSec).toBe(270); // (360 + 180) / 2
    expect(r30.arrivals).toBe(6);
    const today = model.query(cards, 'today', now);
    expect(today.fromMs).toBe(at('00:00:00'));
    expect(today.arrivals).toBe(7); // + c10 at 05:00
    expect(today.offered).toBe(4);
    expect(today.waiting).toBe(1); // c10 timed out, only c9
  });

  it('excludes short abandons from offered and applies per-queue thresholds', () => {
    const r = model.query(loans, '15m', now);
    expect(r.shortAbandoned).toBe(1); // c5 after 3 s
    expect(r.abandoned).toBe(0);
    expect(r.answered).toBe(2); // c6 after 30 s (= threshold, met), c7 after 20 s
    expect(r.answeredInThreshold).toBe(2);
    expect(r.offered).toBe(2);
    expect(r.serviceLevel).toBe(1);
    expect(r.abandonRate).toBe(0);
    expect(r.asaSec).toBe(25);
    expect(r.avgTalkSec).toBeNull(); // nobody ended yet
    expect(r.ahtSec).toBeNull();
    expect(r.thresholdSec).toBe(30);
    expect(r.arrivals).toBe(3); // c5 c6 c7
    expect(r.waiting).toBe(0);
    expect(r.longestWaitSec).toBe(0); // live figure: nobody waiting, 0 (null only for history ranges)
  });

  it('aggregates groups, channels and the center', () => {
    const retail = model.query({ scope: { kind: 'group', group: 'retail' } }, '15m', now);
    expect(retail.answered).toBe(3);
    // c1 15 s + c6 30 s + c7 40 s: c7 asked at 09:47:00 in cards and was answered in loans at
    // 09:47:40 (20 s in loans, the loans row's figure); 40 s > loans' 30 s, so only c1 and c6 are met
    expect(retail.sums.answeredWaitMs).toBe(85_000);
    expect(retail.offered).toBe(5);
    expect(retail.serviceLevel).toBe(0.4);
    expect(retail.shortAbandoned).toBe(1);
    expect(retail.transferredOut).toBe(1);
    expect(retail.thresholdSec).toBeNull(); // 20 and 30 differ
    const voice = model.query({ scope: { kind: 'channel', channel: 'voice' } }, '15m', now);
    expect(voice.sums).toEqual(retail.sums);
    const center = model.query(all, '15m', now);
    expect(center.arrivals).toBe(9); // + c8 on chat
    expect(center.waiting).toBe(2);
    expect(center.longestWaitSec).toBe(120);
    const text = model.query({ scope: { kind: 'channel', channel: 'text' } }, '15m', now);
    expect(text.thresholdSec).toBe(60);
    expect(text.offered).toBe(0);
    expect(text.waiting).toBe(1);
  });

  it('returns null for every ratio and mean of an empty scope', () => {
    const r = model.query({ scope: { kind: 'queue', queue: 'vip' } }, '60m', now);
    expect(r.offered).toBe(0);
    for (const v of [r.serviceLevel, r.answerRate, r.abandonRate, r.asaSec, r.avgTalkSec, r.ahtSec]) expect(v).toBeNull();
    expect(r.serviceLevelVariants).toEqual({ abandonsInThresholdExcluded: null, abandonsInThresholdMet: null });
    expect(r.occupancy).toBeNull();
    expect(r.utilization).toBeNull();
    expect(r.waiting).toBe(0);
    expect(r.longestWaitSec).toBe(0); // live: present, not null
    expect(r.agents).toEqual({ loggedIn: 0, available: 0, ringing: 0, onContact: 0, hold: 0, acw: 0, notReady: 0 });
  });

  it('answers history ranges without live figures', () => {
    const r = model.history(cards, at('09:30:00'), at('09:45:00'), now);
    expect(r.answered).toBe(1); // c2
    expect(r.arrivals).toBe(1);
    expect(r.avgTalkSec).toBe(120);
    expect(r.waiting).toBeNull();
    expect(r.longestWaitSec).toBeNull();
    expect(r.agents).toBeNull();
    expect(model.history(cards, at('09:00:00'), at('10:00:00'), now).sums).toEqual(model.query(cards, '60m', now).sums);
  });
});

describe('reference model: agent figures (hand-computed)', () => {
  it('sums time in state clipped to the window, over agents', () => {
    const r = model.query(all, '15m', now);
    // a1: available 09:45–09:46:30 (90), on_contact to now (810)
    // a2: available 09:45–09:47:40 (160), on_contact 260 + 240, hold 60, not_ready 180
    // a3: available 09:45–09:50 (300), then logged out
    expect(r.stateTimeMs).toEqual({
      available: 550_000,
      ringing: 0,
      on_contact: 1_310_000,
      hold: 60_000,
      acw: 0,
      not_ready: 180_000,
    });
    expect(r.occupancy).toBe(1370 / 1920);
    expect(r.utilization).toBe(1920 / 2100);
    expect(r.stateTimeSec.on_contact).toBe(1310);
    expect(r.agents).toEqual({ loggedIn: 2, available: 0, ringing: 0, onContact: 1, hold: 0, acw: 0, notReady: 1 });
  });

  it('a team query: the team’s agent figures center-wide, the center’s contact figures; never a team with a queue', () => {
    const teamA = model.query({ ...all, team: 'A' }, '15m', now);
    expect(teamA.occupancy).toBe(810 / 1200); // a1 + a3
    expect(teamA.utilization).toBe(1);
    expect(teamA.agents).toMatchObject({ loggedIn: 1, onContact: 1 });
    expect(teamA.sums).toEqual(model.query(all, '15m', now).sums);
    const teamB = model.query({ ...all, team: 'B' }, '15m', now);
    expect(teamB.stateTimeMs.available).toBe(160_000); // a2 only
    expect(teamB.agents).toMatchObject({ loggedIn: 1, notReady: 1 });
    // there is no queue×team dimension: a team with a queue is refused, as the engine does
    expect(() => model.query({ ...cards, team: 'B' }, '15m', now)).toThrow(/team cannot be combined/);
    expect(() => model.history({ scope: { kind: 'queue', queue: 'chat' }, team: 'A' }, now - 900_000, now, now)).toThrow(/team cannot be combined/);
  });

  it('attributes agents to the queues, channels and groups they serve', () => {
    expect(model.query(cards, '15m', now).stateTimeMs).toMatchObject({ available: 250_000, on_contact: 1_310_000 });
    const video = model.query({ scope: { kind: 'channel', channel: 'video' } }, '15m', now);
    expect(video.occupancy).toBe(0); // 300 s available, nothing busy: 0, not null
    expect(video.utilization).toBe(1);
    expect(video.agents?.loggedIn).toBe(0); // a3 logged out
    const retail = model.query({ scope: { kind: 'group', group: 'retail' } }, '15m', now);
    expect(retail.agents).toMatchObject({ loggedIn: 2, onContact: 1, notReady: 1 });
    expect(model.query({ scope: { kind: 'channel', channel: 'text' } }, '15m', now).agents?.notReady).toBe(1);
  });

  it('counts live agents in every state by their last point', () => {
    const states = ['available', 'ringing', 'on_contact', 'hold', 'acw', 'not_ready', 'logged_out'];
    const m = new ReferenceModel(config, [
      ...states.map((s, i) => state(`s${i}`, '09:00:00', 'available', 'A', ['chat'])),
      ...states.map((s, i) => state(`s${i}`, '09:30:00', s, 'A', ['chat'])),
    ]);
    expect(m.query({ scope: { kind: 'queue', queue: 'chat' } }, '30m', now).agents).toEqual({
      loggedIn: 6, available: 1, ringing: 1, onContact: 1, hold: 1, acw: 1, notReady: 1,
    });
    // 7 agents × 30 min in the 60m window from 09:00 available, then 6 of them 30 min in their state
    const r = m.query(all, '60m', now);
    expect(r.stateTimeSec).toEqual({ available: 7 * 1800 + 1800, ringing: 1800, on_contact: 1800, hold: 1800, acw: 1800, not_ready: 1800 });
    expect(r.occupancy).toBe((3 * 1800) / (3 * 1800 + 8 * 1800));
    expect(r.utilization).toBe((12 * 1800) / (13 * 1800));
  });

  it('lists agents with their current state, since and handledToday', () => {
    const rows = model.agents('default', {}, now);
    expect(rows.map((r) => [r.agentId, r.state, r.reason, r.handledToday])).toEqual([
      ['a1', 'on_contact', null, 2], // c1, c6
      ['a2', 'not_ready', 'break', 2], // c2, c7
      ['a3', 'logged_out', null, 0],
    ]);
    expect(rows[1]!.sinceMs).toBe(at('09:57:00'));
    expect(rows[1]!.team).toBe('B');
    expect(rows[1]!.name).toBe('A2');
    expect(model.agents('default', { team: 'A' }, now).map((r) => r.agentId)).toEqual(['a1', 'a3']);
    expect(model.agents('default', { queue: 'chat' }, now).map((r) => r.agentId)).toEqual(['a2']);
  });

  it('keeps since at the start of a state when the same state is re-sent', () => {
    const m = new ReferenceModel(config, [
      ...morning,
      state('a2', '09:58:00', 'not_ready', 'B', ['cards', 'chat'], 'break'),
    ]);
    expect(m.agents('default', {}, now)[1]!.sinceMs).toBe(at('09:57:00'));
    expect(m.query(all, '15m', now).stateTimeMs).toEqual(model.query(all, '15m', now).stateTimeMs);
  });
});

describe('reference model: sequence rules', () => {
  const sumsOf = (events: ContractEvent[], q: ModelQuery = all) => new ReferenceModel(config, events).query(q, '60m', now).sums;

  it('is a function of the event set: order and exact re-sends do not matter', () => {
    const shuffled = [...morning].reverse();
    const resent = [...morning, ...morning.slice(0, 10)];
    for (const events of [shuffled, resent]) {
      const m = new ReferenceModel(config, events);
      for (const w of ['15m', '30m', '60m', 'today'] as const) {
        expect(m.query(all, w, now)).toEqual(model.query(all, w, now));
        expect(m.query(cards, w, now)).toEqual(model.query(cards, w, now));
      }
      expect(m.agents('default', {}, now)).toEqual(model.agents('default', {}, now));
    }
  });

  it('ignores semantic duplicates (same meaning, new id)', () => {
    const base = [queued('d1', '09:50:00', 'cards'), answered('d1', '09:50:10', 'a1'), ended('d1', '09:51:00'), wrapped('d1', '09:52:00')];
    const dupes = [
      ...base,
      queued('d1', '09:50:05', 'cards'), // same queue, leg open: nothing
      answered('d1', '09:50:20', 'a2'), // no open leg: nothing
      abandoned('d1', '09:50:30'),
      ended('d1', '09:51:30'), // already ended
      wrapped('d1', '09:53:00'), // already wrapped
    ];
    expect(sumsOf(dupes)).toEqual(sumsOf(base));
    expect(sumsOf(base)).toMatchObject({ arrivals: 1, answered: 1, answeredWaitMs: 10_000, talkMs: 50_000, handleMs: 110_000 });
    const m = new ReferenceModel(config, dupes);
    expect(m.agents('default', {}, now)).toEqual([]); // no agent.state: nobody listed
  });

  it('breaks ties by type order, then by event id byte order', () => {
    // answered and abandoned at the same ms: answered comes first
    const tie = [queued('t1', '09:50:00', 'cards'), abandoned('t1', '09:50:10'), answered('t1', '09:50:10', 'a1')];
    expect(sumsOf(tie)).toMatchObject({ answered: 1, abandoned: 0 });
    // queued and answered at the same instant: wait 0
    expect(sumsOf([answered('t2', '09:50:00', 'a1'), queued('t2', '09:50:00', 'cards')])).toMatchObject({ answered: 1, answeredWaitMs: 0 });
    // two answers at the same ms: the lower id wins
    const m = new ReferenceModel(config, [
      queued('t3', '09:50:00', 'cards'),
      ev({ id: 'zz', type: 'contact.answered', contactId: 't3', ts: at('09:50:05'), agentId: 'a2' }),
      ev({ id: 'aa', type: 'contact.answered', contactId: 't3', ts: at('09:50:05'), agentId: 'a1' }),
      state('a1', '09:00:00', 'available', 'A', ['cards']),
      state('a2', '09:00:00', 'available', 'A', ['cards']),
    ]);
    expect(m.agents('default', {}, now).map((r) => r.handledToday)).toEqual([1, 0]);
  });

  it('treats an answer before its queued event (clock skew) as no answer', () => {
    const m = new ReferenceModel(config, [answered('s1', '09:50:00', 'a1'), queued('s1', '09:50:01', 'cards')]);
    expect(m.query(cards, '15m', now)).toMatchObject({ answered: 0, arrivals: 1, waiting: 1 });
  });

  it('keeps the new leg open when transferred and queued share a timestamp (a transfer to Q never closes a leg in Q)', () => {
    // queued sorts first (typeOrder 0 < 3): it moves the contact from cards to loans, and the
    // transfer then finds the leg open in its own toQueue: that leg is its arrival
    const events = [queued('x0', '09:50:00', 'cards'), transferred('x0', '09:51:00', 'loans'), queued('x0', '09:51:00', 'loans')];
    expect(sumsOf(events, cards)).toMatchObject({ arrivals: 1, transferredOut: 1 });
    expect(sumsOf(events, loans)).toMatchObject({ arrivals: 1, transferredOut: 0 });
    const waiting = new ReferenceModel(config, events).query(loans, '15m', now);
    expect(waiting).toMatchObject({ waiting: 1, longestWaitSec: 600 }); // the customer's wait, since 09:50:00
    expect(new ReferenceModel(config, events).query(cards, '15m', now)).toMatchObject({ waiting: 0 });
    // answered 10 s later in loans (≤ 30 s), talk 180 s, handle 200 s there
    const done = [...events, answered('x0', '09:51:10', 'a1'), ended('x0', '09:54:10'), wrapped('x0', '09:54:30')];
    expect(sumsOf(done, loans)).toMatchObject({
      arrivals: 1, answered: 1, answeredInThreshold: 1, answeredWaitMs: 10_000, transferredOut: 0,
      talkCount: 1, talkMs: 180_000, handleCount: 1, handleMs: 200_000,
    });
    expect(sumsOf(done, cards)).toMatchObject({ arrivals: 1, transferredOut: 1, answered: 0, talkCount: 0, handleCount: 0 });
    // sent 1 ms apart, transferred first: the same, the old leg closing 1 ms earlier
    const apart = [queued('x1', '09:50:00', 'cards'), transferred('x1', '09:50:59.999', 'loans'), queued('x1', '09:51:00', 'loans')];
    expect(sumsOf(apart, cards)).toEqual(sumsOf(events, cards));
    expect(sumsOf(apart, loans)).toEqual(sumsOf(events, loans));
    // the queued in the new queue even earlier than the transfer (clock skew): the same
    const skewed = [queued('x2', '09:50:00', 'cards'), queued('x2', '09:51:00', 'loans'), transferred('x2', '09:51:02', 'loans')];
    expect(sumsOf(skewed, loans)).toEqual(sumsOf(events, loans));
  });

  it('a transfer closes a leg in any queue but its toQueue; to the queue the contact waits in, it changes nothing', () => {
    // transferred to vip while waiting in cards: cards leg out; the later queued in vip opens a leg there
    const out = [queued('y1', '09:50:00', 'cards'), transferred('y1', '09:51:00', 'vip'), queued('y1', '09:51:00', 'loans')];
    expect(sumsOf(out, cards)).toMatchObject({ transferredOut: 1 });
    // at the same ms queued(loans) sorts first, and the transfer names vip: the loans leg closes too
    expect(sumsOf(out, loans)).toMatchObject({ arrivals: 1, transferredOut: 1 });
    // transferred to the queue it already waits in: still one leg, its wait from the first queued
    const same = [queued('y2', '09:50:00', 'cards'), transferred('y2', '09:51:00', 'cards'), answered('y2', '09:51:10', 'a1')];
    expect(sumsOf(same, cards)).toMatchObject({ arrivals: 1, transferredOut: 0, answered: 1, answeredWaitMs: 70_000 });
  });

  it('closes a leg as transferredOut when the contact is queued elsewhere', () => {
    const events = [queued('x1', '09:50:00', 'cards'), queued('x1', '09:51:00', 'loans'), abandoned('x1', '09:52:00')];
    expect(sumsOf(events, cards)).toMatchObject({ arrivals: 1, transferredOut: 1, answered: 0, abandoned: 0 });
    expect(sumsOf(events, loans)).toMatchObject({ arrivals: 1, abandoned: 1, abandonedInThreshold: 0 }); // 60 s > 30 s
    // transferred without a new queue: leaves the waiting set
    const gone = new ReferenceModel(config, [queued('x2', '09:50:00', 'cards'), transferred('x2', '09:51:00', 'elsewhere')]);
    expect(gone.query(cards, '15m', now)).toMatchObject({ transferredOut: 1, waiting: 0, offered: 0 });
  });

  it('opens a new leg when an answered contact is queued again', () => {
    const events = [
      queued('r1', '09:50:00', 'cards'), answered('r1', '09:50:10', 'a1'), queued('r1', '09:55:00', 'cards'),
      answered('r1', '09:55:30', 'a2'), ended('r1', '09:56:30'), wrapped('r1', '09:57:00'),
    ];
    expect(sumsOf(events, cards)).toMatchObject({
      arrivals: 2, answered: 2, answeredInThreshold: 1, answeredWaitMs: 40_000,
      talkCount: 1, talkMs: 60_000, handleCount: 1, handleMs: 90_000, // measured from the second answer
    });
  });

  it('several conversations: an agent transfers after answering, each agent’s ended / wrapped measure its own (in its queue)', () => {
    // A1 answers in cards, ends; queued in vip; A2 answers; A1 wraps after A2's answer; A2 ends, wraps
    const endedBy = (contactId: string, time: string, agentId: string) => ev({ type: 'contact.ended', contactId, ts: at(time), agentId });
    const wrappedBy = (contactId: string, time: string, agentId: string) => ev({ type: 'contact.wrapped', contactId, ts: at(time), agentId });
    const vip: ModelQuery = { scope: { kind: 'queue', queue: 'vip' } };
    const events = [
      queued('p1', '09:50:00', 'cards'), answered('p1', '09:50:10', 'A1'), endedBy('p1', '09:51:10', 'A1'),
      queued('p1', '09:51:11', 'vip'), answered('p1', '09:51:20', 'A2'), wrappedBy('p1', '09:51:40', 'A1'),
      endedBy('p1', '09:53:20', 'A2'), wrappedBy('p1', '09:53:50', 'A2'),
    ];
    // cards: talk 60 (09:50:10 → 09:51:10), handle 90 (→ 09:51:40); vip: talk 120, handle 150
    expect(sumsOf(events, cards)).toMatchObject({ answered: 1, talkCount: 1, talkMs: 60_000, handleCount: 1, handleMs: 90_000, transferredOut: 0 });
    expect(sumsOf(events, vip)).toMatchObject({ arrivals: 1, answered: 1, answeredWaitMs: 9_000, talkCount: 1, talkMs: 120_000, handleCount: 1, handleMs: 150_000 });
    const center = new ReferenceModel(config, events).query(all, '15m', now);
    expect([center.avgTalkSec, center.ahtSec]).toEqual([90, 120]);
    // duplicates (new ids) of A1's ended and wrapped while A2's conversation is open: no effect,
    // they never fall back to A2's conversation
    const dupes = [...events, endedBy('p1', '09:51:30', 'A1'), wrappedBy('p1', '09:52:00', 'A1')];
    expect(sumsOf(dupes, vip)).toEqual(sumsOf(events, vip));
    expect(sumsOf(dupes, cards)).toEqual(sumsOf(events, cards));
    // an order-independent function of the set
    expect(sumsOf([...dupes].reverse(), vip)).toEqual(sumsOf(events, vip));
  });

  it('ended / wrapped without an agent, or naming one who answered none of the conversations, act on the latest that qualifies', () => {
    const endedBy = (contactId: string, time: string, agentId: string) => ev({ type: 'contact.ended', contactId, ts: at(time), agentId });
    const vip: ModelQuery = { scope: { kind: 'queue', queue: 'vip' } };
    const base = [queued('n1', '09:50:00', 'cards'), answered('n1', '09:50:10', 'A1'), queued('n1', '09:50:20', 'vip'), answered('n1', '09:50:30', 'A2')];
    const events = [
      ...base,
      ended('n1', '09:51:30'), // latest not ended: A2's (vip) → talk 60
      endedBy('n1', '09:51:40', 'A9'), // A9 answered none: latest not ended: A1's (cards) → talk 90
      ended('n1', '09:51:45'), // both ended: nothing
      wrapped('n1', '09:52:10'), // latest not wrapped: A2's → handle 100
      wrapped('n1', '09:52:20'), // then A1's → handle 130
      wrapped('n1', '09:52:30'), // nothing left
    ];
    expect(sumsOf(events, vip)).toMatchObject({ talkCount: 1, talkMs: 60_000, handleCount: 1, handleMs: 100_000 });
    expect(sumsOf(events, cards)).toMatchObject({ talkCount: 1, talkMs: 90_000, handleCount: 1, handleMs: 130_000 });
    // an agent's wrapped closes their own conversation even when it is not the latest; a later
    // ended of that agent then finds nothing (wrapped conversations take no ended), and does not
    // end A2's
    const wrappedBy = (contactId: string, time: string, agentId: string) => ev({ type: 'contact.wrapped', contactId, ts: at(time), agentId });
    const early = [...base, wrappedBy('n1', '09:50:40', 'A1'), endedBy('n1', '09:50:50', 'A1')];
    expect(sumsOf(early, cards)).toMatchObject({ talkCount: 0, handleCount: 1, handleMs: 30_000 });
    expect(sumsOf(early, vip)).toMatchObject({ talkCount: 0, handleCount: 0 });
    // the same agent answering twice: their ended / wrapped take their latest qualifying one
    const twice = [
      queued('n2', '09:50:00', 'cards'), answered('n2', '09:50:10', 'A1'), queued('n2', '09:50:20', 'vip'), answered('n2', '09:50:30', 'A1'),
      endedBy('n2', '09:51:30', 'A1'), endedBy('n2', '09:51:50', 'A1'), endedBy('n2', '09:52:00', 'A1'),
    ];
    expect(sumsOf(twice, vip)).toMatchObject({ talkCount: 1, talkMs: 60_000 });
    expect(sumsOf(twice, cards)).toMatchObject({ talkCount: 1, talkMs: 100_000 });
  });

  it('counts handle without talk when wrapped comes without ended, and nothing without an answer', () => {
    expect(sumsOf([queued('w1', '09:50:00', 'cards'), answered('w1', '09:50:05', 'a1'), wrapped('w1', '09:52:05')]))
      .toMatchObject({ talkCount: 0, handleCount: 1, handleMs: 120_000 });
    expect(sumsOf([queued('w2', '09:50:00', 'cards'), ended('w2', '09:51:00'), wrapped('w2', '09:52:00')]))
      .toMatchObject({ talkCount: 0, handleCount: 0, arrivals: 1 });
  });
});

describe('reference model: window edges and midnight', () => {
  it('uses half-open windows anchored at asOf (the whole second)', () => {
    const events = [
      queued('e1', '09:44:00', 'cards'), answered('e1', '09:45:00', 'a1'), // exactly asOf − 15m: in
      queued('e2', '09:44:00', 'cards'), ev({ type: 'contact.answered', contactId: 'e2', ts: at('09:44:59.999'), agentId: 'a1' }), // out
      queued('e3', '09:59:00', 'cards'), ev({ type: 'contact.abandoned', contactId: 'e3', ts: at('10:00:00.200') }), // current second: out
    ];
    const r = new ReferenceModel(config, events).query(cards, '15m', at('10:00:00.700'));
    expect(r.asOfMs).toBe(now);
    expect(r.answered).toBe(1);
    expect(r.abandoned).toBe(0);
  });

  it('starts today at local midnight in the center time zone', () => {
    const night = (local: string) => Date.parse(`2026-03-09T${local}+08:00`);
    const events = [
      ev({ type: 'contact.queued', contactId: 'm1', ts: night('23:59:30'), queue: 'cards', channel: 'voice' }),
      ev({ type: 'contact.answered', contactId: 'm1', ts: night('23:59:59.999'), agentId: 'a1' }),
      queued('m2', '00:00:00', 'cards'), answered('m2', '00:00:00', 'a1'),
      ev({ type: 'agent.state', agentId: 'a1', ts: night('23:00:00'), state: 'available', team: 'A', queues: ['cards'] }),
    ];
    const m = new ReferenceModel(config, events);
    const tenPast = at('00:10:00');
    const today = m.query(all, 'today', tenPast);
    expect(today.fromMs).toBe(Date.parse('2026-03-09T16:00:00Z'));
    expect(today.answered).toBe(1);
    expect(today.stateTimeMs.available).toBe(600_000); // only the part after midnight
    expect(m.query(all, '15m', tenPast).answered).toBe(2);
    expect(m.agents('default', {}, tenPast)[0]!.handledToday).toBe(1);
  });

  it('drops a contact from waiting once it has waited longer than waitingTimeoutMin', () => {
    const short = appConfig.parse({ ...config, retention: { ...config.retention, waitingTimeoutMin: 30 } });
    const m = new ReferenceModel(short, [queued('o1', '09:30:00', 'cards'), queued('o2', '09:29:59', 'cards'), queued('o3', '09:45:00', 'cards')]);
    const r = m.query(cards, '60m', now);
    expect(r.waiting).toBe(2); // o1 has waited exactly 30 min (not longer), o2 one second more
    expect(r.longestWaitSec).toBe(1800);
    expect(r.arrivals).toBe(3);
  });
});

describe('reference model: the customer’s wait across pre-answer transfers', () => {
  // A bank's overflow: vip callers move to the general queue vq after 90 s. vq classifies abandons
  // under 5 s as short; overflow groups both queues; cards has its own 30 s threshold here.
  const overflowConfig = appConfig.parse({
    defaults: { serviceLevelThresholdSec: { voice: 20, text: 60, video: 20 }, shortAbandonThresholdSec: 0 },
    queues: [
      { id: 'vip', name: { zh: '贵宾', en: 'VIP' }, channel: 'voice' },
      { id: 'vq', name: { zh: '普通', en: 'General' }, channel: 'voice', shortAbandonThresholdSec: 5 },
      { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice', serviceLevelThresholdSec: 30 },
      { id: 'vchat', name: { zh: '视频', en: 'Video' }, channel: 'video' },
    ],
    groups: [
      { id: 'overflow', name: { zh: '溢出', en: 'Overflow' }, queues: ['vip', 'vq'] },
      { id: 'general', name: { zh: '普通组', en: 'General' }, queues: ['vq'] },
    ],
  } satisfies AppConfigInput);
  const vip: ModelQuery = { scope: { kind: 'queue', queue: 'vip' } };
  const vq: ModelQuery = { scope: { kind: 'queue', queue: 'vq' } };
  const voice: ModelQuery = { scope: { kind: 'channel', channel: 'voice' } };
  const overflow: ModelQuery = { scope: { kind: 'group', group: 'overflow' } };
  const general: ModelQuery = { scope: { kind: 'group', group: 'general' } };
  const modelOf = (events: ContractEvent[]) => new ReferenceModel(overflowConfig, events);

  // o1, o2: explicit transfer, then queued in vq; o3, o4: queued in vq without a transferred event.
  // Each waited 90 s in vip, 1 s between queues and 5 s in vq: 96 s in all. o5 went straight to vq.
  const overflowEvents = [
    ...['o1', 'o2'].flatMap((c) => [
      queued(c, '09:50:00', 'vip'), transferred(c, '09:51:30', 'vq'), queued(c, '09:51:31', 'vq'), answered(c, '09:51:36', 'a1'),
    ]),
    ...['o3', 'o4'].flatMap((c) => [queued(c, '09:50:00', 'vip'), queued(c, '09:51:31', 'vq'), answered(c, '09:51:36', 'a1')]),
    queued('o5', '09:51:31', 'vq'), answered('o5', '09:51:36', 'a2'),
  ];

  it('queue rows keep the wait in the queue; center, channel and group rows the customer’s wait', () => {
    const m = modelOf(overflowEvents);
    const q = m.query(vq, '15m', now);
    expect(q.sums).toMatchObject({ arrivals: 5, answered: 5, answeredInThreshold: 5, answeredWaitMs: 25_000 });
    expect(q.serviceLevel).toBe(1);
    expect(q.asaSec).toBe(5);
    // vip answered nobody: 4 moved out, offered 0
    expect(m.query(vip, '15m', now)).toMatchObject({ arrivals: 4, transferredOut: 4, offered: 0, serviceLevel: null, asaSec: null });
    for (const scope of [all, voice, overflow, general]) {
      const r = m.query(scope, '15m', now);
      // the standard: answered within 20 s of asking for a human ÷ contacts that asked: o5 only
      expect(r.sums).toMatchObject({ answered: 5, answeredInThreshold: 1, answeredWaitMs: 4 * 96_000 + 5_000 });
      expect(r.offered).toBe(5);
      expect(r.serviceLevel).toBe(0.2);
      expect(r.asaSec).toBeCloseTo(77.8, 12); // (4 × 96 + 5) / 5
    }
    // arrivals stay legs: the 4 transferred contacts arrive in vip and in vq
    expect(m.query(all, '15m', now).arrivals).toBe(9);
  });

  it('judges the customer’s wait against the threshold of the queue that answers', () => {
    // 25 s in vip, then 5 s in cards (threshold 30 s): 30 s in all, met; the same in vq (20 s) is not
    const m = modelOf([
      queued('t1', '09:50:00', 'vip'), queued('t1', '09:50:25', 'cards'), answered('t1', '09:50:30', 'a1'),
      queued('t2', '09:50:00', 'vip'), queued('t2', '09:50:25', 'vq'), answered('t2', '09:50:30', 'a1'),
    ]);
    expect(m.query(all, '15m', now).sums).toMatchObject({ answered: 2, answeredInThreshold: 1, answeredWaitMs: 60_000 });
    expect(m.query({ scope: { kind: 'queue', queue: 'cards' } }, '15m', now).sums).toMatchObject({ answeredInThreshold: 1, answeredWaitMs: 5_000 });
    expect(m.query(vq, '15m', now).sums).toMatchObject({ answeredInThreshold: 1, answeredWaitMs: 5_000 });
  });

  it('classifies a short abandon by the customer’s wait at every level, so offered is the same contacts everywhere', () => {
    const m = modelOf([
      // s1: 90 s in vip, hangs up 3 s into vq: no misdial (93 s), abandoned everywhere; within the
      // threshold in vq (3 s in that queue), not for the center (93 s)
      queued('s1', '09:50:00', 'vip'), transferred('s1', '09:51:30', 'vq'), queued('s1', '09:51:30.001', 'vq'), abandoned('s1', '09:51:33'),
      // s2: straight into vq, gone after 3 s: short everywhere
      queued('s2', '09:52:00', 'vq'), abandoned('s2', '09:52:03'),
      // s3: 2 s in vip, 2 s in vq: 4 s < 5 s, short everywhere (vq's short threshold closes it)
      queued('s3', '09:53:00', 'vip'), queued('s3', '09:53:02', 'vq'), abandoned('s3', '09:53:04'),
    ]);
    expect(m.query(vq, '15m', now).sums).toMatchObject({ abandoned: 1, abandonedInThreshold: 1, shortAbandoned: 2 });
    expect(m.query(vip, '15m', now).sums).toMatchObject({ abandoned: 0, shortAbandoned: 0, transferredOut: 2 });
    for (const scope of [all, voice, overflow, general]) {
      expect(m.query(scope, '15m', now).sums).toMatchObject({ abandoned: 1, abandonedInThreshold: 0, shortAbandoned: 2 });
      expect(m.query(scope, '15m', now).offered).toBe(m.query(vq, '15m', now).offered);
    }
  });

  it('measures waiting, the longest wait and the waiting timeout from the request, at every level', () => {
    const m = modelOf([
      // w1 asked at 09:55:51 (4 min 09 s before now) and was moved to vq at 09:58:51 (1 min 09 s)
      queued('w1', '09:55:51', 'vip'), transferred('w1', '09:58:50', 'vq'), queued('w1', '09:58:51', 'vq'),
      queued('w2', '09:59:30', 'vq'),
    ]);
    for (const scope of [all, voice, overflow, general, vq]) expect(m.query(scope, '15m', now)).toMatchObject({ waiting: 2, longestWaitSec: 249 });
    expect(m.query(vip, '15m', now)).toMatchObject({ waiting: 0, longestWaitSec: 0 });
    expect(m.openLegs()).toEqual([
      { contactId: 'w1', queue: 'vq', queuedAt: at('09:58:51'), requestedAt: at('09:55:51') },
      { contactId: 'w2', queue: 'vq', queuedAt: at('09:59:30'), requestedAt: at('09:59:30') },
    ]);
    // timeout 4 min: w1 has waited 4 min 09 s in all (only 69 s in vq) and no longer counts
    const short = new ReferenceModel(appConfig.parse({ ...overflowConfig, retention: { ...overflowConfig.retention, waitingTimeoutMin: 4 } }), [
      queued('w1', '09:55:51', 'vip'), queued('w1', '09:58:51', 'vq'), queued('w2', '09:59:30', 'vq'),
    ]);
    expect(short.query(vq, '15m', now)).toMatchObject({ waiting: 1, longestWaitSec: 30 });
  });

  it('runs a request through several transfers, gaps between them and duplicates, and ends it at the answer', () => {
    const m = modelOf([
      queued('h1', '09:50:00', 'vip'),
      transferred('h1', '09:50:40', 'vq'), transferred('h1', '09:50:41', 'vq'), // re-sent: nothing more
      answered('h1', '09:50:45', 'a9'), // no leg open (between queues): nothing, the request runs on
      queued('h1', '09:51:00', 'vq'), queued('h1', '09:51:05', 'vq'), // same queue again: nothing
      queued('h1', '09:52:00', 'cards'), answered('h1', '09:52:10', 'a1'), // 130 s asked, 10 s in cards
      // the agent transfers the answered call: a new request from 09:55:00
      queued('h1', '09:55:00', 'vq'), answered('h1', '09:55:12', 'a2'),
    ]);
    expect(m.query(all, '15m', now).sums).toMatchObject({
      arrivals: 4, transferredOut: 2, answered: 2, answeredWaitMs: 130_000 + 12_000, answeredInThreshold: 1,
    });
    expect(m.query({ scope: { kind: 'queue', queue: 'cards' } }, '15m', now).sums).toMatchObject({ answered: 1, answeredWaitMs: 10_000, answeredInThreshold: 1 });
    expect(m.query(vq, '15m', now).sums).toMatchObject({ arrivals: 2, transferredOut: 1, answered: 1, answeredWaitMs: 12_000, answeredInThreshold: 1 });
    // an abandon ends the request as well: the contact queued again later asks anew
    const again = modelOf([
      queued('h2', '09:50:00', 'vip'), abandoned('h2', '09:50:30'), queued('h2', '09:56:00', 'vq'), answered('h2', '09:56:04', 'a1'),
    ]);
    expect(again.query(all, '15m', now).sums).toMatchObject({ abandoned: 1, answered: 1, answeredWaitMs: 4_000, answeredInThreshold: 1 });
  });

  it('counts the customer’s wait in the window the request closes in, whatever window it started in', () => {
    // asked at 09:40 (outside 15m), answered in vq at 09:46 after 6 min in vip: in 15m, with 6 min
    const m = modelOf([queued('x1', '09:40:00', 'vip'), queued('x1', '09:45:55', 'vq'), answered('x1', '09:46:00', 'a1')]);
    expect(m.query(all, '15m', now).sums).toMatchObject({ arrivals: 1, answered: 1, answeredWaitMs: 360_000, answeredInThreshold: 0 });
    expect(m.query(vq, '15m', now).sums).toMatchObject({ answeredWaitMs: 5_000, answeredInThreshold: 1 });
    expect(m.history(all, at('09:30:00'), at('09:45:00'), now).sums).toMatchObject({ arrivals: 1, answered: 0, transferredOut: 0 });
  });
});
