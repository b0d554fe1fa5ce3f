/**
 * How a board's rows are cut into the wall's pages (README "Pages, never overlap"). Pure, so it is
 * tested without a browser (test/unit/wall-paging.test.ts); the heights come from RowProbe.svelte,
 * which lays out every row of every board of the rotation unseen at the width it is shown at.
 *
 * - a row is never split: each row is on exactly one page, the pages in the rows' order;
 * - as few pages as the height allows (a page holds rows while their heights and the gaps between
 *   them fit `available`);
 * - a row taller than a whole page gets a page of its own (it cannot fit any better);
 * - with that many pages, the rows are spread as evenly as they go (the tallest page as short as
 *   possible: 7 equal rows on 2 pages are 4 + 3, not 6 + 1), so every page's rows get room to grow.
 */
import type { RowKey } from '../../../shared/realtime/events.ts';
import type { PublicBoard } from '../../../shared/realtime/public-config.ts';

export interface PageRange {
  /** first row of the page */
  start: number;
  /** one past its last row */
  end: number;
}

/** sub-pixel rounding of the layout: a row that fits to half a pixel fits */
const slack = 0.5;

/** pages filled in order, each with as many rows as fit under `capacity` (a page takes at least one) */
function fill(heights: readonly number[], capacity: number, gap: number): PageRange[] {
  const pages: PageRange[] = [];
  let start = 0;
  let used = 0;
  heights.forEach((h, i) => {
    if (i > start && used + gap + h > capacity + slack) {
      pages.push({ start, end: i });
      start = i;
      used = h;
    } else used += (i > start ? gap : 0) + h;
  });
  pages.push({ start, end: heights.length });
  return pages;
}

/**
 * The pages of rows of these heights (px) in `available` px, rows `gap` px apart. No rows: one
 * empty page (the board is still shown). A height that is not a finite number counts as 0.
 */
export function cutPages(heights: readonly number[], available: number, gap: number): PageRange[] {
  if (heights.length === 0) return [{ start: 0, end: 0 }];
  const hs = heights.map((h) => (Number.isFinite(h) && h > 0 ? h : 0));
  const g = Number.isFinite(gap) && gap > 0 ? gap : 0;
  const room = Number.isFinite(available) && available > 0 ? available : 0;
  const fewest = fill(hs, room, g).length;
  // The shortest page height that still needs no more pages: it is the height of some run of
  // consecutive rows, so try those (a board has tens of rows at most), smallest first by bisection.
  const runs = new Set<number>();
  for (let i = 0; i < hs.length; i++) {
    let sum = 0;
    for (let j = i; j < hs.length; j++) {
      sum += (j > i ? g : 0) + hs[j]!;
      if (sum > room + slack) break;
      runs.add(sum);
    }
  }
  const candidates = [...runs].sort((a, b) => a - b);
  let lo = 0;
  let hi = candidates.length - 1;
  let best = room;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fill(hs, candidates[mid]!, g).length <= fewest) {
      best = candidates[mid]!;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return fill(hs, Math.min(best, room), g);
}

/** a board's rows: as the server computed them (the payload), or before the first payload as the
 * board configures them (shown as "no data yet") — the same on the page and in the probe */
export function boardRowKeys(board: Pick<PublicBoard, 'rows'>, fromPayload: readonly RowKey[] | undefined): RowKey[] {
  return fromPayload ? [...fromPayload] : board.rows.map((r): RowKey => (r.kind === 'queue' ? { ...r, channel: null } : r));
}
