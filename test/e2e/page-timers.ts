import type { Page } from 'playwright-core';

/**
 * Page script (page.addInitScript): counts the page's live timers (the soak test), and hands the
 * wall's page rotation to the test (the soak and paging tests: a page turn on demand instead of
 * waiting 5 s for each, which made the paging tests the slowest of the suite). The rotation is the page's only 5-second interval
 * (`rotateEverySec: 5`, the least the config allows); it is held back, and `__pageTimers.turn()` runs it
 * once — a page turn exactly as the timer would make it, as fast as the test asks and never in
 * the middle of a measurement. Every other timer runs as usual.
 */
export const pageTimersScript = `(() => {
  const rotationMs = 5000;
  const setI = window.setInterval.bind(window);
  const clearI = window.clearInterval.bind(window);
  const setT = window.setTimeout.bind(window);
  const clearT = window.clearTimeout.bind(window);
  const intervals = new Set();
  const timeouts = new Set();
  const rotations = new Map();
  let nextRotation = 1e9;
  window.setInterval = (fn, ms, ...args) => {
    if (ms === rotationMs) {
      const id = nextRotation++;
      rotations.set(id, fn);
      return id;
    }
    const id = setI(fn, ms, ...args);
    intervals.add(id);
    return id;
  };
  window.clearInterval = (id) => {
    if (rotations.delete(id)) return;
    intervals.delete(id);
    clearI(id);
  };
  window.setTimeout = (fn, ms, ...args) => {
    const id = setT((...a) => {
      timeouts.delete(id);
      if (typeof fn === 'function') fn(...a);
    }, ms, ...args);
    timeouts.add(id);
    return id;
  };
  window.clearTimeout = (id) => {
    timeouts.delete(id);
    clearT(id);
  };
  window.__pageTimers = {
    /** one page turn of every rotation timer set (normally one); returns how many there are */
    turn() {
      for (const fn of [...rotations.values()]) fn();
      return rotations.size;
    },
    timers() {
      return { intervals: intervals.size, timeouts: timeouts.size, rotations: rotations.size };
    },
  };
})();`;

export interface PageTimers {
  intervals: number;
  timeouts: number;
  rotations: number;
}

/** loads the page script before the page's own (openPage's `beforeGoto`) */
export async function holdRotation(page: Page): Promise<void> {
  await page.addInitScript(pageTimersScript);
}

/** one page turn of the wall, as its rotation timer would make it; returns how many rotation timers the page holds */
export function turnPage(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __pageTimers: { turn(): number } }).__pageTimers.turn());
}

export function liveTimers(page: Page): Promise<PageTimers> {
  return page.evaluate(() => (window as unknown as { __pageTimers: { timers(): PageTimers } }).__pageTimers.timers());
}
