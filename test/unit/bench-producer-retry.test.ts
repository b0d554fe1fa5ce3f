import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Producer } from '../bench/load.ts';

/** A fake ingest endpoint answering from a script; records how often it was asked. */
async function fakeIngest(answers: { status: number; body: unknown; retryAfter?: string }[]) {
  let asked = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answers[Math.min(asked, answers.length - 1)]!;
      asked += 1;
      res.writeHead(a.status, { 'content-type': 'application/json', ...(a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {}) });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, asked: () => asked, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('the benchmark producer re-sends as the contract asks', () => {
  it('re-sends a 503 after its Retry-After; what the first attempt stored (duplicate in the answer) counts as accepted', async () => {
    const ingest = await fakeIngest([
      { status: 503, retryAfter: '0', body: { error: 'unavailable', message: 'storage did not answer in time', stored: 600 } },
      { status: 200, body: { accepted: 400, duplicate: 600, rejected: 0, results: [], seq: { c: 1000 } } },
    ]);
    closers.push(ingest.close);
    const producer = new Producer(ingest.port, ['t'], 1);
    closers.push(async () => producer.close());
    const r = await producer.post('[]', 'c');
    expect(ingest.asked()).toBe(2);
    expect(r).toMatchObject({ status: 200, accepted: 1000, duplicate: 0, retries: 1, seq: 1000 });
    expect(r.retriedAfter).toContain('HTTP 503');
  });

  it('gives up after five re-sends, and leaves a plain answer as it is', async () => {
    const down = await fakeIngest([{ status: 503, retryAfter: '0', body: { error: 'unavailable', stored: 0 } }]);
    closers.push(down.close);
    const p1 = new Producer(down.port, ['t'], 1);
    closers.push(async () => p1.close());
    expect(await p1.post('[]', 'c')).toMatchObject({ status: 503, accepted: 0, retries: 5 });
    expect(down.asked()).toBe(6);

    const ok = await fakeIngest([{ status: 200, body: { accepted: 3, duplicate: 2, rejected: 0, results: [], seq: { c: 3 } } }]);
    closers.push(ok.close);
    const p2 = new Producer(ok.port, ['t'], 1);
    closers.push(async () => p2.close());
    const r = await p2.post('[]', 'c');
    expect(r).toMatchObject({ status: 200, accepted: 3, duplicate: 2 });
    expect(r.retries).toBeUndefined();
  });
});
