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

/** What a read script gets besides its own request: the generation the held pieces belong to
 * ('' = none known yet) and, per dim index, the piece indexes it may skip. */
export interface SealedRequest {
  g: string;
  s: number[][];
}

/** What a read script answers (lib/buckets.lua readPieces): the non-empty buckets it read as
 * [dimIndex, pieceIndex, flat] (cjson encodes an empty list as {}), and its generation. */
export interface SealedReply<F> {
  b: [number, number, F][] | Record<string, never>;
  g: string;
}

type Held<V> = Map<number, V | null>[];

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

  /**
   * One read of `dims` × `pieces` through the cache. `fetch` sends the script its request plus the
   * sealed part and returns the parsed reply; `decode` turns a returned bucket into V. Returns the
   * reply and every bucket by dim index → piece index (undefined: empty), held ones included.
   */
  async read<F, R extends SealedReply<F>>(
    tag: string,
    dims: string[],
    pieces: Piece[],
    pieceKeys: string[],
    nowMs: number,
    fetch: (sealed: SealedRequest) => Promise<R>,
    decode: (flat: F) => V,
  ): Promise<{ reply: R; buckets: (V | undefined)[][] }> {
    const { request, held } = this.held(tag, dims, pieces, pieceKeys, nowMs);
    const reply = await fetch(request);
    const buckets = dims.map(() => new Array<V | undefined>(pieces.length));
    for (const [di, pi, flat] of Array.isArray(reply.b) ? reply.b : []) buckets[di]![pi] = decode(flat);
    this.settle(tag, request.g, reply.g, held, dims, pieces, pieceKeys, nowMs, buckets);
    return { reply, buckets };
  }

  /** The sealed part of a request, and the held values by dim index → piece index. */
  private held(tag: string, dims: string[], pieces: Piece[], pieceKeys: string[], nowMs: number): { request: SealedRequest; held: Held<V> } {
    const c = this.centers.get(tag);
    const held: Held<V> = dims.map(() => new Map());
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
   * After a read that assumed generation `assumed` and ran under `gen`: fills the held buckets in
   * where the script skipped them, and keeps the sealed pieces just read if the generation is the
   * one assumed (two reads in a row saw it).
   */
  private settle(
    tag: string,
    assumed: string,
    gen: string,
    held: Held<V>,
    dims: string[],
    pieces: Piece[],
    pieceKeys: string[],
    nowMs: number,
    buckets: (V | undefined)[][],
  ): void {
    const honoured = gen !== '' && gen === assumed;
    let c = this.centers.get(tag);
    if (gen === '') this.centers.delete(tag);
    else if (!c || c.gen !== gen) this.centers.set(tag, (c = { gen, byDim: new Map(), size: 0 }));
    if (!honoured || !c) return;
    const keep = c.size < this.maxPerCenter;
    dims.forEach((dim, di) => {
      const heldHere = held[di]!;
      const row = buckets[di]!;
      for (const [pi, v] of heldHere) row[pi] = v ?? undefined;
      if (!keep) return;
      let byPiece = c.byDim.get(dim);
      for (let pi = 0; pi < pieces.length; pi++) {
        if (heldHere.has(pi) || !isSealedForReader(pieces[pi]!, nowMs)) continue;
        if (!byPiece) c.byDim.set(dim, (byPiece = new Map()));
        byPiece.set(pieceKeys[pi]!, row[pi] ?? null);
        c.size++;
      }
    });
  }
}
