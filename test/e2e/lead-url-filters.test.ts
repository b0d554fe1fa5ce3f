import { afterEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AgentRow } from '../../shared/contract/metrics-api.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { leadToken, useScenario } from './scenario.ts';

/**
 * README (Team-lead console, "Filters in the link"): every filter of the link (`?team=`,
 * `?queue=`, `?state=`) shows in its control, changing a control rewrites the link
 * (history.replaceState) so a reload or a shared link keeps it, "All" clears it, and an unknown
 * id in the link is shown as such in red — in the control and in a notice — never ignored.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

const opened: BrowserContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close().catch(() => undefined)));
});

async function open(path: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const o = await openPage(scenario.browser, scenario.server, path, { token: leadToken, viewport });
  opened.push(o.context);
  return o.page;
}
async function openLead(path: string): Promise<Page> {
  const page = await open(path);
  await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
  return page;
}

const loggedIn = async (q = '') => (await scenario.server.getJson<AgentRow[]>(`/api/v1/agents${q}`, leadToken)).filter((a) => a.state !== 'logged_out');
const gridIds = (page: Page) => page.$$eval('.lower [data-agent]', (els) => els.map((e) => e.getAttribute('data-agent')!).sort());
/** the control's value and the text of the option it shows */
const control = (page: Page, filter: string) =>
  page.$eval(`.lower [data-filter="${filter}"]`, (s) => {
    const sel = s as HTMLSelectElement;
    return { value: sel.value, text: sel.selectedOptions[0]?.textContent?.trim() ?? '' };
  });
const search = (page: Page) => page.evaluate(() => Object.fromEntries(new URLSearchParams(location.search)));
const red = (color: string) => {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(color);
  return m !== null && Number(m[1]) > 180 && Number(m[2]) < 140 && Number(m[3]) < 140;
};

