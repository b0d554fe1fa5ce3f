import { describe, expect, it } from 'vitest';
import { parseAnonymousBank, placeNear } from '../../server/replay/anonymous-bank.ts';
import { fileLines, textLines } from '../../server/replay/lines.ts';
import type { ParseOptions, ReplayEvent } from '../../server/replay/types.ts';

const fixture = new URL('../fixtures/replay/anonymous-bank-small.tsv', import.meta.url).pathname;
const jerusalem: ParseOptions = { timeZone: 'Asia/Jerusalem' };
/** 1999-01-05 00:00 in Israel (standard time, UTC+2). */
const jan5 = Date.UTC(1999, 0, 4, 22);
const at = (h: number, m: number, s: number, dayOffset = 0) => jan5 + dayOffset * 86_400_000 + ((h * 60 + m) * 60 + s) * 1000;

function byContact(events: ReplayEvent[], contactId: string) {
  return events.filter((e) => 'contactId' in e && e.contactId === contactId).map((e) => [e.type, e.ts]);
}

describe('anonymous-bank parser', () => {
  it('maps a queued and served call to queued/answered/ended/wrapped', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    const call = r.events.filter((e) => 'contactId' in e && e.contactId === 'ab-990105-AB0101-101');
    expect(call.map((e) => e.type)).toEqual(['contact.queued', 'contact.answered', 'contact.ended', 'contact.wrapped']);
    expect(call[0]).toMatchObject({ id: 'ab-990105-AB0101-101-queued', queue: 'PS', channel: 'voice', center: 'default', ts: at(10, 0, 5) });
    expect(call[0]).toHaveProperty('customerId');
    expect((call[0] as { customerId: string }).customerId).not.toContain('1234567');
    expect(call[1]).toMatchObject({ agentId: 'ALICE', queue: 'PS', ts: at(10, 0, 20) });
    expect(call[2]!.ts).toBe(at(10, 3, 20));
    expect(call[3]!.ts).toBe(at(10, 3, 20));
  });

  it('maps HANG with a queue leg to abandoned at q_exit', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(byContact(r.events, 'ab-990105-AB0101-102')).toEqual([
      ['contact.queued', at(10, 1, 6)],
      ['contact.abandoned', at(10, 1, 46)],
    ]);
  });

  it('queues served calls without a queue leg at vru_exit and never answers before queued', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    // ser_start 10:02:09 is a second before vru_exit 10:02:10: answered at queued, wait 0.
    expect(byContact(r.events, 'ab-990105-AB0101-103')).toEqual([
      ['contact.queued', at(10, 2, 10)],
      ['contact.answered', at(10, 2, 10)],
      ['contact.ended', at(10, 4, 9)],
      ['contact.wrapped', at(10, 4, 9)],
    ]);
    expect(r.notes.get('served without a queue leg (queued at vru_exit)')).toBe(1);
  });

  it('ignores PHANTOM rows and IVR-only hang-ups', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(byContact(r.events, 'ab-990105-AB0101-104')).toEqual([]);
    expect(byContact(r.events, 'ab-990105-AB0101-105')).toEqual([]);
    expect(r.notes.get('PHANTOM rows ignored')).toBe(1);
    expect(r.notes.get('hung up in the IVR (not offered)')).toBe(1);
  });

  it('moves legs that cross midnight to the next day', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(byContact(r.events, 'ab-990105-AB0102-201')).toEqual([
      ['contact.queued', at(23, 59, 50)],
      ['contact.answered', at(0, 0, 19, 1)],
      ['contact.ended', at(0, 5, 0, 1)],
      ['contact.wrapped', at(0, 5, 0, 1)],
    ]);
    expect(r.notes.get('calls crossing midnight (later legs moved to the next day)')).toBe(1);
  });

  it('reports invalid call types and unreadable rows with their line numbers', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(r.unreadable).toEqual([
      { line: 8, reason: 'type: invalid call type "AA"' },
      { line: 9, reason: 'expected 17 tab-separated fields, found 7' },
      { line: 10, reason: 'q_start: unreadable time "25:61:00"' },
    ]);
    expect(r.unreadableTotal).toBe(3);
  });

  it('answers AGENT rows without service times at q_exit, with no talk', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(byContact(r.events, 'ab-990105-AB0102-205')).toEqual([
      ['contact.queued', at(11, 5, 0)],
      ['contact.answered', at(11, 5, 30)],
    ]);
  });

  it('keeps NO_SERVER as the agent id and a negative vru_time on the same day', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    const answered = r.events.find((e) => e.id === 'ab-990105-AB0102-206-answered');
    expect(answered).toMatchObject({ agentId: 'NO_SERVER', ts: at(12, 0, 25) });
    expect(byContact(r.events, 'ab-990106-AB0103-101')[0]).toEqual(['contact.queued', at(9, 10, 1, 1)]);
    expect(r.notes.get('negative vru_time (IVR exit before entry; kept)')).toBe(1);
  });

  it('emits events in time order and offered = answered + abandoned per the mapping', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), jerusalem);
    const ts = r.events.map((e) => e.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const count = (t: string) => r.events.filter((e) => e.type === t).length;
    expect(count('contact.queued')).toBe(8);
    expect(count('contact.answered')).toBe(6);
    expect(count('contact.abandoned')).toBe(2);
    expect(r.firstDay).toBe('1999-01-05');
    expect(r.lastDay).toBe('1999-01-06');
  });

  it('selects source days with --from/--to and shifts them keeping the local time of day', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), { ...jerusalem, from: '1999-01-06', to: '1999-01-06', shiftTo: '2026-11-22' });
    expect(r.events.map((e) => e.id)).toEqual([
      'ab-990106-AB0101-301-s20261122-queued',
      'ab-990106-AB0101-301-s20261122-abandoned',
      'ab-990106-AB0103-101-s20261122-queued',
      'ab-990106-AB0103-101-s20261122-answered',
      'ab-990106-AB0103-101-s20261122-ended',
      'ab-990106-AB0103-101-s20261122-wrapped',
    ]);
    // 09:00:06 in Israel on 2026-11-22 (UTC+2 in winter).
    expect(r.events[0]!.ts).toBe(Date.UTC(2026, 10, 22, 7, 0, 6));
    expect(r.shiftDays).toBe((Date.UTC(2026, 10, 22) - Date.UTC(1999, 0, 6)) / 86_400_000);
    expect(r.notes.get('rows outside --from/--to')).toBe(10);
  });

  it('reads wall clocks in the zone given (--timezone) and sets the center', async () => {
    const r = await parseAnonymousBank(fileLines(fixture), { timeZone: 'Asia/Shanghai', center: 'bank-1', to: '1999-01-05' });
    const first = r.events[0]!;
    expect(first.ts).toBe(Date.UTC(1999, 0, 5, 2, 0, 5)); // 10:00:05 at UTC+8
    expect(r.events.every((e) => e.center === 'bank-1')).toBe(true);
  });

  it('synthesizes agent states only with --agents, never for NO_SERVER', async () => {
    const without = await parseAnonymousBank(fileLines(fixture), jerusalem);
    expect(without.events.some((e) => e.type === 'agent.state')).toBe(false);
    const r = await parseAnonymousBank(fileLines(fixture), { ...jerusalem, agents: true });
    const alice = r.events.filter((e) => e.type === 'agent.state' && e.agentId === 'ALICE');
    expect(alice.map((e) => [e.type === 'agent.state' && e.state, e.ts])).toEqual([
      ['on_contact', at(10, 0, 20)],
      ['available', at(10, 3, 20)],
      ['logged_out', at(10, 3, 21)],
      ['on_contact', at(9, 10, 4, 1)],
      ['available', at(9, 12, 4, 1)],
      ['logged_out', at(9, 12, 5, 1)],
    ]);
    expect(alice.every((e) => e.type === 'agent.state' && e.queues?.join() === 'PE,PS')).toBe(true);
    expect(r.events.some((e) => e.type === 'agent.state' && e.agentId === 'NO_SERVER')).toBe(false);
  });

  it('orders an agent\'s same-second states so the engine sees free-then-busy', async () => {
    const header = 'vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver';
    // Call 9 (line 2) is answered at 10:05:00, the very second call 1 (line 3) ends.
    const rows = [
      'AB0109\t9\t0\t0\tPS\t990105\t10:04:40\t10:04:50\t10\t10:04:50\t10:05:00\t10\tAGENT\t10:05:00\t10:06:00\t60\tBOB',
      'AB0101\t1\t0\t0\tPS\t990105\t10:00:00\t10:00:10\t10\t0:00:00\t0:00:00\t0\tAGENT\t10:00:10\t10:05:00\t290\tBOB',
    ];
    const r = await parseAnonymousBank(textLines([header, ...rows].join('\n')), { ...jerusalem, agents: true });
    // The engine's own order for an agent's timeline: (ts, id).
    const bob = r.events
      .filter((e) => e.type === 'agent.state')
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
      .map((e) => e.type === 'agent.state' && [e.state, e.ts]);
    expect(bob).toEqual([
      ['on_contact', at(10, 0, 10)],
      ['available', at(10, 5, 0)],
      ['on_contact', at(10, 5, 0)],
      ['available', at(10, 6, 0)],
      ['logged_out', at(10, 6, 1)],
    ]);
  });

  it('rejects a file without the expected header', async () => {
    await expect(parseAnonymousBank(textLines('a\tb\n1\t2\n'), jerusalem)).rejects.toThrow(/not an anonymous-bank header/);
  });

  it('places a reading nearest the previous one', () => {
    expect(placeNear(20, 86_390)).toBe(86_420); // 0:00:20 after 23:59:50 → next day
    expect(placeNear(36_129, 36_130)).toBe(36_129); // a second early stays on the same day
    expect(placeNear(100, 100)).toBe(100);
  });
});
