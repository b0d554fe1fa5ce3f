import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { ScorecardResult } from '../../shared/contract/kpi-api.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { formatKpi, kpiFigureDefs, wallKpiIds } from '../../client/src/lib/kpi/figures.ts';
import { formatCount, formatDuration, formatPercent } from '../../client/src/lib/format.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';
import { agentEvents, contactEvents, displayToken, ingestToken, leadToken, scenarioConfig } from './scenario.ts';

/**
 * The KPI pack on screen: the wall's 智能服务 row and the console's agent scorecard show exactly
 * the figures of the metrics / scorecard APIs (formatted as the UI formats them).
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // 10:30 Shanghai
const clock = new FakeClock(t0);
let server: TestServer;
let browser: Browser;

/** surveys on answered contacts of the scenario, IVR and robot sessions over the last hour */
function kpiEvents(core: ContractEventInput[]): ContractEventInput[] {
  const answered = core.filter((e): e is Extract<ContractEventInput, { type: 'contact.answered' }> => e.type === 'contact.answered');
  const ratings = [5, 4, 5, 1, 'satisfied', 3, 2, 5, 'dissatisfied', 4] as const;
  const out: ContractEventInput[] = answered.slice(0, 30).map((e, i) => ({
    id: `kpi-s${i}`,
    type: 'survey.rated',
    ts: (typeof e.ts === 'number' ? e.ts : Date.parse(e.ts)) + 60_000,
    contactId: e.contactId,
    rating: ratings[i % ratings.length]!,
    via: i % 3 === 0 ? 'sms' : 'ivr',
  }));
  for (let i = 0; i < 40; i++) {
    const ts = t0 - 55 * 60_000 + i * 80_000;
    out.push({ id: `kpi-i${i}a`, type: 'ivr.entered', ts, sessionId: `iv${i}` });
    out.push({ id: `kpi-i${i}b`, type: 'ivr.exited', ts: ts + 40_000, sessionId: `iv${i}`, outcome: i % 3 === 0 ? 'to_agent' : i % 7 === 0 ? 'hangup' : 'self_served' });
  }
  for (let i = 0; i < 24; i++) {
    const ts = t0 - 50 * 60_000 + i * 100_000;
    out.push({ id: `kpi-b${i}a`, type: 'bot.started', ts, sessionId: `bt${i}`, channel: 'text' });
    out.push({
      id: `kpi-b${i}b`, type: 'bot.ended', ts: ts + 90_000, sessionId: `bt${i}`, channel: 'text',
      outcome: i % 2 === 0 ? 'resolved' : i % 5 === 0 ? 'abandoned' : 'to_agent', questions: 3, recognized: 2 + (i % 2), unresolvedRated: i % 3 === 0 ? 1 : 0,
    });
  }
  return out;
}

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config: scenarioConfig, clock });
  const core = [...agentEvents(t0), ...contactEvents(t0)];
  await server.postEvents(core, ingestToken);
  const res = await server.postEvents(kpiEvents(core), ingestToken);
  expect(res.rejected).toBe(0);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

async function kpiTexts(page: Page): Promise<Record<string, string>> {
  return page.$$eval('[data-kpi-row] [data-kpi]', (tiles) =>
    Object.fromEntries(tiles.map((t) => [t.getAttribute('data-kpi')!, t.querySelector('[data-value]')!.textContent!.trim()])),
  );
}

describe('KPI pack on screen', () => {
  it('the wall’s 智能服务 row shows today’s figures exactly as the metrics API', async () => {
    const api = await server.getJson<MetricsResult>('/api/v1/metrics?window=today', displayToken);
    const k = api.kpi!;
    // the scenario really exercises the row (no all-null row that would pass trivially)
    expect(k.ratings).toBeGreaterThan(10);
    expect(k.ivrSessions).toBe(40);
    expect(k.csat).not.toBeNull();
    const { page, context } = await openPage(browser, server, '/wall', { token: displayToken });
    await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 15_000 });
    const want = Object.fromEntries(wallKpiIds.map((id) => [id, formatKpi(kpiFigureDefs[id]!.kind, kpiFigureDefs[id]!.value(k), 'zh-CN')]));
    expect(await kpiTexts(page)).toEqual(want);
    // CSAT below the 85% standard is coloured (display threshold csat)
    const level = await page.getAttribute('[data-kpi="csat"]', 'data-level');
    expect(level).toBe(k.csat! < 0.8 ? 'critical' : k.csat! < 0.85 ? 'warning' : 'normal');
    await screenshot(page, 'kpi-wall.png');
    await context.close();
  });

  it('the console’s agent scorecard shows the scorecard API’s figures', async () => {
    const card = await server.getJson<ScorecardResult>('/api/v1/agents/scorecard', displayToken);
    expect(card.agents.length).toBeGreaterThan(10);
    const { page, context } = await openPage(browser, server, '/lead', { token: leadToken });
    await page.waitForSelector('[data-scorecard] tr[data-agent]', { timeout: 15_000 });
    for (const a of card.agents.filter((x) => x.handledToday > 0).slice(0, 8)) {
      const cells = await page.$$eval(`[data-scorecard] tr[data-agent="${a.agentId}"] td[data-col]`, (tds) =>
        Object.fromEntries(tds.map((td) => [td.getAttribute('data-col')!, td.textContent!.trim()])),
      );
      expect(cells).toEqual({
        handledToday: formatCount(a.handledToday, 'zh-CN'),
        loggedInSec: formatDuration(a.loggedInSec, 'zh-CN'),
        dailyCallsPerAgent: formatKpi('score', a.dailyCallsPerAgent, 'zh-CN'),
        ratings: formatCount(a.ratings, 'zh-CN'),
        csat: formatPercent(a.csat, 'zh-CN'),
        csatMeanScore: formatKpi('score', a.csatMeanScore, 'zh-CN'),
      });
    }
    const teams = await page.$$eval('[data-scorecard] tfoot tr[data-team]', (rows) => rows.map((r) => r.getAttribute('data-team')));
    expect(teams).toEqual(card.teams.map((t) => t.team ?? ''));
    // the queue table carries the KPI columns (same window as the row)
    await page.waitForSelector('[data-queue-table] td[data-col="kpi.csat"]');
    await screenshot(page, 'kpi-lead.png');
    await context.close();
  });
});
