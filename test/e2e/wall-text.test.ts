import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '../../server/clock.ts';
import { tileIds, type AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { TestServer, ensureClientBuilt, launchBrowser, openPage, screenshot } from '../support/browser.ts';

/**
 * The wall's text at a distance (README "Text size", "Trend", "Thresholds"):
 * - a board with all 15 tiles, at 1920×1080 and 1280×720, in English and Chinese: a tile label
 *   wraps only between words (Chinese: between characters), never inside an English word except
 *   at a hyphen the wall inserted ("Occu-pancy", never "Occupan / cy"), and never runs out of its
 *   tile; the 智能服务 row's labels alike; figures stay on one line;
 * - the trend's service-level axis reads 0 / 25 / 50 / 75 / 100 % at 1280×720 with two alert
 *   banners above the board, its labels far enough apart not to overlap (read from what Chart.js
 *   draws on the canvas: every fillText is recorded);
 * - ASA is coloured against its channel's display threshold: with `displayThresholds.byChannel`
 *   giving text chat 30 s / 60 s (its service-level threshold is 30 s here) and the default
 *   20 s / 40 s for voice, 25 s is normal on a text queue and amber on a voice queue.
 */
const t0 = Date.parse('2026-03-16T02:30:00Z'); // Monday 10:30 Shanghai
const clock = new FakeClock(t0);
const tokens = { display: 'wall-text-display-token-0001', ingest: 'wall-text-ingest-token-00001', lead: 'wall-text-lead-token-000001' };
const shotsDir = process.env.WALL_TEXT_SHOTS;

const queues = [
  { id: 'cards', name: { zh: '信用卡', en: 'Credit cards' }, channel: 'voice' },
  { id: 'chat', name: { zh: '手机银行在线客服', en: 'Mobile chat' }, channel: 'text' },
  { id: 'teller', name: { zh: '视频柜员', en: 'Video teller' }, channel: 'video' },
] as const;

const baseConfig: AppConfigInput = {
  centers: [{ id: 'default', name: { zh: '远程银行中心', en: 'Remote Banking Center' }, timeZone: 'Asia/Shanghai' }],
  queues: queues.map((q) => ({ ...q })),
  boards: [
    // every tile a board may have: 15 narrow tiles
    {
      id: 'all15',
      title: { zh: '全部指标', en: 'All figures' },
      window: '30m',
      rows: [{ kind: 'queue', queue: 'cards' }, { kind: 'queue', queue: 'chat' }, { kind: 'center' }],
      tiles: [...tileIds],
      rotateEverySec: 3600,
      legendPage: false,
    },
    { id: 'asa', title: { zh: '应答速度', en: 'ASA' }, window: '30m', rows: [{ kind: 'queue', queue: 'cards' }, { kind: 'queue', queue: 'chat' }, { kind: 'center' }], tiles: ['asaSec', 'serviceLevel', 'waiting'], rotateEverySec: 3600, legendPage: false },
  ],
  tokens: [
    { token: tokens.display, role: 'display', name: 'tv' },
    { token: tokens.ingest, role: 'ingest', name: 'acd' },
    { token: tokens.lead, role: 'lead', name: 'lead' },
  ],
  // two alerts (two banners): more than one contact waiting in the voice and the text queue
  alerts: {
    rules: ['cards', 'chat'].map((queue) => ({
      id: `wait-${queue}`,
      metric: 'waiting' as const,
      scope: { queue },
      comparator: 'gt' as const,
      warning: 1,
      critical: 5,
      clear: 0,
      sustainedForSec: 0,
    })),
  },
};

/** text chat promises a first reply within 30 s; its ASA is judged against 30 s / 60 s */
const channelConfig: AppConfigInput = {
  ...baseConfig,
  defaults: { serviceLevelThresholdSec: { voice: 20, text: 30, video: 20 } },
  displayThresholds: { byChannel: { text: { asaSec: { warning: 30, critical: 60 } } } },
  alerts: { rules: [] },
};

/** per queue: answered contacts waiting 25 s each over the last 20 minutes (ASA 25 s), two still waiting */
function events(): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  queues.forEach((q, qi) => {
    for (let k = 0; k < 6; k++) {
      const contactId = `${q.id}-${k}`;
      const ts = t0 - 20 * 60_000 + k * 120_000 + qi * 1000;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts, contactId, queue: q.id, channel: q.channel });
      out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: ts + 25_000, contactId, agentId: `A${qi}${k}` });
    }
    if (q.id === 'teller') return;
    for (let k = 0; k < 2; k++) {
      const contactId = `${q.id}-w${k}`;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts: t0 - 30_000 - k * 5000, contactId, queue: q.id, channel: q.channel });
    }
  });
  return out;
}

