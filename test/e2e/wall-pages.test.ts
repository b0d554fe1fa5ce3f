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
 * The wall's pages and header (README "Pages, never overlap"):
 * - the page count is known on the first showing and never grows as the wall rotates (every row
 *   of every board and the legend are laid out unseen; client/src/wall/paging.ts cuts the pages);
 * - a second center's rows are named as that center names its queues;
 * - an open feed-silence alert is said in the header, next to the figures' age;
 * - a long English board title takes at most two lines and keeps the page number in sight.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // Monday 10:30 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'wall-pages-display-token-1', ingest: 'wall-pages-ingest-token-01' };

// Shanghai: twelve queues, names of every length (some wrap in English at 1280 px)
const shQueues = [
  { id: 'q1', name: { zh: '信用卡', en: 'Credit cards' }, channel: 'voice' },
  { id: 'retail', name: { zh: '零售语音', en: 'Retail voice' }, channel: 'voice' },
  { id: 'personal', name: { zh: '个人业务', en: 'Personal banking' }, channel: 'voice' },
  { id: 'wealth', name: { zh: '理财贵宾', en: 'Wealth VIP' }, channel: 'voice' },
  { id: 'loans', name: { zh: '个人贷款与按揭', en: 'Personal loans and mortgages' }, channel: 'voice' },
  { id: 'overseas', name: { zh: '境外来电', en: 'Calls from abroad' }, channel: 'voice' },
  { id: 'mobile', name: { zh: '手机银行在线客服', en: 'Mobile banking web chat' }, channel: 'text' },
  { id: 'wechat', name: { zh: '微信客服', en: 'WeChat service' }, channel: 'text' },
  { id: 'email', name: { zh: '邮件', en: 'E-mail' }, channel: 'text' },
  { id: 'video', name: { zh: '视频柜员', en: 'Video teller' }, channel: 'video' },
  { id: 'sign', name: { zh: '手语视频服务专线', en: 'Sign-language video service line for deaf customers' }, channel: 'video' },
  { id: 'corp', name: { zh: '对公业务', en: 'Corporate banking' }, channel: 'voice' },
] as const;

const config: AppConfigInput = {
  // the example configuration's names (server/config/examples/bank-center.yaml)
  centers: [
    { id: 'sh', name: { zh: '上海远程银行中心', en: 'Shanghai Remote Banking Center' }, timeZone: 'Asia/Shanghai' },
    { id: 'cd', name: { zh: '成都分中心', en: 'Chengdu Branch Center' }, timeZone: 'Asia/Shanghai' },
  ],
  queues: [
    ...shQueues.map((q) => ({ ...q, center: 'sh' })),
    // the same queue id in the second center, under another name
    { id: 'q1', center: 'cd', name: { zh: '成都信用卡专线', en: 'Chengdu card line' }, channel: 'voice' },
  ],
  boards: [
    {
      id: 'all',
      center: 'sh',
      title: { zh: '远程银行实时监控 · 全部队列与渠道', en: 'Remote banking live · all queues and channels' },
      window: '15m',
      rows: shQueues.map((q) => ({ kind: 'queue' as const, queue: q.id })),
      rotateEverySec: 5,
      rotateTo: ['cd'],
      legendPage: true,
    },
    { id: 'cd', center: 'cd', title: { zh: '成都分中心', en: 'Chengdu' }, window: '15m', rows: [{ kind: 'queue', queue: 'q1' }, { kind: 'center' }], rotateEverySec: 5, legendPage: false },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
  ],
  alerts: {
    // the standard feed-health rule (server/alerts/defaults.ts), for Shanghai only
    rules: [{ id: 'sh.feedHealth', metric: 'feedSilenceSec', scope: { center: 'sh' }, comparator: 'gt', warning: 300, critical: 900, clear: 60, sustainedForSec: 0 }],
  },
};


let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  await server.postEvents(answeredSpread([...shQueues.map((q) => ({ id: q.id, channel: q.channel, center: 'sh' })), { id: 'q1', channel: 'voice', center: 'cd' }], t0), tokens.ingest);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

interface Shown {
  index: number;
  count: number;
  pager: string | null;
  board: string | null;
  partOf: string | null;
  rowIds: string[];
  legendIds: string[];
  problems: string[];
}

