import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/clock.ts';
import { formatTime } from '../../client/src/lib/format.ts';
import type { ScorecardResult } from '../../shared/contract/kpi-api.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { displayToken, leadToken, useScenario } from './scenario.ts';

/**
 * The REST-fed parts of the screens (the wall's 智能服务 row, the console's agent scorecard):
 * answers arriving out of order, and the age of their figures.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

describe('wall 智能服务 row keeps the newest REST answer (client/src/lib/kpi/WallKpiRow.svelte)', () => {
  it('a late answer to an older refresh does not replace newer figures', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let firstFetched!: () => void;
    const fetchedFirst = new Promise<void>((r) => (firstFetched = r));
    let calls = 0;
    const { page, context } = await openPage(scenario.browser, scenario.server, '/wall', {
      token: displayToken,
      beforeGoto: async (p) => {
        await p.route(/\/api\/v1\/metrics\?.*window=today/, async (route) => {
          calls += 1;
          if (calls !== 1) return route.continue();
          // the first refresh is read by the server now, but its answer is slow to arrive
          const response = await route.fetch();
          firstFetched();
          await released;
          await route.fulfill({ response });
        });
      },
    });
    await fetchedFirst;
    // server time moves on; the next refresh (10 s later) reads newer figures
    clock.advance(5_000);
    await page.waitForSelector('[data-kpi-asof]', { timeout: 15_000 });
    const newer = (await page.textContent('[data-kpi-asof]'))!.trim();
    expect(newer).toBe(formatTime(t0 + 5_000, 'zh-CN', 'Asia/Shanghai'));
    // now the slow first answer lands
    release();
    await page.waitForTimeout(1_000);
    const shown = (await page.textContent('[data-kpi-asof]'))!.trim();
    const stale = await page.getAttribute('[data-kpi-row]', 'data-stale');
    await screenshot(page, 'wall-kpi-row-late-answer.png');
    await context.close();
    console.log('kpi as-of before/after the late answer', newer, shown, 'stale', stale);
    expect({ shown, stale }).toEqual({ shown: newer, stale: 'false' });
  }, 40_000);
});

describe('agent scorecard shows the age of its figures (client/src/lib/kpi/AgentScorecard.svelte)', () => {
  it('states the age (as-of time) of its figures', async () => {
    const api = await scenario.server.getJson<ScorecardResult>('/api/v1/agents/scorecard?center=default', leadToken);
    const asOfText = formatTime(Date.parse(api.asOf), 'zh-CN', 'Asia/Shanghai');
    const { page, context } = await openPage(scenario.browser, scenario.server, '/lead', { token: leadToken });
    await page.waitForSelector('[data-scorecard] table', { timeout: 10_000 });
    const text = (await page.textContent('[data-scorecard]'))!;
    await context.close();
    console.log('scorecard asOf', api.asOf, asOfText, 'heading', text.slice(0, 40));
    expect(text).toContain(asOfText);
  });
});
