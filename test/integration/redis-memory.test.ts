import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisMetricEngine } from '../../server/metrics/engine.ts';
import { Keys } from '../../server/redis/keys.ts';
import { defineScripts } from '../../server/redis/scripts.ts';
import { appConfig, type AppConfig } from '../../shared/contract/config.ts';
import type { ContractEvent } from '../../shared/contract/events.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';
import { engineApp, T0, min, sec } from './engine-helpers.ts';

/**
 * Memory must be bounded by retention, not by the number of events ever seen. Every key the
 * ingest script creates either carries a TTL derived from retention, or belongs to a class bounded
 * by the size of the center (queues, agents, dimensions).
 */

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

/** contacts (4 events + 3 agent states each) around `t`, one in ten left waiting, one in ten late */
function traffic(t: number, n: number, seed: number, center = 'default'): ContractEvent[] {
  const out: ContractEvent[] = [];
  for (let k = 0; k < n; k++) {
    const c = `c${seed}-${k}`;
    const q = `q${k % 7}`;
    const ag = `a${k % 40}`;
    const at = t + k * 37;
    const base = { center };
    out.push({ ...base, id: `${c}q`, type: 'contact.queued', ts: at, contactId: c, queue: q, channel: k % 3 ? 'voice' : 'text' });
    if (k % 10 === 0) continue;
    out.push({ ...base, id: `${c}a`, type: 'contact.answered', ts: at + 900, contactId: c, agentId: ag });
    out.push({ ...base, id: `${c}s1`, type: 'agent.state', ts: at + 900, agentId: ag, state: 'on_contact', team: `t${k % 4}`, queues: [q] });
    out.push({ ...base, id: `${c}e`, type: 'contact.ended', ts: at + 1500, contactId: c, agentId: ag });
    out.push({ ...base, id: `${c}s2`, type: 'agent.state', ts: at + 1500, agentId: ag, state: 'acw' });
    out.push({ ...base, id: `${c}w`, type: 'contact.wrapped', ts: at + 1800, contactId: c, agentId: ag });
    out.push({ ...base, id: `${c}s3`, type: 'agent.state', ts: at + 1800, agentId: ag, state: 'available' });
  }
  return out;
}

async function scanAll(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `{${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** key classes without TTL, each bounded by queues, agents or dimensions (qthr: by queues, its changes pruned to the interval retention at each start; or one per process
 * prefix: the KPI pack's layout marker) */
const bounded = /:(meta|qmap|qthr|agents|live:[^:]+.*|at:.+|ap:.+|w:.+)$|:kpi\}:layout$/;

describe('Redis memory is bounded by retention', () => {
  it('every growing key carries a TTL no longer than its retention (48 h contacts, 61 min 1 s buckets, 121 min 60 s buckets, 40 days intervals)', async () => {
    const h = await engineApp({ now: T0 });
    cleanup.push(() => h.app.close());
    const redis = new Redis({ port: testRedisPort() });
    cleanup.push(async () => void (await redis.quit()));
    // six simulated hours, with late events re-touching older contacts
    for (let hour = 0; hour < 6; hour++) {
      h.clock.set(T0 + hour * 3_600_000);
      const t = h.clock.now() - min(30);
      const r = await h.engine.ingest(traffic(t, 150, hour), h.clock.now());
      expect(r.outcomes.every((o) => o.status === 'accepted')).toBe(true);
    }
    const keys = await scanAll(redis, h.prefix);
    const pipe = redis.pipeline();
    for (const k of keys) pipe.pttl(k);
    const ttls = (await pipe.exec())!.map(([, v]) => Number(v));
    const classes = new Map<string, number>();
    keys.forEach((key, i) => {
      const ttl = ttls[i]!;
      const kind = key.slice(key.indexOf('}:') + 2).split(':')[0]!;
      classes.set(kind, (classes.get(kind) ?? 0) + 1);
      if (bounded.test(key)) return;
      expect(ttl, key).toBeGreaterThan(0);
      const level = /:k?b:(\d+):/.exec(key)?.[1];
      // ct = core contacts, kc/kb = the KPI pack's contacts/buckets (same retention rules)
      // contact records: last event + lateEventHours, rounded up to the core's 10-minute expiry step, plus one step of headroom
      if (kind === 'ct' || kind === 'kc') expect(ttl, `${key} expires before its late-event window`).toBeGreaterThan(48 * 3_600_000 - 7 * 3_600_000);
      const max =
        kind === 'ct' || kind === 'kc'
          ? 48 * 3_600_000 + min(20) + sec(60)
          : kind === 'ad'
            ? 48 * 3_600_000 + 86_400_000 * 2
            : level === '900' || !level
              ? 40 * 86_400_000 + 86_400_000
              : level === '60'
                ? min(121) + min(1) + sec(60)
                : min(61) + min(1) + sec(60);
      expect(ttl, key).toBeLessThanOrEqual(max);
    });
    // the classes without TTL stay small: 7 queues, 40 agents, a few dozen dimensions
    const noTtl = keys.filter((k, i) => ttls[i] === -1);
    expect(noTtl.every((k) => bounded.test(k))).toBe(true);
    expect(noTtl.length).toBeLessThan(7 + 2 * 40 + 60);
    expect(classes.get('b')).toBeGreaterThan(0);
  });

  it('key count and used_memory plateau while events keep coming (retention shrunk to seconds)', async () => {
    // Redis time cannot be faked, so this run uses the real clock with retention of a few seconds:
    // every key class must then stop growing although the event count grows linearly.
    const base = appConfig.parse({});
    const config: AppConfig = {
      ...base,
      retention: { lateEventHours: 2 / 3600, intervalDays: 3 / 86_400, waitingTimeoutMin: 2 / 60 },
    };
    const redis = new Redis({ port: testRedisPort() });
    cleanup.push(async () => void (await redis.quit()));
    defineScripts(redis);
    const prefix = uniquePrefix('mem');
    const engine = new RedisMetricEngine(redis, new Keys(prefix), config, { fineRetention: { secondMs: 2000, minuteMs: 2000 } });
    await engine.init(Date.now());
    const samples: { events: number; keys: number; memory: number }[] = [];
    let events = 0;
    const memory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    for (let round = 0; round < 16; round++) {
      const now = Date.now();
      const batch = traffic(now - 1900, 60, round);
      const r = await engine.ingest(batch, now);
      expect(r.outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
      events += batch.length;
      await sleep(500);
      samples.push({ events, keys: (await scanAll(redis, prefix)).length, memory: await memory() });
    }
    const early = samples.slice(6, 9);
    const late = samples.slice(-3);
    const maxKeys = (s: typeof samples) => Math.max(...s.map((x) => x.keys));
    // twice the events, not more keys (allowing for expiry timing jitter)
    expect(late[2]!.events).toBeGreaterThan(1.7 * early[2]!.events);
    expect(maxKeys(late)).toBeLessThanOrEqual(maxKeys(early) * 1.3 + 20);
    // memory is shared with parallel tests, so only a loose bound: no linear growth with events
    expect(late[2]!.memory - early[0]!.memory).toBeLessThan(8 * 1024 * 1024);
  });
});
