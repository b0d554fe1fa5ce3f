import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';

/**
 * README (metrics API, "A threshold changed by a new configuration"): a service level whose span
 * contains a change of its threshold says so on the screens — the wall's target line reads
 * "80% / 20→30 秒" and the console's service-level cell "20→30 s" with the whole story in its title —
 * since the contacts before the change were judged against 20 s. The server is started once with
 * 20 s, fed, and started again on the same data with 30 s.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // Monday 10:30 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'thr-change-display-token-01', ingest: 'thr-change-ingest-token-001', lead: 'thr-change-lead-token-0001' };

const config = (slSec: number): AppConfigInput => ({
  centers: [{ id: 'default', name: { zh: '远程银行中心', en: 'Remote Banking Center' }, timeZone: 'Asia/Shanghai' }],
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Credit cards' }, channel: 'voice', serviceLevelThresholdSec: slSec },
    { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice', serviceLevelThresholdSec: 20 },
  ],
  boards: [
    { id: 'sl', title: { zh: '服务水平', en: 'Service level' }, window: '30m', rows: [{ kind: 'queue', queue: 'cards' }, { kind: 'queue', queue: 'loans' }], tiles: ['serviceLevel', 'answerRate', 'waiting'], rotateEverySec: 3600, legendPage: false },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
    { token: tokens.lead, role: 'lead', name: 'lead' },
  ],
  alerts: { rules: [] },
});

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  const before = await TestServer.start({ config: config(20), clock });
  const events: ContractEventInput[] = [];
  for (let i = 0; i < 6; i++) {
    for (const queue of ['cards', 'loans']) {
      const id = `${queue}-${i}`;
      events.push({ id: `${id}-q`, type: 'contact.queued', ts: t0 - 20 * 60_000 + i * 60_000, contactId: id, queue, channel: 'voice' });
      events.push({ id: `${id}-a`, type: 'contact.answered', ts: t0 - 20 * 60_000 + i * 60_000 + (i % 2 ? 25_000 : 10_000), contactId: id, agentId: `A${i}` });
    }
  }
  await before.postEvents(events, tokens.ingest);
  await before.stop();
  clock.set(t0 + 5 * 60_000);
  server = await TestServer.start({ config: config(30), clock, keyPrefix: before.keyPrefix });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a threshold changed inside the window', () => {
  it('is read on the wall’s target line and in the console’s service-level cell, for the queue that changed only', async () => {
    const wall = await openPage(browser, server, '/wall/sl?lang=en', { token: tokens.display, viewport: { width: 1920, height: 1080 } });
    await wall.page.waitForSelector('[data-tile="serviceLevel"][data-stale="false"] .target', { timeout: 20_000 });
    const targets = await wall.page.$$eval('[data-tile="serviceLevel"]', (tiles) =>
      Object.fromEntries(tiles.map((t) => [t.getAttribute('data-row')!, { text: t.querySelector('.target')?.textContent?.replace(/\s+/g, ' ').trim(), changed: t.querySelector('[data-threshold-changed]') !== null }])),
    );
    await screenshot(wall.page, 'threshold-change-wall-en.png');
    await wall.context.close();
    expect(targets).toEqual({
      'queue:cards': { text: '80% / 20→30 s', changed: true },
      'queue:loans': { text: '80% / 20 s', changed: false },
    });

    const lead = await openPage(browser, server, '/lead?lang=zh-CN', { token: tokens.lead, viewport: { width: 1440, height: 900 } });
    await lead.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 20_000 });
    const cells = await lead.page.$$eval('[data-queue-table] tr[data-row] td[data-col="serviceLevel"]', (tds) =>
      Object.fromEntries(tds.map((td) => [td.closest('tr')!.getAttribute('data-row')!, { mark: td.querySelector('[data-threshold-changed]')?.textContent?.trim() ?? null, title: td.getAttribute('title') }])),
    );
    await screenshot(lead.page, 'threshold-change-lead-zh.png');
    await lead.context.close();
    expect(cells['queue:cards']!.mark).toMatch(/^20→30\s?秒$/);
    expect(cells['queue:cards']!.title).toContain('cards 于 10:35 由 20');
    expect(cells['queue:loans']).toEqual({ mark: null, title: null });
    // the center row includes cards: it says so too
    expect(cells['center']!.mark).toMatch(/^20→30\s?秒$/);
  }, 90_000);
});
