import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import { tileIds, type AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';
import { holdRotation, turnPage } from './page-timers.ts';

/**
 * The wall's layout under pressure: many rows and four alerts (three banners and "另有 1 条告警")
 * on 1920×1080, 1280×720 and 3840×2160. Rows must never be drawn over each other or off the
 * screen: a board whose rows do not fit the height the header and the banners leave is split into
 * pages ("第 n/m 页"), each row on exactly one of them. Text is big enough to read at 5 m, and no
 * label is cut in English.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // Monday 10:30 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'wall-layout-display-token-01', ingest: 'wall-layout-ingest-token-001' };

const queues = [
  { id: 'retail', name: { zh: '零售语音', en: 'Retail voice' }, channel: 'voice', serviceLevelThresholdSec: 20 },
  { id: 'personal', name: { zh: '个人业务', en: 'Personal banking' }, channel: 'voice', serviceLevelThresholdSec: 30 },
  { id: 'credit', name: { zh: '信用卡', en: 'Credit cards' }, channel: 'voice' },
  { id: 'wealth', name: { zh: '理财贵宾', en: 'Wealth VIP' }, channel: 'voice' },
  { id: 'loans', name: { zh: '个人贷款', en: 'Personal loans' }, channel: 'voice' },
  { id: 'overseas', name: { zh: '境外来电', en: 'Calls from abroad' }, channel: 'voice' },
  { id: 'mobile', name: { zh: '手机银行在线客服', en: 'Mobile banking web chat' }, channel: 'text' },
  { id: 'wechat', name: { zh: '微信客服', en: 'WeChat service' }, channel: 'text' },
  { id: 'email', name: { zh: '邮件', en: 'E-mail' }, channel: 'text' },
  { id: 'video', name: { zh: '视频柜员', en: 'Video teller' }, channel: 'video' },
  { id: 'sign', name: { zh: '手语视频', en: 'Sign-language video' }, channel: 'video' },
  { id: 'corp', name: { zh: '对公业务', en: 'Corporate banking' }, channel: 'voice' },
] as const;

const config: AppConfigInput = {
  centers: [{ id: 'default', name: { zh: '远程银行中心（演示）', en: 'Remote Banking Center (demo)' }, timeZone: 'Asia/Shanghai' }],
  queues: queues.map((q) => ({ ...q })),
  groups: [{ id: 'retail-voice', name: { zh: '零售语音', en: 'Retail voice' }, queues: ['retail', 'personal', 'credit'] }],
  boards: [
    // the demo's second board: a group and five queues
    {
      id: 'six',
      title: { zh: '队列明细', en: 'Queues' },
      window: '15m',
      rows: [
        { kind: 'group', group: 'retail-voice' },
        { kind: 'queue', queue: 'personal' },
        { kind: 'queue', queue: 'credit' },
        { kind: 'queue', queue: 'wealth' },
        { kind: 'queue', queue: 'mobile' },
        { kind: 'queue', queue: 'video' },
      ],
      rotateEverySec: 5,
      legendPage: false,
    },
    // twelve rows, one per queue
    { id: 'many', title: { zh: '全部队列', en: 'All queues' }, window: '15m', rows: queues.map((q) => ({ kind: 'queue' as const, queue: q.id })), rotateEverySec: 5, legendPage: false },
    // every tile a board may have (15 narrow tiles): labels wrap, nothing is cut
    {
      id: 'wide',
      title: { zh: '全部指标', en: 'All figures' },
      window: '30m',
      rows: [{ kind: 'channel', channel: 'voice' }, { kind: 'channel', channel: 'text' }, { kind: 'channel', channel: 'video' }, { kind: 'center' }],
      tiles: [...tileIds],
      rotateEverySec: 5,
      legendPage: false,
    },
    // the default board's rows (a voice row mixing two service-level thresholds) and its legend
    { id: 'channels', title: { zh: '渠道', en: 'Channels' }, window: '30m', rotateEverySec: 5, legendPage: true },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
  ],
  alerts: {
    rules: ['retail', 'credit', 'mobile', 'video'].map((queue) => ({
      id: `wait-${queue}`,
      metric: 'waiting' as const,
      scope: { queue },
      comparator: 'gt' as const,
      warning: 1,
      critical: 3,
      clear: 0,
      sustainedForSec: 0,
    })),
  },
};

/** per queue: answered contacts over the last 20 minutes and a few still waiting */
function events(): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  queues.forEach((q, qi) => {
    for (let k = 0; k < 8; k++) {
      const contactId = `${q.id}-${k}`;
      const ts = t0 - 20 * 60_000 + k * 120_000 + qi * 1000;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts, contactId, queue: q.id, channel: q.channel });
      out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: ts + 5_000 + ((k * 7 + qi * 3) % 40) * 1000, contactId, agentId: `A${qi}${k}` });
    }
    const stillWaiting = ({ retail: 4, credit: 2, mobile: 3, video: 2, wealth: 1 } as Record<string, number>)[q.id] ?? 0;
    for (let k = 0; k < stillWaiting; k++) {
      const contactId = `${q.id}-w${k}`;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts: t0 - 30_000 - k * 5000, contactId, queue: q.id, channel: q.channel });
    }
  });
  return out;
}

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config, clock });
  await server.postEvents(events(), tokens.ingest);
  // (the background evaluator may have raised some of them already)
  await server.app.alerts.evaluateOnce(t0);
  const { alerts } = await server.getJson<{ alerts: unknown[] }>('/api/v1/alerts', tokens.display);
  if (alerts.length !== 4) throw new Error(`expected 4 alerts, got ${JSON.stringify(alerts)}`);
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
});

