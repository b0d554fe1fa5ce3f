/** The reply of a writer call: the center's sequence after it, one status char per event. */
export interface ChunkReply {
  seq: number;
  r: string;
}

type Exec<T, S> = (settings: S, args: T[]) => Promise<ChunkReply>;

interface Pending<T, S> {
  settings: S;
  args: T[];
  resolve: (reply: ChunkReply) => void;
  reject: (err: unknown) => void;
}

interface Lane<T, S> {
  exec: Exec<T, S>;
  inFlight: number;
  queue: Pending<T, S>[];
}

/**
 * Group commit for the writer (write/center-writer.ts). A batch has a fixed price (its read, its
 * fenced write, the accumulator flush) that a 100-event chunk pays ten times as often as a
 * 1,000-event one, so at most `maxInFlight` calls per lane (center × demo flag) are outstanding,
 * and chunks that arrive meanwhile go out together as one call of up to `maxArgs` events when one
 * returns. Many producers posting small batches then cost what one producer posting big ones costs.
 * Nothing waits for company: a chunk is sent at once when fewer than `maxInFlight` calls are out,
 * and a call that is already full (`maxArgs`, or the next chunk does not fit) is sent at once
 * whatever is in flight; the writer then has the next batch queued and reads ahead for it.
 * A chunk is never split, so each submitter's events stay in one call, in its order; the merged
 * call runs with the newest settings (their `now` is at most a few milliseconds newer) and each
 * submitter gets its own slice of the statuses. The writer dedupes by event id, so the same id in
 * two merged chunks is accepted once and reported a duplicate once, exactly as two calls in a row
 * would. A failed call fails every chunk in it, and only those.
 */
export class ChunkCoalescer<T = string, S = string> {
  private readonly lanes = new Map<string, Lane<T, S>>();

  constructor(
    private readonly maxArgs: number,
    private readonly maxInFlight = 1,
  ) {}

  submit(lane: string, settings: S, args: T[], exec: Exec<T, S>): Promise<ChunkReply> {
    return new Promise((resolve, reject) => {
      let l = this.lanes.get(lane);
      if (!l) this.lanes.set(lane, (l = { exec, inFlight: 0, queue: [] }));
      l.queue.push({ settings, args, resolve, reject });
      this.pump(lane, l);
    });
  }

  private pump(key: string, lane: Lane<T, S>): void {
    while (lane.queue.length > 0) {
      // the head call: queued chunks in order while they fit
      let count = 1;
      let size = lane.queue[0]!.args.length;
      while (count < lane.queue.length && size + lane.queue[count]!.args.length <= this.maxArgs) size += lane.queue[count++]!.args.length;
      // a call that cannot grow any more goes now whatever is in flight (waiting would gain
      // nothing, and Redis keeps working through a stall of this process); one that can grow
      // waits for a free slot and takes what arrives meanwhile
      const full = size >= this.maxArgs || count < lane.queue.length;
      if (!full && lane.inFlight >= this.maxInFlight) return;
      const batch = lane.queue.splice(0, count);
      lane.inFlight++;
      const args = batch.length === 1 ? batch[0]!.args : batch.flatMap((p) => p.args);
      lane
        .exec(batch[batch.length - 1]!.settings, args)
        .then((reply) => {
          if (reply.r.length !== args.length) throw new Error(`ingest script answered ${reply.r.length} statuses for ${args.length} events`);
          let offset = 0;
          for (const p of batch) {
            p.resolve({ seq: reply.seq, r: reply.r.slice(offset, offset + p.args.length) });
            offset += p.args.length;
          }
        })
        .catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        })
        .finally(() => {
          lane.inFlight--;
          if (lane.inFlight === 0 && lane.queue.length === 0) this.lanes.delete(key);
          else this.pump(key, lane);
        });
    }
  }
}
