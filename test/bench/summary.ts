import { z } from 'zod';

/**
 * The JSON summary `npm run bench -- --json FILE` writes. The first fields are the stable shape
 * other tools read (issue 7); everything under `details` may grow.
 */
const ms = z.number().nonnegative();
const spread = z.object({
  median: z.number(),
  min: z.number(),
  max: z.number(),
  spread: z.number(),
  runs: z.array(z.number()),
});

export const latencyRow = z.object({
  screens: z.number().int().positive(),
  eventsPerSec: z.number().positive(),
  p50: ms,
  p95: ms,
  p99: ms,
  max: ms,
  /** events/s actually sent (the producer may fall behind the target rate) */
  achievedEventsPerSec: z.number().nonnegative(),
  /** (screen, event) deliveries measured */
  samples: z.number().int().nonnegative(),
  /** events sent but never seen by some screen at the end of the scenario, summed over screens */
  undelivered: z.number().int().nonnegative(),
  serverCpu: z.number().nonnegative(),
  redisCpu: z.number().nonnegative(),
  /** the screens' client processes together, and the producer (the bench's own process): they
   * share the machine's cores with the server, so together these say how saturated it was */
  screensCpu: z.number().nonnegative(),
  producerCpu: z.number().nonnegative(),
  /** server RSS growth per connected screen, KiB (swings with GC: see heapPerScreenKiB) */
  rssPerScreenKiB: z.number().nullable(),
  /** server JS heap growth per connected screen after a forced GC (inspector), KiB */
  heapPerScreenKiB: z.number().nullable().optional(),
  clientsMatchApi: z.boolean(),
});
export type LatencyRow = z.infer<typeof latencyRow>;

export const ingestRun = z.object({
  batch: z.number().int().positive(),
  connections: z.number().int().positive(),
  eventsPerSec: spread,
  /** CPU of one core, 1.0 = one core fully busy, medians over repetitions */
  serverCpu: z.number().nonnegative(),
  redisCpu: z.number().nonnegative(),
  loadCpu: z.number().nonnegative(),
  /** Redis time inside EVALSHA/EVAL per event (INFO commandstats), µs */
  redisUsecPerEvent: z.number().nullable(),
  /** Redis commands per accepted event (INFO commandstats; commands run inside the script count too) */
  redisCallsPerEvent: z.record(z.string(), z.number()).optional(),
  requestP50Ms: ms,
  requestP99Ms: ms,
  fractionOfCeiling: z.number().nonnegative(),
});
export type IngestRun = z.infer<typeof ingestRun>;

/** The saturated ingest rate of a batch size: the best median over the concurrencies it ran at
 * (0 when it did not run). */
export function saturatedRate(runs: readonly Pick<IngestRun, 'batch' | 'eventsPerSec'>[], batch: number): number {
  return runs.filter((r) => r.batch === batch).reduce((best, r) => Math.max(best, r.eventsPerSec.median), 0);
}

export const targetCheck = z.object({
  name: z.string(),
  target: z.string(),
  measured: z.number().nullable(),
  unit: z.string(),
  met: z.boolean(),
  /** measured / limit: < 1 is headroom for "≤" targets, > 1 for "≥" targets */
  ratio: z.number().nullable(),
});
export type TargetCheck = z.infer<typeof targetCheck>;

