import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpiMetricEngine } from '../../server/kpi/engine.ts';
import { RedisMetricEngine } from '../../server/metrics/engine.ts';
import type { EngineQuery } from '../../server/metrics/types.ts';
import { Keys } from '../../server/redis/keys.ts';
import { defineScripts, loadScripts } from '../../server/redis/scripts.ts';
import { appConfig, type AppConfig } from '../../shared/contract/config.ts';
import type { ContractEvent } from '../../shared/contract/events.ts';
import { intervalMs, localMidnight, windowIds } from '../../shared/metrics/windows.ts';
import { deliveryArb, timeZone } from '../support/event-generators.ts';
import { kpiHistoryArb, type KpiHistory } from '../support/kpi-event-generators.ts';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.ts';
import { testRedisClient, uniquePrefix } from '../support/redis.ts';

/**
 * README, "One hash tag per center": every key of a center carries the tag `{<prefix>:<center>}`,
 * so each script's keys share one cluster slot and a Redis Cluster can spread centers over shards.
 * Checked here on a real 3-master cluster (test/support/redis-cluster.ts): centers whose tags land
 * on different masters ingest the same late, out-of-order, re-sent histories as on the standalone
 * test Redis, and every read (rolling windows, today, history, interval rows, trend series, agents,
 * KPI figures, scorecard) must give the very same answer. On the cluster two engine instances (two
 * server processes) take turns writing, so the fenced write and its MULTI also run there. Then every
 * key the engine created must sit in its center's slot, on the master that owns that slot, and be
 * the same key with the same content as on the standalone Redis.
 */
const SEED = 20261208;
const masters = 3;
/** batches (of any centers) merged into one ingest call, as one producer's request */
const batchesPerCall = 2;

let cluster: TestRedisCluster;
let standalone: Redis;
const clusterClients: Cluster[] = [];
const scripts = loadScripts();

beforeAll(async () => {
  cluster = await startRedisCluster();
  standalone = testRedisClient();
  defineScripts(standalone, scripts);
});

afterAll(async () => {
  await Promise.all(clusterClients.map((c) => c.quit().catch(() => c.disconnect())));
  await standalone?.quit();
  await cluster?.stop();
});

/** A cluster client with the product's Lua scripts defined (ioredis routes each call by its first
 * key: the center's tag). The engine is typed for a single Redis; the commands it uses exist on both. */
function clusterClient(): Redis {
  const client = cluster.client();
  clusterClients.push(client);
  const asRedis = client as unknown as Redis;
  defineScripts(asRedis, scripts);
  return asRedis;
}

interface PlacedCenter {
  center: string;
  slot: number;
  /** client port of the master owning the slot */
  port: number;
}

/**
 * Center names for `keys` (the slot depends on the prefix too): one on each master, then one more
 * sharing a master with another center (two centers on one shard, in different slots).
 */
async function centersOnEveryMaster(keys: Keys, extra: number): Promise<PlacedCenter[]> {
  const picked: PlacedCenter[] = [];
  for (let n = 1; n <= 500 && picked.length < masters + extra; n++) {
    const center = `center-${n}`;
    const slot = Number(await cluster.nodes[0]!.cluster('KEYSLOT', keys.center(center)));
    const port = cluster.ownerOf(slot);
    if (picked.some((p) => p.slot === slot)) continue;
    const coversEveryMaster = new Set(picked.map((p) => p.port)).size === masters;
    if (coversEveryMaster || !picked.some((p) => p.port === port)) picked.push({ center, slot, port });
  }
  expect(new Set(picked.map((p) => p.port)).size, 'the centers land on every master').toBe(masters);
  expect(picked).toHaveLength(masters + extra);
  return picked;
}

// ----------------------------------------------------------------------------------- workload

interface Workload {
  config: AppConfig;
  /** ingest calls in clock order; a call holds batches of several centers (one producer request) */
  calls: { nowMs: number; events: ContractEvent[] }[];
  /** the local midnight every center's history is placed around */
  midnightMs: number;
  queuesOf: Map<string, string[]>;
  groupsOf: Map<string, string[]>;
}

