import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { AgentRow, MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { PublicConfig } from '../../shared/realtime/public-config.ts';
import { columnDefs, formatFigure } from '../../client/src/lib/tiles.ts';
import { kpiColumns } from '../../client/src/lib/kpi/columns.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';
import { agentEvents, contactEvents, displayToken, ingestToken, leadToken, scenarioConfig } from './scenario.ts';

/**
 * README (Team-lead console): `/lead?center=<id>` is the console of that center — its figures,
 * agents, alerts, intraday chart and scorecard, its name in the header, its clock's zone, its
 * queue and team names — with `?team=` / `?queue=` of that center; a center that is not
 * configured is refused in red, never shown as the first center's figures. The first center
 * without the parameter, as before.
 *
 * Two centers that share queue and team ids (a bank's sites use one naming scheme) with other
 * names, and a second center in another time zone.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);

const config: AppConfigInput = {
  ...scenarioConfig,
  centers: [
    ...scenarioConfig.centers!,
    { id: 'sz', name: { zh: '远程银行中心（深圳）', en: 'Remote Banking Center (Shenzhen)' }, timeZone: 'Asia/Tokyo' },
  ],
  queues: [
    ...scenarioConfig.queues!,
    { id: 'retail', center: 'sz', name: { zh: '个人业务（深圳）', en: 'Retail (Shenzhen)' }, channel: 'voice' },
    { id: 'wealth', center: 'sz', name: { zh: '财富管理', en: 'Wealth' }, channel: 'voice' },
  ],
  teams: [
    ...scenarioConfig.teams!,
    { id: 'red', center: 'sz', name: { zh: '深圳一组', en: 'Shenzhen team 1' } },
    { id: 'gold', center: 'sz', name: { zh: '金牌组', en: 'Gold team' } },
  ],
  boards: [
    ...scenarioConfig.boards!,
    { id: 'sz-voice', center: 'sz', title: { zh: '深圳语音', en: 'Shenzhen voice' }, rows: [{ kind: 'queue', queue: 'retail' }, { kind: 'queue', queue: 'wealth' }], window: '30m', legendPage: false },
  ],
};

/** Shenzhen: 8 agents (teams red and gold), 90 contacts over the last hour in retail and wealth */
function shenzhenEvents(endMs: number): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  for (let i = 0; i < 8; i++) {
    const agentId = `S${200 + i}`;
    const team = i % 2 ? 'gold' : 'red';
    out.push({ id: `sz-${agentId}-in`, type: 'agent.state', ts: endMs - 55 * 60_000, center: 'sz', agentId, state: 'available', team, queues: i < 4 ? ['wealth'] : ['retail', 'wealth'], name: `深${i}` });
    if (i % 3 === 0) out.push({ id: `sz-${agentId}-acw`, type: 'agent.state', ts: endMs - 90_000, center: 'sz', agentId, state: 'acw', team, queues: i < 4 ? ['wealth'] : ['retail', 'wealth'] });
  }
  for (let n = 0; n < 90; n++) {
    const queue = n % 3 === 0 ? 'wealth' : 'retail';
    const contactId = `sz${n}`;
    const queuedAt = endMs - 58 * 60_000 + n * 38_000;
    out.push({ id: `${contactId}-q`, type: 'contact.queued', ts: queuedAt, center: 'sz', contactId, queue, channel: 'voice' });
    if (queuedAt + 60_000 > endMs) continue; // still waiting
    if (n % 7 === 0) out.push({ id: `${contactId}-x`, type: 'contact.abandoned', ts: queuedAt + 30_000, center: 'sz', contactId });
    else out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: queuedAt + (n % 5) * 9_000, center: 'sz', contactId, agentId: `S${200 + (n % 8)}` });
  }
  return out;
}

let server: TestServer;
let browser: Browser;
let thresholds: PublicConfig['displayThresholds'];

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  await server.postEvents([...agentEvents(t0), ...contactEvents(t0), ...shenzhenEvents(t0)], ingestToken);
  browser = await launchBrowser();
  thresholds = (await server.getJson<PublicConfig>('/api/v1/config/public', leadToken)).displayThresholds;
});
// a failed test must not leave its page polling and subscribed while the next one runs
const opened: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close().catch(() => undefined)));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