let server: TestServer;
let channelServer: TestServer | undefined;
let browser: Browser;

beforeAll(async () => {
  ensureClientBuilt();
  server = await TestServer.start({ config: baseConfig, clock });
  await server.postEvents(events(), tokens.ingest);
  await server.app.alerts.evaluateOnce(t0);
  const { alerts } = await server.getJson<{ alerts: unknown[] }>('/api/v1/alerts', tokens.display);
  if (alerts.length !== 2) throw new Error(`expected 2 alerts, got ${JSON.stringify(alerts)}`);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
  await channelServer?.stop().catch(() => undefined);
});

async function shot(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  if (shotsDir) {
    mkdirSync(shotsDir, { recursive: true });
    await page.screenshot({ path: `${shotsDir}/${name}` });
  }
}

interface LabelReport {
  where: string;
  text: string;
  lines: string[];
  /** "Occupan|cy": a line break between two letters of a word with no inserted hyphen */
  brokenWords: string[];
  /** how far the text runs past the label's box (px) */
  overflowPx: number;
  fontPx: number;
}

/**
 * Every label of the board's tiles and of the 智能服务 row, as laid out: its lines (from the
 * client rects of each character of its text nodes), the words broken between two letters with no
 * soft hyphen (U+00AD) at the break, and how far its text runs out of its box. Figures: their
 * lines (a figure must keep one), and the service level's target lines split inside a figure.
 */
