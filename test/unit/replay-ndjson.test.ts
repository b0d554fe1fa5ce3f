import { describe, expect, it } from 'vitest';
import { fileLines } from '../../server/replay/lines.ts';
import { parseNdjson } from '../../server/replay/ndjson.ts';

const fixture = new URL('../fixtures/replay/events.ndjson', import.meta.url).pathname;
const opts = { timeZone: 'Asia/Shanghai' };

describe('ndjson parser', () => {
  it('validates every line with the contract schema and reports bad ones by line number', async () => {
    const r = await parseNdjson(fileLines(fixture), opts);
    expect(r.events.map((e) => e.id)).toEqual(['n-1', 'n-3', 'n-2', 'n-8', 'n-6']);
    expect(r.unreadable.map((u) => u.line)).toEqual([5, 6, 8]);
    expect(r.unreadable[0]!.reason).toMatch(/^type: /);
    expect(r.unreadable[1]!.reason).toMatch(/agnt/);
    expect(r.unreadable[2]!.reason).toMatch(/^not JSON/);
  });

  it('normalises ts to epoch ms and keeps each event\'s center unless --center is given', async () => {
    const r = await parseNdjson(fileLines(fixture), opts);
    expect(r.events.find((e) => e.id === 'n-1')).toMatchObject({ ts: Date.UTC(2026, 2, 10, 1, 0, 0), center: 'default' });
    expect(r.events.find((e) => e.id === 'n-3')!.center).toBe('sh');
    const c = await parseNdjson(fileLines(fixture), { ...opts, center: 'bj' });
    expect(c.events.every((e) => e.center === 'bj')).toBe(true);
  });

  it('selects days in --timezone and shifts with renamed ids so another shift is not a duplicate', async () => {
    const r = await parseNdjson(fileLines(fixture), { ...opts, to: '2026-03-10', shiftTo: '2026-11-20' });
    expect(r.events.map((e) => e.id)).toEqual(['n-1-s20261120', 'n-3-s20261120', 'n-2-s20261120', 'n-8-s20261120']);
    expect(r.events[0]).toMatchObject({ contactId: 'c1-s20261120', ts: Date.UTC(2026, 10, 20, 1, 0, 0) });
    expect(r.notes.get('events outside --from/--to')).toBe(1);
  });
});
