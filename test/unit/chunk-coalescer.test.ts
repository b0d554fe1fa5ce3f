import { describe, expect, it } from 'vitest';
import { ChunkCoalescer, type ChunkReply } from '../../server/metrics/coalesce.ts';

/** A fake ingest script: accepts every arg it has not seen, records each call, answers when told. */
function fakeScript() {
  const seen = new Set<string>();
  const calls: { settings: string; args: string[]; release: () => void; fail: (e: Error) => void }[] = [];
  let seq = 0;
  const exec = (settings: string, args: string[]) =>
    new Promise<ChunkReply>((resolve, reject) => {
      calls.push({
        settings,
        args,
        release: () => {
          const r = args.map((a) => (seen.has(a) ? 'd' : (seen.add(a), seq++, 'a'))).join('');
          resolve({ seq, r });
        },
        fail: reject,
      });
    });
  return { exec, calls };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ChunkCoalescer (group commit of ingest chunks)', () => {
  it('sends at once while fewer than maxInFlight calls are out, then merges what queued meanwhile', async () => {
    const s = fakeScript();
    const c = new ChunkCoalescer(10, 2);
    const a = c.submit('l', 'sa', ['a1', 'a2'], s.exec);
    const b = c.submit('l', 'sb', ['b1'], s.exec);
    const d = c.submit('l', 'sd', ['d1', 'd2', 'd3'], s.exec);
    const e = c.submit('l', 'se', ['e1', 'a1'], s.exec);
    await tick();
    // two calls out, nothing waited for company
    expect(s.calls.map((x) => x.args)).toEqual([['a1', 'a2'], ['b1']]);
    s.calls[0]!.release();
    await tick();
    // the queued two go out together, in order, with the newest settings
    expect(s.calls[2]!.args).toEqual(['d1', 'd2', 'd3', 'e1', 'a1']);
    expect(s.calls[2]!.settings).toBe('se');
    s.calls[1]!.release();
    s.calls[2]!.release();
    expect(await a).toEqual({ seq: 2, r: 'aa' });
    expect(await b).toEqual({ seq: 3, r: 'a' });
    // each gets its own slice; a1 was taken by the first call: a duplicate, as two calls in a row
    expect(await d).toEqual({ seq: 7, r: 'aaa' });
    expect(await e).toEqual({ seq: 7, r: 'ad' });
  });

  it('never splits a chunk and never exceeds maxArgs', async () => {
    const s = fakeScript();
    const c = new ChunkCoalescer(4, 1);
    const first = c.submit('l', 's', ['x'], s.exec);
    const rest = [['a', 'b', 'c'], ['d', 'e'], ['f'], ['g', 'h', 'i', 'j']].map((args) => c.submit('l', 's', args, s.exec));
    for (let k = 0; k < 4; k++) {
      await tick();
      s.calls[k]!.release();
    }
    await Promise.all([first, ...rest]);
    expect(s.calls.map((x) => x.args)).toEqual([['x'], ['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h', 'i', 'j']]);
  });

  it('sends a call that cannot grow at once, whatever is in flight (Redis keeps working while this process stalls)', async () => {
    const s = fakeScript();
    const c = new ChunkCoalescer(3, 1);
    const first = c.submit('l', 's', ['a'], s.exec);
    const full = c.submit('l', 's', ['b', 'c', 'd'], s.exec);
    const open1 = c.submit('l', 's', ['e'], s.exec);
    const open2 = c.submit('l', 's', ['f'], s.exec);
    await tick();
    // ['b','c','d'] is full: out beside ['a']; ['e','f'] could still grow: it waits
    expect(s.calls.map((x) => x.args)).toEqual([['a'], ['b', 'c', 'd']]);
    const closing = c.submit('l', 's', ['g', 'h'], s.exec);
    await tick();
    // ['g','h'] does not fit beside ['e','f']: that call is closed and goes; ['g','h'] waits
    expect(s.calls.map((x) => x.args)).toEqual([['a'], ['b', 'c', 'd'], ['e', 'f']]);
    for (const call of s.calls.slice(0, 3)) call.release();
    await tick();
    expect(s.calls[3]!.args).toEqual(['g', 'h']);
    s.calls[3]!.release();
    expect((await Promise.all([first, full, open1, open2, closing])).map((r) => r.r)).toEqual(['a', 'aaa', 'a', 'a', 'aa']);
  });

  it('fails exactly the chunks of a failed call; other lanes and later calls go on', async () => {
    const s = fakeScript();
    const c = new ChunkCoalescer(10, 1);
    const a = c.submit('l', 's', ['a'], s.exec);
    const other = c.submit('other', 's', ['o'], s.exec);
    const b = c.submit('l', 's', ['b'], s.exec);
    const d = c.submit('l', 's', ['d'], s.exec);
    await tick();
    expect(s.calls.map((x) => x.args)).toEqual([['a'], ['o']]);
    s.calls[0]!.release();
    s.calls[1]!.release();
    await tick();
    expect(s.calls[2]!.args).toEqual(['b', 'd']);
    s.calls[2]!.fail(new Error('connection lost'));
    await expect(b).rejects.toThrow('connection lost');
    await expect(d).rejects.toThrow('connection lost');
    expect((await a).r).toBe('a');
    expect((await other).r).toBe('a');
    const after = c.submit('l', 's', ['z'], s.exec);
    await tick();
    s.calls[3]!.release();
    expect((await after).r).toBe('a');
  });

  it('rejects a reply whose statuses do not match the events sent', async () => {
    const c = new ChunkCoalescer(10, 1);
    await expect(c.submit('l', 's', ['a', 'b'], async () => ({ seq: 1, r: 'a' }))).rejects.toThrow(/1 statuses for 2 events/);
  });
});
