import { describe, expect, it } from 'vitest';
import { agentIdOf, parseAsteriskQueueLog, splitCsv } from '../../server/replay/asterisk.ts';
import { fileLines, textLines } from '../../server/replay/lines.ts';
import type { ReplayEvent } from '../../server/replay/types.ts';

const pipeFile = new URL('../fixtures/replay/queue_log.txt', import.meta.url).pathname;
const tableFile = new URL('../fixtures/replay/queue_log-table.csv', import.meta.url).pathname;
const opts = { timeZone: 'Asia/Shanghai' };
const s = (epoch: number) => epoch * 1000;

function story(events: ReplayEvent[], contactId: string) {
  return events
    .filter((e) => 'contactId' in e && e.contactId === contactId)
    .map((e) => [e.type.replace('contact.', ''), e.ts / 1000, 'agentId' in e ? e.agentId : undefined]);
}

describe('asterisk queue_log, pipe-delimited file', () => {
  it('maps ENTERQUEUE/CONNECT/COMPLETECALLER to queued/answered/ended+wrapped', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    expect(story(r.events, 'aq-1700006500.1')).toEqual([
      ['queued', 1700006500, undefined],
      ['answered', 1700006515, '2001'],
      ['ended', 1700006700, '2001'],
      ['wrapped', 1700006700, '2001'],
    ]);
    expect(r.events.find((e) => e.id === 'aq-1700006500.1-queued')).toMatchObject({ queue: 'support', channel: 'voice' });
  });

  it('maps ABANDON and every EXIT* to abandoned', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    expect(story(r.events, 'aq-1700006600.3').at(-1)).toEqual(['abandoned', 1700006645, undefined]);
    expect(story(r.events, 'aq-1700006620.4').at(-1)).toEqual(['abandoned', 1700006920, undefined]);
    expect(story(r.events, 'aq-1700006630.5').at(-1)).toEqual(['abandoned', 1700006660, undefined]);
    expect(story(r.events, 'aq-1700006640.6')).toEqual([
      ['queued', 1700006640, undefined],
      ['abandoned', 1700006643, undefined],
    ]);
    expect(r.events.find((e) => e.id === 'aq-1700006640.6-abandoned')).toMatchObject({ queue: 'billing' });
    for (const ev of ['EXITWITHTIMEOUT', 'EXITWITHKEY', 'EXITEMPTY']) expect(r.notes.get(`${ev} → abandoned`)).toBe(1);
  });

  it('ends a call transferred by the agent at the transfer and normalises the agent channel', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    expect(story(r.events, 'aq-1700006800.7')).toEqual([
      ['queued', 1700006800, undefined],
      ['answered', 1700006810, '2002'],
      ['ended', 1700006870, '2002'],
      ['wrapped', 1700006870, '2002'],
    ]);
    expect(r.notes.get('BLINDTRANSFER after answer → ended + wrapped at the transfer')).toBe(1);
  });

  it('turns member, login and pause events into agent.state with the current queues', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    const states = r.events.filter((e) => e.type === 'agent.state');
    expect(states.map((e) => e.type === 'agent.state' && [e.agentId, e.state, e.ts / 1000, e.queues?.join(), e.reason])).toEqual([
      ['2001', 'available', 1700006410, 'support', undefined],
      ['2001', 'available', 1700006410, 'support', undefined],
      ['2002', 'available', 1700006411, 'support', undefined],
      ['2002', 'not_ready', 1700006900, 'support', 'lunch'],
      ['2002', 'available', 1700007500, 'support', undefined],
      ['2001', 'available', 1700007600, '', undefined],
      ['2001', 'logged_out', 1700007600, '', undefined],
    ]);
  });

  it('checks the CONNECT hold time against ENTERQUEUE→CONNECT and reports disagreements', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    expect(r.warnings).toEqual([{ line: 22, message: 'CONNECT hold time 50 s, but ENTERQUEUE→CONNECT is 10 s' }]);
  });

  it('counts ignored events, calls without an exit and unreadable lines', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), opts);
    expect(r.notes.get('ignored QUEUESTART')).toBe(1);
    expect(r.notes.get('ignored RINGNOANSWER')).toBe(1);
    expect(r.notes.get('ignored CONFIGRELOAD')).toBe(1);
    expect(r.notes.get('ignored OUT* (outbound)')).toBe(1);
    expect(r.notes.get('calls without an exit event (engine drops them from waiting after retention.waitingTimeoutMin)')).toBe(1);
    expect(r.unreadable).toEqual([{ line: 25, reason: 'time: expected epoch seconds, got "not-a-time"' }]);
    const count = (t: string) => r.events.filter((e) => e.type === t).length;
    expect([count('contact.queued'), count('contact.answered'), count('contact.abandoned'), count('contact.ended')]).toEqual([8, 3, 4, 3]);
  });

  it('synthesizes on_contact around calls with --agents', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), { ...opts, agents: true });
    const a2001 = r.events.filter((e) => e.type === 'agent.state' && e.agentId === '2001' && e.ts >= s(1700006515) && e.ts <= s(1700006700));
    expect(a2001.map((e) => e.type === 'agent.state' && e.state)).toEqual(['on_contact', 'available']);
  });

  it('selects days and shifts absolute times keeping the local time of day', async () => {
    const r = await parseAsteriskQueueLog(fileLines(pipeFile), { ...opts, shiftTo: '2026-11-23' });
    // 1700006500 = 2023-11-15 08:01:40 in Shanghai → 2026-11-23 08:01:40 +08:00
    expect(r.events.find((e) => e.id === 'aq-1700006500.1-s20261123-queued')).toMatchObject({
      contactId: 'aq-1700006500.1-s20261123',
      ts: Date.UTC(2026, 10, 23, 0, 1, 40),
    });
    const none = await parseAsteriskQueueLog(fileLines(pipeFile), { ...opts, from: '2023-11-16' });
    expect(none.events).toEqual([]);
  });
});

