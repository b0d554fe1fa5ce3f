/**
 * The metrics-query client, in its own process (forked by scenarios.ts `metricsQueryLatency`): a
 * dashboard polling the API is a small program, not the benchmark driver whose heap holds every
 * simulated event, so the driver's garbage collections must not land in the measured latency.
 * Input (IPC): {port, token, paths, requests, warmMs}. Output (IPC): {times, serverTimes, errors}.
 */
import { Agent } from 'node:http';
import { getJson } from './load.ts';

interface Job {
  port: number;
  token: string;
  paths: string[];
  requests: number;
  warmMs: number;
}

process.once('message', (job: Job) => {
  void (async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const warmUntil = performance.now() + job.warmMs;
    for (let i = 0; i < 200 || performance.now() < warmUntil; i++) await getJson(agent, job.port, job.paths[i % job.paths.length]!, job.token);
    const times: number[] = [];
    const serverTimes: number[] = [];
    let errors = 0;
    for (let i = 0; i < job.requests; i++) {
      const r = await getJson(agent, job.port, job.paths[i % job.paths.length]!, job.token);
      if (r.status !== 200) errors++;
      times.push(r.ms);
      if (Number.isFinite(r.serverMs)) serverTimes.push(r.serverMs);
    }
    agent.destroy();
    process.send!({ times, serverTimes, errors }, () => process.exit(0));
  })();
});