export const benchSummary = z.object({
  machine: z.object({
    cpuModel: z.string(),
    cores: z.number().int().positive(),
    memoryGiB: z.number().positive(),
    node: z.string(),
    redis: z.string(),
    os: z.string(),
    /** 1, 5 and 15 minute load averages at the end: other work on a shared machine skews results */
    loadAverage: z.array(z.number()).optional(),
  }),
  ingest: z.object({ batch1: z.number().nonnegative(), batch100: z.number().nonnegative(), batch1000: z.number().nonnegative() }),
  redisCeilingOpsPerSec: z.number().positive(),
  latency: z.array(latencyRow).min(1),
  metricsQuery: z.object({ p50: ms, p99: ms }),
  lostEvents: z.number().int().nonnegative(),
  doubleCounted: z.number().int().nonnegative(),
  mode: z.enum(['quick', 'full']),
  startedAt: z.string(),
  durationSec: z.number().nonnegative(),
  targets: z.array(targetCheck),
  details: z.object({
    ingest: z.array(ingestRun),
    redisCeiling: spread,
    memory: z.object({
      dayEvents: z.number().int().nonnegative(),
      dayQueues: z.number().int().positive(),
      dayAgents: z.number().int().positive(),
      serverRssMiB: z.number().nonnegative(),
      redisUsedMemoryMiB: z.number().nonnegative(),
      dayIngestEventsPerSec: z.number().nonnegative(),
    }),
    metricsQuery: z.object({
      requests: z.number().int().positive(),
      p95: ms,
      max: ms,
      queues: z.number().int(),
      agents: z.number().int(),
      /** the server's own time (Server-Timing header): without the client's and the network's share */
      server: z.object({ p50: ms, p99: ms, max: ms }).optional(),
      /** the day's own traffic posted live (in order, as it falls due) while the client queries */
      liveFeedEventsPerSec: z.number().nonnegative().optional(),
      /** the same requests 3 s after the day's burst ingest, with nothing ingested meanwhile */
      afterBurst: z.object({ p50: ms, p95: ms, p99: ms, max: ms, server: z.object({ p50: ms, p99: ms, max: ms }) }).optional(),
    }),
    correctness: z.array(
      z.object({ scenario: z.string(), sent: z.number().int(), accepted: z.number().int(), lost: z.number().int(), doubleCounted: z.number().int(), notes: z.array(z.string()) }),
    ),
    profile: z.array(z.object({ function: z.string(), url: z.string(), selfPct: z.number() })).optional(),
    redisCommandStats: z.record(z.string(), z.object({ calls: z.number(), usecPerCall: z.number() })).optional(),
  }),
});
export type BenchSummary = z.infer<typeof benchSummary>;

/** Targets of issues 3 and 7, checked against a summary. */
export function checkTargets(s: Pick<BenchSummary, 'ingest' | 'latency' | 'metricsQuery'>): TargetCheck[] {
  const batched = Math.max(s.ingest.batch100, s.ingest.batch1000);
  const ref = s.latency.find((r) => r.screens === 1000 && r.eventsPerSec === 2000);
  const atMost = (name: string, limit: number, measured: number | null, unit: string): TargetCheck => ({
    name,
    target: `≤ ${limit} ${unit}`,
    measured,
    unit,
    met: measured !== null && measured <= limit,
    ratio: measured === null ? null : measured / limit,
  });
  return [
    {
      name: 'batched ingest',
      target: '≥ 50000 events/s',
      measured: batched,
      unit: 'events/s',
      met: batched >= 50_000,
      ratio: batched / 50_000,
    },
    atMost('event-to-screen p50 (1,000 screens, 2,000 ev/s)', 100, ref ? ref.p50 : null, 'ms'),
    atMost('event-to-screen p99 (1,000 screens, 2,000 ev/s)', 250, ref ? ref.p99 : null, 'ms'),
    atMost('metrics query p99 (50 queues, 500 agents)', 5, s.metricsQuery.p99, 'ms'),
  ];
}

const fmt = (n: number | null, digits = 1): string =>
  n === null || !Number.isFinite(n) ? '–' : n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
const pct = (n: number): string => `${Math.round(n * 100)} %`;

