import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('npm run demo', () => {
  it('answers an unknown option with the usage, not a stack trace', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/demo.ts', '--port', '3111'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Unknown option '--port'");
    expect(r.stderr).toContain('PORT=3001 npm run demo');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
