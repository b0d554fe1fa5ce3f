import { parseReplayArgs, UsageError } from '../replay/options.ts';
import { runReplay } from '../replay/run.ts';

/** `npm run replay -- …`: real data through the real HTTP API (see server/replay/run.ts). */
async function main(): Promise<number> {
  let options;
  try {
    options = parseReplayArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const outcome = await runReplay(options);
  return outcome.exitCode;
}

// Ids are deterministic, so an interrupted replay is finished by running it again.
process.once('SIGINT', () => {
  process.stderr.write(
    '\nreplay: interrupted. Run the same command again: events already stored come back as "duplicate", nothing is counted twice.\n',
  );
  process.exit(130);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`replay: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
