/**
 * Page script (page.addInitScript) for the soak test: counts the page's live timers, and hands the
 * wall's page rotation to the test. The rotation is the page's only 5-second interval
 * (`rotateEverySec: 5`, the least the config allows); it is held back, and `__soak.turn()` runs it
 * once — a page turn exactly as the timer would make it, as fast as the test asks and never in
 * the middle of a measurement. Every other timer runs as usual.
 */
export const soakTimersScript = `(() => {
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
  window.__soak = {
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

export interface SoakTimers {
  intervals: number;
  timeouts: number;
  rotations: number;
}