async function readLabels(page: Page): Promise<{ labels: LabelReport[]; wrappedFigures: string[]; splitTargets: string[] }> {
  return page.evaluate(() => {
    const letter = /[\p{L}\p{N}]/u;
    const cjk = /[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\u3000-\u303f]/;
    type Ch = { ch: string; top: number; left: number; right: number } | { ch: string; top: null; left: 0; right: 0 };
    function chars(el: Element): Ch[] {
      const out: Ch[] = [];
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.textContent ?? '';
        for (let i = 0; i < text.length; i++) {
          const r = document.createRange();
          r.setStart(n, i);
          r.setEnd(n, i + 1);
          const rects = [...r.getClientRects()].filter((x) => x.width > 0 || x.height > 0);
          // the last rect: after a soft hyphen's break, Chrome gives the next letter the drawn
          // hyphen's rect at the end of the line above first
          const first = rects[rects.length - 1];
          out.push(first && text[i] !== '\u00ad' ? { ch: text[i]!, top: Math.round(first.top), left: first.left, right: first.right } : { ch: text[i]!, top: null, left: 0, right: 0 });
        }
      }
      return out;
    }
    function lines(cs: Ch[]): string[] {
      const byTop: string[] = [];
      let top: number | null = null;
      for (const c of cs) {
        if (c.top === null) continue;
        if (top === null || Math.abs(c.top - top) > 2) {
          byTop.push('');
          top = c.top;
        }
        byTop[byTop.length - 1] += c.ch;
      }
      return byTop;
    }
    const labels: LabelReport[] = [];
    // what is on screen: not the copies laid out off screen to measure the rows (paging probes)
    const shown = (e: Element) => !e.closest('[data-probe-row], [aria-hidden="true"], [inert]');
    const items = [
      ...[...document.querySelectorAll('[data-tile]')].filter(shown).map((t) => ({ where: `${t.getAttribute('data-row')}/${t.getAttribute('data-tile')}`, el: t.querySelector('.label')! })),
      ...[...document.querySelectorAll('[data-kpi]')].filter(shown).map((t) => ({ where: `kpi/${t.getAttribute('data-kpi')}`, el: t.querySelector('.label')! })),
    ];
    for (const { where, el } of items) {
      const cs = chars(el);
      const brokenWords: string[] = [];
      // consecutive visible characters on different lines, both letters of a Latin word, with no
      // soft hyphen between them: the word was broken where no hyphen was inserted
      let prev: { i: number; c: Ch } | null = null;
      cs.forEach((c, i) => {
        if (c.top === null) return;
        if (prev && prev.c.top !== null && Math.abs(c.top - prev.c.top) > 2) {
          const between = cs.slice(prev.i + 1, i).map((x) => x.ch).join('');
          const joined = letter.test(prev.c.ch) && letter.test(c.ch) && !cjk.test(prev.c.ch) && !cjk.test(c.ch) && between === '';
          if (joined) {
            const text = cs.map((x) => x.ch).join('');
            brokenWords.push(`${text.slice(Math.max(0, prev.i - 8), prev.i + 1)}|${text.slice(i, i + 8)}`);
          }
        }
        prev = { i, c };
      });
      const box = el.getBoundingClientRect();
      const range = document.createRange();
      range.selectNodeContents(el);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0);
      const overflowPx = Math.max(0, ...rects.map((r) => Math.max(r.right - box.right, box.left - r.left)));
      labels.push({ where, text: el.textContent ?? '', lines: lines(cs), brokenWords, overflowPx: Math.round(overflowPx * 10) / 10, fontPx: parseFloat(getComputedStyle(el).fontSize) });
    }
    const wrappedFigures = [...document.querySelectorAll('[data-tile] [data-value], [data-kpi] [data-value]')]
      .filter(shown)
      .filter((v) => lines(chars(v)).length > 1)
      .map((v) => `${v.closest('[data-tile],[data-kpi]')!.getAttribute('data-tile') ?? v.closest('[data-kpi]')!.getAttribute('data-kpi')}: ${v.textContent}`);
    // the service level's target line "80% / 20 s": two figures, broken (if at all) at the "/"
    const splitTargets: string[] = [];
    for (const target of [...document.querySelectorAll('[data-tile] .target')].filter(shown)) {
      const cs = chars(target).filter((c) => c.top !== null && c.ch.trim() !== '');
      cs.forEach((c, i) => {
        const prev = cs[i - 1];
        if (prev && prev.top !== null && c.top !== null && Math.abs(c.top - prev.top) > 2 && prev.ch !== '/' && c.ch !== '/') splitTargets.push(`${target.closest('[data-tile]')!.getAttribute('data-row')}: ${lines(chars(target)).join(' | ')}`);
      });
    }
    return { labels, wrappedFigures, splitTargets };
  });
}

const screens = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
] as const;

describe('wall text: labels wrap between words, never inside one (15 tiles)', () => {
  for (const viewport of screens) {
    for (const lang of ['en', 'zh-CN'] as const) {
      it(`${viewport.width}×${viewport.height} ${lang}: every label's words whole on a line (or hyphenated by the wall), inside its tile, not below the wall's least size`, async () => {
        const { page, context } = await openPage(browser, server, `/wall/all15?lang=${lang}`, { token: tokens.display, viewport });
        await page.waitForSelector('section.board[data-stale="false"]', { timeout: 20_000 });
        await page.waitForSelector('[data-kpi-row][data-stale="false"]', { timeout: 20_000 });
        await page.waitForTimeout(600);
        await shot(page, `wall-text-${viewport.width}x${viewport.height}-${lang}.png`);
        const { labels, wrappedFigures, splitTargets } = await readLabels(page);
        await context.close();
        // the wall's least text size: 1.86 units of the 16:9 picture's height (20 px at 1080p)
        const least = 1.86 * Math.min(viewport.height / 100, (viewport.width * 0.5625) / 100);
        const broken = labels.filter((l) => l.brokenWords.length).map((l) => `${l.where}: ${l.brokenWords.join(', ')}`);
        const overflowing = labels.filter((l) => l.overflowPx > 0.5).map((l) => `${l.where} "${l.text}" +${l.overflowPx}px`);
        const small = labels.filter((l) => l.fontPx < least - 0.05).map((l) => `${l.where} ${l.fontPx}px`);
        const hyphenated = labels.filter((l) => l.text.includes('\u00ad')).map((l) => `${l.where}: ${l.lines.join(' / ')}`);
        console.log(`${viewport.width}x${viewport.height} ${lang}`, JSON.stringify({ labels: labels.length, hyphenated, sample: labels.filter((l) => l.lines.length > 1).slice(0, 20).map((l) => `${l.where}: ${l.lines.join(' / ')}`) }));
        // a page of the board's rows (at least one) and the 智能服务 row's 8 figures
        expect(labels.filter((l) => l.where.startsWith('kpi/')).length).toBe(8);
        expect(labels.length).toBeGreaterThanOrEqual(tileIds.length + 8);
        expect(broken).toEqual([]);
        expect(overflowing).toEqual([]);
        expect(small).toEqual([]);
        expect(wrappedFigures).toEqual([]);
        expect(splitTargets).toEqual([]);
      }, 60_000);
    }
  }
});

