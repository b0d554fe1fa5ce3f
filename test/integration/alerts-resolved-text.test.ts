import { describe, expect, it } from 'vitest';
import { notificationChannel, type Alert, type NotificationChannel } from '../../shared/contract/alerts.ts';
import { buildRequest, emailContent, type Notification } from '../../server/alerts/notify/payloads.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, oneHook, scopedReceiver, sec, spreadArrivals, T, waitingRule, week } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
type App = Awaited<ReturnType<typeof alertsApp>>;

const list = async (h: App, query = '') => (await h.app.inject({ url: `/api/v1/alerts${query}`, headers: auth('display') })).json().alerts as Alert[];
const history = async (h: App, to: number) =>
  (
    await h.app.inject({
      url: `/api/v1/alerts/history?from=${new Date(T - week).toISOString()}&to=${new Date(to + 1000).toISOString()}`,
      headers: auth('lead'),
    })
  ).json().entries as { type: string; alert: Alert }[];

/** every notification the service hands to its dispatcher, from now on */
function capture(h: App): Notification[] {
  const seen: Notification[] = [];
  const d = h.app.alerts.dispatcher;
  const enqueue = d.enqueue.bind(d);
  d.enqueue = (channel, n) => {
    seen.push(n);
    enqueue(channel, n);
  };
  return seen;
}

const robots = ['wecom', 'dingtalk', 'feishu'].map((type) => notificationChannel.parse({ id: type, type, url: `https://robot.example/${type}?key=k` }));
/** what a person reads of notification `n` on each robot and in the email */
function textsPeopleRead(n: Notification): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ch of robots) out[ch.type] = buildRequest(ch as Exclude<NotificationChannel, { type: 'email' }>, n, T).body;
  const mail = emailContent(n);
  out.email = `${mail.subject}\n${mail.text}`;
  return out;
}

// Found in review (operator): "Resolved" notifications quoted the last breaching figure —
// `告警已恢复【预警】最长等待 71秒，高于阈值 60秒` while the alert's value at resolution was 0.921 — so a
// manager read "recovered, above threshold". The resolve step stored the new value but kept the
// text of the last refresh, and every channel and the history quoted that text.
describe('a resolved alert quotes the figure that resolved it', () => {
  it('longest wait: robots, webhook JSON, email, the API record and the history say "now 0s (threshold 60s)"', async () => {
    const rx = await scopedReceiver(cleanups);
    const h = await alertsApp({
      config: baseConfig({
        rules: [{ id: 'lw', metric: 'longestWaitSec', scope: { center: 'default', queue: 'q1' }, comparator: 'gt', warning: 60, critical: 120, clear: 45, sustainedForSec: 0 }],
        ...oneHook(rx.base),
      }),
    });
    cleanups.push(() => h.app.close());
    const sent = capture(h);
    const ids = await h.queue('q1', 1);
    expect((await h.evaluateAt(T + sec(61))).raised).toBe(1);
    await h.evaluateAt(T + sec(71)); // refreshed: the text now quotes 71 s, above 60 s
    expect((await list(h))[0]!.message.zh).toContain('最长等待 71秒，高于阈值 60秒');
    h.clock.set(T + sec(72));
    await h.abandon(ids);
    expect((await h.evaluateAt(T + sec(75))).resolved).toBe(1);
    await h.app.alerts.dispatcher.drain();

    const [record] = await list(h, '?state=resolved');
    expect(record).toMatchObject({ state: 'resolved', value: 0, threshold: 60 });
    const now = { zh: '最长等待：现 0秒（阈值 60秒）', en: 'Longest wait: now 0s (threshold 60s)' };
    expect(record!.message.zh).toMatch(new RegExp(`^【预警】${now.zh} — `));
    expect(record!.message.en).toMatch(new RegExp(`^\\[Warning\\] ${escape(now.en)} — `));
    expect(record!.headline).toEqual({ zh: `${now.zh} — 队列 一`, en: `${now.en} — queue one` });

    const resolvedEntry = (await history(h, T + sec(75))).find((e) => e.type === 'resolved');
    expect(resolvedEntry!.alert.message).toEqual(record!.message);
    expect(resolvedEntry!.alert.headline).toEqual(record!.headline);

    const hook = rx.received.map((r) => JSON.parse(r.body) as { event: string; alert: Alert }).find((b) => b.event === 'alert.resolved');
    expect(hook!.alert).toMatchObject({ value: 0, message: record!.message, headline: record!.headline });

    const resolved = sent.filter((n) => n.kind === 'resolved');
    expect(resolved).toHaveLength(1);
    for (const [channel, text] of Object.entries(textsPeopleRead(resolved[0]!))) {
      expect(text, channel).toContain(`告警已恢复【预警】${now.zh} — 队列 一`);
      expect(text, channel).toContain(`Resolved [Warning]: ${now.en} — queue one`);
      expect(text, channel).not.toMatch(/71秒|71s|高于阈值|above threshold/);
    }
  });

  it('traffic spike: the ratio at resolution (1.15×, below the clear level 1.20×), not the last one in the band (1.21×)', async () => {
    const h = await alertsApp({
      config: baseConfig({
        rules: [{ id: 'spike', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: 0 }],
        spike: { baselineWeeks: 3, method: 'median', minWeeks: 2, minBaselineArrivals: 20 },
      }),
    });
    cleanups.push(() => h.app.close());
    const arrivals = spreadArrivals(h);
    for (let k = 1; k <= 3; k++) for (let j = -1; j <= 1; j++) await arrivals(T - k * week + min(15 * j), 100);
    await arrivals(T - min(15), 140);
    expect((await h.evaluateAt(T)).raised).toBe(1);
    await arrivals(T, 121);
    await h.evaluateAt(T + min(15)); // 1.21×: inside the band, still open
    expect((await list(h))[0]!.message.zh).toContain('1.21 倍');
    await arrivals(T + min(15), 115);
    expect((await h.evaluateAt(T + min(30))).resolved).toBe(1);

    const [record] = await list(h, '?state=resolved');
    expect(record).toMatchObject({ value: 1.15 });
    expect(record!.headline!.zh).toBe('话务回落：近15分钟进线 115，为同期基线 100 的 1.15 倍（+15%，阈值 1.30 倍）');
    expect(record!.headline!.en).toBe('Traffic back down: 115 arrivals in the last 15 min, 1.15× the baseline of 100 (+15%, threshold 1.30×)');
  });
});

