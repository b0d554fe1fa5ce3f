import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
// offline mode: prints events and exits, never reaches a server
const offline = ['--from', '2026-11-23T02:00:00Z', '--to', '2026-11-23T02:00:01Z'];

// Found in review: a bad value was answered with the internal key (--spikeFactor) or, for a time
// zone, with Intl's "Invalid time zone specified" and no flag at all: the user cannot tell which
// option to fix.
describe('CLI errors name the flag the user typed', () => {
  it('simulate: --spike-factor, --day-shift and --spike-every by their flags', () => {
    const r = run('server/cli/simulate.ts', [...offline, '--spike-factor', '0.5', '--day-shift', '5000', '--spike-every=-1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--spike-factor: ');
    expect(r.stderr).toContain('--day-shift: ');
    expect(r.stderr).toContain('--spike-every: ');
    expect(r.stderr).not.toMatch(/--(spikeFactor|dayShiftMin|spikeEvery)\b/);
  });

  it('simulate: an unknown --time-zone is refused as such, naming the flag', () => {
    const r = run('server/cli/simulate.ts', [...offline, '--time-zone', 'Asia/Nowhere']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--time-zone: unknown IANA time zone');
    expect(r.stderr).toContain('Usage: npm run simulate');
  });

  it('demo: --spike-every by its flag, refused before anything starts', () => {
    // 999999 passed the demo's own check and was refused by the simulator only after the server,
    // Redis and a client build had started
    const r = run('server/cli/demo.ts', ['--spike-every=999999']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--spike-every: ');
    expect(r.stderr).not.toContain('--spikeEvery');
    expect(r.stdout).not.toContain('starting the server');
  }, 90_000);
});
