import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ZodError } from 'zod';
import { parseBenchArgs, type BenchArgs } from './args.ts';
import { buildPool, emptyTypeCounts, type TypeCounts } from './load.ts';
import { machineInfo, rssBytes } from './proc.ts';
import { topSelfTime, type CpuProfile } from './profile.ts';
import { benchConfig, checkCounts, eventToScreen, ingestAll, ingestThroughput, metricsQueryLatency, redisCeiling, startLiveFeed, type Correctness } from './scenarios.ts';
import { commandStats, redisUsedMemory, redisVersion, repoRoot, startStack } from './stack.ts';
import { benchSummary, checkTargets, renderMarkdown, saturatedRate, type BenchSummary, type IngestRun, type LatencyRow } from './summary.ts';

/**
 * `npm run bench [-- --quick] [--json FILE] [--profile] [--reps N] [--seconds S]`: the whole
 * benchmark of issue 7 in one process tree (this orchestrator + producer, redis-server, the server,
 * 1–3 screen processes (about 500 screens each)), loopback only. Prints progress, then markdown tables, and writes the JSON
 * summary to .bench/summary-<mode>.json (and --json FILE).
 */
interface Plan {
  reps: number;
  seconds: number;
  ingest: { batch: number; connections: number }[];
  latency: { screens: number; rates: number[] }[];
  latencySeconds: number;
  pool: number;
  day: { queues: number; agents: number; rate: number };
  queryRequests: number;
  ceilingRequests: number;
}

function planFor(args: BenchArgs): Plan {
  const quick = args.quick;
  return {
    reps: args.reps ?? 3,
    seconds: args.seconds ?? (quick ? 2 : 4),
    // closed loop at more than one concurrency per batch size: the saturated rate is the best of
    // them (batch 100 at 8 connections left the server a third idle: 21k against 27k ev/s at 16)
    ingest: [
      { batch: 1, connections: 32 },
      { batch: 100, connections: 8 },
      { batch: 100, connections: 16 },
      { batch: 1000, connections: 4 },
      { batch: 1000, connections: 8 },
    ],
    latency: quick
      ? [
          { screens: 100, rates: [200] },
          { screens: 1000, rates: [2000] },
        ]
      : [
          { screens: 100, rates: [200, 2000, 10_000] },
          { screens: 1000, rates: [200, 2000, 10_000] },
          { screens: 3000, rates: [200, 2000, 10_000] },
        ],
    latencySeconds: quick ? 6 : 8,
    pool: quick ? 40_000 : 100_000,
    // 50 queues and 500 agents (the metrics-query target); quick: a lighter day (same shape)
    day: { queues: 50, agents: 500, rate: quick ? 0.1 : 1 },
    queryRequests: quick ? 500 : 2000,
    ceilingRequests: quick ? 200_000 : 500_000,
  };
}

