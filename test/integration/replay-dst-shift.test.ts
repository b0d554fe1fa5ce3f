import { afterEach, describe, expect, it } from 'vitest';
import { parseAnonymousBank } from '../../server/replay/anonymous-bank.ts';
import { textLines } from '../../server/replay/lines.ts';
import { engineApp } from './engine-helpers.ts';

/**
 * Found in review (2026-12-07): --shift-to onto a day with a DST change converted each reading of a call to an instant
 * on its own (server/replay/anonymous-bank.ts toEvents → wallClockToInstant per leg), so a call
 * that straddled the skipped hour was answered before it was queued (the engine then never
 * counted it as answered and left it waiting), and one that straddled the repeated hour waited an
 * hour longer than the source says. Now a call's readings keep their distance from its first.
 */
const header = 'vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver';
// queued 02:59:00, answered 03:00:10 (a 70 s wait), talk until 03:05:00 — Israel wall clock
const straddlesGap = 'AB0101\t901\t0\t2\tPS\t990105\t02:58:00\t02:59:00\t60\t02:59:00\t03:00:10\t70\tAGENT\t03:00:10\t03:05:00\t290\tALICE';
// queued 01:50:00, answered 02:05:00 (a 900 s wait)
const straddlesRepeat = 'AB0101\t902\t0\t2\tPS\t990105\t01:49:00\t01:50:00\t60\t01:50:00\t02:05:00\t900\tAGENT\t02:05:00\t02:10:00\t300\tALICE';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const byType = (events: { type: string; ts: number }[]) => Object.fromEntries(events.map((e) => [e.type, e.ts]));

describe('replay --shift-to onto a DST change day (Asia/Jerusalem)', () => {
  it('a call straddling the skipped hour (2026-03-27 02:00→03:00) keeps answered after queued, wait 70 s', async () => {
    const r = await parseAnonymousBank(textLines(`${header}\n${straddlesGap}\n`), { timeZone: 'Asia/Jerusalem', shiftTo: '2026-03-27' });
    const t = byType(r.events);
    // source says: answered 70 s after queued
    expect(t['contact.answered']! - t['contact.queued']!).toBe(70_000);
  });

  it('the engine counts that call as offered and answered (not left waiting)', async () => {
    const r = await parseAnonymousBank(textLines(`${header}\n${straddlesGap}\n`), { timeZone: 'Asia/Jerusalem', shiftTo: '2026-03-27' });
    const now = Date.parse('2026-03-27T09:00:00Z');
    const h = await engineApp({ now });
    cleanup.push(() => h.app.close());
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: r.events });
    expect(res.json()).toMatchObject({ accepted: 4, rejected: 0 });
    const m = (await h.app.inject({ method: 'GET', url: '/api/v1/metrics?window=today' })).json();
    expect({ offered: m.offered, answered: m.answered, waiting: m.waiting }).toEqual({ offered: 1, answered: 1, waiting: 0 });
  });

  it('a call straddling the repeated hour (2026-10-25 02:00→01:00) keeps its 900 s wait', async () => {
    const r = await parseAnonymousBank(textLines(`${header}\n${straddlesRepeat}\n`), { timeZone: 'Asia/Jerusalem', shiftTo: '2026-10-25' });
    const t = byType(r.events);
    expect(t['contact.answered']! - t['contact.queued']!).toBe(900_000);
  });
});
