import { describe, expect, it } from 'vitest';
import type { AlertRule, AuditRecord } from '../../shared/contract/alerts.ts';
import { alertsApp, auth, baseConfig, cleanupsAfterEach, sec, T, waitingRule } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();
async function setup(...args: Parameters<typeof alertsApp>) {
  const h = await alertsApp(...args);
  cleanups.push(() => h.app.close());
  return h;
}

describe('thresholds API', () => {
  it('serves the built-in defaults from the standards, per channel', async () => {
    const h = await setup();
    expect((await h.app.inject({ url: '/api/v1/thresholds' })).statusCode).toBe(401);
    const res = await h.app.inject({ url: '/api/v1/thresholds', headers: auth('display') });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.version).toBe(0);
    const byId = new Map((doc.rules as AlertRule[]).map((r) => [r.id, r]));
    expect(byId.get('default.answerRate.voice')).toMatchObject({ metric: 'answerRate', comparator: 'lt', warning: 0.9, scope: { channel: 'voice' } });
    expect(byId.get('default.serviceLevel.voice')).toMatchObject({ metric: 'serviceLevel', warning: 0.8 });
    for (const id of ['longestWait', 'waitingPerAgent', 'occupancyHigh', 'occupancyLow', 'notReady', 'spikeBaseline', 'spikeForecast', 'feedHealth', 'csat']) {
      expect(byId.has(`default.${id}`)).toBe(true);
    }
    expect(doc.metrics).toEqual(expect.arrayContaining(['serviceLevel', 'waitingPerAvailableAgent', 'notReadySec', 'arrivalsVsBaseline', 'csat']));
  });

  it('PUT is admin-only, validated, versioned and audited (who, when, old → new)', async () => {
    const h = await setup();
    const rules = [waitingRule()];
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('lead'), payload: { rules } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('display'), payload: { rules } })).statusCode).toBe(403);

    const wrongClear = await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules: [waitingRule({ clear: 3 })] } });
    expect(wrongClear.statusCode).toBe(400);
    expect(wrongClear.json().message).toMatch(/clear/);
    const unknown = await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules: [waitingRule({ metric: 'bogus' })] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/unknown metric "bogus"/);
    const dup = await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules: [waitingRule(), waitingRule()] } });
    expect(dup.statusCode).toBe(400);

    const before = (await h.app.inject({ url: '/api/v1/thresholds', headers: auth('display') })).json();
    h.clock.set(T + sec(42));
    const ok = await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules, expectedVersion: 0 } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ version: 1, updatedBy: 'Ada Admin', updatedAt: new Date(T + sec(42)).toISOString() });
    const after = (await h.app.inject({ url: '/api/v1/thresholds', headers: auth('display') })).json();
    expect(after.rules).toHaveLength(1);
    expect(after.rules[0]).toMatchObject({ id: 'wait-q1', warning: 2, sustainedForSec: 30, schedules: [] });

    const stale = await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules, expectedVersion: 0 } });
    expect(stale.statusCode).toBe(409);

    expect((await h.app.inject({ url: '/api/v1/thresholds/audit', headers: auth('display') })).statusCode).toBe(403);
    const audit = (await h.app.inject({ url: '/api/v1/thresholds/audit', headers: auth('lead') })).json().records as AuditRecord[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      by: 'Ada Admin',
      role: 'admin',
      action: 'thresholds.put',
      at: new Date(T + sec(42)).toISOString(),
      fromVersion: 0,
      toVersion: 1,
      summary: { added: ['wait-q1'] },
    });
    expect(audit[0]!.old).toEqual(before.rules);
    expect(audit[0]!.new).toEqual(after.rules);
    expect(audit[0]!.summary.removed).toContain('default.answerRate.voice');
  });

  it('the evaluator follows the stored rules; deleting a rule resolves its alerts', async () => {
    const h = await setup();
    await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules: [waitingRule({ sustainedForSec: 0 })] } });
    await h.queue('q1', 3);
    expect((await h.evaluateAt(T)).raised).toBe(1);
    await h.app.inject({ method: 'PUT', url: '/api/v1/thresholds', headers: auth('admin'), payload: { rules: [] } });
    expect((await h.evaluateAt(T + sec(5))).resolved).toBe(1);
  });
});

describe('alerts API', () => {
  it('filters by state/center/queue, acknowledges (404/409 cases) and exports history as CSV', async () => {
    const h = await setup({ config: baseConfig({ rules: [waitingRule({ sustainedForSec: 0 }), waitingRule({ id: 'wait-q2', scope: { center: 'default', queue: 'q2' }, sustainedForSec: 0 })] }) });
    await h.queue('q1', 3);
    const q2 = await h.queue('q2', 3);
    await h.evaluateAt(T);
    const get = async (q: string) => (await h.app.inject({ url: `/api/v1/alerts${q}`, headers: auth('display') })).json().alerts;
    expect(await get('')).toHaveLength(2);
    expect(await get('?queue=q2')).toHaveLength(1);
    expect(await get('?center=other')).toHaveLength(0);
    expect((await h.app.inject({ url: '/api/v1/alerts?state=bogus', headers: auth('display') })).statusCode).toBe(400);
    const [a2] = await get('?queue=q2');

    expect((await h.app.inject({ method: 'POST', url: '/api/v1/alerts/nope/ack', headers: auth('lead'), payload: {} })).statusCode).toBe(404);
    const ack = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${a2.id}/ack`, headers: auth('admin') });
    expect(ack.statusCode).toBe(200);
    expect(await get('?state=acknowledged')).toHaveLength(1);
    expect(await get('?state=firing')).toHaveLength(1);

    await h.abandon(q2);
    await h.evaluateAt(T + sec(5));
    const late = await h.app.inject({ method: 'POST', url: `/api/v1/alerts/${a2.id}/ack`, headers: auth('lead'), payload: {} });
    expect(late.statusCode).toBe(409);

    const csv = await h.app.inject({ url: `/api/v1/alerts/history?format=csv&from=${new Date(T - 60_000).toISOString()}&to=${new Date(T + 60_000).toISOString()}`, headers: auth('lead') });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    // UTF-8 with a byte-order mark, or Excel on a Chinese Windows reads the messages as GBK
    expect(csv.body.startsWith('\uFEFF')).toBe(true);
    const lines = csv.body.slice(1).trim().split('\r\n');
    expect(lines[0]).toMatch(/^at,type,id,rule,severity,state,center,queue/);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['raised', 'raised', 'acknowledged', 'resolved']);
    expect(csv.body).toContain('排队数');
  });
});
