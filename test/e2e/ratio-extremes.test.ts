import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { maxBatchSize, type ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';

/**
 * README (Thresholds): a ratio reads 100 % only when it is exactly 1 and 0 % only when it is
 * exactly 0 — 2 499 of 2 500 answered within the threshold is "99.96%" on the wall, in the
 * console's table and in its drill-down, not "100.0%". Real events on a fake clock.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const tokens = { display: 'ratio-edges-display-0001', lead: 'ratio-edges-lead-0000001', ingest: 'ratio-edges-ingest-00001' };
const config: AppConfigInput = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice' },
  ],
  boards: [
    {
      id: 'ratios',
      title: { zh: '比率', en: 'Ratios' },
      rows: [{ kind: 'queue', queue: 'cards' }, { kind: 'queue', queue: 'loans' }],
      tiles: ['serviceLevel', 'answerRate', 'abandonRate', 'offered'],
      window: '30m',
      legendPage: false,
    },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.lead, role: 'lead', name: 'lead' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
  ],
};

/** cards: 2 500 answered, one after 25 s (SL 2 499 / 2 500); loans: 2 500 offered, one abandoned */
function events(): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  for (const queue of ['cards', 'loans'] as const) {
    for (let i = 0; i < 2500; i++) {
      const contactId = `${queue}${i}`;
      const queuedAt = t0 - 25 * 60_000 + i * 500;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts: queuedAt, contactId, queue, channel: 'voice' });
      if (queue === 'loans' && i === 7) out.push({ id: `${contactId}-x`, type: 'contact.abandoned', ts: queuedAt + 15_000, contactId });
      else out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: queuedAt + (queue === 'cards' && i === 7 ? 25_000 : 5_000), contactId, agentId: 'A1' });
    }
  }
  return out;
}

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  const all = events();
  for (let i = 0; i < all.length; i += maxBatchSize) await server.postEvents(all.slice(i, i + maxBatchSize), tokens.ingest);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

const tileText = (page: Page, row: string, tile: string) => page.$eval(`[data-row="${row}"][data-tile="${tile}"] [data-value]`, (e) => e.textContent!.trim());
const cell = (page: Page, row: string, col: string) => page.$eval(`[data-queue-table] tr[data-row="${row}"] td[data-col="${col}"]`, (td) => td.firstChild!.textContent!.trim());

describe('a ratio short of 1 (or above 0) never reads 100 % (or 0 %)', () => {
  it('the engine\'s figures (sanity)', async () => {
    const cards = await server.getJson<MetricsResult>('/api/v1/metrics?queue=cards&window=30m', tokens.lead);
    const loans = await server.getJson<MetricsResult>('/api/v1/metrics?queue=loans&window=30m', tokens.lead);
    expect([cards.serviceLevel, cards.answerRate, cards.abandonRate]).toEqual([2499 / 2500, 1, 0]);
    expect([loans.answerRate, loans.abandonRate]).toEqual([2499 / 2500, 1 / 2500]);
  });

  it('wall tiles: "99.96%" and "0.04%"; exactly 1 and 0 stay "100.0%" and "0.0%"', async () => {
    const { page, context } = await openPage(browser, server, '/wall/ratios', { token: tokens.display });
    try {
      await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
      const shown = {
        cardsSl: await tileText(page, 'queue:cards', 'serviceLevel'),
        cardsAnswer: await tileText(page, 'queue:cards', 'answerRate'),
        cardsAbandon: await tileText(page, 'queue:cards', 'abandonRate'),
        loansAnswer: await tileText(page, 'queue:loans', 'answerRate'),
        loansAbandon: await tileText(page, 'queue:loans', 'abandonRate'),
      };
      await screenshot(page, 'wall-ratio-extremes.png');
      expect(shown).toEqual({ cardsSl: '99.96%', cardsAnswer: '100.0%', cardsAbandon: '0.0%', loansAnswer: '99.96%', loansAbandon: '0.04%' });
    } finally {
      await context.close();
    }
  });

  it('console table and drill-down alike', async () => {
    const { page, context } = await openPage(browser, server, '/lead', { token: tokens.lead });
    try {
      await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
      expect([await cell(page, 'queue:cards', 'serviceLevel'), await cell(page, 'queue:loans', 'abandonRate'), await cell(page, 'queue:loans', 'answerRate')]).toEqual(['99.96%', '0.04%', '99.96%']);
      await page.click('tr[data-row="queue:cards"]');
      await page.waitForSelector('[data-drilldown="cards"]');
      expect(await page.textContent('[data-drilldown="cards"] dd[data-col="serviceLevel"]')).toBe('99.96%');
    } finally {
      await context.close();
    }
  });
});
