import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { ingestToken, leadToken, useScenario } from './scenario.ts';

/**
 * README (Team-lead console, agent grid): an agent's name is never cut short — a long one wraps
 * onto a second line — and the agent id is always shown in full beside it, since two agents may
 * share a name: on the console's agent cards, in the drill-down's and on the scorecard, at 1366,
 * 1440 and 1920 px wide, in Chinese and English.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

/** long and repeated names (an ACD that puts the id into the name too), on team red's retail agents */
const roster: { agentId: string; name: string }[] = [
  { agentId: 'A1023', name: 'Zhang Wei (A1023)' },
  { agentId: 'A1024', name: 'Zhang Wei (A1024)' },
  { agentId: 'A1025', name: 'Zhang Wei' },
  { agentId: 'A1026', name: 'Zhang Wei' },
  { agentId: 'L-0001', name: 'Alexandra Konstantinopoulou-Whitfield' },
  { agentId: 'L-0002', name: 'Maximilian Oberhauser-Lindqvist' },
  { agentId: 'L-0003', name: 'Christopher Montgomery Fairbanks III' },
  { agentId: 'L-0004', name: 'Nguyen Thi Minh Khai' },
  { agentId: 'L-0005', name: 'Bartholomew Featherstonehaugh' },
  { agentId: 'AGENT-2026-000017', name: 'Li Na' },
  { agentId: 'AGENT-2026-000018', name: '欧阳娜娜（高级客户经理·信用卡）' },
  { agentId: 'L-0006', name: 'Srinivasaraghavan Venkatanarasimhan' },
];

function rosterEvents(endMs: number): ContractEventInput[] {
  return roster.flatMap(({ agentId, name }, i) => [
    { id: `names-${agentId}-in`, type: 'agent.state', ts: endMs - 50 * 60_000, agentId, state: 'available', team: 'red', queues: ['retail'], name },
    // the longest state labels: "Not ready · Break", "On contact"
    { id: `names-${agentId}-now`, type: 'agent.state', ts: endMs - (i + 1) * 65_000, agentId, state: i % 2 ? 'not_ready' : 'on_contact', ...(i % 2 ? { reason: 'break' } : {}), team: 'red', queues: ['retail'] },
    // a handled contact, so the agent is on today's scorecard
    { id: `names-${agentId}-q`, type: 'contact.queued', ts: endMs - 40 * 60_000 + i * 1000, contactId: `names-${agentId}`, queue: 'retail', channel: 'voice' },
    { id: `names-${agentId}-a`, type: 'contact.answered', ts: endMs - 39 * 60_000 + i * 1000, contactId: `names-${agentId}`, agentId },
    { id: `names-${agentId}-e`, type: 'contact.ended', ts: endMs - 36 * 60_000 + i * 1000, contactId: `names-${agentId}`, agentId },
  ]);
}

beforeAll(async () => {
  await scenario.server.postEvents(rosterEvents(t0), ingestToken);
});

interface Cut {
  where: string;
  what: string;
}
/**
 * Each card (`selector`) of the roster: its name and id are there in full and drawn in full —
 * no text-overflow ellipsis active, no box scrolled or overflowing its card.
 */
async function cutNames(page: Page, selector: string): Promise<Cut[]> {
  return page.$$eval(
    selector,
    (cards, ids) => {
      const out: { where: string; what: string }[] = [];
      for (const card of cards) {
        const id = card.getAttribute('data-agent')!;
        if (!ids.includes(id)) continue;
        const c = card.getBoundingClientRect();
        const text = card.textContent ?? '';
        if (!text.includes(id)) out.push({ where: id, what: `id not in the text: ${text}` });
        for (const el of [card, ...card.querySelectorAll('*')] as HTMLElement[]) {
          const cs = getComputedStyle(el);
          const r = el.getBoundingClientRect();
          if (r.width === 0 && r.height === 0) continue;
          if (cs.display !== 'inline' && el.scrollWidth > el.clientWidth + 1) out.push({ where: id, what: `${el.className || el.tagName} overflows: ${el.scrollWidth} > ${el.clientWidth} "${el.textContent}"` });
          if (r.left < c.left - 1 || r.right > c.right + 1) out.push({ where: id, what: `${el.className || el.tagName} outside its card "${el.textContent}"` });
        }
      }
      return out;
    },
    roster.map((r) => r.agentId),
  );
}

