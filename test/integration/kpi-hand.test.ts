import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { engineApp, min, sec, T0 } from './engine-helpers.ts';

/**
 * KPI figures through the HTTP API against numbers computed by hand from the
 * definitions (README "KPI pack", SEMANTICS-KPI.md, ../shared/standards.md §4–5).
 * T0 = 2026-03-02 10:00 Asia/Shanghai; local midnight of 2026-03-02 = T0 − 10 h.
 */
const config = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' as const },
    { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice' as const },
    { id: 'vip', name: { zh: '贵宾', en: 'VIP' }, channel: 'voice' as const },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' as const },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'chat'] }],
  // configured, so the metrics API knows it before any agent of it is seen (its figures are then empty)
  teams: [{ id: 'X', name: { zh: 'X组', en: 'Team X' } }],
};

const MID = T0 - min(600); // 2026-03-02 00:00 Shanghai

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(now: number) {
  const e = await engineApp({ now, config });
  app = e.app;
  return e;
}

const queued = (id: string, contactId: string, queue: string, ts: number, customerId?: string): ContractEventInput => ({
  id, type: 'contact.queued', ts, contactId, queue, channel: queue === 'chat' ? 'text' : 'voice', ...(customerId ? { customerId } : {}),
});
const answered = (id: string, contactId: string, agentId: string, ts: number): ContractEventInput => ({ id, type: 'contact.answered', ts, contactId, agentId });
const transferred = (id: string, contactId: string, toQueue: string, ts: number): ContractEventInput => ({ id, type: 'contact.transferred', ts, contactId, toQueue });
const abandoned = (id: string, contactId: string, ts: number): ContractEventInput => ({ id, type: 'contact.abandoned', ts, contactId });