/** Of a few random KPI histories, the one with the most events among those that hold surveys and
 * IVR or robot sessions (a tiny or KPI-less sample would prove little). */
function richHistory(seed: number): KpiHistory {
  const samples = fc.sample(kpiHistoryArb({ maxContacts: 22, maxAgentSteps: 8 }), { numRuns: 12, seed });
  const has = (h: KpiHistory, prefix: string) => h.events.some((e) => e.type.startsWith(prefix));
  const withKpi = samples.filter((h) => has(h, 'survey.') && (has(h, 'ivr.') || has(h, 'bot.')));
  return (withKpi.length > 0 ? withKpi : samples).reduce((best, h) => (h.events.length > best.events.length ? h : best));
}

/**
 * One random KPI history per center (event-generators.ts: late, out of order, re-sent, semantic
 * duplicates, crossing a Shanghai midnight), moved by whole days onto one midnight so the centers'
 * traffic interleaves, delivered by deliveryArb and merged into multi-center ingest calls.
 * `coreOnly`: the core engine's events alone (it rejects the KPI pack's).
 */
function workload(centers: string[], coreOnly: boolean): Workload {
  const histories = centers.map((_, i) => richHistory(SEED + i));
  const midnightMs = Math.min(...histories.map((h) => h.midnightMs));
  const batches: { nowMs: number; events: ContractEvent[] }[] = [];
  const queuesOf = new Map<string, string[]>();
  const groupsOf = new Map<string, string[]>();
  histories.forEach((h, i) => {
    const center = centers[i]!;
    const shift = midnightMs - h.midnightMs; // 0 or whole days: the history keeps its place around midnight
    const events = (coreOnly ? h.core : h.events).map((e) => ({ ...e, center, ts: e.ts + shift }));
    const delivery = fc.sample(deliveryArb(events), { numRuns: 1, seed: SEED + 100 + i })[0]!;
    batches.push(...delivery.batches);
    queuesOf.set(center, h.fixture.queues.map((q) => q.id));
    groupsOf.set(center, h.fixture.groups.map((g) => g.id));
  });
  batches.sort((a, b) => a.nowMs - b.nowMs);
  const calls: Workload['calls'] = [];
  for (let i = 0; i < batches.length; i += batchesPerCall) {
    const group = batches.slice(i, i + batchesPerCall);
    calls.push({ nowMs: Math.max(...group.map((b) => b.nowMs)), events: group.flatMap((b) => b.events) });
  }
  const first = histories[0]!.fixture.config;
  const config = appConfig.parse({
    centers: centers.map((id) => ({ id, name: { zh: id, en: id }, timeZone })),
    defaults: first.defaults,
    retention: first.retention,
    queues: histories.flatMap((h, i) => h.fixture.config.queues.map((q) => ({ ...q, center: centers[i]! }))),
    groups: histories.flatMap((h, i) => h.fixture.config.groups.map((g) => ({ ...g, center: centers[i]! }))),
    teams: histories.flatMap((h, i) => h.fixture.config.teams.map((t) => ({ ...t, center: centers[i]! }))),
  });
  return { config, calls, midnightMs, queuesOf, groupsOf };
}

// ----------------------------------------------------------------------------------- reads

const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
/** an interval boundary before every event of the workload */
const historyStart = (w: Workload) => w.midnightMs - 5 * 3_600_000;
const floorInterval = (ms: number) => Math.floor(ms / intervalMs) * intervalMs;

function scopesOf(w: Workload, center: string): EngineQuery[] {
  return [
    { scope: { kind: 'all' } },
    ...w.queuesOf.get(center)!.map((queue) => ({ scope: { kind: 'queue', queue } }) as const),
    ...(['voice', 'text', 'video'] as const).map((channel) => ({ scope: { kind: 'channel', channel } }) as const),
    ...w.groupsOf.get(center)!.map((group) => ({ scope: { kind: 'group', group } }) as const),
    { scope: { kind: 'all' }, team: 'A' },
    { scope: { kind: 'all' }, team: 'B' },
  ];
}

