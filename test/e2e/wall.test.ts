import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { defaultTiles } from '../../shared/contract/config.ts';
import { staleAfterMs } from '../../shared/realtime/events.ts';
import { tileDefs, formatFigure } from '../../client/src/lib/tiles.ts';
import { Keys } from '../../server/redis/keys.ts';
import { testRedisClient } from '../support/redis.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { displayToken, ingestToken, useScenario } from './scenario.ts';

// A fixed instant (10:30 Shanghai) so every figure on screen is deterministic.
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

async function metrics(query: string): Promise<MetricsResult> {
  return scenario.server.getJson<MetricsResult>(`/api/v1/metrics?${query}`, displayToken);
}

/**
 * The fake clock stands still, so the trend would have one point. For the screenshots, the last
 * 45 minutes of per-minute samples are written where the push keeps them (as a server that had
 * been running would have), varied around the current figures; the chart draws what it loads.
 */
async function seedTrendHistory(): Promise<void> {
  const redis = testRedisClient();
  const key = new Keys(scenario.server.keyPrefix).trend('default', 'board:default:default');
  const now = await Promise.all(['voice', 'text', 'video'].map((c) => metrics(`channel=${c}&window=30m`)));
  for (let m = 45; m >= 1; m--) {
    const minute = Math.floor((t0 - m * 60_000) / 60_000) * 60_000;
    const wave = Math.sin(m / 6);
    const point = {
      t: new Date(minute).toISOString(),
      serviceLevel: now.map((r, i) => Math.max(0, Math.min(1, (r.serviceLevel ?? 0.8) + 0.12 * wave * (i + 1) / 2))),
      waiting: now.map((r, i) => Math.max(0, Math.round((r.waiting ?? 0) + 3 * wave + i))),
    };
    await redis.hset(key, String(minute / 1000), JSON.stringify(point));
  }
  redis.disconnect();
}

async function waitLive(page: Page): Promise<void> {
  await page.waitForSelector('section.board[data-stale="false"]', { timeout: 10_000 });
}

