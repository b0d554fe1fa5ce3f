import { parseArgs } from 'node:util';
import { z } from 'zod';
import { isValidTimeZone } from '../../shared/metrics/windows.ts';
import { generateBatches } from '../simulator/generate.ts';
import { simulatorParams } from '../simulator/options.ts';
import { runLive, utcOffsetMinutes } from '../simulator/run.ts';

/**
 * `npm run simulate -- --url http://127.0.0.1:3000 --token T [--rate 2] [--agents 150] …`
 * Feeds a running server with the demo center in real time (after posting `--prefill` minutes of
 * history), or with `--from/--to` prints a simulated period as NDJSON on stdout, as fast as possible.
 */
const usage = `Usage: npm run simulate -- [options]
  --url URL            server base URL (default http://127.0.0.1:3000)
  --token T            ingest token (role ingest or admin); not needed for a dev server on loopback
  --rate X             multiplier of the base arrival curve (default 1 ≈ 10–11k contacts/day, peak ≈ 950/h)
  --agents N           roster size over all shifts (default: staffed for the load, ≈ 130 at rate 1)
  --queues N           number of queues, 1–5 from the bank catalog, more = numbered copies (default 5)
  --seed N             random seed: the same seed and options give the same event stream (default 1)
  --spike-every S      a traffic spike on one queue every S seconds, 0 = none (default 600)
  --spike-duration S   spike length in seconds (default 150)
  --spike-factor X     arrival multiplier during a spike (default 3)
  --center ID          center id of the events (default "default")
  --time-zone TZ       center time zone for the intraday curve and shifts (default Asia/Shanghai)
  --day-shift MIN      shift the simulated time of day by MIN minutes (default 0)
  --prefill MIN        minutes of history to post before going real-time (default 0)
  --tick MS            real-time posting interval (default 300)
  --from ISO --to ISO  offline: print the events of that period as NDJSON on stdout and exit`;

const cliArgs = z.strictObject({
  url: z.string().url().default('http://127.0.0.1:3000'),
  token: z.string().min(1).optional(),
  // checked here, or utcOffsetMinutes() throws a bare "Invalid time zone specified" naming no flag
  timeZone: z.string().refine(isValidTimeZone, { message: 'unknown IANA time zone (e.g. Asia/Shanghai)' }).default('Asia/Shanghai'),
  prefill: z.coerce.number().int().min(0).max(24 * 60).default(0),
  tick: z.coerce.number().int().min(50).max(10_000).default(300),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      rate: { type: 'string' },
      agents: { type: 'string' },
      queues: { type: 'string' },
      seed: { type: 'string' },
      'spike-every': { type: 'string' },
      'spike-duration': { type: 'string' },
      'spike-factor': { type: 'string' },
      center: { type: 'string' },
      'time-zone': { type: 'string' },
      'day-shift': { type: 'string' },
      prefill: { type: 'string' },
      tick: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const cli = cliArgs.parse({
    url: values.url,
    token: values.token ?? process.env.SIMULATOR_TOKEN,
    timeZone: values['time-zone'],
    prefill: values.prefill,
    tick: values.tick,
    from: values.from,
    to: values.to,
  });
  const params = simulatorParams.parse({
    seed: values.seed,
    rate: values.rate,
    agents: values.agents,
    queues: values.queues,
    spikeEvery: values['spike-every'],
    spikeDuration: values['spike-duration'],
    spikeFactor: values['spike-factor'],
    center: values.center,
    utcOffsetMin: utcOffsetMinutes(cli.timeZone),
    dayShiftMin: values['day-shift'],
  });

  if (cli.from || cli.to) {
    if (!cli.from || !cli.to) throw new UsageError('--from and --to go together');
    for (const batch of generateBatches({ ...params, from: Date.parse(cli.from), to: Date.parse(cli.to) })) {
      process.stdout.write(batch.map((e) => JSON.stringify(e)).join('\n') + '\n');
    }
    return;
  }

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  console.log(`simulating the demo bank center → ${cli.url} (seed ${params.seed}, rate ${params.rate}); Ctrl-C stops`);
  const live = runLive({
    params,
    url: cli.url,
    ...(cli.token ? { token: cli.token } : {}),
    prefillMin: cli.prefill,
    tickMs: cli.tick,
    signal: abort.signal,
    log: (m) => console.log(`[simulator] ${m}`),
    onLive: ({ prefilledEvents }) => {
      if (prefilledEvents) console.log(`posted ${prefilledEvents} events of history; now live`);
    },
  });
  const poster = await live.catch((err: unknown) => {
    // Ctrl-C while waiting for the server is a normal stop, not an error
    if (abort.signal.aborted) return undefined;
    throw err;
  });
  if (!poster) return;
  const t = poster.totals;
  console.log(`stopped: ${t.accepted} accepted, ${t.duplicate} duplicate, ${t.rejected} rejected in ${t.requests} requests`);
}

class UsageError extends Error {}

/**
 * The flag a person typed for a key of the parsed options: zod names the camelCase key
 * (spikeFactor), which is no option of this command. utcOffsetMin comes from --time-zone.
 */
const flagOf: Record<string, string> = {
  timeZone: '--time-zone',
  spikeEvery: '--spike-every',
  spikeDuration: '--spike-duration',
  spikeFactor: '--spike-factor',
  dayShiftMin: '--day-shift',
  utcOffsetMin: '--time-zone',
  token: '--token (or SIMULATOR_TOKEN)',
};
const flagName = (key: PropertyKey | undefined) => (key === undefined ? 'options' : (flagOf[String(key)] ?? `--${String(key)}`));

main().catch((err) => {
  if (err instanceof z.ZodError) {
    console.error(`Invalid option: ${err.issues.map((i) => `${flagName(i.path[0])}: ${i.message}`).join('; ')}\n\n${usage}`);
  } else if (err instanceof UsageError || String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(err as Error).message}\n\n${usage}`);
  } else console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