describe('wall trend: the service-level axis at 1280×720 with two alert banners', () => {
  it('reads 0 / 25 / 50 / 75 / 100 %, its labels apart by at least their line height', async () => {
    const { page, context } = await openPage(browser, server, '/wall/all15?lang=en', {
      token: tokens.display,
      viewport: { width: 1280, height: 720 },
      beforeGoto: async (p) => {
        // what Chart.js draws: every text of the trend's canvas since it was last cleared
        await p.addInitScript(() => {
          const drawn = new WeakMap<HTMLCanvasElement, { text: string; y: number; font: string }[]>();
          (window as unknown as { __drawn: typeof drawn }).__drawn = drawn;
          const proto = CanvasRenderingContext2D.prototype;
          const clear = proto.clearRect;
          proto.clearRect = function (this: CanvasRenderingContext2D, ...args: Parameters<typeof clear>) {
            drawn.set(this.canvas, []);
            return clear.apply(this, args);
          };
          const fill = proto.fillText;
          proto.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth?: number) {
            const list = drawn.get(this.canvas) ?? [];
            const m = this.getTransform();
            list.push({ text, y: m.d * y + m.f, font: this.font });
            drawn.set(this.canvas, list);
            return maxWidth === undefined ? fill.call(this, text, x, y) : fill.call(this, text, x, y, maxWidth);
          };
        });
      },
    });
    await page.waitForSelector('[data-alert-banner][data-count="2"]', { timeout: 20_000 });
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 20_000 });
    await page.waitForSelector('[data-trend][data-points]:not([data-points="0"])', { timeout: 20_000 });
    await page.waitForTimeout(800);
    await shot(page, 'wall-text-trend-1280x720-two-banners.png');
    const axis = await page.evaluate(() => {
      const canvas = document.querySelector('[data-trend] canvas') as HTMLCanvasElement;
      const drawn = (window as unknown as { __drawn: WeakMap<HTMLCanvasElement, { text: string; y: number; font: string }[]> }).__drawn.get(canvas) ?? [];
      const percent = drawn.filter((d) => /^\d+%$/.test(d.text));
      const dpr = devicePixelRatio;
      const sizes = percent.map((d) => parseFloat(/(\d+(?:\.\d+)?)px/.exec(d.font)?.[1] ?? '0'));
      // the title and every legend entry whole inside the trend (above the plot or beside it)
      const box = (document.querySelector('[data-trend]') as HTMLElement).getBoundingClientRect();
      const outside = [...document.querySelectorAll('[data-trend] .trend-title, [data-trend] .legend .item')]
        .filter((e) => {
          const r = e.getBoundingClientRect();
          return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5 || (e as HTMLElement).scrollWidth > (e as HTMLElement).clientWidth + 1;
        })
        .map((e) => e.textContent);
      return {
        layout: (document.querySelector('[data-trend]') as HTMLElement).dataset.trendLayout,
        outside,
        labels: percent.map((d) => d.text),
        ys: percent.map((d) => d.y / dpr),
        fontPx: Math.max(0, ...sizes),
        plotHeight: canvas.getBoundingClientRect().height,
        trendHeight: (document.querySelector('[data-trend]') as HTMLElement).getBoundingClientRect().height,
      };
    });
    await context.close();
    console.log('trend axis', JSON.stringify(axis));
    expect([...axis.labels].sort((a, b) => parseFloat(a) - parseFloat(b))).toEqual(['0%', '25%', '50%', '75%', '100%']);
    const ys = [...axis.ys].sort((a, b) => a - b);
    const gaps = ys.slice(1).map((y, k) => y - ys[k]!);
    // apart by at least a line of their font (Chart.js's line height, 1.2): they never overlap
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1.2 * axis.fontPx - 0.25);
    expect(axis.outside).toEqual([]);
  }, 60_000);
});

