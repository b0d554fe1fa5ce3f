import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { engineApp, min, sec, T0 } from './engine-helpers.ts';

/**
 * Hand-computed KPI examples through the real engine (Redis + Lua) and the HTTP API, including the
 * null cases. T0 = 10:00 Asia/Shanghai.
 */
const config = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' as const },
    { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice' as const },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' as const },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'chat'] }],
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(now = T0 + min(30)) {
  const e = await engineApp({ now, config });
  app = e.app;
  return e;
}

const queued = (id: string, contactId: string, queue: string, ts: number, customerId?: string): ContractEventInput => ({
  id, type: 'contact.queued', ts, contactId, queue, channel: queue === 'chat' ? 'text' : 'voice', ...(customerId ? { customerId } : {}),
});
const answered = (id: string, contactId: string, agentId: string, ts: number): ContractEventInput => ({ id, type: 'contact.answered', ts, contactId, agentId });

async function metrics(query: string): Promise<MetricsResult> {
  const res = await app!.inject({ method: 'GET', url: `/api/v1/metrics?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as MetricsResult;
}

describe('KPI pack: hand examples', () => {
  it('gives null (never 0) for every ratio with an empty denominator', async () => {
    await setup();
    const r = await metrics('window=15m');
    expect(r.kpi).toMatchObject({
      ratings: 0, csat: null, csatMeanScore: null, ivrSelfServiceRate: null, botDiversionRate: null,
      botRecognitionRate: null, botResolutionRate: null, intelligentShare: null, transferRate: null,
      transferSuccessRate: null, dailyCallsPerAgent: null,
    });
    expect(r.kpi!.firstContactResolution).toEqual({ day: '2026-03-02', customers: 0, singleContact: 0, withoutCustomerId: 0, rate: null });
  });

  it('counts CSAT as 1 − dissatisfied ÷ ratings and the mean over 1–5 ratings only', async () => {
    const { ingest, clock } = await setup();
    const ratings: (1 | 2 | 3 | 4 | 5 | 'satisfied' | 'dissatisfied')[] = [5, 4, 2, 'satisfied', 'dissatisfied', 3];
    const res = await ingest(
      ratings.map((rating, i) => ({ id: `s${i}`, type: 'survey.rated', ts: T0 + min(20) + sec(i), contactId: `c${i}`, queue: 'cards', rating, via: 'sms' })),
    );
    expect(res.outcomes.every((o) => o.status === 'accepted')).toBe(true);
    clock.set(T0 + min(30));
    const r = await metrics('window=15m&queue=cards');
    expect(r.kpi!.ratings).toBe(6);
    expect(r.kpi!.dissatisfied).toBe(2);
    expect(r.kpi!.csat).toBeCloseTo(1 - 2 / 6, 12);
    expect(r.kpi!.csatMeanScore).toBeCloseTo((5 + 4 + 2 + 3) / 4, 12);
    // the voice channel and the group containing cards see them too, loans does not
    expect((await metrics('window=15m&channel=voice')).kpi!.ratings).toBe(6);
    expect((await metrics('window=15m&group=retail')).kpi!.ratings).toBe(6);
    expect((await metrics('window=15m&queue=loans')).kpi!.csat).toBeNull();
  });

  it('keeps only the first rating of a contact and ignores exact re-sends', async () => {
    const { ingest } = await setup();
    const first: ContractEventInput = { id: 's1', type: 'survey.rated', ts: T0 + min(20), contactId: 'c1', queue: 'cards', rating: 1, via: 'ivr' };
    const later: ContractEventInput = { id: 's2', type: 'survey.rated', ts: T0 + min(21), contactId: 'c1', queue: 'cards', rating: 5, via: 'app' };
    const out = await ingest([later, first, first]);
    expect(out.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'duplicate']);
    const r = await metrics('window=15m');
    expect(r.kpi!.ratings).toBe(1);
    expect(r.kpi!.csat).toBe(0);
  });

  it('computes IVR self-service, robot diversion, recognition, resolution and the intelligent-service share', async () => {
    const { ingest } = await setup();
    const t = T0 + min(20);
    await ingest([
      { id: 'i1a', type: 'ivr.entered', ts: t, sessionId: 'v1' },
      { id: 'i1b', type: 'ivr.exited', ts: t + sec(40), sessionId: 'v1', outcome: 'self_served' },
      { id: 'i2b', type: 'ivr.exited', ts: t + sec(50), sessionId: 'v2', outcome: 'to_agent' },
      { id: 'i3b', type: 'ivr.exited', ts: t + sec(60), sessionId: 'v3', outcome: 'hangup' },
      // a second exit of v1 with another id: the first exit wins
      { id: 'i1c', type: 'ivr.exited', ts: t + sec(70), sessionId: 'v1', outcome: 'to_agent' },
      { id: 'b1a', type: 'bot.started', ts: t, sessionId: 'r1', channel: 'text' },
      { id: 'b1b', type: 'bot.ended', ts: t + sec(90), sessionId: 'r1', channel: 'text', outcome: 'resolved', questions: 4, recognized: 3, unresolvedRated: 1 },
      { id: 'b2b', type: 'bot.ended', ts: t + sec(95), sessionId: 'r2', channel: 'text', outcome: 'to_agent', questions: 2, recognized: 1 },
      queued('q1', 'k1', 'cards', t + sec(51)),
      queued('q2', 'k2', 'chat', t + sec(96)),
      queued('q3', 'k3', 'chat', t + sec(97)),
    ]);
    const all = (await metrics('window=15m')).kpi!;
    expect(all.ivrSessions).toBe(3);
    expect(all.ivrSelfServiceRate).toBeCloseTo(1 - 1 / 3, 12);
    expect(all.botSessions).toBe(2);
    expect(all.botDiversionRate).toBeCloseTo(0.5, 12);
    expect(all.botRecognitionRate).toBeCloseTo(4 / 6, 12);
    expect(all.botResolutionRate).toBeCloseTo(1 - 1 / 4, 12);
    // robot-handled: v1 self-served + r1 resolved; inbound: v1, v3 (not handed over), r1, + 3 human contacts
    expect(all.robotHandled).toBe(2);
    expect(all.allInbound).toBe(2 + 1 + 3);
    expect(all.intelligentShare).toBeCloseTo(2 / 6, 12);
    const text = (await metrics('window=15m&channel=text')).kpi!;
    expect(text.ivrSessions).toBe(0);
    expect(text.intelligentShare).toBeCloseTo(1 / 3, 12);
    // robots have no queue: the share is not defined for a queue row
    expect((await metrics('window=15m&queue=chat')).kpi!.intelligentShare).toBeNull();
  });

  it('counts transfers per leg of the source queue and their success when the target leg is answered', async () => {
    const { ingest } = await setup();
    const t = T0 + min(20);
    await ingest([
      // k1: cards → loans (explicit transfer before an answer), answered in loans: success
      queued('a1', 'k1', 'cards', t),
      { id: 'a2', type: 'contact.transferred', ts: t + sec(10), contactId: 'k1', toQueue: 'loans' },
      queued('a3', 'k1', 'loans', t + sec(11)),
      answered('a4', 'k1', 'ag1', t + sec(30)),
      // k2: answered in cards, then the agent transfers it to loans, where the caller hangs up: failure
      queued('b1', 'k2', 'cards', t),
      answered('b2', 'k2', 'ag1', t + sec(5)),
      { id: 'b3', type: 'contact.transferred', ts: t + sec(100), contactId: 'k2', toQueue: 'loans' },
      queued('b4', 'k2', 'loans', t + sec(101)),
      { id: 'b5', type: 'contact.abandoned', ts: t + sec(140), contactId: 'k2' },
      // k3: plain answer in cards; k4: transferred to loans and still waiting there (unresolved)
      queued('c1', 'k3', 'cards', t),
      answered('c2', 'k3', 'ag2', t + sec(8)),
      queued('d1', 'k4', 'cards', t),
      queued('d2', 'k4', 'loans', t + sec(20)),
    ]);
    const cards = (await metrics('window=15m&queue=cards')).kpi!;
    expect(cards.transfers).toBe(3);
    expect(cards.transferRate).toBeCloseTo(3 / 4, 12);
    expect(cards.transfersResolved).toBe(2);
    expect(cards.transfersAnswered).toBe(1);
    expect(cards.transferSuccessRate).toBeCloseTo(0.5, 12);
    expect(cards.newContacts).toBe(4);
    const loans = (await metrics('window=15m&queue=loans')).kpi!;
    expect(loans.transfers).toBe(0);
    expect(loans.transferRate).toBe(0);
    expect(loans.transferSuccessRate).toBeNull();
    expect(loans.newContacts).toBe(0);
  });

  it('first-contact resolution counts customers per local day; contacts without customerId apart', async () => {
    const { ingest, clock } = await setup(T0 + min(30));
    const t = T0 + min(10);
    await ingest([
      queued('a', 'k1', 'cards', t, 'cust-A'),
      queued('b', 'k2', 'loans', t + sec(1), 'cust-A'),
      queued('c', 'k3', 'cards', t + sec(2), 'cust-B'),
      // a transfer of k3 inside the day is still one contact of B
      queued('c2', 'k3', 'loans', t + sec(30), 'cust-B'),
      queued('d', 'k4', 'chat', t + sec(3)),
      // yesterday (Shanghai): another day
      queued('e', 'k5', 'cards', T0 - min(10 * 60 + 5), 'cust-B'),
    ]);
    clock.set(T0 + min(30));
    const all = (await metrics('window=today')).kpi!.firstContactResolution!;
    expect(all).toEqual({ day: '2026-03-02', customers: 2, singleContact: 1, withoutCustomerId: 1, rate: 0.5 });
    const cards = (await metrics('window=60m&queue=cards')).kpi!.firstContactResolution!;
    expect(cards).toMatchObject({ customers: 2, singleContact: 2, rate: 1 });
    // the whole previous local day as a history range
    const from = '2026-03-01T00:00:00+08:00';
    const to = '2026-03-02T00:00:00+08:00';
    const y = (await metrics(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).kpi!.firstContactResolution;
    expect(y).toEqual({ day: '2026-03-01', customers: 1, singleContact: 1, withoutCustomerId: 0, rate: 1 });
    // a range that is not one whole day has no FCR
    const part = await metrics(`from=${encodeURIComponent('2026-03-02T09:00:00+08:00')}&to=${encodeURIComponent('2026-03-02T10:00:00+08:00')}`);
    expect(part.kpi!.firstContactResolution).toBeNull();
  });

  it('never returns a customerId from any API', async () => {
    const { ingest } = await setup();
    await ingest([queued('a', 'k1', 'cards', T0 + min(20), 'SECRET-CUSTOMER-HASH'), answered('b', 'k1', 'ag1', T0 + min(21))]);
    await ingest([{ id: 'st', type: 'agent.state', ts: T0, agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] }]);
    for (const url of ['/api/v1/metrics?window=today', '/api/v1/metrics?window=15m&queue=cards', '/api/v1/agents', '/api/v1/agents/scorecard',
      `/api/v1/intervals?from=${encodeURIComponent('2026-03-02T10:00:00+08:00')}&to=${encodeURIComponent('2026-03-02T10:30:00+08:00')}`]) {
      const res = await app!.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).not.toContain('SECRET-CUSTOMER-HASH');
    }
  });

  it('scores agents: handled today, logged-in time, 日人均话务处理量 and CSAT, per agent and per team', async () => {
    const { ingest, clock } = await setup(T0 + min(60));
    const day0 = T0 - min(60); // 09:00
    await ingest([
      { id: 'a1', type: 'agent.state', ts: day0, agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
      { id: 'a2', type: 'agent.state', ts: day0 + min(60), agentId: 'ag1', state: 'not_ready', reason: 'break' },
      { id: 'a3', type: 'agent.state', ts: day0 + min(90), agentId: 'ag1', state: 'logged_out' },
      { id: 'b1', type: 'agent.state', ts: day0 + min(30), agentId: 'ag2', state: 'available', team: 'A', queues: ['cards'] },
      queued('q1', 'k1', 'cards', T0 + min(1)),
      answered('q2', 'k1', 'ag1', T0 + min(2)),
      queued('q3', 'k2', 'cards', T0 + min(3)),
      answered('q4', 'k2', 'ag1', T0 + min(4)),
      queued('q5', 'k3', 'cards', T0 + min(5)),
      answered('q6', 'k3', 'ag2', T0 + min(6)),
      { id: 's1', type: 'survey.rated', ts: T0 + min(10), contactId: 'k1', rating: 1, via: 'sms' },
      { id: 's2', type: 'survey.rated', ts: T0 + min(10), contactId: 'k2', rating: 'satisfied', via: 'sms' },
      { id: 's3', type: 'survey.rated', ts: T0 + min(10), contactId: 'k3', rating: 4, via: 'app' },
    ]);
    clock.set(T0 + min(60));
    const res = await app!.inject({ method: 'GET', url: '/api/v1/agents/scorecard' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const ag1 = body.agents.find((a: { agentId: string }) => a.agentId === 'ag1');
    const ag2 = body.agents.find((a: { agentId: string }) => a.agentId === 'ag2');
    // ag1: logged in 09:00–10:30 = 90 min (break counts as logged in), 2 answered
    expect(ag1).toMatchObject({ handledToday: 2, loggedInSec: 90 * 60, ratings: 2, dissatisfied: 1, csat: 0.5, csatMeanScore: 1 });
    expect(ag1.dailyCallsPerAgent).toBeCloseTo(2 / (90 / 60 / 8), 9);
    // ag2: 09:30 → now (11:00) = 90 min, 1 answered
    expect(ag2).toMatchObject({ handledToday: 1, loggedInSec: 90 * 60, csat: 1, csatMeanScore: 4 });
    const teamA = body.teams.find((t: { team: string }) => t.team === 'A');
    expect(teamA).toMatchObject({ agents: 2, handledToday: 3, loggedInSec: 180 * 60, ratings: 3, dissatisfied: 1 });
    expect(teamA.dailyCallsPerAgent).toBeCloseTo(3 / (3 / 8), 9);
    expect(body.standardDayHours).toBe(8);
    // the center row's 日人均话务处理量 uses the same rule over the window
    const today = (await metrics('window=today')).kpi!;
    expect(today.dailyCallsPerAgent).toBeCloseTo(3 / (180 / 60 / 8), 9);
  });

  it('rejects malformed KPI events with a reason naming the field', async () => {
    await setup();
    const res = await app!.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        { id: 'x1', type: 'survey.rated', ts: T0 + min(20), contactId: 'c', rating: 6, via: 'sms' },
        { id: 'x2', type: 'bot.ended', ts: T0 + min(20), sessionId: 's', channel: 'text', outcome: 'resolved', questions: 1, recognized: 2 },
        { id: 'x3', type: 'ivr.exited', ts: T0 + min(20), sessionId: 's', outcome: 'to_human' },
        { id: 'x4', type: 'ivr.exited', ts: T0 + min(20), sessionId: 's', outcome: 'hangup' },
      ],
    });
    const body = res.json();
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'accepted']);
    expect(body.results[0].reason).toMatch(/rating/);
    expect(body.results[1].reason).toMatch(/recognized/);
    expect(body.results[2].reason).toMatch(/outcome/);
  });
});
