import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricEngine } from '../../server/metrics/types.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';
import { answeredSpread } from './scenario.ts';
import { holdRotation, turnPage } from './page-timers.ts';

/**
 * The wall's header with everything it can say at once (README "Pages, never overlap"): the demo's
 * names, the DEMO DATA badge, the feed-silent mark of one center of the rotation (not the other),
 * a page number — at 1280×720 and up the center name and the board title stay whole, the page
 * number, the mark and the clock in sight, and the header is as tall on every page, so a page
 * turn never moves the rows. And the unseen layout the pages are cut from (RowProbe) has no tiles
 * anything looking for tiles on screen would find.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // Monday 10:30 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'wall-header-display-token-1', ingest: 'wall-header-ingest-token-01' };

// the demo's queues (server/config/examples/demo.yaml), and a few more so the board has pages
const queues = [
  { id: 'personal', name: { zh: '个人业务', en: 'Personal banking' }, channel: 'voice' },
  { id: 'credit-card', name: { zh: '信用卡', en: 'Credit card' }, channel: 'voice' },
  { id: 'wealth-vip', name: { zh: '理财贵宾', en: 'Wealth (VIP)' }, channel: 'voice' },
  { id: 'mobile-chat', name: { zh: '手机银行在线客服', en: 'Mobile banking chat' }, channel: 'text' },
  { id: 'video-teller', name: { zh: '视频柜员', en: 'Video teller' }, channel: 'video' },
  { id: 'loans', name: { zh: '个人贷款与按揭', en: 'Personal loans and mortgages' }, channel: 'voice' },
  { id: 'overseas', name: { zh: '境外来电', en: 'Calls from abroad' }, channel: 'voice' },
  { id: 'wechat', name: { zh: '微信客服', en: 'WeChat service' }, channel: 'text' },
] as const;

const config: AppConfigInput = {
  centers: [
    // the demo's center (demo.yaml): its feed goes silent below
    { id: 'default', name: { zh: '远程银行中心（演示）', en: 'Remote Banking Center (demo)' }, timeZone: 'Asia/Shanghai' },
    // a second center in the rotation whose feed is fine: its pages have no feed-silent mark
    { id: 'cd', name: { zh: '成都分中心', en: 'Chengdu Branch Center' }, timeZone: 'Asia/Shanghai' },
  ],
  queues: [...queues.map((q) => ({ ...q, center: 'default' })), { id: 'q1', center: 'cd', name: { zh: '成都信用卡专线', en: 'Chengdu card line' }, channel: 'voice' }],
  boards: [
    {
      id: 'overview',
      center: 'default',
      title: { zh: '远程银行实时监控', en: 'Remote banking live' },
      window: '30m',
      rows: queues.map((q) => ({ kind: 'queue' as const, queue: q.id })),
      rotateEverySec: 5,
      rotateTo: ['cd'],
      legendPage: true,
    },
    // no title (it is optional): its header holds less than the others'
    { id: 'cd', center: 'cd', window: '15m', rows: [{ kind: 'queue', queue: 'q1' }], rotateEverySec: 5, legendPage: false },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
  ],
  alerts: {
    // the standard feed-health rule (server/alerts/defaults.ts), for the demo's center only
    rules: [{ id: 'default.feedHealth', metric: 'feedSilenceSec', scope: { center: 'default' }, comparator: 'gt', warning: 300, critical: 900, clear: 60, sustainedForSec: 0 }],
  },
};


let server: TestServer;
let browser: Browser;
const silentAt = t0 + 12 * 60_000;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  await server.postEvents(answeredSpread([...queues.map((q) => ({ id: q.id, channel: q.channel, center: 'default' })), { id: 'q1', channel: 'voice', center: 'cd' }], t0), tokens.ingest);
  // twelve minutes without an event from the demo's center: the feed-silence alert opens
  clock.set(silentAt);
  await server.app.alerts.evaluateOnce(silentAt);
  // the DEMO DATA badge (a simulator's batch within 5 minutes, as `npm run demo` posts): from
  // Chengdu, which has no feed-health rule, so the demo's center stays silent
  const engine = (server.app as unknown as { engine: MetricEngine }).engine;
  await engine.ingest([contractEvent.parse({ id: 'demo-1', type: 'agent.state', ts: silentAt, center: 'cd', agentId: 'D1', state: 'available', queues: ['q1'] })], silentAt, { demo: true });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

interface HeaderLook {
  index: number;
  count: number;
  board: string | null;
  headerHeight: number;
  /** the feed-silent mark is shown (the demo's center) */
  mark: boolean;
  problems: string[];
}