interface Box {
  id: string;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** what one page of a board shows: its rows (and the 智能服务 row and the trend) and what is wrong */
async function boardLayout(page: Page): Promise<{ part: number; parts: number; rowIds: string[]; problems: string[]; trendHeight: number }> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const board = document.querySelector('section.board') as HTMLElement;
    const vw = innerWidth;
    const vh = innerHeight;
    // a block's extent: its own box and everything drawn in it (a tile or a name that spills
    // out of a row is drawn over the next one)
    const box = (e: Element, id: string) => {
      const b = { id, top: Infinity, bottom: -Infinity, left: Infinity, right: -Infinity };
      for (const el of [e, ...e.querySelectorAll('.row-label .name, .row-label .window, [data-tile], [data-kpi]')]) {
        const r = el.getBoundingClientRect();
        b.top = Math.min(b.top, r.top);
        b.bottom = Math.max(b.bottom, r.bottom);
        b.left = Math.min(b.left, r.left);
        b.right = Math.max(b.right, r.right);
      }
      return b;
    };
    const rows = [...board.querySelectorAll('.row[data-row-id]')].map((e) => box(e, e.getAttribute('data-row-id')!));
    const kpi = board.querySelector('[data-kpi-row]');
    const trend = board.querySelector('.trend-box');
    const blocks: Box[] = [...rows, ...(kpi ? [box(kpi, 'kpi-row')] : []), ...(trend ? [box(trend, 'trend')] : [])];
    // the banners above the board
    const alerts = document.querySelector('[data-alert-banner]');
    if (alerts) blocks.push(box(alerts, 'alert-banners'));
    const header = document.querySelector('.wall header');
    if (header) blocks.push(box(header, 'header'));
    for (const b of blocks) {
      if (b.top < -0.5 || b.left < -0.5 || b.bottom > vh + 0.5 || b.right > vw + 0.5) problems.push(`${b.id} outside the viewport ${JSON.stringify(b)}`);
      if (b.bottom - b.top < 1) problems.push(`${b.id} has no height`);
    }
    for (let i = 0; i < blocks.length; i++) {
      for (let j = i + 1; j < blocks.length; j++) {
        const a = blocks[i]!;
        const b = blocks[j]!;
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        if (h > 0.5 && w > 0.5) problems.push(`${a.id} overlaps ${b.id} by ${h.toFixed(1)} px`);
      }
    }
    // nothing inside a row or a tile spills out of it (a tile clips: spilled text is cut text)
    for (const row of [...board.querySelectorAll('.row[data-row-id]'), ...(kpi ? [kpi] : [])]) {
      const r = row.getBoundingClientRect();
      const id = row.getAttribute('data-row-id') ?? 'kpi-row';
      for (const child of row.querySelectorAll('.row-label .name, .row-label .window, [data-tile], [data-kpi]')) {
        const c = child.getBoundingClientRect();
        if (c.top < r.top - 0.5 || c.bottom > r.bottom + 0.5) problems.push(`${id}: ${child.getAttribute('data-tile') ?? child.getAttribute('data-kpi') ?? child.className} spills out of its row`);
      }
      for (const tile of row.querySelectorAll('[data-tile], [data-kpi]')) {
        const t = tile.getBoundingClientRect();
        for (const part of tile.querySelectorAll('.label, [data-value], .foot > *, .stale-tag')) {
          const range = document.createRange();
          range.selectNodeContents(part);
          const p = range.getBoundingClientRect();
          if (p.height === 0) continue;
          if (p.top < t.top - 0.5 || p.bottom > t.bottom + 0.5 || p.left < t.left - 0.5 || p.right > t.right + 0.5)
            problems.push(`${id}/${tile.getAttribute('data-tile') ?? tile.getAttribute('data-kpi')}: "${part.textContent?.trim()}" is cut by its tile`);
        }
      }
    }
    return {
      part: Number(board.dataset.part ?? 0),
      parts: Number(board.dataset.parts ?? 1),
      rowIds: rows.map((r) => r.id),
      problems,
      trendHeight: trend ? trend.getBoundingClientRect().height : 0,
    };
  });
}