describe('/lead filters in the link', () => {
  it('?team= shows the team in its control and lists only its agents; "All" clears it from the link and the view', async () => {
    const page = await openLead('/lead?team=blue');
    expect(await control(page, 'team')).toEqual({ value: 'blue', text: '二组' });
    const blue = await loggedIn('?team=blue');
    expect(blue.length).toBeGreaterThan(0);
    expect(await gridIds(page)).toEqual(blue.map((a) => a.agentId).sort());
    // the scorecard too: the team's agents and its total only
    await page.waitForSelector('[data-scorecard][data-stale="false"]', { timeout: 15_000 });
    expect(await page.$$eval('[data-scorecard] tbody tr[data-agent]', (trs) => trs.map((tr) => tr.getAttribute('data-agent')!).sort())).toEqual(blue.map((a) => a.agentId).sort());
    expect(await page.$$eval('[data-scorecard] tfoot tr', (trs) => trs.map((tr) => tr.getAttribute('data-team')))).toEqual(['blue']);
    await screenshot(page, 'lead-url-team-1440x900.png');

    await page.selectOption('.lower [data-filter="team"]', '');
    expect(await search(page)).toEqual({});
    const all = await loggedIn();
    await expect.poll(() => gridIds(page), { timeout: 10_000 }).toEqual(all.map((a) => a.agentId).sort());
    // the team's row and the header's "Team: …" go with it
    await page.waitForSelector('tr[data-row="team:blue"]', { state: 'detached', timeout: 10_000 });
    expect(await page.$('[data-watching-team]')).toBeNull();
    expect(await control(page, 'team')).toEqual({ value: '', text: '全部' });

    // choosing a team puts it in the link and narrows the view on the server (its row on top)
    await page.selectOption('.lower [data-filter="team"]', 'green');
    expect(await search(page)).toEqual({ team: 'green' });
    await page.waitForSelector('tr[data-row="team:green"]', { timeout: 10_000 });
    expect(await page.textContent('[data-watching-team]')).toBe('班组：三组');
  });

  it('changing the queue control puts ?queue= in the link, and a reload keeps it', async () => {
    const page = await openLead('/lead?center=default&lang=zh-CN');
    await page.selectOption('.lower [data-filter="queue"]', 'chat');
    // the other parameters stay
    expect(await search(page)).toEqual({ center: 'default', lang: 'zh-CN', queue: 'chat' });
    const chat = await loggedIn('?queue=chat');
    await expect.poll(() => gridIds(page), { timeout: 10_000 }).toEqual(chat.map((a) => a.agentId).sort());
    await page.waitForSelector('[data-watching-queue]', { timeout: 10_000 });

    await page.reload();
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    expect(await search(page)).toEqual({ center: 'default', lang: 'zh-CN', queue: 'chat' });
    expect(await control(page, 'queue')).toEqual({ value: 'chat', text: '在线客服' });
    expect(await page.textContent('[data-watching-queue]')).toBe('队列：在线客服');
    expect(await gridIds(page)).toEqual(chat.map((a) => a.agentId).sort());
    const rows = await page.$$eval('[data-queue-table] tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-row')));
    expect(rows).toContain('queue:chat');
    expect(rows).not.toContain('queue:retail');

    // the state control too: in the link, kept by a reload
    await page.selectOption('.lower [data-filter="state"]', 'on_contact');
    expect(await search(page)).toEqual({ center: 'default', lang: 'zh-CN', queue: 'chat', state: 'on_contact' });
    await page.reload();
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    expect(await control(page, 'state')).toEqual({ value: 'on_contact', text: '通话中' });
    expect(await gridIds(page)).toEqual(chat.filter((a) => a.state === 'on_contact').map((a) => a.agentId).sort());

    // the link's ?lang= follows the language switch, or a reload would undo the switch
    await page.click('[data-locale="en"]');
    expect(await search(page)).toEqual({ center: 'default', lang: 'en', queue: 'chat', state: 'on_contact' });
    await page.reload();
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    expect(await page.textContent('h1')).toContain('Team-lead console');
    expect(await control(page, 'queue')).toEqual({ value: 'chat', text: 'Web chat' });
  });

  it('an unknown team or queue in the link is shown in red, in its control and in a notice, in both languages', async () => {
    const page = await open('/lead?team=ghost');
    const notice = page.locator('[data-view-refused="unknown_team"]');
    await notice.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await notice.textContent()).toContain('未知班组“ghost”');
    expect(red(await notice.evaluate((el) => getComputedStyle(el).color))).toBe(true);
    // the control names the unknown team, in red, instead of "All"
    const teamCtl = page.locator('.lower [data-filter="team"]');
    await teamCtl.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await control(page, 'team')).toEqual({ value: 'ghost', text: '未知：ghost' });
    expect(await teamCtl.getAttribute('data-unknown')).toBe('true');
    expect(red(await teamCtl.evaluate((el) => getComputedStyle(el).color))).toBe(true);
    await screenshot(page, 'lead-url-unknown-team-1440x900.png');
    await page.click('[data-locale="en"]');
    await page.waitForFunction(() => document.querySelector('[data-view-refused]')?.textContent?.includes('Unknown team "ghost"'));
    expect(await control(page, 'team')).toEqual({ value: 'ghost', text: 'Unknown: ghost' });
    // choosing "All" leaves the unknown team: the console shows the whole center again
    await page.selectOption('.lower [data-filter="team"]', '');
    expect(await search(page)).toEqual({});
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    expect(await page.$('[data-view-refused]')).toBeNull();

    const q = await open('/lead?queue=nowhere&state=dozing');
    await q.waitForSelector('[data-view-refused="unknown_queue"]', { timeout: 15_000 });
    expect(await q.textContent('[data-view-refused="unknown_queue"]')).toContain('未知队列“nowhere”');
    expect(await control(q, 'queue')).toEqual({ value: 'nowhere', text: '未知：nowhere' });
    expect(await q.getAttribute('.lower [data-filter="queue"]', 'data-unknown')).toBe('true');
    // a state the grid does not know: said in red too, not ignored
    expect(await control(q, 'state')).toEqual({ value: 'dozing', text: '未知：dozing' });
    expect(await q.textContent('[data-filter-unknown="state"]')).toContain('dozing');
    expect(red(await q.$eval('[data-filter-unknown="state"]', (el) => getComputedStyle(el).color))).toBe(true);
  });
});
