import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AgentRow, MetricsResult } from '../../shared/contract/metrics-api.ts';
import { columnDefs, formatFigure } from '../../client/src/lib/tiles.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { displayToken, ingestToken, leadToken, useScenario } from './scenario.ts';
import { kpiColumns } from '../../client/src/lib/kpi/columns.ts';

const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

const metrics = (q: string) => scenario.server.getJson<MetricsResult>(`/api/v1/metrics?${q}`, leadToken);

async function openLead(opts: { viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {}) {
  const opened = await openPage(scenario.browser, scenario.server, '/lead', { token: leadToken, ...opts });
  await opened.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
  return opened;
}

async function rowTexts(page: Page, rowId: string): Promise<Record<string, string>> {
  return page.$$eval(`[data-queue-table] tr[data-row="${rowId}"] td[data-col]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.getAttribute('data-col')!, td.firstChild!.textContent!.trim()])),
  );
}

function expected(result: MetricsResult, locale: 'zh-CN' | 'en'): Record<string, string> {
  // the KPI pack's columns (client/src/lib/kpi/columns.ts) follow the engine's
  return Object.fromEntries([...columnDefs, ...kpiColumns].map((c) => [c.id, formatFigure(c, result, locale)]));
}

describe('/lead', () => {
  it('shows every engine figure per queue and channel exactly as the metrics API, in each window', async () => {
    const { page, context } = await openLead();
    expect(await rowTexts(page, 'center')).toEqual(expected(await metrics('window=30m'), 'zh-CN'));
    for (const q of ['retail', 'credit', 'chat', 'vtm']) {
      expect(await rowTexts(page, `queue:${q}`)).toEqual(expected(await metrics(`queue=${q}&window=30m`), 'zh-CN'));
    }
    expect(await rowTexts(page, 'channel:voice')).toEqual(expected(await metrics('channel=voice&window=30m'), 'zh-CN'));
    // window switch: the table follows the 15-minute window
    await page.click('[data-window="15m"]');
    const want = expected(await metrics('queue=credit&window=15m'), 'zh-CN');
    await page.waitForFunction(
      (v) => document.querySelector('tr[data-row="queue:credit"] td[data-col="offered"]')?.firstChild?.textContent?.trim() === v,
      want.offered,
      { timeout: 5000 },
    );
    expect(await rowTexts(page, 'queue:credit')).toEqual(want);
    await context.close();
  });

  it('sorts, drills down into a queue and exports the intervals as CSV', async () => {
    const { page, context } = await openLead();
    await page.click('[data-sort="offered"]');
    const order = await page.$$eval('[data-queue-table] tbody tr.queue', (trs) => trs.map((tr) => Number(tr.querySelector('td[data-col="offered"]')!.textContent!.replace(/\D/g, ''))));
    expect(order).toEqual([...order].sort((a, b) => b - a));

    await page.click('tr[data-row="queue:retail"]');
    await page.waitForSelector('[data-drilldown="retail"]');
    const api = await metrics('queue=retail&window=30m');
    expect(await page.textContent('[data-drilldown="retail"] dd[data-col="serviceLevel"]')).toBe(formatFigure(columnDefs.find((c) => c.id === 'serviceLevel')!, api, 'zh-CN'));
    // the panel covers the header: it states the window and the figures' time itself, and marks
    // the cards that are live (now) or of the whole day rather than of the window
    expect(await page.textContent('[data-drilldown] [data-drilldown-window]')).toBe('近30分钟');
    expect(await page.textContent('[data-drilldown] [data-drilldown-status]')).toMatch(/更新于 \d{2}:\d{2}:\d{2}/);
    const tagged = await page.$$eval('[data-drilldown] dl > div', (cards) =>
      cards.filter((c) => c.querySelector('[data-scope-tag]')).map((c) => `${c.querySelector('dd')!.getAttribute('data-col')}:${c.querySelector('[data-scope-tag]')!.textContent}`),
    );
    expect(tagged).toEqual(expect.arrayContaining(['waiting:实时', 'longestWaitSec:实时', 'kpi.firstContactResolution:今日']));
    expect(tagged.some((t) => t.startsWith('serviceLevel:'))).toBe(false);
    // only agents serving the queue
    const agents = await scenario.server.getJson<AgentRow[]>('/api/v1/agents?queue=retail', leadToken);
    const inGrid = await page.$$eval('[data-drilldown] [data-agent]', (els) => els.map((e) => e.getAttribute('data-agent')).sort());
    expect(inGrid).toEqual(agents.filter((a) => a.state !== 'logged_out').map((a) => a.agentId).sort());
    await page.waitForSelector('[data-drilldown] [data-intervals]:not([data-intervals="0"])', { timeout: 5000 });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-drilldown] [data-export-csv]')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^\uFEFFfrom,to,fromLocal,arrivals,offered,answered/);
    expect(csv.trim().split('\n').length).toBeGreaterThan(1);
    await screenshot(page, 'lead-drilldown-1920x1080.png');
    await context.close();
  });

  it('switches language between zh-CN and English', async () => {
    const { page, context } = await openLead();
    expect(await page.textContent('h1')).toContain('班组长控制台');
    await page.click('[data-locale="en"]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('Team-lead console'));
    expect(await page.textContent('[data-sort="serviceLevel"]')).toContain('Service level');
    expect(await rowTexts(page, 'queue:chat')).toEqual(expected(await metrics('queue=chat&window=30m'), 'en'));
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.click('[data-locale="zh-CN"]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('班组长控制台'));
    await context.close();
  });

  it('watches one team from the link (?team=), and says so when the server does not know the team, in both languages', async () => {
    const known = await openPage(scenario.browser, scenario.server, '/lead?team=red', { token: leadToken });
    await known.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    expect(await known.page.textContent('[data-watching-team]')).toBe('班组：一组');
    const red = (await scenario.server.getJson<AgentRow[]>('/api/v1/agents?team=red', leadToken)).filter((a) => a.state !== 'logged_out');
    expect(await known.page.$$eval('.lower [data-agent]', (els) => els.length)).toBe(red.length);
    expect(await known.page.$('[data-view-refused]')).toBeNull();
    // the team's own row on top, labelled with its name: its agent figures (center-wide), no
    // contact figure (contacts have no team)
    expect(await known.page.$eval('[data-queue-table] tbody tr', (tr) => tr.getAttribute('data-row'))).toBe('team:red');
    expect(await known.page.textContent('tr[data-row="team:red"] th.name')).toContain('一组');
    expect(await known.page.getAttribute('tr[data-row="team:red"] th.name [data-info]', 'aria-label')).toBe('班组行：仅座席指标（来电不属于班组）');
    expect(await known.page.textContent('[data-team-row-note]')).toBe('班组行：仅座席指标（来电不属于班组）');
    const teamApi = await metrics('team=red&window=30m');
    const teamRow = await rowTexts(known.page, 'team:red');
    const col = (id: string) => [...columnDefs, ...kpiColumns].find((c) => c.id === id)!;
    for (const id of ['agentsLoggedIn', 'agentsAvailable', 'agentsOnContact', 'agentsAcw', 'agentsNotReady', 'occupancy', 'utilization']) {
      expect(teamRow[id], id).toBe(formatFigure(col(id), teamApi, 'zh-CN'));
    }
    for (const id of ['offered', 'answered', 'serviceLevel', 'waiting', 'asaSec', 'kpi.csat']) expect(teamRow[id], id).toBe('—');
    // the queue rows are the queues' own, not the team's: team red serves chat and the video
    // teller only, while 签入座席 of retail counts retail's agents
    const retail = await rowTexts(known.page, 'queue:retail');
    expect(retail).toEqual(expected(await metrics('queue=retail&window=30m'), 'zh-CN'));
    expect(retail.agentsLoggedIn).not.toBe(teamRow.agentsLoggedIn);
    expect(await rowTexts(known.page, 'center')).toEqual(expected(await metrics('window=30m'), 'zh-CN'));
    await screenshot(known.page, 'lead-team-row.png');
    await known.context.close();

    const { page, context } = await openPage(scenario.browser, scenario.server, '/lead?team=ghost', { token: leadToken });
    await page.waitForSelector('[data-view-refused="unknown_team"]', { timeout: 15_000 });
    expect(await page.textContent('[data-view-refused]')).toContain('未知班组“ghost”');
    await page.click('[data-locale="en"]');
    await page.waitForFunction(() => document.querySelector('[data-view-refused]')?.textContent?.includes('Unknown team "ghost"'));
    await screenshot(page, 'lead-unknown-team.png');
    await context.close();
  });

  it('shows the agent grid with filters, and re-renders 200 agents in ≤ 16 ms', async () => {
    const { page, context } = await openLead();
    const agents = (await scenario.server.getJson<AgentRow[]>('/api/v1/agents', leadToken)).filter((a) => a.state !== 'logged_out');
    expect(await page.$$eval('.lower [data-agent]', (els) => els.length)).toBe(agents.length);
    await page.selectOption('.lower [data-filter="team"]', 'red');
    expect(await page.$$eval('.lower [data-agent]', (els) => els.length)).toBe(agents.filter((a) => a.team === 'red').length);
    // the team control is the link's ?team=: "All" widens the view on the server, whose agents come
    // with its next payload
    await page.selectOption('.lower [data-filter="team"]', '');
    await page.selectOption('.lower [data-filter="state"]', 'acw');
    await expect.poll(() => page.$$eval('.lower [data-agent]', (els) => els.length), { timeout: 10_000 }).toBe(agents.filter((a) => a.state === 'acw').length);
    await page.selectOption('.lower [data-filter="state"]', '');

    const timings = await page.evaluate((base) => {
      const states = ['available', 'on_contact', 'acw', 'not_ready', 'hold', 'ringing'];
      const make = (round: number) =>
        Array.from({ length: 200 }, (_, i) => ({
          agentId: `B${i}`,
          name: `座席${i}`,
          state: states[(i + round) % states.length]!,
          reason: (i + round) % states.length === 3 ? 'break' : null,
          since: new Date(base - ((i * 37 + round * 11) % 1800) * 1000).toISOString(),
          team: ['red', 'blue', 'green'][i % 3]!,
          queues: ['retail'],
          handledToday: i + round,
        }));
      const hook = (window as unknown as { __wallboard: { measureAgentUpdate(rows: unknown[]): number } }).__wallboard;
      hook.measureAgentUpdate(make(0)); // first render creates the 200 cards
      const out: number[] = [];
      for (let round = 1; round <= 15; round++) out.push(hook.measureAgentUpdate(make(round)));
      return { out, cards: document.querySelectorAll('.lower [data-agent]').length };
    }, t0);
    expect(timings.cards).toBe(200);
    // a not-ready reason code is shown by its name (built-in: break = 小休), not as sent
    expect(await page.$eval('.lower [data-agent].s-not_ready .state', (el) => el.textContent)).toBe('未就绪 · 小休');
    const sorted = [...timings.out].sort((a, b) => a - b);
    // The lower quartile of 15 updates: the grid's own cost shows in every run, while time the CPU
    // spends on other work (tests share 2 cores) lands on some runs only.
    console.log(`200-agent grid update: min ${sorted[0]!.toFixed(1)} ms, p25 ${sorted[3]!.toFixed(1)} ms, median ${sorted[7]!.toFixed(1)} ms`);
    expect(sorted[3]).toBeLessThanOrEqual(16);
    await context.close();
  });

  it('turns STALE within 10 s when the connection drops and resyncs after', async () => {
    const { page, context } = await openLead();
    await scenario.server.stop();
    const dropped = Date.now();
    await page.waitForSelector('section.queues[data-stale="true"]', { timeout: 10_000 });
    expect(Date.now() - dropped).toBeLessThan(10_000);
    expect(await page.textContent('[data-stale-banner]')).toContain('数据已过期');
    await scenario.server.resume();
    await scenario.server.postEvents([{ id: 'lead-after-restart', type: 'contact.queued', ts: t0 - 200, contactId: 'lead-after-restart', queue: 'retail', channel: 'voice' }], ingestToken);
    await page.waitForSelector('section.queues[data-stale="false"]', { timeout: 15_000 });
    const want = expected(await metrics('queue=retail&window=30m'), 'zh-CN');
    await page.waitForFunction(
      (v) => document.querySelector('tr[data-row="queue:retail"] td[data-col="waiting"]')?.firstChild?.textContent?.trim() === v,
      want.waiting,
      { timeout: 5000 },
    );
    expect(await rowTexts(page, 'queue:retail')).toEqual(want);
    await context.close();
  }, 40_000);

  it('asks for a token, refuses a display token, and signs in with a lead token', async () => {
    const { page, context } = await openPage(scenario.browser, scenario.server, '/lead');
    await page.waitForSelector('[data-token-input]');
    await page.fill('[data-token-input]', displayToken);
    await page.click('form.signin button[type="submit"]');
    await page.waitForSelector('form.signin .err', { timeout: 10_000 });
    await page.fill('[data-token-input]', leadToken);
    await page.click('form.signin button[type="submit"]');
    await page.waitForSelector('section.queues[data-stale="false"]', { timeout: 30_000 });
    await context.close();
  }, 60_000);

  it('fits a laptop and a 4K screen (screenshots in test-artifacts/)', async () => {
    for (const [w, h, scale] of [
      [1920, 1080, 1],
      [1920, 1080, 2],
    ] as const) {
      const { page, context } = await openLead({ viewport: { width: w, height: h }, deviceScaleFactor: scale });
      await page.waitForSelector('[data-intervals]:not([data-intervals="0"])', { timeout: 5000 });
      await page.waitForTimeout(300);
      const overflowX = await page.evaluate(() => document.documentElement.scrollWidth > innerWidth);
      // every column of the queue table is on screen at 1920 px in Chinese (the default), the KPI
      // columns included (their labels wrap): no scrolling sideways to see utilization or CSAT
      const tableOverflow = await page.evaluate(() => {
        const wrap = document.querySelector('section.queues .wrap')!;
        return wrap.scrollWidth - wrap.clientWidth;
      });
      await screenshot(page, `lead-${w * scale}x${h * scale}.png`);
      expect(overflowX).toBe(false);
      expect(tableOverflow).toBeLessThanOrEqual(0);
      await context.close();
    }
  }, 90_000);
});
