import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, min, scopedReceiver, sec, T, waitingRule } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
async function setup(...args: Parameters<typeof alertsApp>) {
  const h = await alertsApp(...args);
  cleanups.push(() => h.app.close());
  return h;
}
const list = async (h: Awaited<ReturnType<typeof alertsApp>>, query = '') =>
  (await h.app.inject({ url: `/api/v1/alerts${query}`, headers: auth('display') })).json().alerts as Alert[];

describe('alert lifecycle on the real engine', () => {
  it('a breach fires only after its sustained-for time', async () => {
    const h = await setup({ config: baseConfig({ rules: [waitingRule({ critical: null })] }) });
    await h.queue('q1', 3);
    expect((await h.evaluateAt(T)).raised).toBe(0);
    expect((await h.evaluateAt(T + sec(25))).raised).toBe(0);
    expect(await list(h)).toEqual([]);
    expect((await h.evaluateAt(T + sec(30))).raised).toBe(1);
    const [a] = await list(h);
    expect(a).toMatchObject({
      rule: 'wait-q1',
      severity: 'warning',
      state: 'firing',
      scope: { center: 'default', queue: 'q1' },
      metric: 'waiting',
      value: 3,
      threshold: 2,
      escalationLevel: 0,
      startedAt: new Date(T + sec(30)).toISOString(),
    });
    expect(a!.message.zh).toContain('排队数 3，高于阈值 2');
    expect(a!.message.en).toContain('Waiting 3, above threshold 2');
  });

  it('a value oscillating around the threshold raises one alert, resolved only past the clear level', async () => {
    const h = await setup({ config: baseConfig({ rules: [waitingRule({ critical: null, sustainedForSec: 0 })] }) });
    const ids = await h.queue('q1', 3);
    let t = T;
    await h.evaluateAt(t);
    for (let i = 0; i < 4; i++) {
      await h.abandon([ids.pop()!]); // 2 waiting: not above 2, not at clear (1)
      await h.evaluateAt((t += sec(5)));
      ids.push(...(await h.queue('q1', 1))); // 3 waiting again
      await h.evaluateAt((t += sec(5)));
    }
    expect(await list(h)).toHaveLength(1);
    await h.abandon(ids.splice(0, 2)); // 1 waiting: clear
    const r = await h.evaluateAt((t += sec(5)));
    expect(r.resolved).toBe(1);
    expect(await list(h)).toEqual([]);
    const resolved = await list(h, '?state=resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ state: 'resolved', value: 1, resolvedAt: new Date(t).toISOString() });
    const hist = (await h.app.inject({ url: `/api/v1/alerts/history?from=${new Date(T - min(1)).toISOString()}&to=${new Date(t + 1000).toISOString()}`, headers: auth('lead') })).json();
    expect(hist.entries.map((e: { type: string }) => e.type)).toEqual(['raised', 'resolved']);
  });

  it('acknowledgement (lead/admin only) stops escalation; an unacknowledged critical escalates at 5 min and again at each level', async () => {
    const rx = await scopedReceiver(cleanups);
    const levels = ['lead', 'floor', 'director'].map((name, i) => ({
      name: { zh: `级别${i}`, en: name },
      recipients: [`${name}@bank.example`],
      channels: [`hook${i}`],
    }));
    const h = await setup({
      config: baseConfig({
        rules: [waitingRule({ sustainedForSec: 0 }), waitingRule({ id: 'wait-q2', scope: { center: 'default', queue: 'q2' }, sustainedForSec: 0 })],
        channels: levels.map((_, i) => ({ id: `hook${i}`, type: 'webhook' as const, url: `${rx.base}/level${i}` })),
        escalation: { policies: [{ id: 'default', levels, reNotifyEverySec: 120 }] },
        notify: { backoffBaseMs: 10 },
      }),
    });
    await h.queue('q1', 5);
    await h.queue('q2', 5);
    await h.evaluateAt(T);
    const [a1, a2] = (await list(h)).sort((x, y) => x.rule.localeCompare(y.rule));
    expect(a1).toMatchObject({ rule: 'wait-q1', severity: 'critical' });

    const forbidden = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${a2!.id}/ack`, headers: auth('display'), payload: {} });
    expect(forbidden.statusCode).toBe(403);
    h.clock.set(T + min(1));
    const ack = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${a2!.id}/ack`, headers: auth('lead'), payload: { note: '已加派人手' } });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().alert).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'Li Lead', note: '已加派人手', acknowledgedAt: new Date(T + min(1)).toISOString() });

    expect((await h.evaluateAt(T + min(5) - 1)).escalated).toBe(0);
    expect((await h.evaluateAt(T + min(5))).escalated).toBe(1);
    expect((await h.evaluateAt(T + min(9))).escalated).toBe(0);
    expect((await h.evaluateAt(T + min(10))).escalated).toBe(1);
    expect((await h.evaluateAt(T + min(30))).escalated).toBe(0); // top level reached
    const now = await list(h);
    expect(now.find((a) => a.id === a1!.id)).toMatchObject({ escalationLevel: 2, state: 'firing' });
    expect(now.find((a) => a.id === a2!.id)).toMatchObject({ escalationLevel: 0, state: 'acknowledged' });

    await h.app.alerts.dispatcher.drain();
    const attempts = (await h.app.inject({ url: `/api/v1/alerts/notifications?alert=${a1!.id}`, headers: auth('lead') })).json().attempts;
    const kinds = attempts.map((x: { kind: string; level: number }) => `${x.kind}@${x.level}`).sort();
    // T raised; 4:59 re-notify (every 2 min); 5:00 up to the floor manager; 9:00 re-notify;
    // 10:00 up to the duty director; 30:00 re-notify at the top level
    expect(kinds).toEqual(['escalated@1', 'escalated@2', 'raised@0', 'renotify@0', 'renotify@1', 'renotify@2']);
    expect(attempts.every((x: { outcome: string }) => x.outcome === 'sent')).toBe(true);
    const a2Attempts = (await h.app.inject({ url: `/api/v1/alerts/notifications?alert=${a2!.id}`, headers: auth('lead') })).json().attempts;
    expect(a2Attempts.map((x: { kind: string }) => x.kind)).toEqual(['raised']);
    const at = (path: string) => rx.received.filter((r) => r.path === path).length;
    expect([at('/level0'), at('/level1'), at('/level2')]).toEqual([3, 2, 2]);
  });

  it('two app instances evaluating together produce one alert', async () => {
    const first = await setup({ config: baseConfig({ rules: [waitingRule({ sustainedForSec: 0 })] }) });
    const second = await setup({ config: baseConfig({ rules: [waitingRule({ sustainedForSec: 0 })] }), prefix: first.prefix, clock: first.clock });
    await first.queue('q1', 3);
    const results = await Promise.all([first.app.alerts.evaluateOnce(T), second.app.alerts.evaluateOnce(T), first.app.alerts.evaluateOnce(T), second.app.alerts.evaluateOnce(T)]);
    expect(results.filter((r) => r.evaluated).length).toBeGreaterThanOrEqual(1);
    expect(results.reduce((s, r) => s + r.raised, 0)).toBe(1);
    expect(await list(first)).toHaveLength(1);
    expect(await list(second)).toHaveLength(1);
    // only the lease holder evaluates
    const holderIsFirst = results[0]!.evaluated;
    const other = holderIsFirst ? second : first;
    expect((await other.app.alerts.evaluateOnce(T + sec(5))).evaluated).toBe(false);
  });

  it('feed health: silence during opening hours alerts, closed hours do not', async () => {
    const cfg = baseConfig({ rules: [{ id: 'feed', metric: 'feedSilenceSec', comparator: 'gt', warning: 300, clear: 60, sustainedForSec: 0 }] });
    cfg.centers = [{ id: 'default', name: { zh: '中心', en: 'Center' }, openingHours: { from: '08:00', to: '20:00' } }];
    const h = await setup({ config: cfg });
    await h.queue('q1', 1);
    expect((await h.evaluateAt(T + min(4))).raised).toBe(0);
    expect((await h.evaluateAt(T + min(6))).raised).toBe(1);
    expect((await list(h))[0]!.message.en).toContain('no events for 6m00s');
    // 21:00 local: closed, the silence clears
    expect((await h.evaluateAt(T + min(11 * 60))).resolved).toBe(1);
  });

  it('not-ready too long: one alert per agent and reason, resolved when the agent leaves the state', async () => {
    const h = await setup({
      config: baseConfig({ rules: [{ id: 'break', metric: 'notReadySec', reason: 'break', comparator: 'gt', warning: 900, critical: 1200, sustainedForSec: 0 }] }),
    });
    const state = (id: string, agentId: string, st: 'not_ready' | 'available', reason?: string) => ({
      id, type: 'agent.state' as const, ts: h.clock.now(), agentId, state: st, team: 't1', queues: ['q1'], ...(reason ? { reason } : {}),
    });
    await h.ingest([state('a1', 'A1', 'not_ready', 'break'), state('a2', 'A2', 'not_ready', 'meal'), state('a3', 'A3', 'available')]);
    expect((await h.evaluateAt(T + min(15))).raised).toBe(0);
    expect((await h.evaluateAt(T + min(16))).raised).toBe(1);
    let [a] = await list(h);
    expect(a).toMatchObject({ severity: 'warning', scope: { center: 'default', agent: 'A1', reason: 'break', team: 't1' } });
    expect(a!.message.zh).toContain('座席 A1');
    expect((await h.evaluateAt(T + min(21))).raised).toBe(0);
    [a] = await list(h);
    expect(a).toMatchObject({ severity: 'critical', value: 1260 });
    await h.ingest([state('a4', 'A1', 'available')]);
    expect((await h.evaluateAt(T + min(22))).resolved).toBe(1);
    expect(await list(h)).toEqual([]);
  });

  it('a not-ready rule without a reason leaves reasons with their own rule to that rule (one alert per spell)', async () => {
    const h = await setup({
      config: baseConfig({
        rules: [
          { id: 'meal', metric: 'notReadySec', reason: 'meal', comparator: 'gt', warning: 1800, critical: 2700, sustainedForSec: 0 },
          { id: 'any', metric: 'notReadySec', comparator: 'gt', warning: 1800, critical: 3600, sustainedForSec: 0 },
        ],
      }),
    });
    const state = (id: string, agentId: string, reason: string) => ({
      id, type: 'agent.state' as const, ts: h.clock.now(), agentId, state: 'not_ready' as const, team: 't1', queues: ['q1'], reason,
    });
    await h.ingest([state('m1', 'A1', 'meal'), state('t1', 'A2', 'training')]);
    expect((await h.evaluateAt(T + min(31))).raised).toBe(2);
    const alerts = await list(h);
    expect(alerts.map((a) => [a.rule, a.scope.agent]).sort()).toEqual([
      ['any', 'A2'],
      ['meal', 'A1'],
    ]);
  });

  it('with background on, the evaluator runs by itself (lease + timer) and stops on close', async () => {
    const h = await setup({ config: baseConfig({ evaluateEverySec: 0.5, rules: [waitingRule({ sustainedForSec: 0 })] }), background: true });
    await h.app.ready();
    await h.queue('q1', 3);
    const deadline = Date.now() + 5000;
    while ((await list(h)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await list(h)).toHaveLength(1);
    const holder = await h.app.redis.get(h.app.keys.alertLease());
    expect(holder).toBe(h.app.alerts.holderId);
  });
});

