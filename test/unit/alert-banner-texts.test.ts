import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { alertFixture } from '../support/alert-fixture.ts';
import { buildRequest } from '../../server/alerts/notify/payloads.ts';
import { notificationChannel } from '../../shared/contract/alerts.ts';

/**
 * The alert banner's texts and order (client/src/lib/alerts/texts.ts, merge.ts, alerts.svelte.ts):
 * the escalation level numbered as the notifications number it, "1 more alert", and the
 * feed-silence alert (`feedSilenceSec`, rule `<center>.feedHealth`) first whatever its severity.
 */
const fakeSocket = Object.assign(new EventEmitter(), { connected: false });
vi.mock('../../client/src/lib/connection.svelte.ts', () => ({
  connection: { connected: false, session: null, authError: null, socket: { socket: fakeSocket, watch: () => () => {} } },
}));

const { escalationText, moreText, findFeedSilent } = await import('../../client/src/lib/alerts/texts.ts');
const { sortAlerts, mergeAlertChanges } = await import('../../client/src/lib/alerts/merge.ts');
const { CenterAlerts, feedSilent } = await import('../../client/src/lib/alerts/alerts.svelte.ts');

const feed = alertFixture('feed', 'default', {
  rule: 'default.feedHealth', metric: 'feedSilenceSec', severity: 'warning', value: 563, threshold: 300,
  startedAt: '2026-12-06T07:50:00.000Z',
  message: { zh: '【预警】数据源中断：营业时间内已 9分23秒 未收到事件（阈值 5分）', en: '[Warning] Event feed silent' },
  headline: { zh: '数据源中断：营业时间内已 9分23秒 未收到事件（阈值 5分）', en: 'Event feed silent' },
});
const criticals = [1, 2, 3].map((i) => alertFixture(`c${i}`, 'default', { severity: 'critical', startedAt: `2026-12-06T08:0${i}:00.000Z` }));
const warnings = Array.from({ length: 7 }, (_, i) => alertFixture(`w${i}`, 'default', { startedAt: `2026-12-06T08:1${i}:00.000Z` }));

describe('escalation level: numbered from 1, as the notifications number it', () => {
  it('index 2 reads "第3级" / "Level 3", as the notification "第3级 Level 3/3 值班总监"', () => {
    const ch = notificationChannel.parse({ id: 'w', type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k' });
    const a = alertFixture('e', 'default', { severity: 'critical', escalationLevel: 2 });
    const body = buildRequest(ch as never, { kind: 'escalated', alert: a, level: 2, levelCount: 3, levelName: { zh: '值班总监', en: 'Duty director' }, recipients: [] }, Date.now()).body;
    expect(body).toContain('第3级 Level 3/3');
    expect(escalationText(2, 'zh-CN')).toContain('第3级');
    expect(escalationText(2, 'en')).toContain('Level 3');
    expect(escalationText(2, 'en')).not.toMatch(/\b2\b/);
  });
  it('index 1 reads level 2; index 0 (team lead, not escalated) shows nothing', () => {
    expect(escalationText(1, 'zh-CN')).toContain('第2级');
    expect(escalationText(1, 'en')).toContain('Level 2');
    expect(escalationText(0, 'zh-CN')).toBeNull();
    expect(escalationText(0, 'en')).toBeNull();
  });
});

describe('"n more alerts"', () => {
  it('English is singular for one, plural otherwise', () => {
    expect(moreText(1, 'en')).toBe('1 more alert');
    expect(moreText(2, 'en')).toBe('2 more alerts');
    expect(moreText(10, 'en')).toBe('10 more alerts');
  });
  it('Chinese has no plural', () => {
    expect(moreText(1, 'zh-CN')).toBe('另有 1 条告警');
    expect(moreText(10, 'zh-CN')).toBe('另有 10 条告警');
  });
});

describe('the feed-silence alert comes first whatever its severity', () => {
  it('a warning feed-silence alert sorts before three criticals (shown on the wall, whose banner shows 3)', () => {
    const sorted = sortAlerts([...criticals, ...warnings, feed]);
    expect(sorted[0]!.id).toBe('feed');
    expect(sorted.slice(1, 4).map((a) => a.id)).toEqual(['c3', 'c2', 'c1']);
  });
  it('also when acknowledged; a resolved one sorts as any resolved alert', () => {
    const acked = { ...feed, state: 'acknowledged' as const };
    expect(sortAlerts([...criticals, acked])[0]!.id).toBe('feed');
    const resolved = { ...feed, state: 'resolved' as const };
    expect(sortAlerts([resolved, ...criticals]).at(-1)!.id).toBe('feed');
  });
  it('a pushed feed-silence alert lands first in the merged list', () => {
    const merged = mergeAlertChanges(sortAlerts([...criticals, ...warnings]), [{ type: 'raised', alert: feed }], 'default');
    expect(merged!.alerts[0]!.id).toBe('feed');
  });
  it('findFeedSilent picks the open one, or null', () => {
    expect(findFeedSilent([...criticals, feed])?.id).toBe('feed');
    expect(findFeedSilent(criticals)).toBeNull();
    expect(findFeedSilent([{ ...feed, state: 'resolved' }])).toBeNull();
  });
  it('feedSilent(center) gives the open feed-silence alert of a started banner store, null otherwise', () => {
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ alerts: [] }), { status: 200, headers: { 'content-type': 'application/json' } }));
    try {
      const store = new CenterAlerts('default');
      expect(feedSilent('default')).toBeNull();
      store.start();
      store.alerts = sortAlerts([...criticals, feed]);
      expect(feedSilent('default')?.id).toBe('feed');
      expect(feedSilent('other')).toBeNull();
      store.alerts = criticals;
      expect(feedSilent('default')).toBeNull();
      store.alerts = [feed];
      store.stop();
      expect(feedSilent('default')).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
