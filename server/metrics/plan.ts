import type { LevelSec } from '../redis/keys.ts';

/**
 * Which bucket hashes a query reads. Buckets exist at 1 s, 10 s, 60 s and 900 s; a range is cut
 * greedily into the fewest aligned buckets, so a 60-minute window costs ≤ ~60 reads per dimension
 * instead of 3,600. Fine levels live only 61 minutes, so older ranges must be 900 s aligned.
 */
export const fineRetentionMs = 61 * 60_000;
/** ingest accepts ts ≤ now + 60 s; agent-time queries sum transitions up to asOf + this */
export const futureSlackMs = 61_000;

const levelsDesc: { sec: LevelSec; ms: number }[] = [
  { sec: 900, ms: 900_000 },
  { sec: 60, ms: 60_000 },
  { sec: 10, ms: 10_000 },
  { sec: 1, ms: 1_000 },
];

export interface Piece {
  level: LevelSec;
  startMs: number;
}

export class PlanError extends Error {
  override name = 'PlanError';
}

/** Greedy decomposition of [a, b) (whole seconds). A fine bucket is used only while alive
 * (its end + 61 min > now), matching what the ingest script writes. */
export function decompose(a: number, b: number, nowMs: number, fineRetention = fineRetentionMs): Piece[] {
  if (a % 1000 !== 0 || b % 1000 !== 0) throw new PlanError(`range [${a}, ${b}) is not whole seconds`);
  const out: Piece[] = [];
  let x = a;
  while (x < b) {
    const lvl = levelsDesc.find(
      (l) => x % l.ms === 0 && x + l.ms <= b && (l.sec === 900 || x + l.ms + fineRetention > nowMs),
    );
    if (!lvl) throw new PlanError(`[${new Date(a).toISOString()}, ${new Date(b).toISOString()}) needs fine buckets that have expired`);
    out.push({ level: lvl.sec, startMs: x });
    x += lvl.ms;
  }
  return out;
}

/**
 * A query plan: consecutive rows [a, b) (one for a window, many for interval history) and a tail
 * [last b, asOf + 61 s) that is read only for agent transition counts. Agent time of a row is
 * counted up to `timeEnd` = min(b, asOf) (a state still running counts up to now, never beyond).
 */
export interface PlannedRow {
  a: number;
  b: number;
  timeEnd: number;
  /** indices into `pieces` inside [a, timeEnd) */
  timed: number[];
  /** indices into `pieces` inside [timeEnd, b) (contacts only) */
  untimed: number[];
}

export interface Plan {
  asOf: number;
  pieces: Piece[];
  rows: PlannedRow[];
  tail: number[];
}

export function buildPlan(
  rows: { a: number; b: number }[],
  asOf: number,
  nowMs: number,
  fineRetention = fineRetentionMs,
): Plan {
  const pieces: Piece[] = [];
  const add = (a: number, b: number): number[] =>
    decompose(a, b, nowMs, fineRetention).map((p) => pieces.push(p) - 1);
  const planned: PlannedRow[] = [];
  let prevEnd: number | undefined;
  for (const { a, b } of rows) {
    if (prevEnd !== undefined && a !== prevEnd) throw new PlanError('plan rows must be consecutive');
    if (b < a) throw new PlanError('row ends before it starts');
    const timeEnd = Math.min(Math.max(a, asOf), b);
    planned.push({ a, b, timeEnd, timed: add(a, timeEnd), untimed: add(timeEnd, b) });
    prevEnd = b;
  }
  const end = asOf + futureSlackMs;
  const tail = prevEnd !== undefined && prevEnd < end ? add(prevEnd, end) : [];
  return { asOf, pieces, rows: planned, tail };
}

export function pieceKeyPart(p: Piece): string {
  return `${p.level}:${p.startMs / 1000}`;
}
