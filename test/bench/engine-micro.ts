/**
 * Engine micro-benchmark (a tool, not part of `npm test`): Redis CPU per ingested event and per
 * queryMany (INFO cpu of redis-server, i.e. getrusage; commandstats' usec is elapsed time and
 * includes descheduling on a loaded box). Node CPU (process.cpuUsage) is reported beside it.
 *
 *   npx tsx test/bench/engine-micro.ts [--queues 50] [--agents 500] [--minutes 30] [--rate 2] [--queries 40]
 *     --core              the core engine only (default: with the KPI pack, as the server runs)
 *     --split / --commands / --inspect / --listpack-value N / --listpack-entries N   cost by event
 *                         family, Redis commands per event, contact hash encodings, hash-max-listpack-*
 *                         (entries 32 / 128 / 512 measured: 128, Redis's default, is as cheap as any)
 *     --ops               applyWrites operations per event by opcode and key family (e.g. "X ct":
 *                         PEXPIRE of contact records); decoding them costs Node CPU, so compare the
 *                         CPU figures of runs without it
 *
 * Prints one JSON line per phase: ingest (fresh in-order chunks of 1,000 at the simulator's pace),
 * re-send (all duplicates), queryMany over every queue + all + channels for 15m/60m/today.
 * Compare `calibratedUsPerEvent` / `redisCalibratedMs` (CPU rescaled by a fixed Lua workload run
 * after every call); raw CPU and wall time swing ±50 % with the neighbours' load.
 */
import { Redis } from 'ioredis';
import { unpack } from 'msgpackr';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KpiMetricEngine } from '../../server/kpi/engine.ts';
import { RedisMetricEngine } from '../../server/metrics/engine.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { Keys } from '../../server/redis/keys.ts';
import { defineScripts, loadScripts } from '../../server/redis/scripts.ts';
import { generateBatches } from '../../server/simulator/generate.ts';
import { checkEvent } from '../../server/ingest/validate.ts';
import { dayShiftFor } from './load.ts';
import { appConfig } from '../../shared/contract/config.ts';
import type { ContractEvent } from '../../shared/contract/events.ts';
import type { Scope } from '../../server/metrics/types.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const queues = arg('queues', 50);
const agents = arg('agents', 500);
const minutes = arg('minutes', 30);
const rate = arg('rate', 2);
const queryRounds = arg('queries', 40);

/** Redis process CPU (INFO cpu: getrusage of redis-server, user + sys) in µs. On a loaded machine
 * commandstats' usec is elapsed time inside the command (descheduling included); this is not. */
async function evalStats(redis: Redis): Promise<{ usec: number }> {
  const info = await redis.info('cpu');
  const f = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return { usec: Math.round((f('used_cpu_user') + f('used_cpu_sys')) * 1e6) };
}

const calibrationLua =
  'local t = {} for i = 1, 20000 do local k = i % 100 t[k] = (t[k] or 0) + i end ' +
  'for i = 1, 500 do redis.call("HINCRBY", KEYS[1], "f" .. (i % 50), 1) end return 1';