/** every page of the board, turned by the test (the page opened with `holdRotation`) */
async function allParts(page: Page, boardId: string): Promise<{ parts: number; rowIds: string[]; problems: string[]; trendHeights: number[] }> {
  await page.waitForSelector(`section.board[data-board="${boardId}"][data-stale="false"]`, { timeout: 15_000 });
  await page.waitForSelector('[data-alert-banner][data-count="4"]', { timeout: 10_000 });
  await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 15_000 });
  await page.waitForTimeout(400);
  // the split is measured on the pages shown (a later page may have taller rows and split the
  // rows once more); collect every page of one split, and start again if the split changes
  let seen = new Map<number, Awaited<ReturnType<typeof boardLayout>>>();
  let parts = 0;
  for (let turn = 0; turn < 20; turn++) {
    const l = await boardLayout(page);
    if (l.parts !== parts) {
      parts = l.parts;
      seen = new Map();
    }
    seen.set(l.part, l);
    if (seen.size === parts) break;
    const next = (l.part + 1) % parts;
    await turnPage(page);
    await page.waitForSelector(`section.board[data-board="${boardId}"][data-part="${next}"], section.board[data-board="${boardId}"]:not([data-parts="${parts}"])`, { timeout: 8_000 });
    await page.waitForTimeout(200);
  }
  const layouts = [...seen.values()].sort((a, b) => a.part - b.part);
  return {
    parts,
    rowIds: layouts.flatMap((l) => l.rowIds),
    problems: layouts.flatMap((l) => l.problems.map((p) => `page ${l.part + 1}/${l.parts}: ${p}`)),
    trendHeights: layouts.map((l) => Math.round(l.trendHeight)),
  };
}

const rowIdsOf = (boardId: string) => {
  const board = config.boards!.find((b) => b.id === boardId)!;
  return board.rows!.map((r) => (r.kind === 'queue' ? `queue:${r.queue}` : r.kind === 'group' ? `group:${r.group}` : r.kind === 'channel' ? `channel:${r.channel}` : r.kind));
};

