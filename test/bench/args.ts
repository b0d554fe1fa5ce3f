import { z } from 'zod';

/** Command line of `npm run bench`, validated with zod so a typo fails before anything starts. */
export const benchArgs = z.strictObject({
  quick: z.boolean().default(false),
  /** write the JSON summary here too (it is always written under .bench/) */
  json: z.string().min(1).optional(),
  /** run the server child under `node --cpu-prof` and print its hottest functions */
  profile: z.boolean().default(false),
  /** repetitions of each throughput measurement (≥ 3: medians of noisy machines) */
  reps: z.number().int().min(3).max(20).optional(),
  /** seconds per throughput repetition */
  seconds: z.number().positive().max(60).optional(),
});
export type BenchArgs = z.infer<typeof benchArgs>;

const booleanFlags = new Set(['quick', 'profile']);
const valueFlags = new Set(['json', 'reps', 'seconds']);

/** `--quick --json out.json --reps 5` → validated options; unknown flags are errors. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new z.ZodError([{ code: 'custom', path: [], message: `unexpected argument "${arg}"`, input: arg }]);
    const name = m[1]!;
    if (booleanFlags.has(name)) raw[name] = true;
    else if (valueFlags.has(name)) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new z.ZodError([{ code: 'custom', path: [name], message: 'needs a value', input: undefined }]);
      raw[name] = name === 'json' ? value : Number(value);
    } else raw[name] = true; // strictObject reports it as an unrecognized key
  }
  return benchArgs.parse(raw);
}
