import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, parseEnv } from '../config/env.ts';
import { DataDirInUseError, RedisNotInstalledError, redisServerAvailable } from '../redis/launcher.ts';
import { Redis } from 'ioredis';
import { defaultKeyPrefix, Keys } from '../redis/keys.ts';
import { startServer } from '../server.ts';
import { DemoResetRefused, resetDemoCenter } from './demo-reset.ts';
import { simulatorParams } from '../simulator/options.ts';
import { daytimeShiftMinutes, runLive, utcOffsetMinutes } from '../simulator/run.ts';
import { BaselineBackfill, baselineDefaults, planBaselineDays } from './demo-baseline.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * `npm run demo`: from a fresh clone to a live board in under a minute. Makes sure redis-server
 * exists, builds the client if needed, starts the server with the embedded Redis and the demo
 * config, back-fills the traffic-spike baseline (the same hours on the last working days, see
 * demo-baseline.ts), posts two hours of simulated history, then keeps the simulated center running live.
 */
const root = resolve(import.meta.dirname, '../..');
const demoConfig = join(root, 'server/config/examples/demo.yaml');

// bounds within simulatorParams': a flag it would refuse must fail here, before the server starts
const demoArgs = z.strictObject({
  rate: z.coerce.number().positive().max(100).default(1),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).optional(),
  // A spike the center-wide traffic-spike rule can see: 5x traffic on one queue for 5 minutes
  // takes the center's 15-minute arrivals past 1.3x the baseline about 4 min after it starts
  // whenever it hits one of the three big queues (simulator defaults, 3x for 150 s every 600 s,
  // peak at about 1.2-1.3x: noise-level flickers). Every 30 minutes: the alert clears in between.
  spikeEvery: z.coerce.number().int().min(0).max(86_400).default(1800),
  spikeDuration: z.coerce.number().int().min(1).max(3600).default(300),
  spikeFactor: z.coerce.number().min(1).max(50).default(5),
  prefill: z.coerce.number().int().min(0).max(24 * 60).default(120),
  realTimeOfDay: z.boolean().default(false),
  noBaseline: z.boolean().default(false),
});

/** zod names the camelCase key (spikeEvery), which is no option of this command */
const flagOf: Record<string, string> = {
  spikeEvery: '--spike-every',
  spikeDuration: '--spike-duration',
  spikeFactor: '--spike-factor',
  realTimeOfDay: '--real-time-of-day',
  noBaseline: '--no-baseline',
};
const flagName = (key: PropertyKey | undefined) => (key === undefined ? 'options' : (flagOf[String(key)] ?? `--${String(key)}`));

function say(msg: string): void {
  console.log(`\x1b[36m[demo]\x1b[0m ${msg}`);
}

