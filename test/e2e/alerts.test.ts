import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage } from '../support/browser.ts';

const t0 = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'alerts-e2e-display-0001', lead: 'alerts-e2e-lead-000001', ingest: 'alerts-e2e-ingest-00001' };
const config: AppConfigInput = {
  queues: [{ id: 'q1', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }],
  tokens: [
    { token: tokens.display, role: 'display', name: 'Wall TV' },
    { token: tokens.lead, role: 'lead', name: '李班长' },
    { token: tokens.ingest, role: 'ingest', name: 'ACD' },
  ],
  alerts: {
    rules: [{ id: 'wait-q1', metric: 'waiting', scope: { queue: 'q1' }, comparator: 'gt', warning: 2, critical: 5, clear: 1, sustainedForSec: 0 }],
  },
};
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  // background off: the test drives the evaluator by hand with the fake clock
  server = await TestServer.start({ config, clock, background: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

const queued = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `q-${i}`, type: 'contact.queued' as const, ts: t0, contactId: `c${i}`, queue: 'q1', channel: 'voice' as const }));

describe('alert banner', () => {
  it('appears on the wall and the lead console, is acknowledged from the console, and clears', async () => {
    // a TV whose own clock is set to London: every time on it is still the center's (Shanghai)
    const wall = await openPage(browser, server, '/wall', { token: tokens.display, timezoneId: 'Europe/London' });
    const lead = await openPage(browser, server, '/lead', { token: tokens.lead });
    await wall.page.waitForSelector('[data-alert-banner]', { state: 'attached' });
    await lead.page.waitForSelector('[data-alert-banner]', { state: 'attached' });
    expect(await wall.page.$$('[data-alert-id]')).toHaveLength(0);

    // one-time "enable sound" on kiosk setup: the click is the user gesture autoplay rules need
    await wall.page.click('[data-enable-sound]');
    await wall.page.waitForSelector('[data-sound-on]');
    expect(await wall.page.evaluate(() => localStorage.getItem('wallboard.alertSound'))).toBe('on');

    await server.postEvents(queued(3), tokens.ingest);
    expect((await server.app.alerts.evaluateOnce(t0)).raised).toBe(1);

    const firing = '[data-alert-id][data-severity="warning"][data-state="firing"]';
    await wall.page.waitForSelector(firing, { timeout: 5000 });
    await lead.page.waitForSelector(firing, { timeout: 5000 });
    const wallText = await wall.page.textContent(firing);
    expect(wallText).toContain('预警');
    expect(wallText).toContain('排队数 3，高于阈值 2');
    // the wall shows the headline: the severity label once, not again as a 【预警】 prefix
    expect(wallText).not.toContain('【预警】');
    // raised at 10:00 Shanghai (02:00 in London)
    expect(await wall.page.textContent(`${firing} .meta`)).toBe('10:00');
    expect(await wall.page.$(`${firing} .icon svg`)).not.toBeNull();
    // the wall has no acknowledge button; the lead console has one
    expect(await wall.page.$('[data-ack-button]')).toBeNull();

    await lead.page.fill('[data-ack-note]', '已加派人手');
    await lead.page.click('[data-ack-button]');
    const acked = '[data-alert-id][data-state="acknowledged"]';
    await wall.page.waitForSelector(acked, { timeout: 5000 });
    expect(await wall.page.textContent(acked)).toContain('李班长');
    const api = await server.getJson<{ alerts: { state: string; note?: string }[] }>('/api/v1/alerts', tokens.display);
    expect(api.alerts).toEqual([expect.objectContaining({ state: 'acknowledged', note: '已加派人手' })]);

    // back to 1 waiting: the alert resolves and leaves the banner
    await server.postEvents(
      ['c0', 'c1'].map((c) => ({ id: `ab-${c}`, type: 'contact.abandoned' as const, ts: t0 + 1000, contactId: c })),
      tokens.ingest,
    );
    clock.set(t0 + 5000);
    expect((await server.app.alerts.evaluateOnce(t0 + 5000)).resolved).toBe(1);
    await wall.page.waitForSelector('[data-alert-id][data-state="resolved"]', { timeout: 5000 });
    await wall.page.waitForFunction(() => document.querySelectorAll('[data-alert-id]').length === 0, null, { timeout: 15_000 });
    await lead.page.waitForFunction(() => document.querySelectorAll('[data-alert-id]').length === 0, null, { timeout: 15_000 });
    await wall.context.close();
    await lead.context.close();
  });
});