/**
 * The header as shown: each part that must be whole (not cut by its own box: "…", a clamped second
 * line) and visible (inside the screen and the header, not clipped by an ancestor, not covered).
 */
function lookAtHeader(page: Page): Promise<HeaderLook> {
  return page.evaluate(() => {
    const wall = document.querySelector('.wall') as HTMLElement;
    const header = document.querySelector('.wall header') as HTMLElement;
    const hb = header.getBoundingClientRect();
    const problems: string[] = [];
    const visible = (sel: string, required: boolean) => {
      const el = document.querySelector(sel) as HTMLElement | null;
      if (!el) {
        if (required) problems.push(`${sel} missing`);
        return;
      }
      // its lines: the box less its padding (a clip's padding lets descenders past a tight line)
      const b = el.getBoundingClientRect();
      const pad = getComputedStyle(el);
      const r = new DOMRect(b.left + parseFloat(pad.paddingLeft), b.top + parseFloat(pad.paddingTop), b.width - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight), b.height - parseFloat(pad.paddingTop) - parseFloat(pad.paddingBottom));
      if (r.width < 1 || r.height < 1) return void problems.push(`${sel} has no size`);
      if (r.left < -0.5 || r.right > innerWidth + 0.5 || r.top < -0.5 || r.bottom > hb.bottom + 0.5 || r.top < hb.top - 0.5) return void problems.push(`${sel} outside the header ${JSON.stringify(r)}`);
      const x = Math.min(r.right - 2, (r.left + r.right) / 2);
      const hit = document.elementFromPoint(x, (r.top + r.bottom) / 2);
      if (!hit || !(el === hit || el.contains(hit) || hit.contains(el))) return void problems.push(`${sel} covered by ${hit?.className}`);
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflow === 'visible') continue;
        const pr = p.getBoundingClientRect();
        if (r.left < pr.left - 0.5 || r.right > pr.right + 0.5 || r.top < pr.top - 0.5 || r.bottom > pr.bottom + 0.5) return void problems.push(`${sel} clipped by ${p.className}`);
      }
    };
    /** its text cut by its own box: wider than it ("…"), or lines laid out past it (clamped
     * away, or descenders cut by a clip as tall as a tight line); a box that clips nothing may
     * let the font's ascent and descent reach a little past a tight line */
    const whole = (sel: string) => {
      const el = header.querySelector(sel) as HTMLElement | null;
      if (!el) return void problems.push(`${sel} missing`);
      if (el.scrollWidth > el.clientWidth + 1) problems.push(`${sel} "${el.textContent}" cut: ${el.scrollWidth} px wide in ${el.clientWidth} px`);
      const box = el.getBoundingClientRect();
      const st = getComputedStyle(el);
      const slack = st.overflow === 'visible' ? 0.35 * parseFloat(st.fontSize) : 1;
      const range = document.createRange();
      range.selectNodeContents(el);
      for (const line of range.getClientRects()) {
        if (line.width > 0.5 && (line.bottom > box.bottom + slack || line.top < box.top - slack)) {
          problems.push(`${sel} "${el.textContent}" cut: a line at ${line.top.toFixed(1)}–${line.bottom.toFixed(1)} outside ${box.top.toFixed(1)}–${box.bottom.toFixed(1)}`);
          break;
        }
      }
    };
    const board = document.querySelector('section.board') as HTMLElement | null;
    // Chengdu's board has no title; every other page shows one (the legend: the first board's)
    const titled = board?.dataset.board !== 'cd';
    whole('.center-name');
    if (titled) whole('.board-name');
    else if (header.querySelector('.board-name')) problems.push('a title on an untitled board');
    for (const sel of ['.center-name', ...(titled ? ['.board-name'] : []), '[data-clock]', '[data-pager]', '[data-demo]']) visible(`.wall header ${sel}`, true);
    for (const sel of ['[data-part-of]', '[data-feed-silent]']) visible(`.wall header ${sel}`, false);
    // the clock stays readable: ≥ 20 px at 720p
    const clockPx = parseFloat(getComputedStyle(header.querySelector('[data-clock]')!).fontSize);
    if (clockPx < 20) problems.push(`the clock is ${clockPx} px`);
    return {
      index: Number(wall.dataset.pageIndex),
      count: Number(wall.dataset.pageCount),
      board: board?.dataset.board ?? (document.querySelector('[data-page="legend"]') ? 'legend' : null),
      headerHeight: hb.height,
      mark: !!header.querySelector('[data-feed-silent]'),
      problems,
    };
  });
}

