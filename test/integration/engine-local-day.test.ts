import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { localDate, localMidnight } from '../../shared/metrics/windows.ts';
import { engineApp } from './engine-helpers.ts';

/**
 * local midnight in a zone whose DST starts AT midnight and whose offset is negative
 * (America/Santiago: Sat 2026-09-05 24:00 −04 → Sun 2026-09-06 01:00 −03; America/Havana:
 * Sat 2026-03-07 24:00 −05 → Sun 01:00 −04). The config accepts any IANA zone.
 * The local day Sunday starts at 01:00 local = 04:00Z (Santiago); localMidnight once answered
 * 03:00Z, which is Saturday 23:00 local (found in review, 2026-12-07).
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('local midnight where DST begins at 00:00 (negative offset)', () => {
  it('localMidnight returns an instant of the same local day (Santiago, Havana)', () => {
    const cases = [
      ['America/Santiago', '2026-09-06T15:00:00Z', '2026-09-06T04:00:00.000Z'],
      ['America/Havana', '2026-03-08T15:00:00Z', '2026-03-08T05:00:00.000Z'],
    ] as const;
    const got = cases.map(([tz, at]) => {
      const m = localMidnight(Date.parse(at), tz);
      return { tz, midnight: new Date(m).toISOString(), dayOfMidnight: localDate(m, tz) };
    });
    // the start of the local day: the first instant whose local date is the asked day
    expect(got).toEqual(cases.map(([tz, at, start]) => ({ tz, midnight: start, dayOfMidnight: localDate(Date.parse(at), tz) })));
  });

  it('`today` and handledToday on that Sunday (engine, America/Santiago)', async () => {
    const now = Date.parse('2026-09-06T15:00:00Z'); // Sunday 12:00 local (−03)
    const config: AppConfigInput = {
      centers: [{ id: 'default', name: { zh: '圣地亚哥', en: 'Santiago' }, timeZone: 'America/Santiago' }],
      queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }],
    };
    const h = await engineApp({ now, config });
    cleanup = () => h.app.close();
    const satNight = Date.parse('2026-09-06T03:30:00Z'); // Saturday 23:30 local (−04)
    const sunMorning = Date.parse('2026-09-06T10:00:00Z'); // Sunday 07:00 local (−03)
    const events: ContractEventInput[] = [
      { id: 's0', type: 'agent.state', ts: satNight - 60_000, agentId: 'ag1', state: 'available', team: 'A', queues: ['cards'] },
      { id: 'q1', type: 'contact.queued', ts: satNight, contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: satNight + 5_000, contactId: 'c1', agentId: 'ag1' },
      { id: 'q2', type: 'contact.queued', ts: sunMorning, contactId: 'c2', queue: 'cards', channel: 'voice' },
      { id: 'a2', type: 'contact.answered', ts: sunMorning + 5_000, contactId: 'c2', agentId: 'ag1' },
    ];
    const res = await h.ingest(events);
    expect(res.outcomes.every((o) => o.status === 'accepted')).toBe(true);

    const today = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, 'today', now);
    const agents = await h.engine.agents('default', {}, now);
    expect({
      from: today.from,
      offered: today.offered,
      handledToday: agents.find((a) => a.agentId === 'ag1')?.handledToday,
    }).toEqual({
      from: '2026-09-06T04:00:00.000Z', // 01:00 local, the first instant of Sunday
      offered: 1, // Saturday 23:30's contact is not today's
      handledToday: 1, // Sunday's answer
    });
  });
});