const calibrationQuietUs = 1200;

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function main() {
  const server = new EmbeddedRedis({ dataDir: join(tmpdir(), `wb-micro-${process.pid}`), ephemeral: true, supervise: false });
  await server.start();
  const redis = new Redis({ ...server.connection, lazyConnect: false });
  defineScripts(redis, loadScripts());
  // --listpack-value N: CONFIG SET hash-max-listpack-value (contact hashes with a long `a` field
  // otherwise convert to hashtables)
  const lpIdx = process.argv.indexOf('--listpack-value');
  if (lpIdx > 0) await redis.config('SET', 'hash-max-listpack-value', process.argv[lpIdx + 1]!);
  const leIdx = process.argv.indexOf('--listpack-entries');
  if (leIdx > 0) await redis.config('SET', 'hash-max-listpack-entries', process.argv[leIdx + 1]!);
  const config = appConfig.parse({});
  const keys = new Keys('micro');
  // --core: the core engine alone (no KPI pack script per chunk / per query)
  const engine = process.argv.includes('--core') ? new RedisMetricEngine(redis, keys, config) : new KpiMetricEngine(redis, keys, config);
  await engine.init(Date.now());
  // Redis CPU of the writer's read (loadState) and write (applyWrites) calls on their own (INFO cpu
  // around each call; the calibrated total above is the figure to compare between runs)
  const phaseUsec = { loadState: 0, applyWrites: 0 };
  const scripted = redis as unknown as Record<keyof typeof phaseUsec, (...a: unknown[]) => Promise<unknown>>;
  // --ops: the write operations of the ingest phase, by "<opcode> <key family>"
  const opsTally = process.argv.includes('--ops') ? new Map<string, number>() : undefined;
  let tallying = false;
  const tallyOps = (encoded: Buffer): void => {
    const flat = unpack(encoded) as (string | number)[];
    for (let i = 0; i < flat.length; i += 2 + Number(flat[i + 1])) {
      // the key's first segment after the center tag; the level too for counter buckets
      const seg = String(flat[i + 2]).replace(/^\{[^}]*\}:/, '').split(':');
      const family = seg[0] === 'b' || seg[0] === 'kb' ? `${seg[0]}:${seg[1]}` : seg[0];
      const k = `${String(flat[i])} ${family}`;
      opsTally!.set(k, (opsTally!.get(k) ?? 0) + 1);
    }
  };
  for (const name of ['loadState', 'applyWrites'] as const) {
    const original = scripted[name].bind(redis);
    scripted[name] = async (...a: unknown[]) => {
      if (name === 'applyWrites' && tallying && opsTally) tallyOps(a[2] as Buffer);
      const k0 = await evalStats(redis);
      const r = await original(...a);
      phaseUsec[name] += (await evalStats(redis)).usec - k0.usec;
      return r;
    };
  }

  const end = Math.floor(Date.now() / 1000) * 1000;
  const from = end - minutes * 60_000;
  const raw: unknown[][] = [];
  // the late morning of the simulated day whatever the hour (the traffic follows the hour of day)
  const dayShiftMin = dayShiftFor(end, 12 * 60);
  for (const b of generateBatches({ from, to: end, rate, queues, agents, seed: 11, center: 'default', spikeEvery: 0, batchSize: 1000, dayShiftMin })) {
    raw.push(b.map((e) => JSON.parse(JSON.stringify(e))));
  }
  const total = raw.reduce((s, b) => s + b.length, 0);

  // validation (the API's zod check) on its own
  let c0 = process.cpuUsage();
  const batches: ContractEvent[][] = raw.map((b) =>
    b.map((e) => {
      const r = checkEvent(e);
      if (!r.ok) throw new Error(r.reason);
      return r.event;
    }),
  );
  const validateUsPerEvent = (cpuMs(process.cpuUsage(c0)) * 1000) / total;

  // --split: contacts first, then agents (per-entity order kept), to see which family costs what
  if (process.argv.includes('--split')) {
    for (const kind of ['contact', 'agent']) {
      const part = batches.map((b) => b.filter((e) => e.type.startsWith(kind))).filter((b) => b.length > 0);
      const n = part.reduce((s, b) => s + b.length, 0);
      const a0 = await evalStats(redis);
      for (const b of part) await engine.ingest(b, b[b.length - 1]!.ts + 500);
      const a1 = await evalStats(redis);
      console.log(JSON.stringify({ phase: `ingest ${kind} only`, events: n, redisUsPerEvent: +((a1.usec - a0.usec) / n).toFixed(2) }));
    }
  }
  // fresh in-order ingest, `now` just after each chunk like a live feed
  // Each chunk is followed by a fixed calibration script; the machine is shared, so CPU time per
  // instruction drifts with the neighbours' load. `calibrated` rescales to the quietest calibration.
  let s0 = await evalStats(redis);
  c0 = process.cpuUsage();
  let t0 = performance.now();
  let ingestUsec = 0;
  let calibUsec = 0;
  let calibMin = Infinity;
  const perChunk: { ingest: number; calib: number }[] = [];
  tallying = true;
  for (const b of batches) {
    const a0 = await evalStats(redis);
    await engine.ingest(b, b[b.length - 1]!.ts + 500);
    const a1 = await evalStats(redis);
    await redis.eval(calibrationLua, 1, 'micro:calib');
    const a2 = await evalStats(redis);
    const chunkUsec = a1.usec - a0.usec;
    ingestUsec += chunkUsec;
    calibUsec += a2.usec - a1.usec;
    calibMin = Math.min(calibMin, a2.usec - a1.usec);
    perChunk.push({ ingest: chunkUsec, calib: a2.usec - a1.usec });
  }
  let wall = performance.now() - t0;
  tallying = false;
  let s1 = await evalStats(redis);
  // per chunk: ingest CPU × (reference ÷ that chunk's calibration CPU); the reference is what the
  // calibration script takes on this box when it is quiet, so runs at different loads compare
  const calibrated = perChunk.reduce((s, c) => s + (c.ingest * calibrationQuietUs) / c.calib, 0);
  const nodeIngest = cpuMs(process.cpuUsage(c0));
  if (process.argv.includes('--commands')) {
    const st = await redis.info('commandstats');
    for (const m of st.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) console.error(`${m[1]} ${(Number(m[2]) / total).toFixed(2)}/event ${(Number(m[3]) / total).toFixed(2)}us/event`);
  }
  console.log(
    JSON.stringify({
      phase: 'ingest',
      events: total,
      redisUsPerEvent: +(ingestUsec / total).toFixed(2),
      calibratedUsPerEvent: +(calibrated / total).toFixed(2),
      calibMinUs: calibMin,
      calibAvgUs: Math.round(calibUsec / batches.length),
      redisEventsPerCpuSec: Math.round(total / (calibrated / 1e6)),
      nodeUsPerEvent: +((nodeIngest * 1000) / total).toFixed(2),
      validateUsPerEvent: +validateUsPerEvent.toFixed(2),
      wallEventsPerSec: Math.round(total / (wall / 1000)),
      loadStateUsPerEvent: +(phaseUsec.loadState / total).toFixed(2),
      applyWritesUsPerEvent: +(phaseUsec.applyWrites / total).toFixed(2),
      writer: engine.writerStats,
    }),
  );

  if (opsTally) {
    for (const [k, n] of [...opsTally].sort((x, y) => y[1] - x[1])) console.error(`${k.padEnd(12)} ${(n / total).toFixed(3)}/event`);
  }

  if (process.argv.includes('--inspect')) {
    const [, sample] = await redis.scan('0', 'MATCH', `${keys.center('default')}:ct:*`, 'COUNT', 2000);
    for (const k of sample.slice(0, 3)) {
      console.error(k, await redis.object('ENCODING', k), await redis.memory('USAGE', k), JSON.stringify(await redis.hgetall(k)).length);
    }
    const [, bs] = await redis.scan('0', 'MATCH', `${keys.center('default')}:b:1:*`, 'COUNT', 5000);
    for (const k of bs.slice(0, 3)) console.error(k, await redis.object('ENCODING', k), await redis.hlen(k), await redis.memory('USAGE', k));
  }
  // the same events again: all duplicates
  s0 = await evalStats(redis);
  for (const b of batches.slice(0, 10)) await engine.ingest(b, end + 500);
  s1 = await evalStats(redis);
  const dupN = batches.slice(0, 10).reduce((s, b) => s + b.length, 0);
  console.log(JSON.stringify({ phase: 'resend', events: dupN, redisUsPerEvent: +((s1.usec - s0.usec) / dupN).toFixed(2) }));

  // queryMany over a whole board: every queue, all, each channel
  const qmap = await redis.hgetall(keys.queueMap('default'));
  const scopes: { scope: Scope }[] = [
    { scope: { kind: 'all' } },
    ...Object.keys(qmap).map((q) => ({ scope: { kind: 'queue', queue: q } as Scope })),
    ...(['voice', 'text', 'video'] as const).map((c) => ({ scope: { kind: 'channel', channel: c } as Scope })),
  ];
  // reply sizes of the read script (what Redis encodes and Node parses per board push)
  const scriptRedis = redis as unknown as { readBuckets(tag: string, req: string): Promise<string> };
  const readBuckets = scriptRedis.readBuckets.bind(redis);
  let lastReplyBytes = 0;
  scriptRedis.readBuckets = async (tag, req) => {
    const r = await readBuckets(tag, req);
    lastReplyBytes = Math.max(lastReplyBytes, r.length);
    return r;
  };
  for (const window of ['15m', '60m', 'today'] as const) {
    await engine.queryMany('default', scopes, window, end + 1000); // warm
    s0 = await evalStats(redis);
    c0 = process.cpuUsage();
    t0 = performance.now();
    for (let i = 0; i < queryRounds; i++) await engine.queryMany('default', scopes, window, end + 1000 + i * 250);
    wall = performance.now() - t0;
    s1 = await evalStats(redis);
    // calibrated Redis cost (see ingest): each call followed by the calibration script
    let qCalibrated = 0;
    for (let i = 0; i < queryRounds; i++) {
      const a0 = await evalStats(redis);
      await engine.queryMany('default', scopes, window, end + 1000 + i * 250);
      const a1 = await evalStats(redis);
      await redis.eval(calibrationLua, 1, 'micro:calib');
      const a2 = await evalStats(redis);
      qCalibrated += ((a1.usec - a0.usec) * calibrationQuietUs) / (a2.usec - a1.usec);
    }
    const node = cpuMs(process.cpuUsage(c0));
    const single: number[] = [];
    const ss0 = await evalStats(redis);
    for (let i = 0; i < queryRounds; i++) {
      const t = performance.now();
      await engine.queryMany('default', [scopes[1 + (i % (scopes.length - 4))]!], window, end + 1000 + i * 250);
      single.push(performance.now() - t);
    }
    const ss1 = await evalStats(redis);
    single.sort((x, y) => x - y);
    console.log(
      JSON.stringify({
        phase: `queryMany ${window}`,
        scopes: scopes.length,
        replyBytes: lastReplyBytes,
        redisMsPerCall: +((s1.usec - s0.usec) / 1000 / queryRounds).toFixed(2),
        redisCalibratedMs: +(qCalibrated / 1000 / queryRounds).toFixed(2),
        nodeMsPerCall: +(node / queryRounds).toFixed(2),
        wallMsPerCall: +(wall / queryRounds).toFixed(2),
        oneScopeRedisMs: +((ss1.usec - ss0.usec) / 1000 / queryRounds).toFixed(3),
        oneScopeWallP50: +single[Math.floor(single.length / 2)]!.toFixed(2),
        oneScopeWallP99: +single[Math.min(single.length - 1, Math.floor(single.length * 0.99))]!.toFixed(2),
      }),
    );
  }
  const mem = await redis.info('memory');
  console.log(JSON.stringify({ phase: 'memory', usedMemory: /used_memory:(\d+)/.exec(mem)?.[1], keys: await redis.dbsize() }));
  redis.disconnect();
  await server.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