async function openWall(lang: 'en' | 'zh-CN', width: number, height: number) {
  // pages turn when the test says (turnPage), never in the middle of a look at the header
  const opened = await openPage(browser, server, `/wall/overview?lang=${lang}`, { token: tokens.display, viewport: { width, height }, beforeGoto: holdRotation });
  await opened.page.waitForSelector('section.board[data-board="overview"][data-stale="false"]', { timeout: 20_000 });
  await opened.page.waitForSelector('.wall header [data-demo]', { timeout: 10_000 });
  await opened.page.waitForSelector('.wall header [data-feed-silent]', { timeout: 10_000 });
  await opened.page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 20_000 });
  await opened.page.waitForTimeout(300);
  return opened;
}

describe('wall header with the DEMO badge and the feed-silent mark', () => {
  for (const [lang, w, h] of [
    ['en', 1280, 720],
    ['zh-CN', 1280, 720],
    ['en', 1366, 768],
    ['en', 1920, 1080],
    ['zh-CN', 1920, 1080],
  ] as const) {
    it(`${lang} ${w}×${h}: the center name and the title are whole; page number, mark and clock in sight`, async () => {
      const { page, context } = await openWall(lang, w, h);
      try {
        const look = await lookAtHeader(page);
        await screenshot(page, `wall-header-${lang}-${w}x${h}.png`);
        console.log(`header ${lang} ${w}×${h}`, JSON.stringify(look));
        expect(look.problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  }

  it('en 1280×720: the header is as tall on every page of the rotation (with and without the mark, a page number, a board title)', async () => {
    const { page, context } = await openWall('en', 1280, 720);
    try {
      const first = await lookAtHeader(page);
      expect(first.index).toBe(0);
      // the rotation: the demo's board in pages, Chengdu's (no mark, no title), the legend
      expect(first.count).toBeGreaterThanOrEqual(4);
      const seen: HeaderLook[] = [first];
      for (let turn = 1; turn < first.count; turn++) {
        const prev = seen.at(-1)!;
        expect(await turnPage(page), 'one rotation timer').toBe(1);
        await page.waitForFunction((i) => Number((document.querySelector('.wall') as HTMLElement).dataset.pageIndex) !== i, prev.index, { timeout: 9_000, polling: 100 });
        await page.waitForTimeout(200);
        seen.push(await lookAtHeader(page));
      }
      const heights = seen.map((s) => ({ page: s.index, board: s.board, height: Math.round(s.headerHeight * 10) / 10 }));
      console.log('header heights', JSON.stringify(heights));
      expect(new Set(seen.map((s) => s.board))).toEqual(new Set(['overview', 'cd', 'legend']));
      // the mark on the demo's center's pages, none on Chengdu's
      expect(seen.filter((s) => s.board === 'cd').map((s) => s.mark)).toEqual([false]);
      expect(seen.filter((s) => s.board === 'overview').every((s) => s.mark)).toBe(true);
      expect(new Set(heights.map((x) => x.height)).size, JSON.stringify(heights)).toBe(1);
      expect(seen.flatMap((s) => s.problems.map((p) => `page ${s.index}: ${p}`))).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe('the unseen layout the pages are cut from', () => {
  it('has no tiles or rows that a search for tiles on screen would find (only the board shown has data-tile / data-row)', async () => {
    const { page, context } = await openWall('en', 1280, 720);
    try {
      const found = await page.evaluate(() => ({
        shown: document.querySelectorAll('section.board [data-tile]').length,
        outside: [...document.querySelectorAll('[data-tile], [data-row]')].filter((e) => !e.closest('section.board')).map((e) => `${e.getAttribute('data-row')}/${e.getAttribute('data-tile')}`),
      }));
      expect(found.shown).toBeGreaterThan(0);
      expect(found.outside).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});
