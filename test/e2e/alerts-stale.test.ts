import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';

/**
 * README (STALE): when a screen's figures go STALE, its alert banners do too — greyed and hatched,
 * no red or amber, no pulse, the text struck through, "数据已过期 · <age> 前" / "STALE · <age> ago"
 * with the age of the figure the banner quotes — whether the server is unreachable (socket down)
 * or the figures stopped coming (nothing for 10 s, socket up). Live again once figures and alerts
 * arrive again.
 */
const t0 = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'alerts-stale-display-01', lead: 'alerts-stale-lead-00001', ingest: 'alerts-stale-ingest-001' };
const config: AppConfigInput = {
  queues: [{ id: 'q1', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }],
  // one board, no legend page: the wall stays on the board whose tiles the banner is compared with
  boards: [{ id: 'cards', title: { zh: '信用卡', en: 'Cards' }, rows: [{ kind: 'queue', queue: 'q1' }], window: '30m', legendPage: false }],
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
  // background off: no heartbeat, so the figures go STALE 10 s after the last event while the
  // socket stays up; the test raises the alert by hand
  server = await TestServer.start({ config, clock, background: false });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

let n = 0;
const queued = (count: number) =>
  Array.from({ length: count }, () => {
    n += 1;
    return { id: `q-${n}`, type: 'contact.queued' as const, ts: t0, contactId: `c${n}`, queue: 'q1', channel: 'voice' as const };
  });
/** an event that changes no alert figure but makes every view recompute (fresh figures) */
const nudge = () => {
  n += 1;
  return server.postEvents([{ id: `a-${n}`, type: 'agent.state', ts: t0, agentId: 'A1', state: n % 2 ? 'available' : 'acw', queues: ['q1'] }], tokens.ingest);
};

interface BannerLook {
  stale: string | null;
  tag: string | null;
  text: string;
  background: string;
  animation: string;
  decoration: string;
}
const banner = (page: Page): Promise<BannerLook> =>
  page.$eval('[data-alert-id]', (el) => {
    const style = getComputedStyle(el);
    return {
      stale: el.getAttribute('data-stale'),
      tag: el.querySelector('[data-alert-stale]')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
      text: el.textContent ?? '',
      background: style.backgroundColor,
      animation: style.animationName,
      decoration: getComputedStyle(el.querySelector('.message')!).textDecorationLine,
    };
  });
/** a colour with no hue to speak of: grey, not the red of a critical or the amber of a warning */
function isGrey(css: string): boolean {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number) as [number, number, number];
  return Math.max(r, g, b) - Math.min(r, g, b) <= 24;
}
const staleBanner = '[data-alert-id][data-stale="true"]';
const liveBanner = '[data-alert-id][data-stale="false"]';
/** waits for the banner to say `stale`, then reports how it looks (a failure shows what it showed) */
async function bannerWhen(page: Page, stale: boolean, timeout: number): Promise<BannerLook> {
  await page.waitForSelector(stale ? staleBanner : liveBanner, { timeout }).catch(() => undefined);
  return banner(page);
}

describe('alert banner while the figures are STALE', () => {
  it('greys with the tiles and says how old its figure is — nothing for 10 s, server unreachable — and comes back live', async () => {
    const wall = await openPage(browser, server, '/wall/cards', { token: tokens.display, viewport: { width: 1920, height: 1080 } });
    const lead = await openPage(browser, server, '/lead', { token: tokens.lead, viewport: { width: 1440, height: 900 } });
    try {
      // raised once both screens have joined the center (their views live): pushed to them at once
      await nudge();
      await wall.page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
      await lead.page.waitForSelector('section.queues[data-stale="false"]', { timeout: 15_000 });
      await server.postEvents(queued(6), tokens.ingest);
      expect((await server.app.alerts.evaluateOnce(t0)).raised).toBe(1);
      for (const p of [wall.page, lead.page]) await p.waitForSelector('[data-alert-id][data-severity="critical"][data-state="firing"]', { timeout: 10_000 });
      await wall.page.waitForSelector('section.board[data-stale="false"]', { timeout: 10_000 });
      const live = await bannerWhen(wall.page, false, 3_000);
      expect(live).toMatchObject({ tag: null, decoration: 'none' });
      expect(live.stale).not.toBe('true');
      expect(live.text).toContain('排队数 6，高于阈值 5');
      expect(isGrey(live.background)).toBe(false);

      // 1. the figures stop coming (socket up): STALE after 10 s, tiles and banner alike
      await wall.page.waitForSelector('section.board[data-stale="true"]', { timeout: 20_000 });
      const silent = await bannerWhen(wall.page, true, 3_000);
      expect(silent).toMatchObject({ stale: 'true', animation: 'none', decoration: 'line-through' });
      expect((await bannerWhen(lead.page, true, 3_000)).stale).toBe('true');
      expect(isGrey(silent.background), silent.background).toBe(true);
      // the age of the figure it quotes: received with the alert, ≥ 10 s ago
      const age = /^数据已过期 · (\d+) 秒 前$/.exec(silent.tag ?? '');
      expect(age, silent.tag ?? 'no tag').not.toBeNull();
      expect(Number(age![1])).toBeGreaterThanOrEqual(10);
      // still the alert it was: severity word and text, only not as live
      expect(silent.text).toContain('严重');
      expect(silent.text).toContain('排队数 6，高于阈值 5');
      await screenshot(wall.page, 'alerts-stale-wall-1920x1080.png');

      // figures again: live again
      await nudge();
      await wall.page.waitForSelector(liveBanner, { timeout: 5_000 });
      await lead.page.waitForSelector(liveBanner, { timeout: 5_000 });
      expect(isGrey((await banner(wall.page)).background)).toBe(false);

      // 2. the server unreachable (sockets drop): STALE at once, in both languages
      await server.stop();
      await wall.page.waitForSelector(staleBanner, { timeout: 5_000 });
      await lead.page.waitForSelector(staleBanner, { timeout: 5_000 });
      await lead.page.click('[data-locale="en"]');
      await lead.page.waitForFunction(() => /^STALE · \d+ s ago$/.test(document.querySelector('[data-alert-stale]')?.textContent?.replace(/\s+/g, ' ').trim() ?? ''), null, { timeout: 3_000 });
      const down = await banner(lead.page);
      expect(isGrey(down.background)).toBe(true);
      expect(down.decoration).toBe('line-through');
      await screenshot(lead.page, 'alerts-stale-lead-1440x900-en.png');

      // back: reconnect, a fresh list, figures → live
      await server.resume();
      await nudge();
      await wall.page.waitForSelector(liveBanner, { timeout: 15_000 });
      await lead.page.waitForSelector(liveBanner, { timeout: 15_000 });
      expect(await wall.page.$('[data-alert-stale]')).toBeNull();
    } finally {
      await wall.context.close();
      await lead.context.close();
    }
  }, 90_000);
});