/** what the wall shows now: the page number and count, the rows (or legend entries) and what overlaps */
function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const wall = document.querySelector('.wall') as HTMLElement;
    const board = document.querySelector('section.board') as HTMLElement | null;
    const problems: string[] = [];
    const blocks: { id: string; r: DOMRect }[] = [];
    const vw = innerWidth;
    const vh = innerHeight;
    if (board) {
      for (const row of board.querySelectorAll('.row[data-row-id]')) {
        const id = row.getAttribute('data-row-id')!;
        const r = row.getBoundingClientRect();
        blocks.push({ id, r });
        // nothing of a row drawn outside it (spilled text is drawn over the next row)
        for (const c of row.querySelectorAll('.row-label .name, .row-label .window, [data-tile], [data-tile] .label, [data-tile] .foot')) {
          const b = c.getBoundingClientRect();
          if (b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5) problems.push(`${id}: ${c.className} spills out of its row`);
        }
      }
      const kpi = board.querySelector('[data-kpi-row]');
      if (kpi) blocks.push({ id: 'kpi-row', r: kpi.getBoundingClientRect() });
      const trend = board.querySelector('.trend-box');
      if (trend) blocks.push({ id: 'trend', r: trend.getBoundingClientRect() });
    }
    const header = document.querySelector('.wall header');
    if (header) blocks.push({ id: 'header', r: header.getBoundingClientRect() });
    const banner = document.querySelector('[data-alert-banner]');
    if (banner && banner.getBoundingClientRect().height > 0) blocks.push({ id: 'alert-banners', r: banner.getBoundingClientRect() });
    for (const b of blocks) {
      if (b.r.top < -0.5 || b.r.left < -0.5 || b.r.bottom > vh + 0.5 || b.r.right > vw + 0.5) problems.push(`${b.id} outside the viewport`);
      if (b.r.height < 1) problems.push(`${b.id} has no height`);
    }
    for (let i = 0; i < blocks.length; i++)
      for (let j = i + 1; j < blocks.length; j++) {
        const a = blocks[i]!.r;
        const b = blocks[j]!.r;
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        if (h > 0.5 && w > 0.5) problems.push(`${blocks[i]!.id} overlaps ${blocks[j]!.id} by ${h.toFixed(1)} px`);
      }
    const legend = document.querySelector('[data-page="legend"]');
    if (legend) {
      const grid = legend.querySelector('.grid')!.getBoundingClientRect();
      for (const e of legend.querySelectorAll('[data-legend]')) {
        const r = e.getBoundingClientRect();
        if (!(r.height > 0 && r.top >= grid.top - 1 && r.bottom <= grid.bottom + 1 && r.bottom <= vh)) problems.push(`legend ${e.getAttribute('data-legend')} cut`);
      }
    }
    return {
      index: Number(wall.dataset.pageIndex),
      count: Number(wall.dataset.pageCount),
      pager: document.querySelector('[data-pager]')?.textContent?.trim() ?? null,
      board: board?.dataset.board ?? (legend ? 'legend' : null),
      partOf: document.querySelector('[data-part-of]')?.textContent?.trim() ?? null,
      rowIds: board ? [...board.querySelectorAll('.row[data-row-id]')].map((e) => e.getAttribute('data-row-id')!) : [],
      legendIds: legend ? [...legend.querySelectorAll('[data-legend]')].map((e) => e.getAttribute('data-legend')!) : [],
      problems,
    };
  });
}

const allRows = shQueues.map((q) => `queue:${q.id}`);