const metrics = (q: string) => server.getJson<MetricsResult>(`/api/v1/metrics?${q}`, leadToken);

async function rowTexts(page: Page, rowId: string): Promise<Record<string, string>> {
  return page.$$eval(`[data-queue-table] tr[data-row="${rowId}"] td[data-col]`, (tds) =>
    Object.fromEntries(tds.map((td) => [td.getAttribute('data-col')!, td.firstChild!.textContent!.trim()])),
  );
}
function expected(result: MetricsResult, locale: 'zh-CN' | 'en'): Record<string, string> {
  return Object.fromEntries([...columnDefs, ...kpiColumns].map((c) => [c.id, formatFigure(c, result, locale, thresholds)]));
}
async function open(path: string, token: string, viewport = { width: 1920, height: 1080 }) {
  const o = await openPage(browser, server, path, { token, viewport });
  opened.push(o.context);
  return o;
}
async function openLead(path: string, viewport = { width: 1920, height: 1080 }) {
  const o = await open(path, leadToken, viewport);
  await o.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
  return o;
}
const rowIds = (page: Page) => page.$$eval('[data-queue-table] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-row')));

describe('/lead?center=', () => {
  it('shows the chosen center: its name, clock zone, rows, figures, queue and team names and agents', async () => {
    const { page } = await openLead('/lead?center=sz', { width: 1440, height: 900 });
    expect(await page.textContent('h1')).toBe('远程银行中心（深圳） · 班组长控制台');
    // the clock is the center's (Tokyo, GMT+9), not the first center's (Shanghai, GMT+8)
    expect(await page.textContent('[data-clock] small')).toBe('GMT+9');
    expect(await rowIds(page)).toEqual(['center', 'channel:voice', 'queue:retail', 'queue:wealth']);
    // the queue named as this center names it, not as the first center names its own "retail"
    expect(await page.textContent('tr[data-row="queue:retail"] th.name')).toContain('个人业务（深圳）');
    expect(await rowTexts(page, 'center')).toEqual(expected(await metrics('center=sz&window=30m'), 'zh-CN'));
    expect(await rowTexts(page, 'queue:wealth')).toEqual(expected(await metrics('center=sz&queue=wealth&window=30m'), 'zh-CN'));
    const agents = (await server.getJson<AgentRow[]>('/api/v1/agents?center=sz', leadToken)).filter((a) => a.state !== 'logged_out');
    expect(await page.$$eval('.lower [data-agent]', (els) => els.map((e) => e.getAttribute('data-agent')).sort())).toEqual(agents.map((a) => a.agentId).sort());
    expect(await page.$$eval('.lower [data-filter="team"] option', (os) => os.map((o) => o.textContent))).toEqual(['全部', '金牌组', '深圳一组']);
    // team names as this center names them, on the agent cards and the scorecard (the first
    // center has a team "red" too: 一组)
    expect(await page.textContent('.lower [data-agent="S200"] .team')).toBe('深圳一组');
    await page.waitForSelector('[data-scorecard][data-stale="false"]', { timeout: 15_000 });
    expect(await page.textContent('[data-scorecard] tr[data-team="red"] th.name')).toContain('深圳一组');
    expect(await page.textContent('[data-scorecard] tr[data-agent="S200"]')).toContain('深圳一组');
    // the drill-down names the queue as this center does
    await page.click('tr[data-row="queue:retail"]');
    await page.waitForSelector('[data-drilldown="retail"]');
    expect(await page.textContent('[data-drilldown="retail"] h2')).toContain('个人业务（深圳）');
    await page.click('[data-drilldown] .head button');
    await page.waitForSelector('[data-drilldown]', { state: 'detached' });
    await page.click('[data-locale="en"]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent === 'Remote Banking Center (Shenzhen) · Team-lead console');
    expect(await page.textContent('tr[data-row="queue:retail"] th.name')).toContain('Retail (Shenzhen)');
    await page.click('[data-locale="zh-CN"]');
    await page.waitForFunction(() => document.querySelector('h1')?.textContent?.includes('班组长控制台'));
    await screenshot(page, 'lead-center-sz-1440x900.png');
  });

  it('narrows to a team and a queue of that center (?center=&team=&queue=)', async () => {
    const { page } = await openLead('/lead?center=sz&team=gold&queue=wealth');
    expect(await page.textContent('[data-watching-team]')).toBe('班组：金牌组');
    expect(await page.textContent('[data-watching-queue]')).toBe('队列：财富管理');
    expect(await rowIds(page)).toEqual(['team:gold', 'queue:wealth']);
    expect(await rowTexts(page, 'queue:wealth')).toEqual(expected(await metrics('center=sz&queue=wealth&window=30m'), 'zh-CN'));
    const gold = (await server.getJson<AgentRow[]>('/api/v1/agents?center=sz&team=gold&queue=wealth', leadToken)).filter((a) => a.state !== 'logged_out');
    expect(await page.$$eval('.lower [data-agent]', (els) => els.map((e) => e.getAttribute('data-agent')).sort())).toEqual(gold.map((a) => a.agentId).sort());
    // a team of the other center only is unknown here
    const other = await open('/lead?center=sz&team=blue', leadToken);
    await other.page.waitForSelector('[data-view-refused="unknown_team"]', { timeout: 15_000 });
    expect(await other.page.textContent('[data-view-refused]')).toContain('未知班组“blue”');
  });

  it('refuses a center that is not configured, in both languages, and shows no figures of another center', async () => {
    const { page } = await open('/lead?center=ghost&team=red', leadToken, { width: 1440, height: 900 });
    await page.waitForSelector('[data-view-refused="unknown_center"]', { timeout: 15_000 });
    const text = await page.textContent('[data-view-refused]');
    expect(text).toContain('未知中心“ghost”');
    expect(text).toContain('default、sz');
    // nothing of the first center instead: no name, no table, no agents, no alerts
    expect(await page.textContent('h1')).toBe('班组长控制台');
    expect(await page.$('[data-queue-table]')).toBeNull();
    expect(await page.$('[data-agent]')).toBeNull();
    expect(await page.$('[data-alert-banner]')).toBeNull();
    await screenshot(page, 'lead-unknown-center-1440x900.png');
    await page.click('[data-locale="en"]');
    await page.waitForFunction(() => document.querySelector('[data-view-refused]')?.textContent?.includes('Unknown center "ghost"'));
    expect(await page.textContent('[data-view-refused]')).toContain('default, sz');
  });

  it('without ?center= shows the first center, as before', async () => {
    const { page } = await openLead('/lead');
    expect(await page.textContent('h1')).toBe('远程银行中心（上海） · 班组长控制台');
    expect(await rowTexts(page, 'center')).toEqual(expected(await metrics('window=30m'), 'zh-CN'));
    expect(await page.textContent('tr[data-row="queue:retail"] th.name')).toContain('个人业务');
    expect(await page.textContent('tr[data-row="queue:retail"] th.name')).not.toContain('深圳');
    const red = (await server.getJson<AgentRow[]>('/api/v1/agents?team=red', leadToken)).find((a) => a.state !== 'logged_out')!;
    expect(await page.textContent(`.lower [data-agent="${red.agentId}"] .team`)).toBe('一组');
  });
});

describe('/wall/<board> of another center (boards name their center in the configuration)', () => {
  it('shows that center: its name, its figures and its alerts', async () => {
    const { page } = await open('/wall/sz-voice', displayToken);
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    expect(await page.textContent('.center-name')).toBe('远程银行中心（深圳）');
    const wealth = await metrics('center=sz&queue=wealth&window=30m');
    const offered = await page.textContent('[data-tile="serviceLevel"][data-row="queue:wealth"] [data-value]');
    expect(offered).toBe(formatFigure(columnDefs.find((c) => c.id === 'serviceLevel')!, wealth, 'zh-CN', thresholds));
    await screenshot(page, 'wall-center-sz.png');
  });
});