/** Everything the engine answers about one center at `nowMs`, labelled, for a deep comparison. */
async function readEverything(engine: RedisMetricEngine, w: Workload, center: string, nowMs: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const scopes = scopesOf(w, center);
  for (const window of windowIds) out[`window ${window}`] = await engine.queryMany(center, scopes, window, nowMs);
  out['query 60m team B'] = await engine.query({ center, scope: { kind: 'all' }, team: 'B' }, '60m', nowMs);

  const asOfInterval = floorInterval(nowMs);
  const todayMidnight = localMidnight(nowMs, timeZone);
  const ranges: [string, number, number][] = [
    ['last hour', asOfInterval - 4 * intervalMs, asOfInterval],
    ['previous local day', todayMidnight - 24 * 3_600_000, todayMidnight],
  ];
  // the whole history (its contacts start at most 2.5 h before its midnight, agents up to 1.5 h
  // earlier still), and the intervals around midnight
  if (historyStart(w) < asOfInterval) ranges.push(['whole history', historyStart(w), asOfInterval]);
  if (w.midnightMs + 2 * intervalMs <= asOfInterval) ranges.push(['around midnight', w.midnightMs - 2 * intervalMs, w.midnightMs + 2 * intervalMs]);
  for (const [label, from, to] of ranges) {
    out[`history ${label}`] = await Promise.all(scopes.map((s) => engine.history({ center, ...s }, from, to, nowMs)));
  }
  for (const s of [scopes[0]!, scopes.find((x) => x.scope.kind === 'channel')!]) {
    out[`intervals ${JSON.stringify(s)}`] = await engine.intervals({ center, ...s }, asOfInterval - 12 * intervalMs, asOfInterval, nowMs);
  }
  // the trend chart's history: the window as it stood at minute ends and odd seconds of the last half hour
  const asOf = Math.floor(nowMs / 1000) * 1000;
  const ends = Array.from({ length: 30 }, (_, k) => asOf - k * 60_000 - (k % 3) * 7_000).sort((a, b) => a - b);
  out['series 15m'] = await engine.contactSeries(center, scopes.filter((s) => !s.team).map((s) => s.scope), '15m', ends, nowMs);
  out['series 60m'] = await engine.contactSeries(center, [{ kind: 'all' }], '60m', ends, nowMs);

  out['agents'] = await engine.agents(center, {}, nowMs);
  out['agents team A'] = await engine.agents(center, { team: 'A' }, nowMs);
  out['agents of a queue'] = await engine.agents(center, { queue: w.queuesOf.get(center)![0]! }, nowMs);
  out['agents available'] = await engine.agents(center, { state: 'available' }, nowMs);
  out['sequence'] = await engine.sequence(center);
  out['lastEventAt'] = await engine.lastEventAt(center);
  out['demoActive'] = await engine.demoActive(center, nowMs);
  if (engine instanceof KpiMetricEngine) out['scorecard'] = await engine.scorecard(center, nowMs);
  return out;
}

// ----------------------------------------------------------------------------------- keys

