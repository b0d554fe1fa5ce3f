import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesLess, eventLess } from '../../server/metrics/write/order.ts';
import { localDayOf, applyDiff } from '../../server/metrics/write/core-batch.ts';

/** The writer orders ties by the UTF-8 bytes of event ids (SEMANTICS.md), as Redis orders equal-score members. */
describe('writer: byte order of identifiers', () => {
  const utf8Less = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;

  it('agrees with UTF-8 byte comparison, astral characters and U+E000–U+FFFF included', () => {
    // JavaScript's `<` says '😀' < '\uffff' (0xD83D < 0xFFFF); UTF-8 bytes say the opposite
    expect('😀' < '\uffff').toBe(true);
    expect(bytesLess('😀', '\uffff')).toBe(false);
    expect(bytesLess('\uffff', '😀')).toBe(true);
    expect(bytesLess('呼入', '呼入a')).toBe(true);
    expect(bytesLess('a', 'a')).toBe(false);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 6 }), (a, b) => {
        expect(bytesLess(a, b)).toBe(utf8Less(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders events by (ts, type, id bytes)', () => {
    expect(eventLess({ ts: 1, t: 5, id: 'z' }, { ts: 2, t: 0, id: 'a' })).toBe(true);
    expect(eventLess({ ts: 1, t: 0, id: 'z' }, { ts: 1, t: 1, id: 'a' })).toBe(true);
    expect(eventLess({ ts: 1, t: 0, id: '\uffff' }, { ts: 1, t: 0, id: '😀' })).toBe(true);
  });
});

describe('writer: small helpers', () => {
  it('localDayOf maps a time to its local day and the next midnight, undefined outside the list', () => {
    const mid: [number, string][] = [
      [1000, '2026-03-01'],
      [2000, '2026-03-02'],
      [3000, '2026-03-03'],
    ];
    expect(localDayOf(mid, 999)).toBeUndefined();
    expect(localDayOf(mid, 1000)).toEqual(['2026-03-01', 2000]);
    expect(localDayOf(mid, 2999)).toEqual(['2026-03-02', 3000]);
    expect(localDayOf(mid, 3000)).toBeUndefined();
  });

  it('applyDiff applies new − old item by item, counting repeated items', () => {
    const applied: [string, number][] = [];
    applyDiff(['a', 'b', 'b', 'c'], ['b', 'c', 'c', 'd'], (item, sign) => applied.push([item, sign]));
    expect(applied.sort()).toEqual(
      [
        ['a', -1],
        ['b', -1],
        ['c', 1],
        ['d', 1],
      ].sort(),
    );
  });
});
