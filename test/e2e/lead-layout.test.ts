import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import { openPage, screenshot } from '../support/browser.ts';
import { leadToken, useScenario } from './scenario.ts';

/**
 * The console on common team-lead laptops (1440×900, 1280×800), in Chinese and English, watching a
 * team (the longest header: the team's name and its row): the ~30-column queue table scrolls
 * sideways inside its own box, the name column staying put, and every column can be brought on
 * screen; a column's label wraps between words (Chinese: 2–4-character words, never one character
 * per line) on at most 3 lines; the ⓘ definition of the last column opens fully on screen, never
 * clipped by the table's box; the console's header (title … sign out) stays on one line.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z');
const clock = new FakeClock(t0);
const scenario = useScenario(t0, clock);

const lastCol = 'kpi.firstContactResolution';
const viewports = [
  [1440, 900],
  [1280, 800],
] as const;
const cases = viewports.flatMap(([w, h]) => (['zh-CN', 'en'] as const).map((lang) => ({ w, h, lang })));

/** the text lines of each column label: characters grouped by the line box they sit on */
async function headerLines(page: Page): Promise<{ id: string; lines: string[] }[]> {
  return page.$$eval('[data-queue-table] thead button[data-sort]', (buttons) =>
    buttons.map((btn) => {
      const lines: { mid: number; text: string }[] = [];
      const walker = document.createTreeWalker(btn, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
        for (let i = 0; i < n.data.length; i++) {
          const ch = n.data[i]!;
          if (/\s|[▲▼]/.test(ch)) continue;
          const range = document.createRange();
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const r = range.getBoundingClientRect();
          if (!r.height) continue;
          const mid = (r.top + r.bottom) / 2;
          const line = lines.find((l) => Math.abs(l.mid - mid) < r.height / 2);
          if (line) line.text += ch;
          else lines.push({ mid, text: ch });
        }
      }
      return { id: btn.getAttribute('data-sort')!, lines: lines.sort((a, b) => a.mid - b.mid).map((l) => l.text) };
    }),
  );
}

/** the open ⓘ popover's box, and whether each of its corners is really drawn (not clipped or covered) */
async function openPopover(page: Page): Promise<{ rect: { left: number; top: number; right: number; bottom: number }; vw: number; vh: number; cornersShown: boolean[]; text: string }> {
  const pop = page.locator(`th:has(button[data-sort="${lastCol}"]) .pop`);
  await pop.waitFor({ state: 'visible', timeout: 2000 });
  return pop.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const corners = [
      [r.left + 3, r.top + 3],
      [r.right - 3, r.top + 3],
      [r.left + 3, r.bottom - 3],
      [r.right - 3, r.bottom - 3],
    ];
    return {
      rect: { left: r.left, top: r.top, right: r.right, bottom: r.bottom },
      vw: innerWidth,
      vh: innerHeight,
      cornersShown: corners.map(([x, y]) => {
        const hit = document.elementFromPoint(x!, y!);
        return hit !== null && (hit === el || el.contains(hit));
      }),
      text: el.textContent ?? '',
    };
  });
}