describe('wall layout: rows never overlap, with four alerts above them', () => {
  for (const [w, h] of [
    [1920, 1080],
    [1280, 720],
    [3840, 2160],
  ] as const) {
    for (const boardId of ['six', 'many', 'wide']) {
      // 3840×2160 lays out like 1920×1080 (every size is in screen units); 15 tiles: at 1920×1080
      if ((w === 3840 && boardId !== 'six') || (w !== 1920 && boardId === 'wide')) continue;
      for (const lang of w === 1920 ? ['zh-CN', 'en'] : ['zh-CN']) {
        it(`/wall/${boardId} ${lang} at ${w}×${h}: every row on one page, inside the screen, over nothing`, async () => {
          const { page, context } = await openPage(browser, server, `/wall/${boardId}?lang=${lang}`, { token: tokens.display, viewport: { width: w, height: h }, beforeGoto: holdRotation });
          const got = await allParts(page, boardId);
          if (w !== 3840) await screenshot(page, `wall-layout-${boardId}-${lang}-${w}x${h}.png`);
          await context.close();
          console.log(`${boardId} ${lang} ${w}×${h}`, JSON.stringify({ parts: got.parts, trend: got.trendHeights, problems: got.problems.length, overlaps: got.problems.filter((p) => p.includes('overlaps')).slice(0, 8) }));
          expect(got.problems).toEqual([]);
          // each row exactly once over the pages, in order
          expect(got.rowIds).toEqual(rowIdsOf(boardId));
          // the trend keeps a readable height (it was squashed to ~40 px)
          for (const th of got.trendHeights) expect(th).toBeGreaterThanOrEqual(0.12 * h);
        }, 90_000);
      }
    }
  }
});

/** the smallest text the wall may show at 1920×1080 (≥ 1 cm per 3–4 m on a 55" TV) */
const minPx = 20;

describe('wall layout: text readable at 5 m (1920×1080)', () => {
  it('tile labels, the target line, the level shapes, the window label and the 智能服务 row are ≥ 20 px', async () => {
    const { page, context } = await openPage(browser, server, '/wall/six', { token: tokens.display });
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
    await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 15_000 });
    await page.waitForSelector('[data-tile] .icon', { timeout: 5_000 });
    const sizes = await page.evaluate(() => {
      const px = (sel: string) => [...document.querySelectorAll(sel)].map((e) => parseFloat(getComputedStyle(e).fontSize));
      const min = (sel: string) => {
        const all = px(sel);
        return all.length ? Math.min(...all) : -1;
      };
      return {
        tileLabel: min('[data-tile] .label'),
        target: min('[data-tile] .target'),
        icon: min('[data-tile] .icon'),
        window: min('.row .row-label .window'),
        rowName: min('.row .row-label .name'),
        kpiLabel: min('[data-kpi] .label'),
        kpiWindow: min('[data-kpi-row] .row-label .window'),
        trendTitle: min('.trend-title'),
        figure: Math.min(...px('[data-tile] [data-value]')),
      };
    });
    await context.close();
    console.log('font sizes at 1920×1080', JSON.stringify(sizes));
    for (const [what, size] of Object.entries(sizes)) expect.soft(size, what).toBeGreaterThanOrEqual(minPx);
    // the figures stay dominant
    expect(sizes.figure).toBeGreaterThanOrEqual(1.5 * sizes.tileLabel);
  }, 40_000);

  it('the legend page: every entry on one of its pages, body text ≥ 20 px', async () => {
    const { page, context } = await openPage(browser, server, '/wall/channels', { token: tokens.display });
    await page.waitForSelector('[data-page="legend"]', { timeout: 15_000 });
    const seen = new Map<number, { ids: string[]; hidden: string[]; minFont: number }>();
    const read = () =>
      page.$eval('[data-page="legend"]', (legend) => {
        const grid = legend.querySelector('.grid')!.getBoundingClientRect();
        const entries = [...legend.querySelectorAll('[data-legend]')];
        return {
          part: Number((legend as HTMLElement).dataset.part ?? 0),
          parts: Number((legend as HTMLElement).dataset.parts ?? 1),
          ids: entries.map((e) => e.getAttribute('data-legend')!),
          hidden: entries
            .filter((e) => {
              const r = e.getBoundingClientRect();
              return !(r.height > 0 && r.left >= grid.left - 1 && r.right <= grid.right + 1 && r.top >= grid.top - 1 && r.bottom <= grid.bottom + 1 && r.bottom <= innerHeight);
            })
            .map((e) => e.getAttribute('data-legend')!),
          minFont: Math.min(...entries.flatMap((e) => [...e.querySelectorAll('p')].map((p) => parseFloat(getComputedStyle(p).fontSize)))),
        };
      });
    await page.waitForTimeout(300);
    const first = await read();
    seen.set(first.part, first);
    await screenshot(page, 'wall-layout-legend-1920x1080.png');
    for (let k = 0; k < first.parts; k++) {
      if (seen.has(k)) continue;
      await page.waitForSelector(`[data-page="legend"][data-part="${k}"]`, { timeout: 8_000 });
      await page.waitForTimeout(200);
      const l = await read();
      seen.set(l.part, l);
    }
    await context.close();
    const all = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    console.log('legend pages', JSON.stringify(all.map((l) => ({ n: l.ids.length, minFont: l.minFont, hidden: l.hidden }))));
    const ids = all.flatMap((l) => l.ids);
    expect(ids.length).toBe(11 + 8);
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.flatMap((l) => l.hidden)).toEqual([]);
    for (const l of all) expect(l.minFont).toBeGreaterThanOrEqual(minPx);
  }, 60_000);
});

