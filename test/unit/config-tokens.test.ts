import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/config/env.ts';
import { loadConfig, parseConfigText } from '../../server/config/load.ts';
import type { Env } from '../../server/config/env.ts';

/**
 * One token, one role. Found in review (2026-12-07): a token listed twice (or in the file and in
 * INGEST_TOKENS) was accepted and acted as whichever entry came first, e.g. an admin token as ingest.
 */
const admin = 'admin-token-0123456789';

describe('configured tokens', () => {
  it('refuses a token listed twice in the config file', () => {
    const text = `tokens:\n  - { token: ${admin}, role: admin, name: ops }\n  - { token: ${admin}, role: ingest, name: acd }\n`;
    expect(() => parseConfigText(text)).toThrow(/listed more than once/);
  });

  it('refuses an INGEST_TOKENS entry that is already a configured token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-tokens-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `tokens:\n  - { token: ${admin}, role: admin, name: ops }\n`);
    const env = { CONFIG: file, INGEST_TOKENS: `producer-token-0123456789,${admin}` } as unknown as Env;
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/INGEST_TOKENS entry 2: already configured as the token "ops" \(admin\)/);
    expect(loadConfig({ ...env, INGEST_TOKENS: 'producer-token-0123456789' }).config.tokens.map((t) => t.role)).toEqual(['admin', 'ingest']);
  });
});