async function get<T = MetricsResult>(url: string): Promise<T> {
  const res = await app!.inject({ method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as T;
}
const metrics = (q: string) => get(`/api/v1/metrics?${q}`);
const enc = encodeURIComponent;

describe('KPI hand examples: transfers', () => {
  it('a contact transferred twice (cards → loans → vip, answered in vip), delivered reversed with re-sends', async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(20);
    const evs = [
      queued('a1', 'k1', 'cards', t),
      transferred('a2', 'k1', 'loans', t + sec(10)),
      queued('a3', 'k1', 'loans', t + sec(11)),
      transferred('a4', 'k1', 'vip', t + sec(20)),
      queued('a5', 'k1', 'vip', t + sec(21)),
      answered('a6', 'k1', 'ag1', t + sec(40)),
    ];
    await ingest([...evs].reverse());
    await ingest([evs[2]!, evs[0]!]);
    // by hand: legs cards(x), loans(x), vip(answered). transfers: cards 1, loans 1; closed legs 3.
    // transfer cards→loans: target leg loans closed transferred → resolved, not answered.
    // transfer loans→vip: target vip answered → resolved, answered.
    const all = (await metrics('window=15m')).kpi!;
    expect({ transfers: all.transfers, resolved: all.transfersResolved, answered: all.transfersAnswered, newContacts: all.newContacts }).toEqual({
      transfers: 2, resolved: 2, answered: 1, newContacts: 1,
    });
    expect(all.transferRate).toBeCloseTo(2 / 3, 12);
    expect(all.transferSuccessRate).toBeCloseTo(1 / 2, 12);
    const cards = (await metrics('window=15m&queue=cards')).kpi!;
    expect([cards.transfers, cards.transferRate, cards.transfersResolved, cards.transfersAnswered, cards.transferSuccessRate]).toEqual([1, 1, 1, 0, 0]);
    const loans = (await metrics('window=15m&queue=loans')).kpi!;
    expect([loans.transfers, loans.transferRate, loans.transfersResolved, loans.transfersAnswered, loans.transferSuccessRate]).toEqual([1, 1, 1, 1, 1]);
    const vip = (await metrics('window=15m&queue=vip')).kpi!;
    expect([vip.transfers, vip.transferRate, vip.transfersResolved, vip.transferSuccessRate]).toEqual([0, 0, 0, null]);
  });

  it('a survey arriving a day after the contact counts at the rating time, for the answering agent, on the day of the rating', async () => {
    const { ingest, clock } = await setup(T0 - min(60 * 24) + min(10));
    const y = T0 - min(60 * 24); // 2026-03-01 10:00
    await ingest([
      { id: 'st1', type: 'agent.state', ts: y - min(60), agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
      queued('q1', 'k1', 'cards', y),
      answered('q2', 'k1', 'ag1', y + sec(5)),
      { id: 'q3', type: 'contact.ended', ts: y + min(3), contactId: 'k1' },
      { id: 'q4', type: 'contact.wrapped', ts: y + min(4), contactId: 'k1' },
    ]);
    clock.set(T0 - min(60)); // 2026-03-02 09:00
    await ingest([{ id: 's1', type: 'survey.rated', ts: T0 - min(61), contactId: 'k1', rating: 2, via: 'sms' }]);
    clock.set(T0);
    const today = (await metrics('window=today&queue=cards')).kpi!;
    expect([today.ratings, today.dissatisfied, today.csat, today.csatMeanScore]).toEqual([1, 1, 0, 2]);
    const yesterday = (await metrics(`from=${enc('2026-03-01T00:00:00+08:00')}&to=${enc('2026-03-02T00:00:00+08:00')}&queue=cards`)).kpi!;
    expect([yesterday.ratings, yesterday.csat]).toEqual([0, null]);
    const sc = await get<{ agents: { agentId: string; ratings: number; dissatisfied: number; csat: number | null; handledToday: number }[] }>('/api/v1/agents/scorecard');
    const ag1 = sc.agents.find((a) => a.agentId === 'ag1')!;
    expect({ ratings: ag1.ratings, dissatisfied: ag1.dissatisfied, csat: ag1.csat, handledToday: ag1.handledToday }).toEqual({
      ratings: 1, dissatisfied: 1, csat: 0, handledToday: 0,
    });
  });

  it('FCR: calls just before and just after local midnight fall into two days', async () => {
    const { ingest, clock } = await setup(MID + min(10));
    await ingest([
      queued('a', 'k1', 'cards', MID - 1, 'cust-X'), // 23:59:59.999 on 03-01
      queued('b', 'k2', 'cards', MID, 'cust-X'), // 00:00:00.000 on 03-02
      queued('c', 'k3', 'loans', MID + min(1), 'cust-Y'),
      queued('d', 'k4', 'loans', MID + min(2), 'cust-Y'),
      queued('e', 'k5', 'cards', MID - min(5), 'cust-Z'),
      queued('f', 'k6', 'cards', MID - min(3)),
    ]);
    clock.set(MID + min(10));
    const today = (await metrics('window=15m')).kpi!.firstContactResolution;
    expect(today).toEqual({ day: '2026-03-02', customers: 2, singleContact: 1, withoutCustomerId: 0, rate: 0.5 });
    const yday = (await metrics(`from=${enc('2026-03-01T00:00:00+08:00')}&to=${enc('2026-03-02T00:00:00+08:00')}`)).kpi!.firstContactResolution;
    expect(yday).toEqual({ day: '2026-03-01', customers: 2, singleContact: 2, withoutCustomerId: 1, rate: 1 });
    const ydayCards = (await metrics(`from=${enc('2026-03-01T00:00:00+08:00')}&to=${enc('2026-03-02T00:00:00+08:00')}&queue=cards`)).kpi!.firstContactResolution;
    expect(ydayCards).toEqual({ day: '2026-03-01', customers: 2, singleContact: 2, withoutCustomerId: 1, rate: 1 });
  });

  it('robot sessions without questions: recognition and resolution are null, diversion and share are defined', async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(20);
    await ingest([
      { id: 'b1', type: 'bot.started', ts: t, sessionId: 'r1', channel: 'text' },
      { id: 'b2', type: 'bot.ended', ts: t + sec(30), sessionId: 'r1', channel: 'text', outcome: 'resolved' },
      { id: 'b3', type: 'bot.ended', ts: t + sec(40), sessionId: 'r2', channel: 'text', outcome: 'abandoned', questions: 0 },
      // started only: not counted
      { id: 'b4', type: 'bot.started', ts: t + sec(50), sessionId: 'r3', channel: 'text' },
    ]);
    const text = (await metrics('window=15m&channel=text')).kpi!;
    expect({
      botSessions: text.botSessions, div: text.botDiversionRate, rec: text.botRecognitionRate, res: text.botResolutionRate,
      robotHandled: text.robotHandled, allInbound: text.allInbound, share: text.intelligentShare,
    }).toEqual({ botSessions: 2, div: 1, rec: null, res: null, robotHandled: 1, allInbound: 2, share: 0.5 });
    const voice = (await metrics('window=15m&channel=voice')).kpi!;
    expect([voice.botSessions, voice.botDiversionRate, voice.ivrSelfServiceRate, voice.intelligentShare]).toEqual([0, null, null, null]);
  });

  it('15-minute intervals: KPI sums land in the interval of their placing time; empty intervals give null ratios', async () => {
    const { ingest } = await setup(T0 + min(50));
    await ingest([
      queued('a1', 'k1', 'cards', T0 + min(14)),
      transferred('a2', 'k1', 'loans', T0 + min(14) + sec(59)),
      queued('a3', 'k1', 'loans', T0 + min(15)),
      answered('a4', 'k1', 'ag1', T0 + min(31)),
      { id: 's1', type: 'survey.rated', ts: T0 + min(44), contactId: 'k1', rating: 5, via: 'ivr' },
    ]);
    const body = await get<{ rows: MetricsResult[] }>(`/api/v1/intervals?queue=cards&from=${enc('2026-03-02T10:00:00+08:00')}&to=${enc('2026-03-02T11:00:00+08:00')}`);
    const k = body.rows.map((r) => r.kpi!);
    expect(k.map((x) => [x.transfers, x.transfersResolved, x.transferSuccessRate, x.newContacts])).toEqual([
      [1, 0, null, 1],
      [0, 0, null, 0],
      [0, 1, 1, 0],
      [0, 0, null, 0],
    ]);
    // the survey names no queue: it follows the last answered leg, loans
    const loans = await get<{ rows: MetricsResult[] }>(`/api/v1/intervals?queue=loans&from=${enc('2026-03-02T10:00:00+08:00')}&to=${enc('2026-03-02T11:00:00+08:00')}`);
    expect(loans.rows.map((r) => [r.kpi!.ratings, r.kpi!.csat, r.kpi!.csatMeanScore])).toEqual([
      [0, null, null], [0, null, null], [1, 1, 5], [0, null, null],
    ]);
    for (const r of body.rows) {
      expect(r.kpi!.firstContactResolution).toBeNull();
      expect(r.kpi!.csat).toBeNull();
    }
  });
});

describe('KPI hand examples: surveys, FCR, robots, intervals, scorecard', () => {
  it('agent transfer back into the same queue, label-only ratings, and a team filter', async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(16);
    await ingest([
      queued('a1', 'k1', 'cards', t),
      answered('a2', 'k1', 'ag1', t + sec(5)),
      queued('a3', 'k1', 'cards', t + min(2)),
      answered('a4', 'k1', 'ag2', t + min(3)),
      { id: 's1', type: 'survey.rated', ts: t + min(5), contactId: 'k1', rating: 'neutral', via: 'sms' },
      { id: 's2', type: 'survey.rated', ts: t + min(4), contactId: 'k1', rating: 'dissatisfied', via: 'sms' },
    ]);
    const cards = (await metrics('window=15m&queue=cards')).kpi!;
    expect([cards.transfers, cards.transferRate, cards.transfersResolved, cards.transferSuccessRate, cards.newContacts]).toEqual([1, 0.5, 1, 1, 1]);
    expect([cards.ratings, cards.dissatisfied, cards.csat, cards.csatMeanScore]).toEqual([1, 1, 0, null]);
    const team = (await metrics('window=15m&team=X')).kpi!;
    expect(team.dailyCallsPerAgent).toBeNull();
  });

  it('scorecard: logged-in time from local midnight, a logout and login, a survey naming another agent', async () => {
    const { ingest, clock } = await setup(T0);
    await ingest([
      { id: 'p1', type: 'agent.state', ts: MID - min(120), agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
      { id: 'p2', type: 'agent.state', ts: MID + min(60), agentId: 'ag1', state: 'logged_out' },
      { id: 'p3', type: 'agent.state', ts: MID + min(480), agentId: 'ag1', state: 'available' },
      { id: 'p4', type: 'agent.state', ts: MID + min(500), agentId: 'ag2', state: 'not_ready', reason: 'break', team: 'B', queues: ['cards'] },
      queued('q1', 'k1', 'cards', MID - min(1)),
      answered('q2', 'k1', 'ag1', MID - sec(1)), // yesterday
      queued('q3', 'k2', 'cards', MID + min(10)),
      answered('q4', 'k2', 'ag1', MID + min(11)),
      { id: 's1', type: 'survey.rated', ts: MID + min(30), contactId: 'k1', rating: 4, via: 'sms' },
      { id: 's2', type: 'survey.rated', ts: MID + min(31), contactId: 'k2', rating: 2, via: 'sms', agentId: 'ag2' },
    ]);
    clock.set(T0); // 10:00
    const sc = await get<{ agents: Record<string, unknown>[]; teams: Record<string, unknown>[] }>('/api/v1/agents/scorecard');
    const ag1 = sc.agents.find((a) => a.agentId === 'ag1')!;
    const ag2 = sc.agents.find((a) => a.agentId === 'ag2')!;
    // ag1: 00:00–01:00 and 08:00–10:00 = 180 min; handled today 1 (k2); rating of k1 (answered yesterday) today: 4
    expect(ag1).toMatchObject({ handledToday: 1, loggedInSec: 180 * 60, ratings: 1, dissatisfied: 0, csat: 1, csatMeanScore: 4 });
    expect(ag1.dailyCallsPerAgent as number).toBeCloseTo(1 / (3 / 8), 12);
    // ag2: 08:20–10:00 = 100 min, no contact; the rating names it
    expect(ag2).toMatchObject({ handledToday: 0, loggedInSec: 100 * 60, ratings: 1, dissatisfied: 1, csat: 0, csatMeanScore: 2, dailyCallsPerAgent: 0 });
    const teamA = sc.teams.find((x) => x.team === 'A')!;
    expect(teamA).toMatchObject({ agents: 1, handledToday: 1, loggedInSec: 180 * 60, ratings: 1 });
  });
});

describe('KPI rating placement', () => {
  it('a survey delivered before its queue (known only from events) counts in its channel row once the contact teaches it (control)', async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(20);
    // out of order: the survey (naming its queue, no channel) reaches the server before the contact's events
    await ingest([{ id: 's1', type: 'survey.rated', ts: t + min(5), contactId: 'k1', queue: 'mobile', rating: 1, via: 'sms' }]);
    await ingest([
      { id: 'q1', type: 'contact.queued', ts: t, contactId: 'k1', queue: 'mobile', channel: 'video' },
      { id: 'q2', type: 'contact.answered', ts: t + sec(10), contactId: 'k1', agentId: 'ag1' },
    ]);
    // by hand: the queue's channel is video (SEMANTICS-KPI.md: "Dimensions: the queue's"), so the video
    // row has the one rating, like the queue row and the center row
    expect((await metrics('window=15m')).kpi!.ratings).toBe(1);
    expect((await metrics('window=15m&queue=mobile')).kpi!.ratings).toBe(1);
    expect((await metrics('window=15m&channel=video')).kpi!.ratings).toBe(1);
  });
});