const wallNowMs = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ZodError) {
      console.error(`npm run bench: ${err.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`);
      console.error('usage: npm run bench -- [--quick] [--json FILE] [--profile] [--reps N] [--seconds S]');
      process.exit(2);
    }
    throw err;
  }
  const plan = planFor(args);
  const mode = args.quick ? 'quick' : 'full';
  const started = new Date();
  const t0 = performance.now();
  const log = (m: string) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${m}`);
  const benchDir = resolve(repoRoot, '.bench');
  const runDir = join(benchDir, `run-${started.toISOString().replace(/[:.]/g, '-')}`);
  const profileDir = args.profile ? join(runDir, 'profile') : undefined;
  log(`mode ${mode}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work on this machine skews every number)`);

  // --- load, generated before anything is measured
  const now = Date.now();
  // rate 1 over 50 queues, the late morning of the simulated day (≈ 900 events per simulated
  // minute before 12:00 local) whatever the hour of the run: the simulator slows down sharply at
  // high arrival multipliers, so a bigger pool spans more time instead
  const pool = buildPool({ size: 0, rate: 1, queues: 50, spanMin: Math.ceil(plan.pool / 900), endMs: now, seed: 3, endsAtLocalMinute: 12 * 60 });
  // the day runs until a few minutes from now: what is due by the day phase is posted at once (a
  // backfill), the rest goes live, as it falls due, while the metrics query runs
  // the simulated day, too, ends at noon local whatever the hour of the run: the live part of it,
  // during the metrics query, is then the late morning's traffic (≈ 9 ev/s), not the night's
  const dayPool = buildPool({
    size: 0,
    queues: plan.day.queues,
    agents: plan.day.agents,
    spanMin: 1440,
    endMs: now + 5 * 60_000,
    seed: 11,
    rate: plan.day.rate,
    endsAtLocalMinute: 12 * 60 + 5,
  });
  log(`simulator: ${pool.events.length.toLocaleString('en-US')} events for live load, ${dayPool.events.length.toLocaleString('en-US')} for one day (${plan.day.queues} queues, ${plan.day.agents} agents)`);

  const latencyCenters = plan.latency.map((l) => `lat${l.screens}`);
  const config = benchConfig(latencyCenters, dayPool.queueList);
  const stack = await startStack({ dir: runDir, config, ...(profileDir ? { profileDir } : {}), log });
  const correctness: Correctness[] = [];
  let summary: BenchSummary;
  try {
    const version = await redisVersion(stack.redisClient);
    // --- the machine's ceiling
    const ceiling = redisCeiling(stack.redis.port, plan.reps, plan.ceilingRequests);
    await stack.redisClient.del('benchceiling');
    log(`redis ceiling: ${Math.round(ceiling.median).toLocaleString('en-US')} HINCRBY/s (pipelined), runs ${ceiling.runs.map((r) => Math.round(r)).join(', ')}`);

    // --- one simulated day, then memory and the metrics query on it
    const rssStart = rssBytes(stack.serverPid);
    const dueNow = dayPool.ts.findIndex((t) => t > Date.now());
    const day = await ingestAll(stack, dayPool, 'day', dueNow < 0 ? dayPool.events.length : dueNow);
    correctness.push(day.correctness);
    const rssDay = rssBytes(stack.serverPid);
    const usedMemory = await redisUsedMemory(stack.redisClient);
    log(`day: ${day.stream.sent.toLocaleString('en-US')} events at ${Math.round(day.eventsPerSec).toLocaleString('en-US')} ev/s; server RSS ${(rssStart / 2 ** 20).toFixed(0)} → ${(rssDay / 2 ** 20).toFixed(0)} MiB, Redis used_memory ${(usedMemory / 2 ** 20).toFixed(1)} MiB`);
    const dayQueues = dayPool.queueList.map((q) => q.id);
    const afterBurst = await metricsQueryLatency(stack, 'day', dayQueues, plan.queryRequests, 3000);
    log(`GET /api/v1/metrics right after the burst: p50 ${afterBurst.p50.toFixed(2)} ms, p99 ${afterBurst.p99.toFixed(2)} ms (${afterBurst.errors} errors); inside the server p50 ${afterBurst.server.p50.toFixed(2)} ms, p99 ${afterBurst.server.p99.toFixed(2)} ms`);
    // the target's condition, 50 queues and 500 agents live: the day's traffic goes on in order while
    // a dashboard polls, after 10 s of it
    const feedStart = wallNowMs();
    const feed = startLiveFeed(stack, dayPool, 'day', day.stream, day.stream.sent);
    const query = await metricsQueryLatency(stack, 'day', dayQueues, plan.queryRequests, 10_000);
    const fed = await feed.stop();
    const liveFeedEventsPerSec = fed.sent / ((wallNowMs() - feedStart) / 1000);
    correctness.push(fed);
    log(`GET /api/v1/metrics live (${liveFeedEventsPerSec.toFixed(1)} ev/s in order): p50 ${query.p50.toFixed(2)} ms, p99 ${query.p99.toFixed(2)} ms (${query.errors} errors); inside the server p50 ${query.server.p50.toFixed(2)} ms, p99 ${query.server.p99.toFixed(2)} ms`);

    // --- saturated ingest
    const ingestRuns: IngestRun[] = [];
    const ingestTypes: TypeCounts[] = [];
    for (const spec of plan.ingest) {
      const r = await ingestThroughput(stack, pool, { ...spec, seconds: plan.seconds, reps: plan.reps, ceiling: ceiling.median, center: 'tput' }, log);
      ingestRuns.push(r.run);
      ingestTypes.push(...r.sentTypes);
      correctness.push(r.correctness);
    }
    // every repetition of every batch size went to one center: its totals must add up too
    const tput = await checkCounts(stack, 'tput', pool, { sentTypes: sumTypes(ingestTypes) });
    correctness.push({ scenario: 'ingest, all batch sizes (counts)', sent: 0, accepted: 0, ...tput });

    // --- event-to-screen latency
    const latency: LatencyRow[] = [];
    for (const [i, spec] of plan.latency.entries()) {
      const r = await eventToScreen(stack, pool, { center: latencyCenters[i]!, screens: spec.screens, rates: spec.rates, seconds: plan.latencySeconds }, log);
      latency.push(...r.rows);
      correctness.push(r.correctness);
    }

    const stats = await commandStats(stack.redisClient);
    const partial = {
      ingest: { batch1: saturatedRate(ingestRuns, 1), batch100: saturatedRate(ingestRuns, 100), batch1000: saturatedRate(ingestRuns, 1000) },
      latency,
      metricsQuery: { p50: query.p50, p99: query.p99 },
    };
    await stack.stop();
    const profile = profileDir ? readProfile(profileDir) : undefined;
    summary = benchSummary.parse({
      machine: { ...machineInfo(version), loadAverage: loadavg() },
      ...partial,
      redisCeilingOpsPerSec: ceiling.median,
      lostEvents: correctness.reduce((a, c) => a + c.lost, 0),
      doubleCounted: correctness.reduce((a, c) => a + c.doubleCounted, 0),
      mode,
      startedAt: started.toISOString(),
      durationSec: (performance.now() - t0) / 1000,
      targets: checkTargets(partial),
      details: {
        ingest: ingestRuns,
        redisCeiling: ceiling,
        memory: {
          dayEvents: day.stream.sent,
          dayQueues: plan.day.queues,
          dayAgents: plan.day.agents,
          serverRssMiB: rssDay / 2 ** 20,
          redisUsedMemoryMiB: usedMemory / 2 ** 20,
          dayIngestEventsPerSec: day.eventsPerSec,
        },
        metricsQuery: {
          requests: plan.queryRequests,
          p95: query.p95,
          max: query.max,
          queues: plan.day.queues,
          agents: plan.day.agents,
          server: query.server,
          liveFeedEventsPerSec,
          afterBurst: { p50: afterBurst.p50, p95: afterBurst.p95, p99: afterBurst.p99, max: afterBurst.max, server: afterBurst.server },
        },
        correctness,
        ...(profile ? { profile } : {}),
        redisCommandStats: Object.fromEntries(
          Object.entries(stats)
            .sort((a, b) => b[1].usec - a[1].usec)
            .slice(0, 12)
            .map(([cmd, s]) => [cmd, { calls: s.calls, usecPerCall: s.calls ? s.usec / s.calls : 0 }]),
        ),
      },
    });
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }

  const markdown = renderMarkdown(summary);
  console.log(`\n${markdown}\n`);
  for (const c of summary.details.correctness) if (c.notes.length) console.log(`  ${c.scenario}: ${c.notes.join(' | ')}`);
  if (summary.details.profile) {
    console.log('\nServer CPU profile, top self time:');
    for (const p of summary.details.profile) console.log(`  ${p.selfPct.toFixed(1).padStart(5)} %  ${p.function}  ${p.url}`);
  }
  mkdirSync(benchDir, { recursive: true });
  const json = JSON.stringify(summary, null, 2);
  writeFileSync(join(benchDir, `summary-${mode}.json`), json);
  writeFileSync(join(benchDir, `summary-${mode}.md`), markdown + '\n');
  if (args.json) {
    const out = resolve(process.cwd(), args.json);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, json);
  }
  log(`summary written to .bench/summary-${mode}.json${args.json ? ` and ${args.json}` : ''}`);
}

function sumTypes(list: TypeCounts[]): TypeCounts {
  const out = emptyTypeCounts();
  for (const t of list) t.forEach((v, i) => (out[i] = out[i]! + v));
  return out;
}

function readProfile(dir: string): BenchSummary['details']['profile'] {
  try {
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) return undefined;
    return topSelfTime(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 20);
  } catch {
    return undefined;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