describe('an open alert is rewritten only when its figure or text changes', () => {
  // alertRefresh.lua (server/redis/lua): "Nothing is written when nothing changed". Every Lua step re-encodes the
  // alert with cjson's 14 significant digits, so a figure such as 1/3 never compared equal to the
  // evaluation's full-precision one and the alert was rewritten at every evaluation.
  it('a figure of 1/3, stored through a Lua step (acknowledge), is not rewritten by a refresh with the same figure', async () => {
    const h = await setup({ config: baseConfig({ rules: [waitingRule({ sustainedForSec: 0, critical: null })] }) });
    await h.queue('q1', 3);
    expect((await h.evaluateAt(T)).raised).toBe(1);
    const [alert] = await list(h);
    const store = h.app.alerts.store;
    const texts = { warning: { threshold: 2, message: alert!.message, headline: alert!.headline } };
    expect(await store.refresh(alert!.id, 1 / 3, texts)).toBe(true); // a new figure: written
    await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${alert!.id}/ack`, headers: auth('lead'), payload: {} }); // re-encoded by Lua
    expect(await store.refresh(alert!.id, 1 / 3, texts)).toBe(false);
    expect(await store.refresh(alert!.id, 1 / 3, texts)).toBe(false);
    expect(await store.refresh(alert!.id, 1 / 3 + 1e-6, texts)).toBe(true);
  });
});

describe('paused evaluation (the demo while it posts its history)', () => {
  it('skips every tick until resumed, after letting a running evaluation finish, then evaluates again', async () => {
    const h = await alertsApp({ config: baseConfig({ evaluateEverySec: 0.5 }) });
    cleanups.push(() => h.app.close());
    let evaluations = 0;
    let inFlight = false;
    h.app.alerts.evaluateOnce = async () => {
      evaluations++;
      inFlight = true;
      await new Promise((r) => setTimeout(r, 300)); // an evaluation reading while history is posted
      inFlight = false;
      return { raised: 0, resolved: 0, escalated: 0 } as Awaited<ReturnType<typeof h.app.alerts.evaluateOnce>>;
    };
    h.app.alerts.start(); // the first tick runs at once, as when the server becomes ready
    await h.app.alerts.pauseEvaluation(); // resolves once that evaluation is over
    expect(inFlight).toBe(false);
    const before = evaluations;
    await new Promise((r) => setTimeout(r, 1200));
    expect(evaluations).toBe(before);
    h.app.alerts.resumeEvaluation();
    await new Promise((r) => setTimeout(r, 1200));
    expect(evaluations).toBeGreaterThan(before);
  });
});