describe('wall pages: the count is right from the first turn', () => {
  for (const lang of ['en', 'zh-CN'] as const) {
    it(`/wall/all ${lang} at 1280×720: two rotations, the same page count, every row once per rotation, nothing overlaps`, async () => {
      const { page, context } = await openPage(browser, server, `/wall/all?lang=${lang}`, { token: tokens.display, viewport: { width: 1280, height: 720 }, beforeGoto: holdRotation });
      try {
        await page.waitForSelector('section.board[data-board="all"][data-stale="false"]', { timeout: 20_000 });
        await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 20_000 });
        await page.waitForTimeout(300);
        const first = await shown(page);
        // still the first page of the first showing: nothing has turned yet
        expect(first.index).toBe(0);
        const count = first.count;
        await screenshot(page, `wall-pages-all-${lang}-1280x720-first.png`);
        const seen: Shown[] = [first];
        // two whole rotations: every page turn is checked (the count may not change meanwhile)
        for (let turn = 1; turn <= 2 * count; turn++) {
          const prev = seen.at(-1)!;
          // the test turns the page (as the 5 s timer would), so two rotations take seconds, not a minute
          expect(await turnPage(page), 'one rotation timer').toBe(1);
          await page.waitForFunction(
            ([i, c]) => {
              const w = document.querySelector('.wall') as HTMLElement;
              return Number(w.dataset.pageIndex) !== i || Number(w.dataset.pageCount) !== c;
            },
            [prev.index, count] as const,
            { timeout: 9_000, polling: 100 },
          );
          await page.waitForTimeout(350);
          const s = await shown(page);
          seen.push(s);
          if (turn <= count && s.index > 0) await screenshot(page, `wall-pages-all-${lang}-1280x720-p${s.index + 1}.png`);
        }
        const counts = seen.map((s) => s.count);
        console.log(`wall pages ${lang}`, JSON.stringify(seen.map((s) => ({ i: s.index, n: s.count, b: s.board, p: s.partOf, rows: s.rowIds.length, legend: s.legendIds.length }))));
        expect(counts, 'page count on every turn').toEqual(seen.map(() => count));
        expect(count).toBeGreaterThanOrEqual(4);
        // the header's "page n/N" is the page shown
        for (const s of seen) expect(s.pager).toBe(lang === 'en' ? `page ${s.index + 1}/${count}` : `第 ${s.index + 1}/${count} 页`);
        expect(seen.map((s) => s.index)).toEqual(seen.map((_, k) => k % count));
        expect(seen.flatMap((s) => s.problems)).toEqual([]);
        // each rotation: the board's rows in order, each once, then the Chengdu board, then the legend
        for (const rotation of [seen.slice(0, count), seen.slice(count, 2 * count)]) {
          const own = rotation.filter((s) => s.board === 'all');
          expect(own.flatMap((s) => s.rowIds)).toEqual(allRows);
          expect(own.length).toBeGreaterThanOrEqual(2);
          own.forEach((s, k) => expect(s.partOf).toBe(`· ${k + 1}/${own.length}`));
          expect(rotation.filter((s) => s.board === 'cd').map((s) => s.rowIds)).toEqual([['queue:q1', 'center']]);
          const legend = rotation.filter((s) => s.board === 'legend').flatMap((s) => s.legendIds);
          expect(legend.length).toBeGreaterThan(0);
          expect(new Set(legend).size).toBe(legend.length);
        }
        // the second rotation shows the same pages as the first
        expect(seen.slice(count, 2 * count).map((s) => [s.board, s.rowIds, s.legendIds])).toEqual(seen.slice(0, count).map((s) => [s.board, s.rowIds, s.legendIds]));
      } finally {
        await context.close();
      }
    }, 180_000);
  }
});

describe('wall rows of a second center', () => {
  it("each board's rows are named as its own center names them (same queue id in two centers)", async () => {
    const names: Record<string, Record<string, string>> = {};
    for (const lang of ['zh-CN', 'en'] as const) {
      const { page, context } = await openPage(browser, server, `/wall/cd?lang=${lang}`, { token: tokens.display });
      await page.waitForSelector('section.board[data-board="cd"][data-stale="false"]', { timeout: 20_000 });
      const cd = (await page.textContent('section.board[data-board="cd"] .row[data-row-id="queue:q1"] .name'))!.trim();
      await screenshot(page, `wall-pages-cd-${lang}.png`);
      await context.close();
      const sh = await (async () => {
        const o = await openPage(browser, server, `/wall/all?lang=${lang}`, { token: tokens.display });
        await o.page.waitForSelector('section.board[data-board="all"] .row[data-row-id="queue:q1"]', { timeout: 20_000 });
        const t = (await o.page.textContent('section.board[data-board="all"] .row[data-row-id="queue:q1"] .name'))!.trim();
        await o.context.close();
        return t;
      })();
      names[lang] = { cd, sh };
    }
    expect(names).toEqual({ 'zh-CN': { cd: '成都信用卡专线', sh: '信用卡' }, en: { cd: 'Chengdu card line', sh: 'Credit cards' } });
  }, 90_000);
});

