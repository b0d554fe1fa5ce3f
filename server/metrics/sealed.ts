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
 * replay, a re-derived contact) gives the center a new `sealGen` token in the same atomic script
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
 *
 * Rolling windows slide: every second their edges bring new sealed pieces (about three per scope
 * and second for a board's 15/30/60-minute windows) and leave old ones unused. Pieces are kept in
 * two generations: new ones and every piece a read uses go into the current one; when it holds half
 * the limit it becomes the previous one and the one before is dropped. What reads still use is
 * carried over, what they stopped using goes within two turns. (Until 2026-12-07 the cache stopped
 * keeping pieces at its limit, which the boards of a 50-queue floor reach in about ten minutes:
 * from then on the sliding edges were read from Redis again on every refresh.)
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
type ByDim<V> = Map<string, Map<string, V | null>>;

interface CenterPieces<V> {
  gen: string;
  /** pieces kept or used since the last turn, and those of the turn before */
  cur: ByDim<V>;
  prev: ByDim<V>;
  curSize: number;
  prevSize: number;
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
  private readonly centers = new Map<string, CenterPieces<V>>();

  constructor(private readonly maxPerCenter = 100_000) {}

  /** pieces held for a center tag (both generations) */
  size(tag: string): number {
    const c = this.centers.get(tag);
    return c ? c.curSize + c.prevSize : 0;
  }

  /** a piece into the current generation, turning generations when it is full */
  private keep(c: CenterPieces<V>, dim: string, key: string, v: V | null): void {
    if (c.curSize >= this.maxPerCenter / 2) {
      c.prev = c.cur;
      c.prevSize = c.curSize;
      c.cur = new Map();
      c.curSize = 0;
    }
    let byPiece = c.cur.get(dim);
    if (!byPiece) c.cur.set(dim, (byPiece = new Map()));
    if (!byPiece.has(key)) c.curSize++;
    byPiece.set(key, v);
  }

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
    if (c && c.curSize + c.prevSize > 0) {
      dims.forEach((dim, di) => {
        const cur = c.cur.get(dim);
        const prev = c.prev.get(dim);
        if (!cur && !prev) return;
        pieces.forEach((p, pi) => {
          if (!isSealedForReader(p, nowMs)) return;
          const key = pieceKeys[pi]!;
          let v = cur?.get(key);
          if (v === undefined) {
            v = prev?.get(key);
            if (v === undefined) return;
            this.keep(c, dim, key, v); // still in use: carried over
          }
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
    else if (!c || c.gen !== gen) this.centers.set(tag, (c = { gen, cur: new Map(), prev: new Map(), curSize: 0, prevSize: 0 }));
    if (!honoured || !c) return;
    const center = c;
    dims.forEach((dim, di) => {
      const heldHere = held[di]!;
      const row = buckets[di]!;
      for (const [pi, v] of heldHere) row[pi] = v ?? undefined;
      for (let pi = 0; pi < pieces.length; pi++) {
        if (heldHere.has(pi) || !isSealedForReader(pieces[pi]!, nowMs)) continue;
        this.keep(center, dim, pieceKeys[pi]!, row[pi] ?? null);
      }
    });
  }
}
