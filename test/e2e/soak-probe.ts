import type { CDPSession, Page } from 'playwright-core';

/**
 * What a page holds after a full garbage collection, read over the Chrome DevTools Protocol: the
 * counts a page that grows with every push, page turn, alert or reconnect would show growing
 * (test/e2e/soak.test.ts). Counts, not times: the same state of a page gives the same numbers.
 */
export interface Footprint {
  /** JS heap in use after GC (bytes) */
  heapBytes: number;
  /** DOM nodes alive, attached or detached (a node kept by a leaked chart or closure counts) */
  nodes: number;
  /** DOM event listeners alive */
  listeners: number;
  /** canvases (in the page or detached) still bound to a Chart.js chart (`$chartjs`, deleted on destroy) */
  charts: number;
  /** listeners registered on the page's socket.io sockets and their manager, by event */
  socketListeners: Record<string, number>;
  /** HTML documents alive (iframes, a leaked document) */
  documents: number;
}

const sessions = new WeakMap<Page, CDPSession>();

async function cdp(page: Page): Promise<CDPSession> {
  let s = sessions.get(page);
  if (!s) {
    s = await page.context().newCDPSession(page);
    await s.send('Performance.enable');
    sessions.set(page, s);
  }
  return s;
}

/** every live object whose prototype chain holds `prototypeExpression`, passed to `fn` in the page */
async function countObjects<T>(s: CDPSession, prototypeExpression: string, fn: string): Promise<T> {
  const { result: proto } = await s.send('Runtime.evaluate', { expression: prototypeExpression });
  const { objects } = await s.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId! });
  try {
    const { result } = await s.send('Runtime.callFunctionOn', { objectId: objects.objectId!, functionDeclaration: fn, returnByValue: true });
    return result.value as T;
  } finally {
    await s.send('Runtime.releaseObject', { objectId: objects.objectId! });
    await s.send('Runtime.releaseObject', { objectId: proto.objectId! });
  }
}

export async function footprint(page: Page): Promise<Footprint> {
  const s = await cdp(page);
  // the handles queryObjects hands out are released before the collection that is measured
  const charts = await countObjects<number>(s, 'HTMLCanvasElement.prototype', 'function () { return this.filter((c) => c.$chartjs).length; }');
  const socketListeners = await countObjects<Record<string, number>>(
    s,
    'Object.prototype',
    `function () {
      const out = {};
      for (const o of this) {
        // socket.io-client's Socket (nsp, io) and Manager (nsps, engine): their emitter's _callbacks
        if (!o || typeof o !== 'object' || !o._callbacks) continue;
        const kind = 'nsp' in o && 'io' in o ? 'socket' : 'nsps' in o ? 'manager' : null;
        if (!kind) continue;
        for (const [k, v] of Object.entries(o._callbacks)) {
          const key = kind + ':' + k.slice(1);
          out[key] = (out[key] ?? 0) + (Array.isArray(v) ? v.length : 0);
        }
      }
      return out;
    }`,
  );
  // twice: the first pass can leave objects that only a second pass frees (weak maps, finalizers)
  await s.send('HeapProfiler.collectGarbage');
  await s.send('HeapProfiler.collectGarbage');
  const { metrics } = await s.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return {
    heapBytes: m.JSHeapUsedSize ?? NaN,
    nodes: m.Nodes ?? NaN,
    listeners: m.JSEventListeners ?? NaN,
    documents: m.Documents ?? NaN,
    charts,
    socketListeners,
  };
}

/** every node of the page's document (elements, text, comments; not detached ones) */
export function documentNodes(page: Page): Promise<number> {
  return page.evaluate(() => {
    const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
    let n = 1;
    while (walker.nextNode()) n++;
    return n;
  });
}
