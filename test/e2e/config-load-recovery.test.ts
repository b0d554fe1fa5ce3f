import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/clock.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { displayToken, leadToken, useScenario } from './scenario.ts';

/**
 * A screen must recover by itself ("runs for weeks", "It reconnects by itself"): one transient
 * failure of the public-configuration request (a proxy's 502 during a deploy, the server
 * restarting between index.html and the API call) must not leave the page on "正在连接…" for
 * good; client/src/lib/config.svelte.ts retries with back-off until the server answers.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

describe('wall and console recover from a failed config request', () => {
  for (const [path, token] of [
    ['/wall', displayToken],
    ['/lead', leadToken],
  ] as const) {
    it(`${path} shows figures once the server answers again`, async () => {
      let calls = 0;
      const { page, context } = await openPage(scenario.browser, scenario.server, path, {
        token,
        beforeGoto: async (p) => {
          await p.route(/\/api\/v1\/config\/public/, (route) => {
            calls += 1;
            // only the very first request fails (a 502 from the proxy while the server restarts)
            if (calls === 1) return route.fulfill({ status: 502, body: 'Bad Gateway' });
            return route.continue();
          });
        },
      });
      // the server is healthy from here on; the socket is connected and views could be subscribed
      const shown = await page
        .waitForSelector(path === '/wall' ? '[data-tile]' : '[data-queue-table]', { timeout: 20_000 })
        .then(() => true)
        .catch(() => false);
      const body = (await page.textContent('body'))!.trim().slice(0, 80);
      await screenshot(page, `config-load-recovery${path.replace('/', '-')}.png`);
      await context.close();
      console.log(path, 'config requests', calls, 'figures shown', shown, 'page says', JSON.stringify(body));
      expect({ shown, configRequests: calls }).toEqual({ shown: true, configRequests: expect.any(Number) });
    }, 40_000);
  }
});
