import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cutPages, type PageRange } from '../../client/src/wall/paging.ts';

/**
 * The wall's pages of rows (client/src/wall/paging.ts): measured row heights and the height a page
 * has → which rows each page shows. README "Pages, never overlap".
 */
const height = (hs: number[], gap: number, p: PageRange) => hs.slice(p.start, p.end).reduce((s, h, i) => s + h + (i > 0 ? gap : 0), 0);

describe('cutPages', () => {
  it('one page when everything fits, including exactly (to half a pixel)', () => {
    expect(cutPages([100, 100, 100], 320, 10)).toEqual([{ start: 0, end: 3 }]);
    expect(cutPages([100, 100, 100], 320.4 - 0.5, 10)).toEqual([{ start: 0, end: 3 }]);
  });

  it('as few pages as fit, spread evenly: 7 equal rows on 2 pages are 4 + 3, not 6 + 1', () => {
    expect(cutPages(Array(7).fill(50), 6 * 50 + 5 * 8, 8)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 7 },
    ]);
    // 12 rows, 5 to a page: 3 pages of 4
    expect(cutPages(Array(12).fill(70), 5 * 70 + 4 * 6, 6).map((p) => p.end - p.start)).toEqual([4, 4, 4]);
  });

  it('counts the gaps between rows', () => {
    // 3 × 100 fits 300 only without gaps
    expect(cutPages([100, 100, 100], 300, 0)).toHaveLength(1);
    expect(cutPages([100, 100, 100], 300, 6)).toHaveLength(2);
  });

  it('uses the real heights: a tall row (a name on three lines) takes the room of two short ones', () => {
    // 80 px available: [30, 30] fit together, the 70 px row needs a page of its own
    expect(cutPages([30, 30, 70, 30], 80, 5)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 3 },
      { start: 3, end: 4 },
    ]);
  });

  it('a row taller than the page gets its own page, never split and never shared', () => {
    expect(cutPages([40, 500, 40], 200, 4)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 3 },
    ]);
    // nothing measured yet (no height available): one row a page
    expect(cutPages([40, 40], 0, 4)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
    ]);
  });

  it('no rows: one empty page; nonsense heights count as 0', () => {
    expect(cutPages([], 500, 8)).toEqual([{ start: 0, end: 0 }]);
    expect(cutPages([Number.NaN, -5, 10], 100, 2)).toEqual([{ start: 0, end: 3 }]);
  });

  it('for any heights: every row once, in order; every page fits unless it is one row too tall; no fewer pages possible', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 900 }),
        fc.integer({ min: 0, max: 20 }),
        (hs, available, gap) => {
          const pages = cutPages(hs, available, gap);
          // contiguous, in order, each row once
          expect(pages[0]!.start).toBe(0);
          expect(pages.at(-1)!.end).toBe(hs.length);
          for (let i = 1; i < pages.length; i++) expect(pages[i]!.start).toBe(pages[i - 1]!.end);
          for (const p of pages) {
            if (hs.length > 0) expect(p.end).toBeGreaterThan(p.start);
            if (p.end - p.start > 1) expect(height(hs, gap, p)).toBeLessThanOrEqual(available + 0.5);
          }
          // minimal: greedy filling (optimal for consecutive runs) needs as many pages
          let greedy = 1;
          let used = -1;
          for (const h of hs) {
            if (used >= 0 && used + gap + h > available + 0.5) {
              greedy += 1;
              used = h;
            } else used = used < 0 ? h : used + gap + h;
          }
          expect(pages.length).toBe(greedy);
        },
      ),
    );
  });
});
