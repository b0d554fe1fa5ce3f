import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertFixture } from '../support/alert-fixture.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage } from '../support/browser.ts';

/**
 * the alert list's REST refresh (on start, on every reconnect, every 30 s) once replaced
 * the list wholesale, so an answer read before a pushed change landed after it and undid it; a
 * resolved alert then sat in the list twice (the stale firing copy + the lingering resolved one).
 */
const displayToken = 'display-token-0123456789';
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config: { tokens: [{ token: displayToken, role: 'display', name: 'tv' }] } });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('wall alert banner', () => {
  it('a REST refresh read before an alert resolved does not bring it back (nor break the page)', async () => {
    const held: Route[] = [];
    const firing = alertFixture('q-race', 'default', { severity: 'critical', updatedAt: new Date(Date.now() - 1000).toISOString() });
    const { page } = await openPage(browser, server, '/wall', {
      token: displayToken,
      beforeGoto: async (p) => void (await p.route(/\/api\/v1\/alerts\?/, (route) => void held.push(route))),
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    expect(held.length).toBeGreaterThan(0); // the refresh(es) are in flight: the server read "firing"

    // the alert resolves; the push reaches the wall first
    const resolved = { ...firing, state: 'resolved' as const, resolvedAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
    server.app.realtime.emitAlertChange({ type: 'resolved', alert: resolved });
    await sleep(500);
    // then the refresh answers (read before the change)
    for (const r of held.splice(0)) await r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ alerts: [firing] }) });
    await sleep(500);
    const banner = await page.evaluate(() => [...document.querySelectorAll('.alert')].map((e) => e.className));
    const lastUpdate1 = await page.textContent('[data-last-update]').catch(() => null);
    await sleep(12_000);
    const state = await page.evaluate(() => ({
      stale: document.querySelector('section.board')?.getAttribute('data-stale'),
      lastUpdate: document.querySelector('[data-last-update]')?.textContent ?? null,
      banner: document.querySelector('[data-stale-banner]')?.textContent ?? null,
      alerts: [...document.querySelectorAll('.alert')].map((e) => e.className),
    }));
    console.log(JSON.stringify({ bannerAfterRefresh: banner, lastUpdate1, after12s: state, pageErrors: errors }));
    expect(errors).toEqual([]);
    expect(banner.some((c) => c.includes('firing'))).toBe(false);
  }, 90_000);

  it('a REST refresh read before an alert was raised does not hide it', async () => {
    const held: Route[] = [];
    const { page } = await openPage(browser, server, '/wall', {
      token: displayToken,
      beforeGoto: async (p) => void (await p.route(/\/api\/v1\/alerts\?/, (route) => void held.push(route))),
    });
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    // a critical alert is raised and pushed while the refresh (read before it: no alerts) is in flight
    const raised = alertFixture('q-raised', 'default', { severity: 'critical', startedAt: new Date().toISOString(), updatedAt: new Date().toISOString() });
    server.app.realtime.emitAlertChange({ type: 'raised', alert: raised });
    await page.waitForSelector('.alert.firing', { timeout: 5_000 });
    for (const r of held.splice(0)) await r.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ alerts: [] }) });
    await sleep(1000);
    const shown = await page.evaluate(() => [...document.querySelectorAll('.alert')].map((e) => e.className));
    console.log(JSON.stringify({ raisedThenOlderRefresh: shown }));
    expect(shown.some((c) => c.includes('firing'))).toBe(true);
  }, 60_000);
});
