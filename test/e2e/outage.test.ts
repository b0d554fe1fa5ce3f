import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { appOnOwnRedis } from '../support/own-redis-app.ts';
import { ensureClientBuilt, launchBrowser } from '../support/browser.ts';

/**
 * a wall opened (or reloaded) while Redis is down must say STALE. The server once handed
 * the joining screen the last pre-outage payload as a snapshot (hub.ts snapshot reuse), which the
 * client (freshness by arrival time) showed as current, setting its clock back to match it (the
 * clock now follows the session's serverTime).
 */
const displayToken = 'display-token-0123456789';
let redis: EmbeddedRedis;
let url: string;
let close: () => Promise<void>;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  ({ url, redis, close } = await appOnOwnRedis('outage-e2e', displayToken));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

describe('a wall opened while Redis is down', () => {
  it('shows STALE, not the pre-outage figures as current', async () => {
    const tv1 = await (await browser.newContext()).newPage();
    await tv1.goto(`${url}/wall#token=${displayToken}`);
    await tv1.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    const lastBefore = await tv1.textContent('[data-last-update]');

    await redis.stop();
    const downAt = Date.now();
    await sleep(8000);
    // the screen that kept its socket does turn STALE (nothing arrived for > 10 s soon)

    const tv2 = await (await browser.newContext()).newPage();
    const opened = Date.now();
    await tv2.goto(`${url}/wall#token=${displayToken}`);
    await tv2.waitForSelector('section.board', { timeout: 15_000 });
    await sleep(2500);
    const read = (page: typeof tv1) =>
      page.evaluate(() => ({
        stale: document.querySelector('section.board')?.getAttribute('data-stale') ?? null,
        lastUpdate: document.querySelector('[data-last-update]')?.textContent ?? null,
        banner: document.querySelector('[data-stale-banner]')?.textContent?.replace(/\s+/g, ' ') ?? null,
        clock: document.querySelector('[data-clock]')?.textContent ?? null,
        localTime: new Date().toISOString(),
      }));
    const [r2, r1] = await Promise.all([read(tv2), read(tv1)]);
    const stale = r2.stale;
    console.log(JSON.stringify({ sinceOpenMs: Date.now() - opened, redisDownForMs: Date.now() - downAt, lastBefore, tv2: r2, tv1: r1 }));
    // Redis has been down for > 10 s: the figures on tv2 are at least that old
    expect(stale).toBe('true');
  }, 90_000);
});
