import { parseArgs } from 'node:util';
import { z } from 'zod';
import { centerId, maxBatchSize } from '../../shared/contract/events.ts';
import { isValidTimeZone } from '../../shared/metrics/windows.ts';
import { isCalendarDate } from './time.ts';

export const replayFormats = ['anonymous-bank', 'asterisk-queue-log', 'ndjson'] as const;
export type ReplayFormat = (typeof replayFormats)[number];

/** Wall-clock zone of the Anonymous Bank data (Israel), used unless --timezone says otherwise. */
export const anonymousBankTimeZone = 'Asia/Jerusalem';
/** The product's default center zone, used for days and shifting of absolute-time formats. */
export const defaultShiftTimeZone = 'Asia/Shanghai';

const speedMessage = 'expected "max" or a positive number';
const day = z.string().refine(isCalendarDate, { message: 'expected a calendar date YYYY-MM-DD' });

export const replayOptionsSchema = z
  .strictObject({
    format: z.enum(replayFormats, { message: `expected one of ${replayFormats.join(', ')}` }),
    file: z.string({ message: 'required: the file to replay' }).min(1),
    from: day.optional(),
    to: day.optional(),
    shiftTo: day.optional(),
    timezone: z.string().refine(isValidTimeZone, { message: 'unknown IANA time zone (e.g. Asia/Shanghai)' }).optional(),
    center: centerId.optional(),
    speed: z
      .union([z.literal('max'), z.coerce.number().positive(speedMessage)], { message: speedMessage })
      .default('max'),
    url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL like http://127.0.0.1:3000' }).default('http://127.0.0.1:3000'),
    token: z.string().min(1).optional(),
    batch: z.coerce
      .number({ message: 'expected a whole number' })
      .int('expected a whole number')
      .min(1, 'must be at least 1')
      .max(maxBatchSize, `the API takes at most ${maxBatchSize} events per request`)
      .default(1000),
    dryRun: z.boolean().default(false),
    agents: z.boolean().default(false),
  })
  .refine((o) => !(o.from && o.to && o.from > o.to), { message: '--from must not be after --to', path: ['from'] });

export type ReplayOptions = z.output<typeof replayOptionsSchema>;
export type ReplayOptionsInput = z.input<typeof replayOptionsSchema>;

/** The zone a replay reads wall clocks and days in: explicit, else per format. */
export function effectiveTimeZone(o: Pick<ReplayOptions, 'format' | 'timezone'>): string {
  return o.timezone ?? (o.format === 'anonymous-bank' ? anonymousBankTimeZone : defaultShiftTimeZone);
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const usage = `Usage: npm run replay -- --format anonymous-bank|asterisk-queue-log|ndjson --file F
    [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--shift-to YYYY-MM-DD] [--timezone TZ]
    [--center C] [--speed max|N] [--url U] [--token T] [--batch N] [--agents] [--dry-run]

  --from/--to     source days to replay, inclusive (local days in --timezone)
  --shift-to      move the first selected day to this date, keeping local times of day
  --timezone      wall-clock zone: anonymous-bank default ${anonymousBankTimeZone} (its source zone);
                  other formats default ${defaultShiftTimeZone} (for days and shifting)
  --speed         max (default) = as fast as the server accepts; N = N× real time
  --url           server (default http://127.0.0.1:3000); --token or env WALLBOARD_TOKEN
  --batch         events per request, 1–${maxBatchSize} (default 1000)
  --agents        anonymous-bank / asterisk: synthesize agent.state from service legs
  --dry-run       read and convert only; print what would be sent`;

/** argv (without node and script) → validated options; every problem in one readable message. */
export function parseReplayArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ReplayOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        format: { type: 'string' },
        file: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'shift-to': { type: 'string' },
        timezone: { type: 'string' },
        center: { type: 'string' },
        speed: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        batch: { type: 'string' },
        'dry-run': { type: 'boolean' },
        agents: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
  if (values.help) throw new UsageError(usage);
  const input: Record<string, unknown> = {
    format: values.format,
    file: values.file,
    from: values.from,
    to: values.to,
    shiftTo: values['shift-to'],
    timezone: values.timezone,
    center: values.center,
    speed: values.speed,
    url: values.url,
    token: values.token ?? env.WALLBOARD_TOKEN,
    batch: values.batch,
    dryRun: values['dry-run'] ?? false,
    agents: values.agents ?? false,
  };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return validateReplayOptions(input);
}

const flagOf: Record<string, string> = { shiftTo: '--shift-to', dryRun: '--dry-run' };

export function validateReplayOptions(input: unknown): ReplayOptions {
  const result = replayOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const flag = key ? (flagOf[key] ?? `--${key}`) : 'options';
    const unknown = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    return `  ${flag}: ${issue.message}${unknown}`;
  });
  throw new UsageError(`Invalid arguments:\n${lines.join('\n')}\n\n${usage}`);
}