describe('wall layout: no label is cut in English (1920×1080)', () => {
  for (const boardId of ['channels', 'six', 'wide']) {
    it(`/wall/${boardId}?lang=en: tile labels, target lines, row names and the 智能服务 row fit`, async () => {
      const { page, context } = await openPage(browser, server, `/wall/${boardId}?lang=en`, { token: tokens.display });
      await page.waitForSelector('section.board[data-stale="false"]', { timeout: 15_000 });
      await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 15_000 });
      await page.waitForTimeout(300);
      // cut: wider than its box (ellipsis or clipped), or, where the box clips, taller than it, or
      // drawn outside the tile (which clips), or ending in "…"
      const cut = await page.evaluate(() =>
        [...document.querySelectorAll('section.board :is(.label, .target, .row-label .name, .row-label .window, .trend-title)')]
          .filter((e) => {
            const el = e as HTMLElement;
            const st = getComputedStyle(el);
            const range = document.createRange();
            range.selectNodeContents(el);
            const text = range.getBoundingClientRect();
            const clip = el.closest('[data-tile], [data-kpi], .row-label, .trend-box')!.getBoundingClientRect();
            return (
              el.scrollWidth > el.clientWidth + 1 ||
              (st.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1) ||
              st.textOverflow === 'ellipsis' ||
              text.left < clip.left - 0.5 ||
              text.right > clip.right + 0.5 ||
              text.bottom > clip.bottom + 0.5 ||
              el.textContent!.trim().endsWith('…')
            );
          })
          .map((e) => `${e.closest('[data-tile]')?.getAttribute('data-row') ?? ''} ${e.textContent!.trim()} (${(e as HTMLElement).scrollWidth}>${(e as HTMLElement).clientWidth})`),
      );
      const targets = await page.$$eval('[data-tile="serviceLevel"] .target', (els) => els.map((e) => e.textContent!.trim()));
      await screenshot(page, `wall-layout-${boardId}-en-labels.png`);
      await context.close();
      console.log(`${boardId} en`, JSON.stringify({ cut, targets }));
      expect(cut).toEqual([]);
      // the voice row mixes queues of 20 s and 30 s: its target says so, in a few words that fit
      if (boardId === 'channels') expect(targets).toContain('80% / varies');
    }, 40_000);
  }
});
