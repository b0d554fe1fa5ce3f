import fc from 'fast-check';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { encodeOps, WriteOps, type Op } from '../../server/metrics/write/ops.ts';

/** applyWrites.lua's input: one flat array (opcode, value count, values as strings). */
const flatOf = (list: Op[]) => list.flatMap((op) => [op[0], op.length - 1, ...op.slice(1).map(String)]);

describe('encodeOps', () => {
  it('writes every operation flat, numbers as decimal strings', () => {
    const list: Op[] = [
      ['B', '{wb:c}:b:60:1:all', 60_000, 'ans', 1, 'awm', -500],
      ['H', '{wb:c}:ct:客户', 'e:1', 'contact.queued\x1f1733480000000\x1fcards', 'name', '张三'],
      ['C', '{wb:c}:w:cards', 1_733_480_000_000],
    ];
    expect(unpack(encodeOps(list))).toEqual(flatOf(list));
  });

  it('round-trips long, non-ASCII and many-valued operations through MessagePack', () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 40 }));
    const value = fc.oneof(text, fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }));
    const op = fc.tuple(fc.constantFrom('B', 'H', 'X', 'Z'), fc.array(value, { maxLength: 300 })).map(([code, values]): Op => [code, ...values]);
    fc.assert(
      fc.property(fc.array(op, { maxLength: 20 }), (list) => {
        expect(unpack(encodeOps(list))).toEqual(flatOf(list));
      }),
      { numRuns: 200 },
    );
  });

  it('grows its buffer for a value longer than it holds and stays correct after', () => {
    const huge: Op[] = [['H', 'k', 'f', 'x'.repeat(3 << 20)]];
    expect(unpack(encodeOps(huge))).toEqual(flatOf(huge));
    const small: Op[] = [['X', 'k', 5]];
    expect(unpack(encodeOps(small))).toEqual(flatOf(small));
  });

  it('writes a key from its two parts exactly as the joined string, across every header width', () => {
    const part = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    fc.assert(
      fc.property(part, part, fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), (a, b, n) => {
        const ops = new WriteOps();
        ops.begin('B', 2);
        ops.concat(a, b);
        ops.int(n);
        expect(ops.encode()).toEqual(encodeOps([['B', a + b, String(n)]]));
      }),
      { numRuns: 500 },
    );
  });

  it('prints integers at the digit-run boundaries as String() does', () => {
    const edges = [0, -0, 9, 10, -1, 999_999_999, 1e9, 1e9 + 1, -(2 ** 31), 2 ** 31, 1_733_480_000_007, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, -0.25];
    expect(unpack(encodeOps([['C', 'k', ...edges]]))).toEqual(['C', edges.length + 1, 'k', ...edges.map(String)]);
  });

  it('refuses operations after the buffer was handed out', () => {
    const ops = new WriteOps();
    ops.zadd('k', 1, 'm');
    ops.encode();
    expect(() => ops.zrem('k', 'm')).toThrow(/after encode/);
  });
});
