/**
 * The benchmark's ingest-throughput scenario alone, on a fresh stack (a tool, not part of the run):
 * for comparing two builds, or the server under other V8 flags, in a minute instead of a full run.
 *
 *   npx tsx test/bench/ingest-alone.ts [--batch 1000] [--connections 8] [--seconds 4] [--reps 3] [--tag T]
 *   BENCH_SERVER_NODE_ARGS="--max-semi-space-size=8" npx tsx test/bench/ingest-alone.ts   (flags for the server)
 *
 * Prints one JSON line: events/s (median and each repetition) and the CPU per event of the server,
 * Redis and this process (the load generator), from /proc. On the shared VMs the same code moves
 * by ±15 % within an hour: alternate the builds being compared, several rounds each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { buildPool } from './load.ts';
import { ingestThroughput } from './scenarios.ts';
import { displayToken, ingestTokens, startStack } from './stack.ts';

const options = z.strictObject({
  batch: z.coerce.number().int().min(1).max(5000).default(1000),
  connections: z.coerce.number().int().min(1).max(64).default(8),
  seconds: z.coerce.number().positive().max(60).default(4),
  reps: z.coerce.number().int().min(1).max(20).default(3),
  tag: z.string().default(''),
});

const usage = 'usage: npx tsx test/bench/ingest-alone.ts [--batch 1000] [--connections 8] [--seconds 4] [--reps 3] [--tag T]';
let opts: z.infer<typeof options>;
try {
  const { values } = parseArgs({
    options: { batch: { type: 'string' }, connections: { type: 'string' }, seconds: { type: 'string' }, reps: { type: 'string' }, tag: { type: 'string' } },
    strict: true,
  });
  opts = options.parse(values);
} catch (err) {
  const why = err instanceof z.ZodError ? err.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
  console.error(`${why}\n${usage}`);
  process.exit(2);
}

// the run's throughput pool: 50 queues, the late morning of the simulated day
const pool = buildPool({ size: 0, rate: 1, queues: 50, spanMin: Math.ceil(40_000 / 900), endMs: Date.now(), seed: 3, endsAtLocalMinute: 12 * 60 });
const center = 'tput';
const config: AppConfigInput = {
  centers: [{ id: center, name: { zh: center, en: center }, timeZone: 'Asia/Shanghai' }],
  tokens: [
    { token: displayToken, role: 'display', name: 'bench-screens' },
    ...ingestTokens.map((token, i) => ({ token, role: 'ingest' as const, name: `bench-producer-${i}` })),
  ],
};
const dir = mkdtempSync(join(tmpdir(), 'wb-ingest-alone-'));
const stack = await startStack({ dir, config, log: () => {} });
try {
  const r = await ingestThroughput(stack, pool, { batch: opts.batch, connections: opts.connections, seconds: opts.seconds, reps: opts.reps, ceiling: 1, center }, () => {});
  const eps = r.run.eventsPerSec.median;
  const usPerEvent = (cpu: number) => +((cpu * 1e6) / eps).toFixed(1);
  console.log(
    JSON.stringify({
      tag: opts.tag,
      batch: opts.batch,
      connections: opts.connections,
      eventsPerSec: Math.round(eps),
      runs: r.run.eventsPerSec.runs.map(Math.round),
      serverUsPerEvent: usPerEvent(r.run.serverCpu),
      redisUsPerEvent: usPerEvent(r.run.redisCpu),
      loadUsPerEvent: usPerEvent(r.run.loadCpu),
      lost: r.correctness.lost,
      doubleCounted: r.correctness.doubleCounted,
    }),
  );
} finally {
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
