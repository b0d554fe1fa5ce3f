import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { registryTable } from '../support/registry-table.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('starts with the two commands a newcomer needs', () => {
    expect(readme).toContain('npm install && npm run demo');
    expect(readme).toContain('npm test');
  });

  it("documents every metric exactly as the registry defines it", () => {
    const start = readme.indexOf('<!-- metrics:start -->');
    const end = readme.indexOf('<!-- metrics:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const documented = readme.slice(start + '<!-- metrics:start -->'.length, end).trim();
    expect(documented).toBe(registryTable().trim());
  });
});