/** every key under `prefix` on one plain connection (a cluster node holds only its own slots) */
async function scanKeys(node: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

/** A key's type and content, comparable between two servers. The meta hash is left out: its
 * writer version and seal epoch are random per writer (figures derived from it are compared above). */
async function contentsOf(node: Redis, keys: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const types = (await node.pipeline(keys.map((k) => ['type', k])).exec())!.map(([, t]) => String(t));
  const reads = node.pipeline();
  keys.forEach((k, i) => {
    if (types[i] === 'hash') reads.hgetall(k);
    else if (types[i] === 'zset') reads.zrange(k, '0', '-1', 'WITHSCORES');
    else reads.type(k);
  });
  const values = (await reads.exec())!;
  keys.forEach((k, i) => {
    if (k.endsWith(':meta')) return;
    const v = values[i]![1];
    const canonical = types[i] === 'hash' ? Object.entries(v as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : v;
    out.set(k, `${types[i]} ${JSON.stringify(canonical)}`);
  });
  return out;
}

// ----------------------------------------------------------------------------------- tests

type Build = (redis: Redis, keys: Keys, config: AppConfig) => RedisMetricEngine;
const deployments: { label: string; coreOnly: boolean; build: Build }[] = [
  { label: 'core engine (server/metrics/engine.ts)', coreOnly: true, build: (r, k, c) => new RedisMetricEngine(r, k, c) },
  { label: 'KPI pack engine (server/kpi/engine.ts)', coreOnly: false, build: (r, k, c) => new KpiMetricEngine(r, k, c) },
];

describe('Redis Cluster: one hash tag per center', () => {
  it.each(deployments)(
    '$label answers on a 3-master cluster exactly as on a standalone Redis, every key in its center\'s slot',
    async ({ coreOnly, build }) => {
      const prefix = uniquePrefix(coreOnly ? 'clcore' : 'clkpi');
      const keys = new Keys(prefix);
      const placed = await centersOnEveryMaster(keys, 1);
      const centers = placed.map((p) => p.center);
      const w = workload(centers, coreOnly);

      // ioredis's own slot map routes each center's calls to the master that owns its slot
      const clusterWriters = [build(clusterClient(), keys, w.config), build(clusterClient(), keys, w.config)];
      const single = build(standalone, keys, w.config);
      const startMs = w.calls[0]!.nowMs;
      await single.init(startMs);
      for (const e of clusterWriters) await e.init(startMs);

      // every batch publishes {seq} on the center's channel; a Cluster forwards PUBLISH to every
      // node, so one pattern subscription on any node hears every center (server/realtime/plugin.ts)
      const subscriber = cluster.client();
      clusterClients.push(subscriber);
      const heard = new Map<string, number>();
      subscriber.on('pmessage', (_pattern: string, channel: string, message: string) => heard.set(channel, (JSON.parse(message) as { seq: number }).seq));
      await subscriber.psubscribe(keys.ingestedPattern());

      const compareAll = async (label: string, nowMs: number) => {
        for (const center of centers) {
          const [onCluster, onStandalone] = await Promise.all([
            readEverything(clusterWriters[0]!, w, center, nowMs),
            readEverything(single, w, center, nowMs),
          ]);
          expect(onCluster, `${label}: ${center}`).toEqual(onStandalone);
        }
      };

      const half = Math.ceil(w.calls.length / 2);
      for (const [i, call] of w.calls.entries()) {
        const [onCluster, onStandalone] = await Promise.all([
          clusterWriters[i % 2]!.ingest(call.events, call.nowMs),
          single.ingest(call.events, call.nowMs),
        ]);
        expect(onCluster, `ingest call ${i}`).toEqual(onStandalone);
        if (i === half - 1) await compareAll('mid-stream', ceilSecond(call.nowMs));
      }
      const endMs = ceilSecond(w.calls.at(-1)!.nowMs);
      await compareAll('end', endMs);
      // later: most buckets sealed, read from each engine's sealed-bucket cache the second time
      await compareAll('25 min later', endMs + 25 * 60_000);
      await compareAll('25 min later, again', endMs + 25 * 60_000);

      // the histories were not empty: something was counted in every center
      for (const center of centers) {
        const whole = await single.history({ center, scope: { kind: 'all' } }, historyStart(w), floorInterval(endMs) + intervalMs, endMs + intervalMs);
        expect(whole.offered, `${center} offered`).toBeGreaterThan(0);
        expect((await single.agents(center, {}, endMs)).length, `${center} agents`).toBeGreaterThan(0);
        if (!coreOnly) expect(whole.kpi!.ratings + whole.kpi!.ivrSessions + whole.kpi!.botSessions, `${center} KPI events`).toBeGreaterThan(0);
      }

      // every key of a center lives in the center's slot, on the master that owns it ...
      const clusterKeys: string[] = [];
      const misplaced: string[] = [];
      const keysPerCenter = new Map<string, number>();
      for (const [n, node] of cluster.nodes.entries()) {
        const found = await scanKeys(node, prefix);
        const slots = (await node.pipeline(found.map((k) => ['cluster', 'KEYSLOT', k])).exec())!.map(([, s]) => Number(s));
        found.forEach((key, i) => {
          clusterKeys.push(key);
          // the one process-wide key the engines write: the KPI pack's "no earlier layout left" marker
          if (key === keys.kpiLayoutChecked()) return;
          const center = key.slice(`{${prefix}:`.length, key.indexOf('}'));
          const home = placed.find((p) => p.center === center);
          keysPerCenter.set(center, (keysPerCenter.get(center) ?? 0) + 1);
          if (!home || slots[i] !== home.slot || cluster.ports[n] !== home.port) {
            misplaced.push(`${key}: slot ${slots[i]} on :${cluster.ports[n]}, center slot ${home?.slot} on :${home?.port}`);
          }
        });
      }
      expect(misplaced, 'keys outside their center\'s slot').toEqual([]);
      for (const p of placed) {
        const owner = cluster.nodes[cluster.ports.indexOf(p.port)]!;
        // ... and nothing else is in that slot
        expect(Number(await owner.cluster('COUNTKEYSINSLOT', String(p.slot))), `${p.center}: keys in slot ${p.slot}`).toBe(keysPerCenter.get(p.center));
        expect(keysPerCenter.get(p.center), `${p.center} has keys`).toBeGreaterThan(10);
      }

      // the same keys, with the same content, as on the standalone Redis
      const standaloneKeys = await scanKeys(standalone, prefix);
      expect(clusterKeys.sort()).toEqual(standaloneKeys);
      const standaloneContents = await contentsOf(standalone, standaloneKeys);
      for (const node of cluster.nodes) {
        const here = await contentsOf(node, await scanKeys(node, prefix));
        for (const [key, value] of here) expect(value, key).toBe(standaloneContents.get(key));
      }

      // every center's last sequence reached the subscriber
      for (const center of centers) {
        const want = await single.sequence(center);
        await expect.poll(() => heard.get(keys.ingested(center)), { timeout: 2000 }).toBe(want);
      }
    },
    60_000,
  );

  it('the KPI pack\'s start-up SCAN finds an earlier-layout kc: record on whichever master holds it', async () => {
    const prefix = uniquePrefix('clkc');
    const keys = new Keys(prefix);
    const placed = await centersOnEveryMaster(keys, 0);
    const config = appConfig.parse({ centers: placed.map((p) => ({ id: p.center, name: { zh: p.center, en: p.center } })) });
    const redis = clusterClient();
    const now = Date.now();
    // whether a fresh engine's writer will read a `kc:` record for a new contact (private state,
    // reached through a cast: its only effect is an extra read in later batches)
    const readsLegacy = async () => {
      // the marker a scan that finds nothing leaves would make the next engines skip theirs
      await redis.del(keys.kpiLayoutChecked());
      const engine = new KpiMetricEngine(redis, keys, config);
      await engine.init(now);
      const part = (engine as unknown as { part: { needsLegacy(h: ReadonlyMap<string, string>, now: number): boolean } }).part;
      return part.needsLegacy(new Map(), now);
    };
    expect(await readsLegacy(), 'nothing to carry over').toBe(false);
    for (const p of placed) {
      const record = keys.kpiContact(p.center, 'probe');
      await redis.hset(record, 'a', '{}');
      await redis.pexpire(record, 60_000);
      // several fresh engines: a SCAN sent to one random master would miss the record 2 times in 3
      for (let i = 0; i < 4; i++) expect(await readsLegacy(), `${record} on :${p.port}, engine ${i}`).toBe(true);
      await redis.del(record);
    }
  });
});