describe('wall thresholds: ASA judged against its channel', () => {
  it('25 s is normal on a text queue (text: 30 s / 60 s) and amber on a voice queue (default 20 s / 40 s); the center row takes the strictest', async () => {
    channelServer = await TestServer.start({ config: channelConfig, clock });
    await channelServer.postEvents(events(), tokens.ingest);
    const { page, context } = await openPage(browser, channelServer, '/wall/asa?lang=en', { token: tokens.display });
    await page.waitForSelector('section.board[data-stale="false"]', { timeout: 20_000 });
    await page.waitForTimeout(300);
    await shot(page, 'wall-text-asa-by-channel.png');
    const asa = await page.$$eval('[data-tile="asaSec"]', (els) =>
      els.filter((e) => !e.closest('[data-probe-row], [aria-hidden="true"], [inert]')).map((e) => ({ row: e.getAttribute('data-row'), level: e.getAttribute('data-level'), text: e.querySelector('[data-value]')!.textContent!.trim() })),
    );
    await context.close();
    console.log('asa tiles', JSON.stringify(asa));
    expect(asa).toEqual([
      { row: 'queue:cards', level: 'warning', text: '25 s' },
      { row: 'queue:chat', level: 'normal', text: '25 s' },
      // the center mixes voice, text and video: the strictest threshold (voice's 20 s)
      { row: 'center', level: 'warning', text: '25 s' },
    ]);

    // the console's queue table colours alike
    const lead = await openPage(browser, channelServer, '/lead?lang=en', { token: tokens.lead });
    await lead.page.waitForSelector('section.queues[data-stale="false"] [data-queue-table]', { timeout: 20_000 });
    const cells = await lead.page.$$eval('[data-queue-table] tr[data-row] td[data-col="asaSec"]', (tds) =>
      Object.fromEntries(tds.map((td) => [td.closest('tr')!.getAttribute('data-row')!, td.classList.contains('warning') ? 'warning' : td.classList.contains('critical') ? 'critical' : 'normal'])),
    );
    // and so does the drill-down of each queue (it repeats the row's figures)
    const drill: Record<string, string> = {};
    for (const q of ['cards', 'chat']) {
      await lead.page.click(`[data-queue-table] tr[data-row="queue:${q}"]`);
      const dd = await lead.page.waitForSelector(`[data-drilldown="${q}"] dd[data-col="asaSec"]`, { timeout: 10_000 });
      drill[q] = await dd.evaluate((el) => {
        const cls = el.parentElement!.classList;
        return cls.contains('warning') ? 'warning' : cls.contains('critical') ? 'critical' : 'normal';
      });
      await lead.page.click(`[data-drilldown="${q}"] .head button`);
      await lead.page.waitForSelector(`[data-drilldown="${q}"]`, { state: 'detached', timeout: 10_000 });
    }
    await lead.context.close();
    console.log('lead asa cells', JSON.stringify(cells), 'drill-down', JSON.stringify(drill));
    expect(cells).toMatchObject({ 'queue:cards': 'warning', 'queue:chat': 'normal', 'channel:voice': 'warning', 'channel:text': 'normal', center: 'warning' });
    expect(drill).toEqual({ cards: 'warning', chat: 'normal' });
  }, 90_000);
});