describe('asterisk queue_log, database table export', () => {
  it('reads the header by column names, the hold time from htime and quoted fields', async () => {
    const r = await parseAsteriskQueueLog(fileLines(tableFile), opts);
    expect(story(r.events, 'aq-1700006500.1')).toEqual([
      ['queued', 1700006500, undefined],
      ['answered', 1700006515, '2001'],
      ['ended', 1700006700, '2001'],
      ['wrapped', 1700006700, '2001'],
    ]);
    expect(story(r.events, 'aq-1700006600.3').at(-1)).toEqual(['abandoned', 1700006645, undefined]);
    expect(story(r.events, 'aq-1700006800.4').slice(2)).toEqual([
      ['ended', 1700006890, '2001'],
      ['wrapped', 1700006890, '2001'],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('queues a CONNECT without ENTERQUEUE at CONNECT − htime and reports calls left open', async () => {
    const r = await parseAsteriskQueueLog(fileLines(tableFile), opts);
    expect(story(r.events, 'aq-1700007100.7')).toEqual([
      ['queued', 1700007080, undefined],
      ['answered', 1700007100, '2001'],
    ]);
    expect(r.notes.get('CONNECT without ENTERQUEUE (queued at CONNECT − hold time)')).toBe(1);
    expect(r.notes.get('calls without an exit event (engine drops them from waiting after retention.waitingTimeoutMin)')).toBe(1);
    expect(r.notes.get('answered calls without COMPLETE*/TRANSFER (never ended)')).toBe(1);
    expect(r.unreadable).toEqual([{ line: 14, reason: 'unterminated quoted field' }]);
  });

  it('rejects files that are neither layout', async () => {
    await expect(parseAsteriskQueueLog(textLines('hello,world\n1,2\n'), opts)).rejects.toThrow(/neither a queue_log file/);
  });
});

describe('asterisk helpers', () => {
  it('names an agent by its number whatever the interface', () => {
    expect(agentIdOf('Agent/1127')).toBe('1127');
    expect(agentIdOf('Local/1127@callback-agent')).toBe('1127');
    expect(agentIdOf('SIP/2002-0000002a')).toBe('2002');
    expect(agentIdOf('PJSIP/alice')).toBe('alice');
  });

  it('splits CSV with quotes', () => {
    expect(splitCsv('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(splitCsv('"x"y')).toBe('unexpected character after quoted field at column 4');
  });
});