function ensureRedis(binary: string): void {
  if (redisServerAvailable(binary)) return;
  const isRoot = process.getuid?.() === 0;
  const debian = existsSync('/etc/debian_version') && spawnSync('apt-get', ['--version']).status === 0;
  if (isRoot && debian) {
    say('redis-server is not installed. You are root on Debian/Ubuntu, so I am installing it now:');
    say('  apt-get update && apt-get install -y redis-server');
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'redis-server']]) {
      const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.status !== 0) throw new RedisNotInstalledError(binary);
    }
    if (redisServerAvailable(binary)) return;
  }
  throw new RedisNotInstalledError(binary);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureClientBuilt(): void {
  const index = join(root, 'dist/client/index.html');
  const sources = Math.max(newestMtime(join(root, 'client')), newestMtime(join(root, 'shared')), statSync(join(root, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  say(existsSync(index) ? 'client sources changed: rebuilding (vite build)…' : 'building the client (vite build)…');
  const vite = join(root, 'node_modules/.bin/vite');
  const r = spawnSync(vite, ['build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('vite build failed (see above); try `npm install` first');
}

const usage = [
  'usage: npm run demo -- [--rate N] [--seed N] [--spike-every SEC] [--spike-duration SEC] [--spike-factor X]',
  '                        [--prefill MIN] [--real-time-of-day] [--no-baseline]',
  "  --no-baseline  skip back-filling this time of day on the last working days (it arms the traffic-spike",
  '                 alert at start, costs a few seconds, and keeps those days ahead of the clock while running)',
  '  the server listens on PORT (default 3000): PORT=3001 npm run demo',
].join('\n');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      seed: { type: 'string' },
      'spike-every': { type: 'string' },
      'spike-duration': { type: 'string' },
      'spike-factor': { type: 'string' },
      'no-baseline': { type: 'boolean' },
      prefill: { type: 'string' },
      'real-time-of-day': { type: 'boolean' },
    },
    strict: true,
  });
  const args = demoArgs.parse({
    rate: values.rate,
    seed: values.seed,
    spikeEvery: values['spike-every'],
    spikeDuration: values['spike-duration'],
    spikeFactor: values['spike-factor'],
    noBaseline: values['no-baseline'],
    prefill: values.prefill,
    realTimeOfDay: values['real-time-of-day'],
  });
  const started = Date.now();
  const overrides: NodeJS.ProcessEnv = {
    CONFIG: process.env.CONFIG ?? demoConfig,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const env = parseEnv({ ...process.env, ...overrides });
  const externalRedis = env.REDIS_URL !== undefined || env.REDIS_SENTINELS !== undefined;
  if (!externalRedis) ensureRedis(env.REDIS_SERVER_BIN);
  ensureClientBuilt();

  say(`starting the server (data in ${resolve(env.DATA_DIR)}, ${env.REDIS_SENTINELS ? 'Redis through REDIS_SENTINELS' : env.REDIS_URL ? 'Redis at REDIS_URL' : 'embedded Redis'})…`);
  const server = await startServer(overrides, {
    beforeBuild: async (connection, config) => {
      const center = config.centers[0]!.id;
      const redis = new Redis({ ...connection, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const { removed } = await resetDemoCenter(redis, new Keys(defaultKeyPrefix), center);
        if (removed > 0) say(`cleared the previous demo run (center "${center}", ${removed} keys): every run starts afresh`);
      } finally {
        redis.disconnect();
      }
    },
  });
  const { app } = server;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const config = app.config;
  const center = config.centers[0]!;
  const token = (role: 'display' | 'lead' | 'ingest') =>
    (role === 'ingest' ? config.tokens.find((t) => t.role === 'ingest' && t.name === 'demo-simulator') : undefined)?.token ??
    config.tokens.find((t) => t.role === role)?.token ??
    config.tokens.find((t) => t.role === 'admin')?.token;
  const utcOffsetMin = utcOffsetMinutes(center.timeZone);
  const dayShiftMin = args.realTimeOfDay ? 0 : daytimeShiftMinutes(utcOffsetMin);
  if (dayShiftMin !== 0) {
    say(`it is night in ${center.timeZone}; the demo center runs a mid-morning traffic profile so there is something to see`);
    say('  (npm run demo -- --real-time-of-day  keeps the real, quiet night)');
  }
  const params = simulatorParams.parse({
    seed: args.seed ?? Math.floor(Date.now() / 1000) % 100_000,
    rate: args.rate,
    spikeEvery: args.spikeEvery,
    spikeDuration: args.spikeDuration,
    spikeFactor: args.spikeFactor,
    center: center.id,
    utcOffsetMin,
    dayShiftMin,
  });

  const abort = new AbortController();
  let stoppingSince = 0;
  const shutdown = async (signal: string) => {
    if (stoppingSince) {
      // npm, tsx and node all see a terminal Ctrl-C and tsx relays it too: only a second press
      // a moment later means "stop waiting"
      if (Date.now() - stoppingSince < 1500) return;
      console.log('\nforced exit');
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping the simulator, the server and Redis…`);
    abort.abort();
    await server.stop();
    say('stopped cleanly.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const ingestToken = token('ingest');
  // alerts judge "now": half-posted history would raise (and at once resolve) alerts of the past
  if (args.prefill > 0 || !args.noBaseline) await app.alerts.pauseEvaluation();
  if (!args.noBaseline) {
    const plan = planBaselineDays({
      nowMs: Date.now(),
      timeZone: center.timeZone,
      fallbackDays: config.alerts.spike.fallbackDays,
      lateEventHours: config.retention.lateEventHours,
    });
    if (plan.days.length === 0) {
      say(`traffic-spike baseline not back-filled: ${plan.reason} (the lead console says "not armed")`);
    } else {
      say(
        `arming the traffic-spike alert: back-filling this time of day on the last ${plan.days.length} ` +
          `${plan.days[0]!.kind === 'weekend' ? 'weekend days' : 'working days'} (--no-baseline skips this)…`,
      );
      const t0 = Date.now();
      const backfill = new BaselineBackfill({
        params,
        url: base,
        ...(ingestToken ? { token: ingestToken } : {}),
        plan,
        timeZone: center.timeZone,
        signal: abort.signal,
        log: (m) => say(`baseline: ${m}`),
      });
      await backfill.extend(Date.now(), (day, events) =>
        say(`  ${day.date} (${day.daysAgo} ${day.daysAgo === 1 ? 'day' : 'days'} ago): ${events.toLocaleString('en-US')} events`),
      );
      // what the lead console will be told, not what the back-fill meant to do
      const spikeRules = await app.alerts.spikeStatus(Date.now(), center.id);
      const notArmed = spikeRules.find((r) => !r.armed);
      say(
        `baseline in: ${backfill.events.toLocaleString('en-US')} events in ${((Date.now() - t0) / 1000).toFixed(1)} s` +
          `${backfill.rejected > 0 ? ` (${backfill.rejected} rejected)` : ''}; ` +
          (notArmed
            ? `the traffic-spike alert is still not armed: ${notArmed.reason?.text.en ?? 'no baseline'}`
            : `the traffic-spike alert is armed (those days keep ${baselineDefaults.aheadMin} min ahead of the clock until midnight local)`),
      );
      void (async () => {
        // minutes of traffic per day every few minutes: a small load beside the live feed
        while (!backfill.done && !abort.signal.aborted) {
          try {
            await sleep(5 * 60_000, undefined, { signal: abort.signal });
            await backfill.extend(Date.now());
          } catch (err) {
            if (abort.signal.aborted) return;
            say(`baseline back-fill stopped: ${err instanceof Error ? err.message : err}`);
            return;
          }
        }
      })();
    }
  }
  if (args.prefill > 0) say(`posting ${args.prefill} minutes of simulated history so the trend charts are not empty…`);
  const live = runLive({
    params,
    url: base,
    ...(ingestToken ? { token: ingestToken } : {}),
    prefillMin: args.prefill,
    signal: abort.signal,
    log: (m) => say(`simulator: ${m}`),
    onLive: ({ prefilledEvents }) => {
      app.alerts.resumeEvaluation();
      const tokenHash = token('display') ? `#token=${token('display')}` : '';
      const wall = `${base}/wall${tokenHash}`;
      // /wall is the built-in board (one row per channel); the configured ones, with their titles
      // and rotation, live at /wall/<board>: name the first, or nobody finds them
      const board = config.boards[0];
      const boards = board ? `${base}/wall/${board.id}${tokenHash}` : undefined;
      const lead = `${base}/lead${token('lead') ? `#token=${token('lead')}` : ''}`;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        [
          '',
          `  \x1b[1mWallboard demo is live\x1b[0m (${secs} s; ${prefilledEvents} events of history; seed ${params.seed})`,
          '',
          `  Wall (大屏):          ${wall}`,
          ...(boards ? [`  Boards (轮播大屏):     ${boards}  (rotates through the configured boards)`] : []),
          `  Lead console (班长台): ${lead}`,
          '',
          `  health ${base}/healthz   ready ${base}/readyz   metrics ${base}/metrics`,
          `  Simulated bank center: 5 queues (voice, text, video), a traffic spike (${params.spikeFactor}x on one queue for ${params.spikeDuration} s) every ${params.spikeEvery} s.`,
          '  Every screen shows "DEMO DATA / 演示数据". Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
    },
  });
  live.catch(async (err) => {
    if (abort.signal.aborted) return;
    console.error(`simulator stopped: ${err instanceof Error ? err.message : err}`);
    await shutdown('error');
  });
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof RedisNotInstalledError || err instanceof DemoResetRefused || err instanceof DataDirInUseError) {
    console.error(`\n${err.message}\n`);
  } else if ((err as { code?: string }).code === 'EADDRINUSE') {
    console.error(`\nThe port is already in use (is another wallboard running?). Try: PORT=3001 npm run demo\n`);
  } else if (err instanceof z.ZodError) {
    console.error(`Invalid option: ${err.issues.map((i) => `${flagName(i.path[0])}: ${i.message}`).join('; ')}\n\n${usage}`);
  } else if (String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(err as Error).message}\n\n${usage}`);
  } else console.error(err);
  process.exit(1);
});
