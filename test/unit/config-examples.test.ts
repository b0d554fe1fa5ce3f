import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../server/config/load.ts';
import { ConfigError } from '../../server/config/env.ts';
import { queueCatalog } from '../../server/simulator/center.ts';
import { buildRoster, selectQueues } from '../../server/simulator/center.ts';
import { Rng } from '../../server/simulator/prng.ts';

const dir = resolve(import.meta.dirname, '../../server/config/examples');
const examples = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));

describe('example configs', () => {
  it('exist', () => {
    expect(examples).toEqual(expect.arrayContaining(['bank-center.yaml', 'demo.yaml']));
  });

  for (const file of examples) {
    it(`${file} parses and validates`, () => {
      const config = parseConfigText(readFileSync(join(dir, file), 'utf8'), file);
      expect(config.centers.length).toBeGreaterThan(0);
      expect(config.queues.length).toBeGreaterThan(0);
      for (const role of ['display', 'lead', 'admin', 'ingest'] as const) {
        expect(config.tokens.some((t) => t.role === role), `${file}: a ${role} token`).toBe(true);
      }
      const boardIds = new Set(config.boards.map((b) => b.id));
      for (const b of config.boards) for (const target of b.rotateTo) expect(boardIds).toContain(target);
      for (const g of config.groups) {
        for (const q of g.queues) expect(config.queues.some((x) => x.id === q && x.center === g.center), `${g.id}: ${q}`).toBe(true);
      }
    });
  }

  it('demo.yaml names every queue and team the simulator produces', () => {
    const demo = parseConfigText(readFileSync(join(dir, 'demo.yaml'), 'utf8'));
    expect(demo.queues.map((q) => q.id).sort()).toEqual(queueCatalog.map((q) => q.id).sort());
    const teams = new Set(buildRoster(new Rng(1), selectQueues(5), 1).map((a) => a.team));
    for (const t of teams) expect(demo.teams.map((x) => x.id)).toContain(t);
    expect(demo.tokens.find((t) => t.role === 'ingest')?.name).toBe('demo-simulator');
  });
});

describe('config errors', () => {
  it('name the key path and the line of the bad value', () => {
    const text = ['centers:', '  - id: sh', '    name: { zh: 上海, en: Shanghai }', 'queues:', '  - id: personal', '    name: { zh: 个人, en: Personal }', '    channel: fax', ''].join('\n');
    let error: unknown;
    try {
      parseConfigText(text, 'bad.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/queues\.0\.channel \(line 7\)/);
  });

  it('report unknown keys at the line of the key itself', () => {
    const text = ['retention:', '  lateEventHours: 24', '  intervalDayz: 40', ''].join('\n');
    expect(() => parseConfigText(text, 'typo.yaml')).toThrow(/retention\.intervalDayz \(line 3\): unknown key/);
  });

  it('report YAML syntax errors', () => {
    expect(() => parseConfigText('queues: [\n  - id: x', 'broken.yaml')).toThrow(ConfigError);
  });

  it('bound the realtime coalescing window to 50–250 ms (default 100)', () => {
    expect(parseConfigText('{}', 'empty.yaml').realtime.coalesceMs).toBe(100);
    expect(parseConfigText('realtime: { coalesceMs: 250 }', 'slow.yaml').realtime.coalesceMs).toBe(250);
    expect(() => parseConfigText('realtime: { coalesceMs: 300 }', 'slow.yaml')).toThrow(/realtime\.coalesceMs/);
    expect(() => parseConfigText('realtime: { coalesceMs: 20 }', 'fast.yaml')).toThrow(/realtime\.coalesceMs/);
  });
});