describe('KPI transfers after an answer, ratings of unseen queues', () => {
  it("an agent's transfer after answering is a transfer, resolved when its target leg is answered", async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(20);
    await ingest([
      queued('b1', 'k2', 'cards', t),
      { id: 'b2', type: 'contact.answered', ts: t + sec(5), contactId: 'k2', agentId: 'ag1' },
      { id: 'b3', type: 'contact.transferred', ts: t + sec(100), contactId: 'k2', toQueue: 'loans' },
      queued('b4', 'k2', 'loans', t + sec(101)),
      { id: 'b5', type: 'contact.answered', ts: t + sec(140), contactId: 'k2', agentId: 'ag2' },
    ]);
    const cards = (await metrics('window=15m&queue=cards')).kpi!;
    // the registry's 转接率 text: 接通后由座席转出的也计为转接
    expect({ transfers: cards.transfers, transfersResolved: cards.transfersResolved, transferSuccessRate: cards.transferSuccessRate })
      .toEqual({ transfers: 1, transfersResolved: 1, transferSuccessRate: 1 });
  });

  it('a survey naming a queue first seen in events, whose channel another contact teaches later, stays out of the channel row (README: a known limit)', async () => {
    const { ingest } = await setup(T0 + min(30));
    const t = T0 + min(20);
    // k1's survey names the queue (no channel); k1's own contact events never come (lost by the ACD adapter)
    await ingest([{ id: 's1', type: 'survey.rated', ts: t + min(5), contactId: 'k1', queue: 'mobile', rating: 1, via: 'sms' }]);
    // another contact teaches the queue's channel: video
    await ingest([{ id: 'q1', type: 'contact.queued', ts: t + min(6), contactId: 'k2', queue: 'mobile', channel: 'video' }]);
    // the rating's dimensions were fixed when it was stored, before the queue had a channel
    expect((await metrics('window=15m&queue=mobile')).kpi!.ratings).toBe(1);
    expect((await metrics('window=15m')).kpi!.ratings).toBe(1);
    expect((await metrics('window=15m&channel=video')).kpi!.ratings).toBe(0);
  });
});