/** every tile of one row as shown: tile id → text */
async function rowTexts(page: Page, rowId: string): Promise<Record<string, string>> {
  return page.$$eval(`[data-row="${rowId}"][data-tile]`, (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-tile')!, e.querySelector('[data-value]')!.textContent!.trim()])),
  );
}

function expected(result: MetricsResult, locale: 'zh-CN' | 'en'): Record<string, string> {
  return Object.fromEntries(defaultTiles.map((t) => [t, formatFigure(tileDefs[t], result, locale)]));
}

describe('/wall', () => {
  it('shows exactly the figures of the metrics API, per channel row', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', { token: displayToken });
    await waitLive(page);
    // the token moved from the fragment to storage
    expect(page.url()).not.toContain('token=');
    for (const channel of ['voice', 'text', 'video']) {
      const api = await metrics(`channel=${channel}&window=30m`);
      expect(await rowTexts(page, `channel:${channel}`)).toEqual(expected(api, 'zh-CN'));
    }
    // the service-level tile shows its target and threshold ("80% / 20 秒")
    expect(await page.textContent('[data-row="channel:voice"][data-tile="serviceLevel"]')).toContain('80% / 20 秒');
    // the clock runs on server time in the center's zone (fake clock: 10:30:00 Shanghai). The
    // browser estimates the server's clock from the handshake, so allow a second of estimation
    // error below and the test's own running time above — but never the browser's own time.
    const [hh, mm, ss] = (await page.textContent('[data-clock]'))!.split(':').map(Number);
    const shownSec = hh! * 3600 + mm! * 60 + ss!;
    expect(shownSec).toBeGreaterThanOrEqual(10 * 3600 + 30 * 60 - 2);
    expect(shownSec).toBeLessThan(10 * 3600 + 40 * 60);
    await context.close();
  });

  it('updates the board after an ingest', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', { token: displayToken });
    await waitLive(page);
    const before = (await metrics('channel=video&window=30m')).waiting!;
    await scenario.server.postEvents([{ id: 'late-video-1', type: 'contact.queued', ts: t0 - 1000, contactId: 'late-video-1', queue: 'vtm', channel: 'video' }], ingestToken);
    const api = await metrics('channel=video&window=30m');
    expect(api.waiting).toBe(before + 1);
    await page.waitForFunction(
      (want) => document.querySelector('[data-row="channel:video"][data-tile="waiting"] [data-value]')?.textContent?.trim() === want,
      formatFigure(tileDefs.waiting, api, 'zh-CN'),
      { timeout: 2000 },
    );
    await context.close();
  });

  it('turns every figure STALE within 10 s when the server goes away, and resyncs when it is back', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', { token: displayToken });
    await waitLive(page);
    await scenario.server.stop();
    const dropped = Date.now();
    await page.waitForSelector('section.board[data-stale="true"]', { timeout: 10_000 });
    expect(Date.now() - dropped).toBeLessThan(10_000);
    // every tile is marked, none shows a level colour, and the banner says so in both languages
    const tiles = await page.$$eval('[data-tile]', (els) => els.map((e) => [e.getAttribute('data-stale'), e.getAttribute('data-level')]));
    expect(tiles.length).toBeGreaterThan(0);
    for (const [stale, level] of tiles) {
      expect(stale).toBe('true');
      expect(level).toBe('none');
    }
    expect(await page.textContent('[data-stale-banner]')).toContain('数据已过期');
    expect(await page.textContent('[data-stale-banner]')).toContain('STALE');
    await screenshot(page, 'wall-stale-1920x1080.png');

    await scenario.server.resume();
    await scenario.server.postEvents([{ id: 'after-restart-1', type: 'contact.queued', ts: t0 - 500, contactId: 'after-restart-1', queue: 'chat', channel: 'text' }], ingestToken);
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    const api = await metrics('channel=text&window=30m');
    await page.waitForFunction(
      (want) => document.querySelector('[data-row="channel:text"][data-tile="waiting"] [data-value]')?.textContent?.trim() === want,
      formatFigure(tileDefs.waiting, api, 'zh-CN'),
      { timeout: 3000 },
    );
    expect(await rowTexts(page, 'channel:text')).toEqual(expected(api, 'zh-CN'));
    await context.close();
  }, 40_000);

  it('turns STALE when updates stop arriving on an open connection, and recovers with the next one', async () => {
    // frames from the server are held back while the socket itself stays open
    let forward = true;
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', {
      token: displayToken,
      beforeGoto: (p) =>
        p.routeWebSocket(/\/socket\.io\//, (ws) => {
          const upstream = ws.connectToServer();
          upstream.onMessage((m) => forward && ws.send(m));
          ws.onMessage((m) => upstream.send(m));
        }),
    });
    await waitLive(page);
    forward = false;
    const held = Date.now();
    await page.waitForSelector('section.board[data-stale="true"]', { timeout: 13_000 });
    // not before 10 s of silence (heartbeats come every 5 s, so nothing for 10 s means trouble)
    expect(Date.now() - held).toBeGreaterThanOrEqual(staleAfterMs - 5_000);
    expect(await page.textContent('[data-stale-banner]')).toMatch(/STALE\s*·\s*\d+ 秒 前/);
    forward = true;
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 8_000 });
    await context.close();
  }, 40_000);

  it('rotates through the configured boards and the legend page', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall/voice?lang=en', { token: displayToken });
    await page.waitForSelector('section.board[data-board="voice"][data-stale="false"]', { timeout: 10_000 });
    const retail = await metrics('queue=retail&window=30m');
    expect(await rowTexts(page, 'queue:retail')).toEqual(expected(retail, 'en'));
    await page.waitForSelector('section.board[data-board="video"]', { timeout: 7_000 });
    const video = await metrics('channel=video&window=15m');
    await page.waitForSelector('section.board[data-board="video"][data-stale="false"]', { timeout: 2_000 });
    expect(await rowTexts(page, 'channel:video')).toEqual(expected(video, 'en'));
    await page.waitForSelector('[data-page="legend"]', { timeout: 7_000 });
    // the legend is the registry's text
    expect(await page.textContent('[data-legend="serviceLevel"]')).toContain('answered within the threshold (default 20 s) ÷ offered × 100%');
    // …and its source is in the screen's language too
    expect(await page.textContent('[data-legend="serviceLevel"]')).toContain('Source: Remote banking customer service and operation specification: 80% / 20 s');
    await screenshot(page, 'wall-legend-1920x1080.png');
    // the legend keeps its text readable at 5 m and takes as many pages as it needs, each one turn
    const legendPages = Number(await page.getAttribute('[data-page="legend"]', 'data-parts'));
    expect(legendPages).toBeGreaterThanOrEqual(1);
    await page.waitForSelector('section.board[data-board="voice"]', { timeout: 7_000 + (legendPages - 1) * 5_000 });
    await context.close();
  }, 45_000);

  it('fits 1920×1080, 3840×2160 and 32:9 (screenshots in test-artifacts/)', async () => {
    await seedTrendHistory();
    for (const [w, h] of [
      [1920, 1080],
      [3840, 2160],
      [3840, 1080],
    ] as const) {
      const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', { token: displayToken, viewport: { width: w, height: h } });
      await waitLive(page);
      await page.waitForTimeout(300);
      // nothing spills out of the screen and no tile clips its figure
      const overflow = await page.evaluate(() => {
        const tiles = [...document.querySelectorAll('[data-tile] [data-value]')] as HTMLElement[];
        return {
          page: document.documentElement.scrollWidth > innerWidth || document.documentElement.scrollHeight > innerHeight,
          clipped: tiles.filter((v) => v.scrollWidth > v.parentElement!.clientWidth + 1).length,
        };
      });
      await screenshot(page, `wall-${w}x${h}.png`);
      expect(overflow).toEqual({ page: false, clipped: 0 });
      await context.close();
    }
  }, 120_000);

  it('refuses to show anything without a token', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall');
    await page.waitForSelector('.message', { timeout: 5000 });
    expect(await page.textContent('.message')).toContain('#token=');
    expect(await page.$('[data-tile]')).toBeNull();
    await context.close();
  });
});