describe.each(cases)('/lead at $w×$h in $lang', ({ w, h, lang }) => {
  let page: Page;
  let context: BrowserContext;
  beforeAll(async () => {
    ({ page, context } = await openPage(scenario.browser, scenario.server, `/lead?team=red${lang === 'en' ? '&lang=en' : ''}`, { token: leadToken, viewport: { width: w, height: h } }));
    await page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 15_000 });
    await page.waitForTimeout(300);
    await screenshot(page, `lead-layout-${w}x${h}-${lang}.png`);
  });
  afterAll(() => context?.close());

  it('wraps each column label between words on at most 3 lines (Chinese: never one character per line)', async () => {
    const labels = await headerLines(page);
    expect(labels.length).toBeGreaterThanOrEqual(30);
    const tooTall = labels.filter((l) => l.lines.length > 3);
    expect(tooTall, JSON.stringify(tooTall)).toEqual([]);
    if (lang === 'zh-CN') {
      const single = labels.filter((l) => l.lines.join('').length > 1 && l.lines.some((line) => line.length < 2));
      expect(single, JSON.stringify(single)).toEqual([]);
    } else {
      // English breaks between words or after a hyphen only
      const label = (id: string) => page.textContent(`[data-sort="${id}"]`);
      for (const l of labels) {
        const words = ((await label(l.id)) ?? '').trim().split(/\s+|(?<=-)/);
        const broken = l.lines.filter((line) => !words.some((word) => line.startsWith(word.replace(/\s/g, ''))));
        expect(broken, `${l.id}: ${JSON.stringify(l.lines)}`).toEqual([]);
      }
    }
  });

  it('scrolls the table sideways inside its box to the last column, the name column staying put', async () => {
    const at = await page.evaluate((col) => {
      const wrap = document.querySelector<HTMLElement>('section.queues .wrap')!;
      wrap.scrollLeft = wrap.scrollWidth;
      const box = (el: Element) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      const cell = document.querySelector(`[data-queue-table] tr[data-row="center"] td[data-col="${col}"]`)!;
      const head = document.querySelector(`[data-queue-table] th:has(button[data-sort="${col}"])`)!;
      const c = box(cell);
      const hit = document.elementFromPoint((c.left + c.right) / 2, (c.top + c.bottom) / 2);
      return {
        pageOverflow: document.documentElement.scrollWidth - innerWidth,
        scrolled: wrap.scrollLeft,
        vw: innerWidth,
        vh: innerHeight,
        wrap: box(wrap),
        cell: c,
        head: box(head),
        name: box(document.querySelector('[data-queue-table] tr[data-row="center"] th.name')!),
        nameHead: box(document.querySelector('[data-queue-table] thead th.name')!),
        cellShown: hit !== null && (hit === cell || cell.contains(hit)),
      };
    }, lastCol);
    expect(at.pageOverflow).toBeLessThanOrEqual(0); // the page itself does not scroll sideways
    for (const r of [at.cell, at.head]) {
      expect(r.left).toBeGreaterThanOrEqual(at.name.right - 1); // not under the sticky name column
      expect(r.right).toBeLessThanOrEqual(Math.min(at.vw, at.wrap.right) + 1);
      expect(r.top).toBeGreaterThanOrEqual(0);
      expect(r.bottom).toBeLessThanOrEqual(at.vh);
    }
    expect(at.cellShown).toBe(true);
    // the name column (and its header) stay at the box's left edge
    expect(Math.abs(at.name.left - at.wrap.left)).toBeLessThanOrEqual(2);
    expect(Math.abs(at.nameHead.left - at.wrap.left)).toBeLessThanOrEqual(2);
    await screenshot(page, `lead-layout-${w}x${h}-${lang}-scrolled.png`);

    // with more rows than its box holds (here: a box made low), the table scrolls down in it, the
    // header row staying on top
    const down = await page.evaluate(async () => {
      const wrap = document.querySelector<HTMLElement>('section.queues .wrap')!;
      wrap.style.maxHeight = '12rem';
      wrap.scrollTop = wrap.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const head = document.querySelector('[data-queue-table] thead th:last-child')!.getBoundingClientRect();
      const out = { scrolled: wrap.scrollTop, wrapTop: wrap.getBoundingClientRect().top, headTop: head.top, hit: document.elementFromPoint(head.left + 5, head.top + head.height / 2)?.closest('thead') !== null };
      wrap.style.maxHeight = '';
      wrap.scrollTop = 0;
      return out;
    });
    expect(down.scrolled).toBeGreaterThan(0);
    expect(Math.abs(down.headTop - down.wrapTop)).toBeLessThanOrEqual(2);
    expect(down.hit).toBe(true);
  });

  it('opens the ⓘ of the last column fully on screen (hover and keyboard focus)', async () => {
    await page.evaluate(() => {
      const wrap = document.querySelector<HTMLElement>('section.queues .wrap')!;
      wrap.scrollLeft = wrap.scrollWidth;
    });
    const info = page.locator(`th:has(button[data-sort="${lastCol}"]) [data-info]`);
    await info.hover();
    const hovered = await openPopover(page);
    await screenshot(page, `lead-layout-${w}x${h}-${lang}-info.png`);
    await page.mouse.move(5, h - 5);
    await page.locator(`th:has(button[data-sort="${lastCol}"]) .pop`).waitFor({ state: 'hidden', timeout: 2000 });
    await info.focus();
    const focused = await openPopover(page);
    await info.blur();
    for (const p of [hovered, focused]) {
      expect(p.text).toContain(lang === 'en' ? 'First-contact resolution' : '一次问题解决率');
      expect(p.rect.left).toBeGreaterThanOrEqual(0);
      expect(p.rect.top).toBeGreaterThanOrEqual(0);
      expect(p.rect.right).toBeLessThanOrEqual(p.vw);
      expect(p.rect.bottom).toBeLessThanOrEqual(p.vh);
      expect(p.cornersShown).toEqual([true, true, true, true]);
    }
  });

  it('keeps the header (title … sign out) on one line', async () => {
    const items = await page.$$eval('.lead > header > *', (els) =>
      els
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && r.height > 0)
        .map(({ el, r }) => ({ what: el.tagName + (el.className ? `.${String(el.className).split(' ')[0]}` : ''), top: r.top, bottom: r.bottom, right: r.right, clipped: el.scrollWidth > el.clientWidth + 1 })),
    );
    expect(items.length).toBeGreaterThanOrEqual(7); // title, badge, team, update time, clock, window, language, sign out
    const mids = items.map((i) => (i.top + i.bottom) / 2);
    expect(Math.max(...mids) - Math.min(...mids), JSON.stringify(items)).toBeLessThanOrEqual(4);
    expect(Math.max(...items.map((i) => i.top))).toBeLessThan(Math.min(...items.map((i) => i.bottom)));
    expect(Math.max(...items.map((i) => i.right))).toBeLessThanOrEqual(w);
    // nothing in it is cut short at these widths (the title may only shorten on narrower screens)
    expect(items.filter((i) => i.clipped), JSON.stringify(items)).toEqual([]);
  });
});
