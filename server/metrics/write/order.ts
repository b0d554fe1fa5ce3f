/**
 * Byte order of the UTF-8 encodings (Redis sorts equal-score members with memcmp; SEMANTICS.md
 * orders ties by event id bytes). UTF-8 byte order is code point order; JavaScript's `<` compares
 * UTF-16 units, which differs only where a surrogate (an astral character) meets U+E000–U+FFFF.
 */
export function bytesLess(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // a surrogate is an astral character: above every BMP code point
    if (xs !== ys) return ys;
    return x < y;
  }
  return a.length < b.length;
}

/** an event's place in its contact's sort order: (ts, type, id bytes) */
export interface SortKey {
  ts: number;
  t: number;
  id: string;
}

export function eventLess(x: SortKey, y: SortKey): boolean {
  if (x.ts !== y.ts) return x.ts < y.ts;
  if (x.t !== y.t) return x.t < y.t;
  return bytesLess(x.id, y.id);
}

export const byEventOrder = (x: SortKey, y: SortKey): number => (eventLess(x, y) ? -1 : eventLess(y, x) ? 1 : 0);
