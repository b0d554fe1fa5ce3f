import type { LevelSec } from '../redis/keys.ts';

/**
 * Which bucket hashes a query reads. Buckets exist at 1 s, 10 s, 60 s and 900 s; a range is cut
 * greedily into the fewest aligned buckets, so a 60-minute window costs ≤ ~60 reads per dimension
 * instead of 3,600. Fine levels live a limited time (below), so older ranges must use coarser,
 * aligned buckets.
 */

/**
 * How long fine buckets live after their end. 1 s and 10 s buckets only cut a rolling window's
 * edges: 61 min (the longest window plus a minute). 60 s buckets also serve the wall's trend
 * chart, whose oldest point (60 min ago) looks back one longest window more: 121 min. The cost
 * of the longer minute level is one more hour of 60 s hashes per dimension (≈ 1 MB for 65
 * dimensions), and events 61–121 min late also write their 60 s bucket.
 */
export interface FineRetention {
  /** 1 s and 10 s buckets */
  secondMs: number;
  /** 60 s buckets */
  minuteMs: number;
  /**
   * 60 s buckets that started before this instant may have been created by a version that kept
   * them only 61 min (a bucket's expiry is set once, when it is created), so they count as living
   * 61 min; absent = every 60 s bucket was created with `minuteMs`.
   */
  minuteMsSince?: number;
}
/** what 60 s buckets lived before the trend chart needed more (see minuteMsSince) */
const legacyMinuteMs = 61 * 60_000;
export const fineRetention: FineRetention = { secondMs: 61 * 60_000, minuteMs: 121 * 60_000 };
/** ingest accepts ts ≤ now + 60 s by the WRITING process's clock, and processes sharing a Redis
 * may differ by up to a minute (sealed.ts clockSkewMs): agent-time queries sum transitions up to
 * asOf + this, or one stamped beyond it would count as a state held through the whole window */
export const futureSlackMs = 121_000;

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
 * (its end + its level's retention > now), matching what the ingest script writes. */
export function decompose(a: number, b: number, nowMs: number, retention: FineRetention = fineRetention): Piece[] {
  if (a % 1000 !== 0 || b % 1000 !== 0) throw new PlanError(`range [${a}, ${b}) is not whole seconds`);
  const out: Piece[] = [];
  let x = a;
  while (x < b) {
    // a plain loop, not find(): this runs for every piece of every query (~100 for `today`)
    let lvl: (typeof levelsDesc)[number] | undefined;
    for (const l of levelsDesc) {
      if (x % l.ms === 0 && x + l.ms <= b && (l.sec === 900 || x + l.ms + liveFor(l.sec, x, retention) > nowMs)) {
        lvl = l;
        break;
      }
    }
    if (!lvl) throw new PlanError(`[${new Date(a).toISOString()}, ${new Date(b).toISOString()}) needs fine buckets that have expired`);
    out.push({ level: lvl.sec, startMs: x });
    x += lvl.ms;
  }
  return out;
}

function liveFor(level: LevelSec, startMs: number, r: FineRetention): number {
  if (level !== 60) return r.secondMs;
  return r.minuteMsSince !== undefined && startMs < r.minuteMsSince ? Math.min(legacyMinuteMs, r.minuteMs) : r.minuteMs;
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
  retention: FineRetention = fineRetention,
): Plan {
  const pieces: Piece[] = [];
  const add = (a: number, b: number): number[] =>
    decompose(a, b, nowMs, retention).map((p) => pieces.push(p) - 1);
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

/** plans of the current second by window; emptied when the second moves (or past 64 windows) */
const secondPlans = new Map<string, Plan>();
let secondPlansAsOf = Number.NaN;

/** every fine bucket's lifetime then ends on a whole second (see windowPlan) */
const wholeSeconds = (r: FineRetention): boolean => r.secondMs % 1000 === 0 && r.minuteMs % 1000 === 0;

/**
 * The plan of one window [a, b), shared by every call of the same second: the core engine and
 * the KPI pack plan the same few windows for every query and board push, and a plan of a `today`
 * window is ~100 pieces (rebuilt per request, plans were the largest share of what a metrics
 * query allocated and of what survived to the old generation). Plans are never modified.
 *
 * Why one plan serves the whole second: decompose uses `nowMs` only to ask whether a fine bucket
 * is still alive, `start + level + retention > nowMs`, and with whole-second retentions that
 * deadline is a whole second, so for any `nowMs` in [asOf, asOf + 1 s) the answer is the one for
 * `asOf` (test/unit/bucket-plan.test.ts checks it against a plan built at the millisecond).
 */
export function windowPlan(a: number, b: number, asOf: number, nowMs: number, retention: FineRetention = fineRetention): Plan {
  const sameSecond = asOf % 1000 === 0 && nowMs >= asOf && nowMs < asOf + 1000 && wholeSeconds(retention);
  const planNow = sameSecond ? asOf : nowMs;
  if (secondPlansAsOf !== asOf || secondPlans.size >= 64) {
    secondPlans.clear();
    secondPlansAsOf = asOf;
  }
  const key = `${a}|${b}|${planNow}|${retention.secondMs}|${retention.minuteMs}|${retention.minuteMsSince ?? ''}`;
  let plan = secondPlans.get(key);
  if (!plan) secondPlans.set(key, (plan = buildPlan([{ a, b }], asOf, planNow, retention)));
  return plan;
}

const planPieceKeys = new WeakMap<Plan, string[]>();

/** `pieceKeyPart` of every piece of a plan, built once per plan (read-only, like the plan) */
export function pieceKeysOf(plan: Plan): string[] {
  let keys = planPieceKeys.get(plan);
  if (!keys) planPieceKeys.set(plan, (keys = plan.pieces.map(pieceKeyPart)));
  return keys;
}

export function pieceKeyPart(p: Piece): string {
  return `${p.level}:${p.startMs / 1000}`;
}