/** the roster's names and ids as shown on its cards (the id must be shown on every card) */
async function shownIds(page: Page, selector: string): Promise<string[]> {
  return page.$$eval(selector, (cards) => cards.map((c) => c.querySelector('[data-agent-id]')?.textContent?.trim() ?? `(no id shown on ${c.getAttribute('data-agent')})`));
}

const sizes = [
  [1366, 768],
  [1440, 900],
  [1920, 1080],
] as const;
const cases = sizes.flatMap(([w, h]) => (['en', 'zh-CN'] as const).map((lang) => ({ w, h, lang })));

describe.each(cases)('agent names at $w×$h in $lang', ({ w, h, lang }) => {
  let page: Page;
  let context: BrowserContext;
  beforeAll(async () => {
    ({ page, context } = await openPage(scenario.browser, scenario.server, `/lead?team=red&lang=${lang}`, { token: leadToken, viewport: { width: w, height: h } }));
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    await page.waitForSelector('.lower [data-agent="L-0001"]', { timeout: 15_000 });
  });
  afterAll(() => context?.close());

  it('agent grid: every name and id in full', async () => {
    await page.locator('.lower [data-agent="L-0001"]').scrollIntoViewIfNeeded();
    await screenshot(page, `lead-names-grid-${w}x${h}-${lang}.png`);
    expect(await cutNames(page, '.lower [data-agent]')).toEqual([]);
    const ids = await shownIds(page, '.lower [data-agent]');
    for (const r of roster) expect(ids).toContain(r.agentId);
    // a name that is the id is not shown twice; every other card shows its id
    expect(ids.filter((i) => i.startsWith('(no id'))).toEqual([]);
  });

  it('drill-down: every name and id in full', async () => {
    await page.click('tr[data-row="queue:retail"]');
    await page.waitForSelector('[data-drilldown="retail"] [data-agent="L-0001"]', { timeout: 10_000 });
    await page.locator('[data-drilldown] [data-agent="L-0001"]').scrollIntoViewIfNeeded();
    await screenshot(page, `lead-names-drilldown-${w}x${h}-${lang}.png`);
    expect(await cutNames(page, '[data-drilldown] [data-agent]')).toEqual([]);
    await page.click('[data-drilldown] .head button');
    await page.waitForSelector('[data-drilldown]', { state: 'detached' });
  });

  it('scorecard: every name with its id, in full', async () => {
    await page.waitForSelector('[data-scorecard] tr[data-agent="L-0001"]', { timeout: 15_000 });
    await page.locator('[data-scorecard] tr[data-agent="L-0001"]').scrollIntoViewIfNeeded();
    await screenshot(page, `lead-names-scorecard-${w}x${h}-${lang}.png`);
    const rows = await page.$$eval('[data-scorecard] tbody tr[data-agent]', (trs) =>
      trs.map((tr) => {
        const th = tr.querySelector('th.name') as HTMLElement;
        const box = tr.closest('[data-scorecard]')!.getBoundingClientRect();
        const r = th.getBoundingClientRect();
        return { id: tr.getAttribute('data-agent')!, text: th.textContent ?? '', cut: th.scrollWidth > th.clientWidth + 1 || r.right > box.right + 1 };
      }),
    );
    for (const r of roster) {
      const row = rows.find((x) => x.id === r.agentId);
      expect(row, r.agentId).toBeDefined();
      expect(row!.text).toContain(r.name);
      expect(row!.text).toContain(r.agentId);
      expect(row!.cut, r.agentId).toBe(false);
    }
  });
});
