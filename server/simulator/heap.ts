/**
 * Binary min-heap of timed actions, ordered by (time, insertion sequence). The sequence makes ties
 * deterministic: two actions at the same millisecond always run in the order they were scheduled.
 */
export interface Timed {
  at: number;
  seq: number;
  run: () => void;
}

export class TimerHeap {
  private items: Timed[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(at: number, run: () => void): void {
    const item = { at, seq: this.seq++, run };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peekTime(): number | undefined {
    return this.items[0]?.at;
  }

  pop(): Timed | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(x: Timed, y: Timed): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