/**
 * The lines of text drawn in `el`: its text runs, grouped into lines by vertical overlap, counting
 * only those inside its box (lines past a line clamp are laid out but cut off). Injected into the
 * page (page.addInitScript) as window.titleLines.
 */
const titleLinesScript = `window.titleLines = (el) => {
  const box = el.getBoundingClientRect();
  const rects = [];
  const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      const mid = (r.top + r.bottom) / 2;
      if (r.width > 0.5 && mid >= box.top && mid <= box.bottom) rects.push(r);
    }
  }
  rects.sort((a, b) => a.top - b.top);
  const lines = [];
  for (const r of rects) {
    const last = lines[lines.length - 1];
    if (last && Math.min(last.bottom, r.bottom) - Math.max(last.top, r.top) > 0.5 * Math.min(last.bottom - last.top, r.bottom - r.top)) continue;
    lines.push(r);
  }
  return lines.length;
};`;
declare function titleLines(el: Element): number;

describe('wall header', () => {
  it('a long English title takes at most two lines at 1280×720 and keeps the page number and the clock in sight', async () => {
    // as `npm run demo` shows it: the DEMO DATA badge beside the title (a batch from the simulator)
    const engine = (server.app as unknown as { engine: MetricEngine }).engine;
    await engine.ingest([contractEvent.parse({ id: 'demo-1', type: 'agent.state', ts: t0, center: 'sh', agentId: 'D1', state: 'available', queues: ['retail'] })], clock.now(), { demo: true });
    for (const [lang, w, h] of [
      ['en', 1280, 720],
      ['zh-CN', 1280, 720],
      ['en', 1920, 1080],
    ] as const) {
      const { page, context } = await openPage(browser, server, `/wall/all?lang=${lang}`, {
        token: tokens.display,
        viewport: { width: w, height: h },
        beforeGoto: async (p) => void (await p.addInitScript(titleLinesScript)),
      });
      await page.waitForSelector('section.board[data-board="all"][data-stale="false"]', { timeout: 20_000 });
      await page.waitForSelector('[data-part-of]', { timeout: 10_000 });
      await page.waitForSelector('[data-demo]', { timeout: 10_000 });
      await page.waitForTimeout(300);
      const look = await page.evaluate(() => {
        const title = document.querySelector('.board-title') as HTMLElement;
        const lines = titleLines(title);
        const header = document.querySelector('.wall header')!.getBoundingClientRect();
        // visible: inside the screen and the header, and not clipped by an ancestor
        const visible = (sel: string) => {
          const el = document.querySelector(sel) as HTMLElement | null;
          if (!el) return `${sel} missing`;
          const r = el.getBoundingClientRect();
          if (r.width < 1 || r.height < 1) return `${sel} has no size`;
          if (r.left < 0 || r.right > innerWidth || r.top < 0 || r.bottom > header.bottom + 0.5) return `${sel} outside ${JSON.stringify(r)}`;
          const x = Math.min(r.right - 2, (r.left + r.right) / 2);
          const hit = document.elementFromPoint(x, (r.top + r.bottom) / 2);
          if (!hit || !(el === hit || el.contains(hit) || hit.contains(el))) return `${sel} covered by ${hit?.className}`;
          for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const st = getComputedStyle(p);
            if (st.overflow !== 'visible') {
              const pr = p.getBoundingClientRect();
              if (r.left < pr.left - 0.5 || r.right > pr.right + 0.5 || r.top < pr.top - 0.5 || r.bottom > pr.bottom + 0.5) return `${sel} clipped by ${p.className}`;
            }
          }
          return 'ok';
        };
        return {
          lines,
          partOf: visible('[data-part-of]'),
          clock: visible('[data-clock]'),
          pager: visible('[data-pager]'),
          centerName: visible('.center-name'),
          demo: visible('[data-demo]'),
          text: title.textContent,
        };
      });
      await screenshot(page, `wall-pages-header-${lang}-${w}x${h}.png`);
      await context.close();
      console.log(`header ${lang} ${w}×${h}`, JSON.stringify(look));
      expect(look.lines, `${lang} ${w}×${h}: ${look.text}`).toBeLessThanOrEqual(2);
      expect({ partOf: look.partOf, clock: look.clock, pager: look.pager, centerName: look.centerName, demo: look.demo }).toEqual({
        partOf: 'ok',
        clock: 'ok',
        pager: 'ok',
        centerName: 'ok',
        demo: 'ok',
      });
    }
  }, 120_000);

  it('says the event feed is silent while a feed-silence alert is open, without greying the figures, and stops when it resolves', async () => {
    const open = async (lang: 'zh-CN' | 'en') =>
      openPage(browser, server, `/wall/all?lang=${lang}`, { token: tokens.display, viewport: { width: 1280, height: 720 }, beforeGoto: async (p) => void (await p.addInitScript(titleLinesScript)) });
    const zh = await open('zh-CN');
    const en = await open('en');
    try {
      for (const o of [zh, en]) await o.page.waitForSelector('section.board[data-board="all"][data-stale="false"]', { timeout: 20_000 });
      expect(await zh.page.$('[data-feed-silent]')).toBeNull();
      // twelve minutes without an event: the server still recomputes (figures not STALE) …
      const silentAt = t0 + 12 * 60_000;
      clock.set(silentAt);
      const raised = await server.app.alerts.evaluateOnce(silentAt);
      const { alerts } = await server.getJson<{ alerts: { metric: string; state: string }[] }>('/api/v1/alerts?center=sh', tokens.display);
      expect(alerts.filter((a) => a.metric === 'feedSilenceSec' && a.state !== 'resolved'), JSON.stringify(raised)).toHaveLength(1);
      // … and the header says they may be frozen, in both languages
      for (const o of [zh, en]) await o.page.waitForSelector('.wall header [data-feed-silent]', { timeout: 10_000 });
      const look = async (p: Page) =>
        p.evaluate(() => {
          const el = document.querySelector('.wall header [data-feed-silent]') as HTMLElement;
          const st = getComputedStyle(el);
          return {
            text: el.textContent!.replace(/\s+/g, ' ').trim(),
            color: st.color,
            background: st.backgroundColor,
            fontPx: parseFloat(st.fontSize),
            boardStale: document.querySelector('section.board')?.getAttribute('data-stale'),
            tilesStale: [...document.querySelectorAll('section.board [data-tile]')].filter((t) => t.getAttribute('data-stale') !== 'false').length,
          };
        });
      const zhLook = await look(zh.page);
      const enLook = await look(en.page);
      await screenshot(zh.page, 'wall-pages-feed-silent-zh-CN-1280x720.png');
      await screenshot(en.page, 'wall-pages-feed-silent-en-1280x720.png');
      console.log('feed silent', JSON.stringify({ zhLook, enLook }));
      // the title keeps two lines at most beside the longer status
      const shownLines = await en.page.evaluate(() => (window as unknown as { titleLines: (e: Element) => number }).titleLines(document.querySelector('.board-title')!));
      expect(shownLines).toBeLessThanOrEqual(2);
      expect(zhLook.text).toMatch(/^数据源已静默 1[23]分钟 · 数字可能未更新$/);
      expect(enLook.text).toMatch(/^Feed silent 1[23] min · figures may be frozen$/);
      for (const l of [zhLook, enLook]) {
        // the figures stay as they are: exact, just possibly old
        expect(l.boardStale).toBe('false');
        expect(l.tilesStale).toBe(0);
        // readable across the room (≥ 20 px at 1080p is ≥ 13.3 px at 720p)
        expect(l.fontPx).toBeGreaterThanOrEqual(13);
      }
      // an event arrives: the alert resolves and the mark goes
      await server.postEvents([{ id: 'feed-back-1', type: 'contact.queued', ts: silentAt, center: 'sh', contactId: 'feed-back-1', queue: 'retail', channel: 'voice' }], tokens.ingest);
      await server.app.alerts.evaluateOnce(silentAt + 1000);
      for (const o of [zh, en]) await o.page.waitForSelector('.wall header [data-feed-silent]', { state: 'detached', timeout: 10_000 });
    } finally {
      await zh.context.close();
      await en.context.close();
    }
  }, 90_000);
});
