import { afterEach, describe, expect, it } from 'vitest';
import { metricsResult, type MetricsResult } from '../../shared/contract/metrics-api.ts';
import { cardsAndChatConfig, engineApp, T0, sec, min } from './engine-helpers.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const tokens = [
  { token: 'ingest-token-0123456789', role: 'ingest' as const, name: 'acd' },
  { token: 'display-token-0123456789', role: 'display' as const, name: 'wall' },
];

async function setup(withTokens = false) {
  const h = await engineApp({
    now: T0,
    config: {
      queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice', serviceLevelThresholdSec: 15 }],
      groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards'] }],
      ...(withTokens ? { tokens } : {}),
    },
  });
  cleanup = () => h.app.close();
  const t = T0 - min(50);
  await h.ingest([
    { id: '1q', type: 'contact.queued', ts: t, contactId: 'c1', queue: 'cards', channel: 'voice' },
    { id: '1a', type: 'contact.answered', ts: t + sec(10), contactId: 'c1', agentId: 'ag1' },
    { id: '2q', type: 'contact.queued', ts: T0 - min(5), contactId: 'c2', queue: 'cards', channel: 'voice' },
    { id: '2b', type: 'contact.abandoned', ts: T0 - min(4), contactId: 'c2' },
    { id: 's1', type: 'agent.state', ts: T0 - min(40), agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'], name: '李四' },
    { id: 's2', type: 'agent.state', ts: T0 - min(30), agentId: 'ag2', state: 'not_ready', reason: 'break', team: 'B', queues: ['cards'] },
  ]);
  return h;
}

describe('GET /api/v1/metrics, /intervals, /agents, /registry', () => {
  it('serves rolling windows and today exactly as the engine computes them', async () => {
    const h = await setup();
    const res = await h.app.inject({ url: '/api/v1/metrics?queue=cards&window=15m' });
    expect(res.statusCode).toBe(200);
    const body = metricsResult.parse(res.json());
    expect(body).toEqual(await h.engine.query({ center: 'default', scope: { kind: 'queue', queue: 'cards' } }, '15m', T0));
    expect(body).toMatchObject({ queue: 'cards', window: '15m', thresholdSec: 15, offered: 1, abandoned: 1, serviceLevel: 0, waiting: 0 });
    const hour = (await h.app.inject({ url: '/api/v1/metrics?group=retail&window=60m' })).json();
    expect(hour).toMatchObject({ group: 'retail', offered: 2, answered: 1, answeredInThreshold: 1, serviceLevel: 0.5, asaSec: 10 });
    // default window is 15m; team narrows agents
    const def = (await h.app.inject({ url: '/api/v1/metrics?team=B' })).json();
    expect(def).toMatchObject({ window: '15m', team: 'B', agents: { loggedIn: 1, notReady: 1 }, utilization: 0 });
    const today = (await h.app.inject({ url: '/api/v1/metrics?channel=voice&window=today' })).json();
    expect(today).toMatchObject({ channel: 'voice', window: 'today', from: '2026-03-01T16:00:00.000Z', offered: 2 });
  });

  it('serves 15-minute aligned history and rejects bad ranges with a reason', async () => {
    const h = await setup();
    const from = new Date(T0 - min(60)).toISOString();
    const to = new Date(T0).toISOString();
    const res = await h.app.inject({ url: `/api/v1/metrics?queue=cards&from=${from}&to=${to}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ window: null, from, to, offered: 2, waiting: null, agents: null });
    const bad = async (qs: string, message: RegExp) => {
      const r = await h.app.inject({ url: `/api/v1/metrics?${qs}` });
      expect(r.statusCode).toBe(400);
      expect(r.json().message).toMatch(message);
    };
    await bad(`from=2026-03-02T01:05:00Z&to=${to}`, /15-minute boundaries/);
    await bad(`from=2026-01-01T00:00:00Z&to=${to}`, /retention/);
    await bad(`from=${to}&to=${from}`, /after from/);
    await bad(`from=${from}&to=2026-03-02T03:00:00Z`, /current interval/);
    await bad(`from=${from}`, /from and to go together/);
    await bad(`window=15m&from=${from}&to=${to}`, /either window or from\/to/);
    await bad('window=2h', /window/);
    await bad('queue=cards&channel=voice', /at most one of queue, group, channel/);
    await bad('queu=cards', /queu/);
    await bad('center={evil}', /center/);
  });

  it('answers 404 for a center neither configured nor seen in events, and serves one seen only in events', async () => {
    const h = await setup();
    const from = new Date(T0 - min(60) - (T0 % min(15))).toISOString();
    const to = new Date(T0 - (T0 % min(15))).toISOString();
    for (const url of ['/api/v1/metrics?center=defualt&window=15m', `/api/v1/intervals?center=defualt&from=${from}&to=${to}`, '/api/v1/agents?center=defualt']) {
      const r = await h.app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json(), url).toEqual({ error: 'not_found', message: expect.stringMatching(/^center: unknown center "defualt"/) });
    }
    // a center that only producers know (not in the config) is known from its first event
    await h.ingest([{ id: 'b1', type: 'contact.queued', ts: T0 - min(3), contactId: 'b-c1', queue: 'loans', channel: 'voice', center: 'branch-2' }]);
    const r = await h.app.inject({ url: '/api/v1/metrics?center=branch-2&window=15m' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ center: 'branch-2', waiting: 1 });
  });

  it('answers 404 for a team neither configured nor on any agent, and serves one seen only on agents', async () => {
    const h = await setup();
    const from = new Date(T0 - min(60) - (T0 % min(15))).toISOString();
    const to = new Date(T0 - (T0 % min(15))).toISOString();
    for (const url of ['/api/v1/metrics?team=Z&window=15m', `/api/v1/intervals?team=Z&from=${from}&to=${to}`]) {
      const r = await h.app.inject({ url });
      expect(r.statusCode, url).toBe(404);
      expect(r.json(), url).toEqual({ error: 'not_found', message: expect.stringMatching(/^team: unknown team "Z"/) });
    }
    // team A is in no config, only on agent ag1's state events
    const r = await h.app.inject({ url: '/api/v1/metrics?team=A&window=15m' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().agents).toMatchObject({ loggedIn: 1, available: 1 });
    // a list filter keeps answering the empty list
    expect((await h.app.inject({ url: '/api/v1/agents?team=Z' })).json()).toEqual([]);
  });

  it('lists 15-minute rows as JSON and CSV', async () => {
    const h = await setup();
    const from = new Date(T0 - min(60)).toISOString();
    const to = new Date(T0).toISOString();
    const json = await h.app.inject({ url: `/api/v1/intervals?queue=cards&from=${from}&to=${to}` });
    expect(json.statusCode).toBe(200);
    const rows = json.json().rows as { from: string; offered: number; answered: number }[];
    expect(rows.map((r) => [r.from, r.offered, r.answered])).toEqual([
      ['2026-03-02T01:00:00.000Z', 1, 1],
      ['2026-03-02T01:15:00.000Z', 0, 0],
      ['2026-03-02T01:30:00.000Z', 0, 0],
      ['2026-03-02T01:45:00.000Z', 1, 0],
    ]);
    const csv = await h.app.inject({ url: `/api/v1/intervals?queue=cards&from=${from}&to=${to}&format=csv` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    // UTF-8 with a byte-order mark, or Excel on a Chinese Windows reads it as GBK
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    const lines = csv.body.slice(1).trim().split('\n');
    expect(lines).toHaveLength(5);
    const header = lines[0]!.split(',');
    expect(header.slice(0, 5)).toEqual(['from', 'to', 'fromLocal', 'arrivals', 'offered']);
    const first = Object.fromEntries(lines[1]!.split(',').map((v, i) => [header[i], v]));
    // fromLocal: the interval's start on the center's wall clock (Asia/Shanghai, UTC+8)
    expect(first).toMatchObject({ from: '2026-03-02T01:00:00.000Z', fromLocal: '2026-03-02 09:00', offered: '1', answered: '1', serviceLevel: '1', asaSec: '10', avgTalkSec: '' });
    // the KPI pack's figures ride along, as in the JSON rows (null → empty cell)
    const jsonKpi = (json.json().rows as { kpi?: { transfers: number; transferRate: number | null; csat: number | null } }[])[0]!.kpi!;
    expect(header).toEqual(expect.arrayContaining(['kpi.csat', 'kpi.transferRate', 'kpi.botResolutionRate']));
    expect(first['kpi.transfers']).toBe(String(jsonKpi.transfers));
    expect(first['kpi.transferRate']).toBe(jsonKpi.transferRate === null ? '' : String(jsonKpi.transferRate));
    expect(first['kpi.csat']).toBe('');
    expect((await h.app.inject({ url: '/api/v1/intervals?queue=cards&window=15m' })).statusCode).toBe(400);
    expect((await h.app.inject({ url: `/api/v1/intervals?from=${from}&to=${to}&format=xml` })).statusCode).toBe(400);
  });

  it('lists agents without customer data and validates filters', async () => {
    const h = await setup();
    const res = await h.app.inject({ url: '/api/v1/agents?queue=cards' });
    expect(res.json()).toEqual([
      { agentId: 'ag1', name: '李四', state: 'available', reason: null, since: new Date(T0 - min(40)).toISOString(), team: 'A', queues: ['cards'], handledToday: 1 },
      { agentId: 'ag2', name: null, state: 'not_ready', reason: 'break', since: new Date(T0 - min(30)).toISOString(), team: 'B', queues: ['cards'], handledToday: 0 },
    ]);
    expect((await h.app.inject({ url: '/api/v1/agents?state=not_ready' })).json().map((r: { agentId: string }) => r.agentId)).toEqual(['ag2']);
    expect((await h.app.inject({ url: '/api/v1/agents?state=sleeping' })).statusCode).toBe(400);
    expect(res.body).not.toMatch(/c1|c2/);
  });

  it('serves the metric registry for the ⓘ texts', async () => {
    const h = await setup();
    const res = await h.app.inject({ url: '/api/v1/registry' });
    expect(res.statusCode).toBe(200);
    const ids = (res.json().metrics as { id: string }[]).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['serviceLevel', 'answerRate', 'occupancy', 'utilization', 'waiting']));
    expect(res.json().windows.leave.zh).toBeTruthy();
  });

  it('needs a display (or higher) token once tokens are configured', async () => {
    const h = await setup(true);
    expect((await h.app.inject({ url: '/api/v1/metrics' })).statusCode).toBe(401);
    expect((await h.app.inject({ url: '/api/v1/agents', headers: { authorization: 'Bearer ingest-token-0123456789' } })).statusCode).toBe(403);
    const ok = await h.app.inject({ url: '/api/v1/metrics', headers: { authorization: 'Bearer display-token-0123456789' } });
    expect(ok.statusCode).toBe(200);
  });
});

describe('GET /api/v1/metrics and /intervals with a team', () => {
  // Team A's two agents serve different queues (cards: voice, chat: text); team B's agent serves
  // cards too. Agent figures are kept per team and per queue, never per both.
  async function teamSetup() {
    const h = await engineApp({ now: T0, config: cardsAndChatConfig });
    cleanup = () => h.app.close();
    await h.ingest([
      { id: 'a1', type: 'agent.state', ts: T0 - min(40), agentId: 'agA1', state: 'available', team: 'A', queues: ['cards'] },
      { id: 'a2', type: 'agent.state', ts: T0 - min(30), agentId: 'agA2', state: 'on_contact', team: 'A', queues: ['chat'] },
      { id: 'b1', type: 'agent.state', ts: T0 - min(35), agentId: 'agB1', state: 'available', team: 'B', queues: ['cards'] },
      { id: 'b2', type: 'agent.state', ts: T0 - min(20), agentId: 'agB1', state: 'not_ready', reason: 'break' },
      { id: 'a3', type: 'agent.state', ts: T0 - min(10), agentId: 'agA1', state: 'acw' },
      { id: 'q1', type: 'contact.queued', ts: T0 - min(5), contactId: 'k1', queue: 'cards', channel: 'voice' },
    ]);
    return h;
  }

  it('refuses team together with queue, group or channel, naming the fields', async () => {
    const h = await teamSetup();
    const from = new Date(T0 - min(60)).toISOString();
    const to = new Date(T0).toISOString();
    for (const url of [
      '/api/v1/metrics?team=A&queue=cards&window=30m',
      '/api/v1/metrics?team=A&group=retail',
      '/api/v1/metrics?team=A&channel=text&window=today',
      `/api/v1/metrics?team=A&queue=chat&from=${from}&to=${to}`,
      `/api/v1/intervals?team=A&queue=cards&from=${from}&to=${to}`,
      `/api/v1/intervals?team=A&channel=voice&from=${from}&to=${to}&format=csv`,
    ]) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual({
        error: 'bad_request',
        message: expect.stringMatching(/team cannot be combined with queue\/group\/channel: agent figures are kept per team and per queue, not per both/),
      });
    }
    // each alone still answers
    expect((await h.app.inject({ url: '/api/v1/metrics?queue=cards&window=30m' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: `/api/v1/intervals?team=A&from=${from}&to=${to}` })).statusCode).toBe(200);
  });

  it('team alone: the team’s own agent figures, summed by hand over agents who serve different queues', async () => {
    const h = await teamSetup();
    const res = await h.app.inject({ url: '/api/v1/metrics?team=A&window=30m' });
    expect(res.statusCode).toBe(200);
    const a = metricsResult.parse(res.json());
    // window [T0−30m, T0): agA1 available 20 min then ACW 10 min; agA2 on contact 30 min
    expect(a).toMatchObject({ team: 'A', queue: null, channel: null, group: null });
    expect(a.agents).toEqual({ loggedIn: 2, available: 0, ringing: 0, onContact: 1, hold: 0, acw: 1, notReady: 0 });
    expect(a.stateTimeSec).toMatchObject({ available: 1200, acw: 600, on_contact: 1800, not_ready: 0, hold: 0, ringing: 0 });
    expect(a.occupancy).toBeCloseTo((1800 + 600) / (1800 + 600 + 1200), 10);
    expect(a.utilization).toBe(1);
    // not the figures of either queue its agents serve
    const cards = (await h.app.inject({ url: '/api/v1/metrics?queue=cards&window=30m' })).json() as MetricsResult;
    expect(cards.agents).toMatchObject({ loggedIn: 2, acw: 1, notReady: 1 });
    expect(cards.stateTimeSec).toMatchObject({ available: 1800, acw: 600, not_ready: 1200 });
    // team B: agB1 available 10 min then not ready 20 min
    const b = (await h.app.inject({ url: '/api/v1/metrics?team=B&window=30m' })).json() as MetricsResult;
    expect(b.agents).toMatchObject({ loggedIn: 1, notReady: 1, available: 0 });
    expect(b.stateTimeSec).toMatchObject({ available: 600, not_ready: 1200 });
    expect(b.utilization).toBeCloseTo(600 / 1800, 10);
  });
});
