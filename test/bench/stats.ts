/**
 * Pure statistics of the benchmark: percentiles (nearest-rank, the definition most latency tools
 * use, so "p99 = 240 ms" means 99 % of samples were ≤ 240 ms), medians of repetitions and a
 * fixed-resolution latency histogram. Histograms let the screen workers report millions of
 * (screen, batch) latencies in a few hundred kilobytes instead of shipping every sample over IPC.
 */

/** Nearest-rank percentile of an already sorted array; NaN for an empty one. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1]!;
}

export function percentile(values: readonly number[], p: number): number {
  return percentileSorted(Float64Array.from(values).sort(), p);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Repetitions summarised: median plus min/max and the relative spread (max − min) / median. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median; 0.1 = the runs differed by 10 % of the median */
  spread: number;
  runs: number[];
}

export function spreadOf(runs: readonly number[]): Spread {
  const m = median(runs);
  const min = Math.min(...runs);
  const max = Math.max(...runs);
  return { median: m, min, max, spread: m > 0 ? (max - min) / m : 0, runs: [...runs] };
}

/**
 * Weighted latency histogram with `resolutionMs` wide bins up to `limitMs`; samples above the
 * limit are kept exactly (they are few, and the max must be exact).
 */
export class LatencyHistogram {
  readonly bins: Uint32Array;
  /** [value, weight] of samples above the limit */
  readonly over: [number, number][] = [];
  count = 0;
  max = Number.NEGATIVE_INFINITY;

  constructor(
    readonly resolutionMs = 0.25,
    readonly limitMs = 30_000,
  ) {
    this.bins = new Uint32Array(Math.ceil(limitMs / resolutionMs));
  }

  add(ms: number, weight = 1): void {
    const v = Math.max(0, ms);
    if (v > this.max) this.max = v;
    this.count += weight;
    const bin = Math.floor(v / this.resolutionMs);
    if (bin < this.bins.length) this.bins[bin]! += weight;
    else this.over.push([v, weight]);
  }

  merge(other: { bins: ArrayLike<number>; over: readonly (readonly [number, number])[]; count: number; max: number }): void {
    if (other.bins.length !== this.bins.length) throw new Error('histograms of different shapes');
    for (let i = 0; i < other.bins.length; i++) this.bins[i]! += other.bins[i]!;
    for (const [v, w] of other.over) this.over.push([v, w]);
    this.count += other.count;
    if (other.max > this.max) this.max = other.max;
  }

  /** Nearest-rank percentile; a binned value is reported as its bin's upper edge (never flattering). */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i]!;
      if (seen >= rank) return Math.min((i + 1) * this.resolutionMs, this.max);
    }
    for (const [v, w] of [...this.over].sort((a, b) => a[0] - b[0])) {
      seen += w;
      if (seen >= rank) return v;
    }
    return this.max;
  }

  toJSON(): { bins: number[]; over: [number, number][]; count: number; max: number } {
    return { bins: Array.from(this.bins), over: this.over, count: this.count, max: this.max };
  }
}

/**
 * Matches what a screen received with what the producer sent. `updates` are the (seq, receivedAt)
 * pairs of one screen in arrival order; `batches` are (seq after the batch, sentAt, events)
 * sorted by seq. A batch reached the screen with the first update whose seq is ≥ the batch's.
 * Returns the batches never covered (lost updates, or the run ended first).
 */
export function matchDeliveries(
  batches: readonly { seq: number; sentAt: number; events: number }[],
  updates: readonly (readonly [seq: number, receivedAt: number])[],
  onLatency: (ms: number, events: number) => void,
): number {
  let bi = 0;
  let highest = Number.NEGATIVE_INFINITY;
  for (const [seq, at] of updates) {
    if (seq <= highest) continue; // an older or equal view: nothing new reached the screen
    highest = seq;
    while (bi < batches.length && batches[bi]!.seq <= seq) {
      const b = batches[bi]!;
      onLatency(at - b.sentAt, b.events);
      bi++;
    }
  }
  let missing = 0;
  for (; bi < batches.length; bi++) missing += batches[bi]!.events;
  return missing;
}
