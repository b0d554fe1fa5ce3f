import { randomUUID } from 'node:crypto';
import type { Piece } from './plan.ts';

/**
 * Sealed buckets, kept between reads.
 *
 * Most of a query's buckets lie well in the past (a `today` window is ~96 quarter hours, of which
 * one is current; a 60-minute window ~50 of its ~70 pieces are minutes that ended long ago), and
 * live producers deliver in order, so those buckets no longer change. Re-reading them on every
 * query and board push was most of a read's Redis time and of the server's reply decoding.
 *
 * The guarantee rests on the ingest scripts, not on time alone: a bucket is *sealed* once it ended
 * `sealAfterMs` before the writer's clock, and any change to a sealed bucket (a late event, a
 * replay, a re-derived contact) bumps the center's `sealGen` in the same atomic script
 * (lib/buckets.lua). A read script returns the generation it read under and skips the pieces the
 * caller holds for exactly that generation, so a kept bucket is never served once it may have
 * changed: the first read after a late write re-reads everything it needs.
 *
 * Trade-offs: the reader keeps only buckets that ended `sealAfterMs + clockSkewMs` before its own
 * clock, which tolerates server clocks up to a minute apart (the same tolerance ingest gives to
 * future timestamps). A floor fed late (a batch export every few minutes) bumps the generation on
 * every batch and simply reads as before. Memory: at most `maxPerCenter` buckets per center and
 * script (a bucket is a Float64Array of ~30 fields, empty ones are kept as null), all dropped when
 * the generation moves.
 */
export const sealAfterMs = 120_000;
export const clockSkewMs = 60_000;

/** The end of the Redis hash a piece is read from: 1 s and 10 s pieces live in one hash per 10 s. */
export function pieceHashEnd(p: Piece): number {
  if (p.level <= 10) return p.startMs - (p.startMs % 10_000) + 10_000;
  return p.startMs + p.level * 1000;
}

/** true when a reader at `nowMs` may keep this piece (see above) */
export function isSealedForReader(p: Piece, nowMs: number): boolean {
  return pieceHashEnd(p) <= nowMs - sealAfterMs - clockSkewMs;
}

/** A fresh random id for each ingest call: the first one to write a center's meta hash becomes its
 * `sealEpoch`, so a center wiped and filled again never reuses a generation a reader still holds. */
export function newSealEpoch(): string {
  return randomUUID();
}

export interface SealedRequest {
  /** generation the skip lists assume ('' = none known yet) */
  g: string;
  /** per dim index: piece indexes the caller holds */
  s: number[][];
}

/**
 * Buckets of sealed pieces per center tag, for one generation at a time. One instance per read
 * script (core buckets and KPI buckets hold different fields).
 *
 * Pieces are kept only once a read confirms the generation of the read before it: while late
 * events keep moving the generation (a replay, a backfill), nothing is stored or looked up, so a
 * center that cannot profit costs one string compare per read.
 */
export class SealedPieceCache<V> {
  private readonly centers = new Map<string, { gen: string; byDim: Map<string, Map<string, V | null>>; size: number }>();

  constructor(private readonly maxPerCenter = 100_000) {}

  /** The request part that skips held pieces, and the held values by dim index → piece index. */
  plan(tag: string, dims: string[], pieces: Piece[], pieceKeys: string[], nowMs: number): { request: SealedRequest; held: Map<number, V | null>[] } {
    const c = this.centers.get(tag);
    const held = dims.map(() => new Map<number, V | null>());
    const s = dims.map(() => [] as number[]);
    if (c && c.size > 0) {
      dims.forEach((dim, di) => {
        const byPiece = c.byDim.get(dim);
        if (!byPiece) return;
        pieces.forEach((p, pi) => {
          const v = byPiece.get(pieceKeys[pi]!);
          if (v === undefined || !isSealedForReader(p, nowMs)) return;
          held[di]!.set(pi, v);
          s[di]!.push(pi);
        });
      });
    }
    return { request: { g: c?.gen ?? '', s }, held };
  }

  /**
   * After a read under generation `gen` with the request `plan` made. `read[di][pi]` holds what
   * the script returned (undefined: empty or skipped); held buckets are filled in where the script
   * skipped them, and the sealed pieces just read are kept if `gen` is the one the request assumed.
   * Returns `read`, completed.
   */
  settle(
    tag: string,
    planned: { request: SealedRequest; held: Map<number, V | null>[] },
    gen: string,
    dims: string[],
    pieces: Piece[],
    pieceKeys: string[],
    nowMs: number,
    read: (V | undefined)[][],
  ): (V | undefined)[][] {
    const honoured = gen !== '' && gen === planned.request.g;
    let c = this.centers.get(tag);
    if (gen === '') this.centers.delete(tag);
    else if (!c || c.gen !== gen) this.centers.set(tag, (c = { gen, byDim: new Map(), size: 0 }));
    if (!honoured || !c) return read;
    const keep = c.size < this.maxPerCenter;
    dims.forEach((dim, di) => {
      const held = planned.held[di]!;
      const row = read[di]!;
      for (const [pi, v] of held) row[pi] = v ?? undefined;
      if (!keep) return;
      let byPiece = c.byDim.get(dim);
      for (let pi = 0; pi < pieces.length; pi++) {
        if (held.has(pi) || !isSealedForReader(pieces[pi]!, nowMs)) continue;
        if (!byPiece) c.byDim.set(dim, (byPiece = new Map()));
        byPiece.set(pieceKeys[pi]!, row[pi] ?? null);
        c.size++;
      }
    });
    return read;
  }

  /** buckets held, over all centers */
  get size(): number {
    let n = 0;
    for (const c of this.centers.values()) n += c.size;
    return n;
  }
}
