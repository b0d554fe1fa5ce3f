import { describe, expect, it } from 'vitest';
import type { Piece } from '../../server/metrics/plan.ts';
import { pieceKeyPart } from '../../server/metrics/plan.ts';
import { SealedPieceCache, type SealedReply } from '../../server/metrics/sealed.ts';

const T0 = Date.UTC(2026, 11, 7, 0, 0, 0);
const dims = ['all', 'q:cards'];

/**
 * A rolling window's edge, as a live board reads it every second: 60 one-second pieces ending 4
 * minutes ago (all sealed), one second further each read. Returns how many pieces of each read the
 * script had to send (the rest the cache held), and checks that held values are the ones read.
 */
async function slide(cache: SealedPieceCache<number>, seconds: number): Promise<number[]> {
  const sent: number[] = [];
  for (let t = 0; t < seconds; t++) {
    const nowMs = T0 + t * 1000;
    const pieces: Piece[] = Array.from({ length: 60 }, (_, k) => ({ level: 1, startMs: nowMs - 240_000 - (60 - k) * 1000 }));
    const keys = pieces.map(pieceKeyPart);
    let count = 0;
    const { buckets } = await cache.read<number, SealedReply<number>>(
      '{wb:default}',
      dims,
      pieces,
      keys,
      nowMs,
      async (sealed) => {
        const b: [number, number, number][] = [];
        dims.forEach((_, di) =>
          pieces.forEach((p, pi) => {
            if (sealed.s[di]!.includes(pi)) return;
            count++;
            b.push([di, pi, p.startMs + di]);
          }),
        );
        return { b, g: 'gen-1' };
      },
      (v) => v,
    );
    dims.forEach((_, di) => pieces.forEach((p, pi) => expect(buckets[di]![pi]).toBe(p.startMs + di)));
    sent.push(count);
  }
  return sent;
}

describe('sealed piece cache', () => {
  it('keeps serving a sliding window long after it has seen more pieces than it may hold', async () => {
    // room for 500 pieces; the window's edge brings 2 new ones (one per dim) every second
    const cache = new SealedPieceCache<number>(500);
    const sent = await slide(cache, 1_500);
    // first read: everything; second: everything again (a generation is trusted on its second
    // sight); from then on only the new second of each dim
    expect(sent.slice(0, 2)).toEqual([120, 120]);
    expect(sent.slice(2, 180).every((n) => n === 2)).toBe(true);
    // past ≈ 190 s the cache has met more than 500 pieces; it must go on holding the window's
    // (it used to stop keeping new pieces at its limit: every read then sent all 120 again)
    const late = sent.slice(180);
    expect(late.filter((n) => n > 2).length).toBeLessThanOrEqual(late.length / 100);
    expect(late.reduce((a, b) => a + b, 0) / late.length).toBeLessThan(4);
  });

  it('holds at most its limit', async () => {
    const cache = new SealedPieceCache<number>(500);
    await slide(cache, 1_000);
    expect(cache.size('{wb:default}')).toBeLessThanOrEqual(500);
  });
});
