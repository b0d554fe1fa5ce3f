/**
 * Records the `ingestBatch` calls of the engine-micro workload (the simulator, 30 min, 50 queues,
 * 500 agents, chunks of 1,000) to a JSON file for `test/bench/lua-profile.lua`:
 *
 *   npx tsx test/bench/dump-chunks.ts [.bench/chunks.json]
 *
 * Runs against its own ephemeral Redis (so the recorded `now` and queue map are real).
 */
import { Redis } from 'ioredis';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RedisMetricEngine } from '../../server/metrics/engine.ts';
import { EmbeddedRedis } from '../../server/redis/launcher.ts';
import { Keys } from '../../server/redis/keys.ts';
import { defineScripts } from '../../server/redis/scripts.ts';
import { generateBatches } from '../../server/simulator/generate.ts';
import { checkEvent } from '../../server/ingest/validate.ts';
import { appConfig } from '../../shared/contract/config.ts';

async function main(): Promise<void> {
  const out = process.argv[2] ?? '.bench/chunks.json';
  const server = new EmbeddedRedis({ dataDir: join(tmpdir(), `wb-dump-${process.pid}`), ephemeral: true, supervise: false });
  await server.start();
  const redis = new Redis({ ...server.connection });
  try {
    defineScripts(redis);
    const keys = new Keys('micro');
    const engine = new RedisMetricEngine(redis, keys, appConfig.parse({}));
    await engine.init(Date.now());
    const chunks: string[][] = [];
    const scripted = redis as unknown as { ingestBatch: (...a: string[]) => Promise<string> };
    const original = scripted.ingestBatch.bind(redis);
    scripted.ingestBatch = async (...a: string[]) => {
      chunks.push(a);
      return original(...a);
    };
    const end = Math.floor(Date.now() / 1000) * 1000;
    for (const b of generateBatches({ from: end - 30 * 60_000, to: end, rate: 2, queues: 50, agents: 500, seed: 11, center: 'default', spikeEvery: 0, batchSize: 1000 })) {
      const events = b.map((e) => {
        const r = checkEvent(JSON.parse(JSON.stringify(e)));
        if (!r.ok) throw new Error(r.reason);
        return r.event;
      });
      await engine.ingest(events, events[events.length - 1]!.ts + 500);
    }
    const qmap = await redis.hgetall(keys.queueMap('default'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ qmap, chunks }));
    console.log(`${chunks.length} chunks written to ${out}`);
  } finally {
    redis.disconnect();
    await server.stop();
  }
}

void main();