/** README-ready markdown tables of a summary. */
export function renderMarkdown(s: BenchSummary): string {
  const m = s.machine;
  const out: string[] = [];
  out.push(
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${fmt(m.memoryGiB)} GiB RAM, ${m.os}, Node ${m.node}, Redis ${m.redis}; ` +
      `server, Redis and load generator share the machine. Mode: ${s.mode}, ${fmt(s.durationSec, 0)} s, ${s.startedAt}.`,
    '',
    '| Target | Goal | Measured | Ratio | Met |',
    '|---|---|---|---|---|',
    ...s.targets.map((t) => `| ${t.name} | ${t.target} | ${fmt(t.measured, 2)} ${t.unit} | ${t.ratio === null ? '–' : t.ratio.toFixed(2)} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    `Redis ceiling (redis-benchmark, pipelined HINCRBY, same Redis): ${fmt(s.redisCeilingOpsPerSec)} ops/s (spread ${pct(s.details.redisCeiling.spread)}).`,
    '',
    '| Ingest batch | Connections | Events/s (median) | Spread | Server CPU | Redis CPU | Load CPU | Redis µs/event | Request p50 / p99 ms | Share of ceiling |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...s.details.ingest.map(
      (r) =>
        `| ${r.batch} | ${r.connections} | ${fmt(r.eventsPerSec.median)} | ${pct(r.eventsPerSec.spread)} | ${pct(r.serverCpu)} | ${pct(r.redisCpu)} | ${pct(r.loadCpu)} | ${fmt(r.redisUsecPerEvent, 1)} | ${fmt(r.requestP50Ms)} / ${fmt(r.requestP99Ms)} | ${pct(r.fractionOfCeiling)} |`,
    ),
    '',
    '| Screens | Target ev/s | Sent ev/s | p50 ms | p95 ms | p99 ms | max ms | Server CPU | Redis CPU | Screens CPU | Producer CPU | Heap/screen KiB (after GC) | RSS/screen KiB | Clients = API |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...s.latency.map(
      (r) =>
        `| ${r.screens} | ${r.eventsPerSec} | ${fmt(r.achievedEventsPerSec, 0)} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${pct(r.serverCpu)} | ${pct(r.redisCpu)} | ${pct(r.screensCpu)} | ${pct(r.producerCpu)} | ${fmt(r.heapPerScreenKiB ?? null)} | ${fmt(r.rssPerScreenKiB)} | ${r.clientsMatchApi ? 'yes' : '**no**'} |`,
    ),
    '',
    `GET /api/v1/metrics (${s.details.metricsQuery.queues} queues, ${s.details.metricsQuery.agents} agents, ${s.details.metricsQuery.requests} requests): ` +
      `p50 ${fmt(s.metricsQuery.p50, 2)} ms, p95 ${fmt(s.details.metricsQuery.p95, 2)} ms, p99 ${fmt(s.metricsQuery.p99, 2)} ms, max ${fmt(s.details.metricsQuery.max, 2)} ms` +
      (s.details.metricsQuery.server
        ? `; inside the server (Server-Timing) p50 ${fmt(s.details.metricsQuery.server.p50, 2)} ms, p99 ${fmt(s.details.metricsQuery.server.p99, 2)} ms, max ${fmt(s.details.metricsQuery.server.max, 2)} ms`
        : '') +
      (s.details.metricsQuery.liveFeedEventsPerSec !== undefined
        ? `; while the day's traffic went on live at ${fmt(s.details.metricsQuery.liveFeedEventsPerSec, 1)} ev/s, after 10 s of it.`
        : '.') +
      (s.details.metricsQuery.afterBurst
        ? ` Right after the day's burst ingest (3 s warm-up, nothing ingested): p50 ${fmt(s.details.metricsQuery.afterBurst.p50, 2)} ms, p99 ${fmt(s.details.metricsQuery.afterBurst.p99, 2)} ms; inside the server p50 ${fmt(s.details.metricsQuery.afterBurst.server.p50, 2)} ms, p99 ${fmt(s.details.metricsQuery.afterBurst.server.p99, 2)} ms.`
        : ''),
    '',
    `After one simulated day (${fmt(s.details.memory.dayEvents, 0)} events, ${s.details.memory.dayQueues} queues, ${s.details.memory.dayAgents} agents, ` +
      `ingested at ${fmt(s.details.memory.dayIngestEventsPerSec, 0)} ev/s): server RSS ${fmt(s.details.memory.serverRssMiB)} MiB, Redis used_memory ${fmt(s.details.memory.redisUsedMemoryMiB)} MiB.`,
    '',
    `Correctness: lost events ${s.lostEvents}, double-counted ${s.doubleCounted} (${s.details.correctness.length} scenarios checked).`,
  );
  return out.join('\n');
}
