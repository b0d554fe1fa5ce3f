import { afterEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { RulesStatusResponse } from '../../shared/contract/alerts.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { leadToken, useScenario } from './scenario.ts';

/**
 * README (Traffic spike): while a spike rule cannot fire for lack of history (a new install, queue
 * or center), the lead console says so with the server's reason and the expected date — a manager
 * must not read "no spike alert" as "no spike". The scenario's server is new: it has no history
 * at all, so its status says `history` for real; an armed status (stubbed on the route) shows
 * nothing, nor does `quiet` (a mature center at night).
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

const opened: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close().catch(() => undefined)));
});

async function openLead(path: string, stub?: (real: RulesStatusResponse) => RulesStatusResponse, served?: { n: number }): Promise<Page> {
  const o = await openPage(scenario.browser, scenario.server, path, {
    token: leadToken,
    viewport: { width: 1440, height: 900 },
    beforeGoto: async (page) => {
      if (!stub) return;
      await page.route('**/api/v1/alerts/rules/status**', async (route) => {
        const res = await route.fetch();
        await route.fulfill({ response: res, json: stub((await res.json()) as RulesStatusResponse) });
        if (served) served.n += 1;
      });
    },
  });
  opened.push(o.context);
  await o.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
  return o.page;
}

describe('/lead: the traffic-spike rule not armed yet', () => {
  it('says so with the server’s reason, in both languages', async () => {
    const status = await scenario.server.getJson<RulesStatusResponse>('/api/v1/alerts/rules/status', leadToken);
    const history = status.rules.filter((r) => r.inForce && r.reason?.code === 'history');
    // a server with no history at all: every spike rule in force lacks it
    expect(history.length).toBeGreaterThan(0);

    const zh = await openLead('/lead?lang=zh-CN');
    const note = await zh.waitForSelector('[data-spike-not-armed]', { timeout: 15_000 });
    const zhText = (await note.textContent())!.trim();
    expect(zhText).toContain('话务激增告警尚未生效：');
    expect(zhText).toContain(history[0]!.reason!.text.zh);
    await screenshot(zh, 'lead-spike-not-armed-zh.png');

    const en = await openLead('/lead?lang=en');
    const enText = (await (await en.waitForSelector('[data-spike-not-armed]', { timeout: 15_000 })).textContent())!.trim();
    expect(enText).toContain('Traffic-spike alert not armed yet: ');
    expect(enText).toContain(history[0]!.reason!.text.en);
  }, 60_000);

  it('shows nothing once armed, nor for a quiet hour', async () => {
    for (const stub of [
      (r: RulesStatusResponse) => ({ ...r, rules: r.rules.map((x) => ({ ...x, armed: true, reason: undefined, armedFrom: null, armedFromLocal: null })) }),
      (r: RulesStatusResponse) => ({ ...r, rules: r.rules.map((x) => ({ ...x, armed: false, reason: { code: 'quiet' as const, text: { zh: '此时段近期无进线', en: 'no arrivals at this time of day' } } })) }),
    ]) {
      const served = { n: 0 };
      const page = await openLead('/lead?lang=en', stub, served);
      // the stubbed answer has been served and rendered (not merely not yet asked for)
      await expect.poll(() => served.n, { timeout: 15_000 }).toBeGreaterThan(0);
      await page.waitForTimeout(300);
      expect(await page.$('[data-spike-not-armed]')).toBeNull();
    }
  }, 60_000);
});
