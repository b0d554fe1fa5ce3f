import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { EmbeddedRedis, freePort } from '../../server/redis/launcher.ts';

/**
 * A real 3-master Redis Cluster for a test file: three `redis-server --cluster-enabled yes`
 * children started by the product's own launcher (same binary lookup, readiness wait and stop as
 * the standalone test Redis), joined by `redis-cli --cluster create` and ready once every node
 * reports `cluster_state:ok`. Nothing persists; `stop()` ends the children and removes the
 * temporary directory.
 */
export interface TestRedisCluster {
  /** the masters' client ports, in the order `redis-cli --cluster create` got them */
  ports: number[];
  /** one plain connection per master (CLUSTER commands, SCAN of that node) */
  nodes: Redis[];
  /** a cluster client; the caller quits it */
  client(): Cluster;
  /** the port of the master that owns `slot` */
  ownerOf(slot: number): number;
  stop(): Promise<void>;
}

const masterCount = 3;
const readyTimeoutMs = 20_000;

/** `count` distinct free loopback ports (the OS may hand a just-closed one out twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolveRun(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'wallboard-test-cluster-'));
  // Each node needs a client port and a cluster-bus port. The bus port is set explicitly
  // (`cluster-port`, Redis 7): the default, client port + 10000, does not exist for the free ports
  // above 55535 the OS often hands out, and nobody checked that it is free.
  const ports = await distinctFreePorts(masterCount * 2);
  const servers = ports.slice(0, masterCount).map(
    (port, i) =>
      new EmbeddedRedis({
        dataDir: join(dir, `node-${i}`),
        ephemeral: true,
        supervise: false,
        port,
        extraArgs: [
          '--cluster-enabled', 'yes',
          // relative to the node's --dir, so each node keeps its own
          '--cluster-config-file', 'nodes.conf',
          '--cluster-port', String(ports[masterCount + i]),
          '--cluster-node-timeout', '5000',
        ],
      }),
  );
  const nodes: Redis[] = [];
  const stop = async () => {
    for (const n of nodes) n.disconnect();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(servers.map((s) => s.start()));
    await run('redis-cli', ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const s of servers) nodes.push(new Redis({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 1 }));
    await waitClusterOk(nodes);
    const owners = await slotOwners(nodes[0]!);
    return {
      ports: servers.map((s) => s.port),
      nodes,
      client: () =>
        new Cluster([{ host: '127.0.0.1', port: servers[0]!.port }], {
          // every node runs on loopback; no replicas, so all commands go to masters
          scaleReads: 'master',
          redisOptions: { maxRetriesPerRequest: 1 },
        }),
      ownerOf: (slot) => {
        const range = owners.find((o) => slot >= o.from && slot <= o.to);
        if (!range) throw new Error(`slot ${slot} has no owner`);
        return range.port;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** every node agrees the cluster is up (all 16384 slots served) and knows all masters */
async function waitClusterOk(nodes: Redis[]): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(nodes.map((n) => n.cluster('INFO') as Promise<string>));
    const ok = infos.every((i) => /cluster_state:ok/.test(i) && new RegExp(`cluster_known_nodes:${masterCount}\\b`).test(i));
    if (ok) return;
    last = infos.join('\n');
    await sleep(50);
  }
  throw new Error(`the test Redis Cluster did not reach cluster_state:ok within ${readyTimeoutMs} ms:\n${last}`);
}

/** slot ranges and the client port of the master serving each (CLUSTER SLOTS) */
async function slotOwners(node: Redis): Promise<{ from: number; to: number; port: number }[]> {
  const slots = await node.cluster('SLOTS');
  return slots.map(([from, to, master]) => {
    if (!master) throw new Error(`CLUSTER SLOTS: no master for slots ${from}-${to}`);
    return { from, to, port: master[1] };
  });
}
