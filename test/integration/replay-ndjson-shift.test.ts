import { afterEach, describe, expect, it } from 'vitest';
import { textLines } from '../../server/replay/lines.ts';
import { parseNdjson } from '../../server/replay/ndjson.ts';
import { engineApp } from './engine-helpers.ts';

/**
 * Found in review (2026-12-07): ndjson --shift-to renamed event ids and contactIds
 * (server/replay/types.ts applyShift) "so another shift is not a duplicate", but not the KPI pack's
 * sessionId: the same source session replayed onto two days became one IVR session, and one of
 * the two days lost it.
 */
const source = [
  { id: 'i1-in', type: 'ivr.entered', ts: '2025-06-10T10:00:00+08:00', sessionId: 's1' },
  { id: 'i1-out', type: 'ivr.exited', ts: '2025-06-10T10:01:00+08:00', sessionId: 's1', outcome: 'self_served' },
  { id: 'c1-q', type: 'contact.queued', ts: '2025-06-10T10:02:00+08:00', contactId: 'c1', queue: 'cards', channel: 'voice' },
  { id: 'c1-x', type: 'contact.abandoned', ts: '2025-06-10T10:02:30+08:00', contactId: 'c1' },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('ndjson replay shifted onto two days', () => {
  it('counts the IVR session once per replayed day, like the contact', async () => {
    const now = Date.parse('2026-03-03T04:00:00Z'); // 12:00 Asia/Shanghai on 2026-03-03
    const h = await engineApp({ now });
    cleanup.push(() => h.app.close());
    for (const shiftTo of ['2026-03-02', '2026-03-03']) {
      const r = await parseNdjson(textLines(source), { timeZone: 'Asia/Shanghai', shiftTo });
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: r.events });
      expect(res.json()).toMatchObject({ accepted: 4, duplicate: 0, rejected: 0 });
    }
    const day = async (from: string, to: string) =>
      (await h.app.inject({ method: 'GET', url: `/api/v1/metrics?from=${from}&to=${to}` })).json();
    const d1 = await day('2026-03-01T16:00:00Z', '2026-03-02T16:00:00Z');
    const d2 = await day('2026-03-02T16:00:00Z', '2026-03-03T04:00:00Z');
    // the contact (renamed per shift) counts on both days…
    expect([d1.abandoned, d2.abandoned]).toEqual([1, 1]);
    // …and so must the IVR session
    expect([d1.kpi.ivrSessions, d2.kpi.ivrSessions]).toEqual([1, 1]);
  });
});