describe('resolved texts follow the alert as the resolve step found it', () => {
  it('an alert turned critical by an overlapping evaluation after this one read it resolves with the critical texts', async () => {
    const rx = await scopedReceiver(cleanups);
    const h = await alertsApp({ config: baseConfig({ rules: [waitingRule({ sustainedForSec: 0 })], ...oneHook(rx.base) }) });
    cleanups.push(() => h.app.close());
    const ids = await h.queue('q1', 3);
    expect((await h.evaluateAt(T)).raised).toBe(1);
    const [warning] = await list(h);
    ids.push(...(await h.queue('q1', 2)));
    await h.evaluateAt(T + sec(5));
    expect((await list(h))[0]).toMatchObject({ severity: 'critical', threshold: 4 });
    await h.abandon(ids);
    // the resolve step's read of the alert returns it as it was before the upgrade
    const store = h.app.alerts.store;
    const read = store.alert.bind(store);
    store.alert = async (id) => (id === warning!.id ? ((store.alert = read), { ...warning! }) : read(id));
    expect((await h.evaluateAt(T + sec(10))).resolved).toBe(1);
    await h.app.alerts.dispatcher.drain();

    const [record] = await list(h, '?state=resolved');
    expect(record).toMatchObject({ severity: 'critical', threshold: 4, value: 0 });
    expect(record!.message.zh).toMatch(/^【严重】排队数：现 0（阈值 4） — /);
    expect(record!.headline!.en).toBe('Waiting: now 0 (threshold 4) — queue one');
    const hook = rx.received.map((r) => JSON.parse(r.body) as { event: string; alert: Alert }).find((b) => b.event === 'alert.resolved');
    expect(hook!.alert.message).toEqual(record!.message);
    const entry = (await history(h, T + sec(10))).find((e) => e.type === 'resolved');
    expect(entry!.alert.message).toEqual(record!.message);
  });
});

// Found in review (operator): two agents named 张伟 (Z9001, Z9002) produced two identical alert
// texts "座席 张伟". The id goes with the name, always: one alert read on a phone shows no namesake.
describe('agent alerts carry the agent id', () => {
  it('two agents named 张伟: two different texts, each naming the id', async () => {
    const h = await alertsApp({
      config: baseConfig({ rules: [{ id: 'break', metric: 'notReadySec', reason: 'break', comparator: 'gt', warning: 900, critical: 1200, sustainedForSec: 0 }] }),
    });
    cleanups.push(() => h.app.close());
    await h.ingest(['Z9001', 'Z9002'].map((agentId) => notReady(h, agentId, 'break')));
    expect((await h.evaluateAt(T + min(16))).raised).toBe(2);
    const open = await list(h);
    const texts = open.map((a) => [a.message.zh, a.message.en, a.headline!.zh, a.headline!.en].join('\n'));
    expect(new Set(texts).size).toBe(2);
    for (const id of ['Z9001', 'Z9002']) {
      const a = open.find((x) => x.message.zh.includes(id));
      expect(a, id).toBeDefined();
      expect(a!.scope).toMatchObject({ agent: '张伟', agentId: id });
      for (const t of [a!.message.zh, a!.headline!.zh]) expect(t).toContain(`座席 张伟（${id}）`);
      for (const t of [a!.message.en, a!.headline!.en]) expect(t).toContain(`agent 张伟 (${id})`);
    }
  });
});

