import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import { tileIds, type AppConfigInput } from '../../shared/contract/config.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';

/**
 * Everything fits a 1920×1080 wall:
 * - the legend page lists the board's tiles AND the 8 figures of the 智能服务 row; the grid is
 *   `overflow: hidden` and, its text kept readable, takes as many pages as it needs — every entry
 *   is fully visible on one of them (README: the legend page "explains every figure").
 * - the 智能服务 row's figures get extra decimals near a threshold ("84.995%", "49.999%"); the tile
 *   is `overflow: hidden`, so the figure shrinks to fit it as the board's tiles do (app.css
 *   `.fit-figure`) and keeps its "%".
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const displayToken = 'wall-fit-display-token-0000';

const config: AppConfigInput = {
  centers: [{ id: 'default', name: { zh: '适配中心', en: 'Fit center' }, timeZone: 'Asia/Shanghai' }],
  queues: [{ id: 'q1', name: { zh: '队列一', en: 'Queue one' }, channel: 'voice' }],
  boards: [
    { id: 'all', title: { zh: '全部指标', en: 'All figures' }, rows: [{ kind: 'center' }], tiles: [...tileIds], window: '30m', rotateEverySec: 5, legendPage: true },
    { id: 'kpi', title: { zh: '智能服务', en: 'KPI' }, rows: [{ kind: 'center' }], window: '30m', legendPage: false },
  ],
  tokens: [{ token: displayToken, role: 'display', name: 'tv' }],
};

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

describe('wall fit: the legend page of a board with every tile shows every entry', () => {
  it('every legend entry is inside the visible part of the legend grid on one of its pages, at a readable size (1920×1080)', async () => {
    const { page, context } = await openPage(browser, server, '/wall/all', { token: displayToken });
    await page.waitForSelector('[data-page="legend"]', { timeout: 15_000 });
    await page.waitForTimeout(500);
    // the legend keeps the wall's text size and is split into pages (5 s each here) instead of
    // shrinking: read every page
    const read = () =>
      page.$eval('[data-page="legend"]', (legend) => {
        const g = legend.querySelector('.grid')!.getBoundingClientRect();
        const entries = [...legend.querySelectorAll('[data-legend]')].map((e) => {
          const r = e.getBoundingClientRect();
          return { id: e.getAttribute('data-legend')!, inside: r.height > 0 && r.left >= g.left - 1 && r.right <= g.right + 1 && r.top >= g.top - 1 && r.bottom <= g.bottom + 1 };
        });
        const fonts = [...legend.querySelectorAll('[data-legend] p')].map((p) => parseFloat(getComputedStyle(p).fontSize));
        return {
          part: Number((legend as HTMLElement).dataset.part),
          parts: Number((legend as HTMLElement).dataset.parts),
          ids: entries.map((e) => e.id),
          hidden: entries.filter((e) => !e.inside).map((e) => e.id),
          minFont: Math.min(...fonts),
        };
      });
    const pages = new Map<number, Awaited<ReturnType<typeof read>>>();
    const first = await read();
    pages.set(first.part, first);
    await screenshot(page, 'wall-fit-legend-all-tiles.png');
    for (let k = 0; k < first.parts; k++) {
      if (pages.has(k)) continue;
      await page.waitForSelector(`[data-page="legend"][data-part="${k}"]`, { timeout: 8_000 });
      await page.waitForTimeout(200);
      const l = await read();
      pages.set(l.part, l);
    }
    await context.close();
    const all = [...pages.values()];
    const fit = { pages: all.length, entries: all.reduce((n, l) => n + l.ids.length, 0), minFont: Math.min(...all.map((l) => l.minFont)), hidden: all.flatMap((l) => l.hidden) };
    console.log('legend fit', JSON.stringify(fit));
    expect(fit.entries).toBe(tileIds.length + 8);
    expect(new Set(all.flatMap((l) => l.ids)).size).toBe(tileIds.length + 8);
    expect(fit.hidden).toEqual([]);
    // never shrunk below the wall's smallest text (20 px at 1080p)
    expect(fit.minFont).toBeGreaterThanOrEqual(20);
  }, 60_000);
});

describe('wall fit: 智能服务 row figures with extra decimals near a threshold fit their tile', () => {
  it('"84.995%" and "49.999%" fit inside their tile (within its padding, never clipped), 1920×1080', async () => {
    const { page, context } = await openPage(browser, server, '/wall/kpi', {
      token: displayToken,
      beforeGoto: async (p) => {
        await p.route(/\/api\/v1\/metrics\?.*window=today/, async (route) => {
          const response = await route.fetch();
          const body = (await response.json()) as MetricsResult;
          // CSAT 16 999 / 20 000 ratings = 84.995 % (warning: < 85 %); robot resolution of a
          // large bank's chat robot, 199 999 / 400 000 questions = 49.99975 % (warning: < 50 %)
          body.kpi = { ...body.kpi!, csat: 16_999 / 20_000, botResolutionRate: 199_999 / 400_000 };
          await route.fulfill({ response, json: body });
        });
      },
    });
    await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 15_000 });
    await page.waitForTimeout(300);
    const tiles = await page.$$eval('[data-kpi="csat"], [data-kpi="botResolutionRate"]', (els) =>
      els.map((e) => {
        const v = e.querySelector('[data-value]') as HTMLElement;
        const range = document.createRange();
        range.selectNodeContents(v);
        const text = range.getBoundingClientRect();
        const tile = e.getBoundingClientRect();
        // the tile clips (overflow: hidden) at the inside of its border; its padding keeps the
        // figure off the border: the figure must stay inside the padding (as on the board's tiles),
        // leaving room for a TV's font with wider digits than this browser's
        const style = getComputedStyle(e);
        const clipRight = tile.right - parseFloat(style.borderRightWidth);
        const contentRight = clipRight - parseFloat(style.paddingRight);
        return {
          id: e.getAttribute('data-kpi'),
          text: v.textContent!.trim(),
          level: e.getAttribute('data-level'),
          fontPx: getComputedStyle(v).fontSize,
          textRight: Math.round(text.right),
          contentRight: Math.round(contentRight),
          clipRight: Math.round(clipRight),
          fits: text.right <= contentRight + 0.5,
        };
      }),
    );
    await screenshot(page, 'wall-fit-kpi-row-extra-digits.png');
    await context.close();
    console.log('kpi tiles', JSON.stringify(tiles));
    expect(tiles.map((t) => [t.id, t.text, t.level, t.fits])).toEqual([
      ['csat', '84.995%', 'warning', true],
      // 49.99975%: two extra decimals would read "50.000%", so it is rounded down (levels.ts)
      ['botResolutionRate', '49.999%', 'warning', true],
    ]);
  }, 40_000);
});