describe('an alert resolved without a figure says why instead of quoting one', () => {
  it('the agent left the state, the rule was disabled, the rule was deleted: API record, history, webhook and robots', async () => {
    const rx = await scopedReceiver(cleanups);
    const rule = (id: string, reason: string) => ({ id, metric: 'notReadySec', reason, comparator: 'gt' as const, warning: 900, critical: 1200, sustainedForSec: 0 });
    const h = await alertsApp({ config: baseConfig({ rules: [rule('break', 'break'), rule('meal', 'meal')], ...oneHook(rx.base) }) });
    cleanups.push(() => h.app.close());
    const sent = capture(h);
    await h.ingest([notReady(h, 'Z9001', 'break'), notReady(h, 'Z9002', 'break'), notReady(h, 'Z9003', 'meal')]);
    expect((await h.evaluateAt(T + min(16))).raised).toBe(3);

    h.clock.set(T + min(17));
    await h.ingest([{ id: 'back', type: 'agent.state', ts: h.clock.now(), agentId: 'Z9001', name: '张伟', state: 'available', team: 't1', queues: ['q1'] }]);
    expect((await h.evaluateAt(T + min(17))).resolved).toBe(1);
    const put = (rules: unknown[]) => h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules } });
    expect((await put([{ ...rule('break', 'break'), enabled: false }, rule('meal', 'meal')])).statusCode).toBe(200);
    expect((await h.evaluateAt(T + min(18))).resolved).toBe(1);
    expect((await put([])).statusCode).toBe(200);
    expect((await h.evaluateAt(T + min(19))).resolved).toBe(1);
    await h.app.alerts.dispatcher.drain();

    const resolved = await list(h, '?state=resolved');
    // each resolved at its own minute: 17 left, 18 disabled, 19 deleted
    const at = { Z9001: 17, Z9002: 18, Z9003: 19 };
    const of = (id: keyof typeof at) => resolved.find((a) => a.resolvedAt === new Date(T + min(at[id])).toISOString())!;
    // (the reason reads by its configured name)
    expect(of('Z9001').headline!.zh).toMatch(/^示忙时长：座席已不在此示忙状态 — 班组 t1，座席 张伟（Z9001），原因 \S+$/);
    expect(of('Z9001').headline!.en).toMatch(/^Time not ready: the agent is no longer in this not-ready state — team t1, agent 张伟 \(Z9001\), reason \S+$/);
    expect(of('Z9002').headline!.zh).toMatch(/^示忙时长：规则已停用 — /);
    expect(of('Z9002').headline!.en).toMatch(/^Time not ready: rule disabled — /);
    expect(of('Z9003').headline!.zh).toMatch(/^示忙时长：规则已删除 — /);
    expect(of('Z9003').headline!.en).toMatch(/^Time not ready: rule deleted — /);
    const entries = await history(h, T + min(19));
    for (const a of [of('Z9001'), of('Z9002'), of('Z9003')]) {
      expect(a.message.zh).toMatch(/^【预警】示忙时长：/);
      expect(a.message.zh).not.toMatch(/\d+分\d+秒|高于阈值/);
      expect(entries.find((e) => e.type === 'resolved' && e.alert.id === a.id)!.alert.message).toEqual(a.message);
      const hook = rx.received.map((r) => JSON.parse(r.body) as { event: string; alert: Alert }).find((b) => b.event === 'alert.resolved' && b.alert.id === a.id);
      expect(hook!.alert.message).toEqual(a.message);
      const n = sent.find((x) => x.kind === 'resolved' && x.alert.id === a.id)!;
      for (const [channel, text] of Object.entries(textsPeopleRead(n))) expect(text, channel).toContain(`告警已恢复【预警】${a.headline!.zh}`);
    }
  });

  it('no figure for 15 minutes (nothing offered): says so', async () => {
    const h = await alertsApp({
      config: baseConfig({ rules: [{ id: 'ar', metric: 'answerRate', scope: { center: 'default', queue: 'q1' }, window: '15m', comparator: 'lt', warning: 0.9, sustainedForSec: 0 }] }),
    });
    cleanups.push(() => h.app.close());
    const ids = await h.queue('q1', 2);
    h.clock.set(T + min(1));
    await h.abandon(ids);
    expect((await h.evaluateAt(T + min(2))).raised).toBe(1);
    expect((await h.evaluateAt(T + min(20))).resolved).toBe(0); // nothing offered in the window: no figure
    expect((await h.evaluateAt(T + min(35))).resolved).toBe(1);
    const [a] = await list(h, '?state=resolved');
    expect(a!.headline).toEqual({
      zh: '人工接通率：已 15 分钟无数值（无话务或无数据），不再判断 — 队列 一',
      en: 'Answer rate: no figure for 15 min (no traffic or no data), nothing left to judge — queue one',
    });
  });
});

/** agent `agentId`, named 张伟, goes not ready for `reason` now */
function notReady(h: App, agentId: string, reason: string) {
  return { id: `nr-${agentId}`, type: 'agent.state' as const, ts: h.clock.now(), agentId, name: '张伟', state: 'not_ready' as const, reason, team: 't1', queues: ['q1'] };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
