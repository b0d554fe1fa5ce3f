import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/**
 * A threshold changed by a new configuration (at a start) is stated by every result whose span
 * contains the change (`thresholdChanges`), since the contacts before it were judged against the
 * old one and cannot be judged again.
 */
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

const name = { zh: '信用卡', en: 'Cards' };
const config = (slSec: number, extra: Partial<AppConfigInput> = {}): AppConfigInput => ({
  queues: [{ id: 'cards', name, channel: 'voice', serviceLevelThresholdSec: slSec }],
  ...extra,
});

async function start(now: number, cfg: AppConfigInput, prefix?: string) {
  const h = await engineApp({ now, config: cfg, ...(prefix ? { prefix } : {}) });
  closers.push(() => h.app.close());
  const metrics = async (query: string) => {
    const res = await h.app.inject({ url: `/api/v1/metrics?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  return { ...h, metrics };
}

describe('thresholdChanges', () => {
  it('names a change inside the window, for the queue and the rows that include it, and not outside it', async () => {
    const first = await start(T0, config(20, { queues: [
      { id: 'cards', name, channel: 'voice', serviceLevelThresholdSec: 20 },
      { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice', serviceLevelThresholdSec: 20 },
    ] }));
    await first.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - sec(40), contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: T0 - sec(15), contactId: 'c1', agentId: 'ag1' },
    ]);
    // never changed: no field at all (the first start only notes the thresholds in force)
    expect(await first.metrics('window=60m')).not.toHaveProperty('thresholdChanges');
    await first.app.close();
    closers.pop();

    // ten minutes later the configuration says 30 s for cards (loans unchanged)
    const later = T0 + min(10);
    const second = await start(later, config(30, { queues: [
      { id: 'cards', name, channel: 'voice', serviceLevelThresholdSec: 30 },
      { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice', serviceLevelThresholdSec: 20 },
    ] }), first.prefix);
    const change = {
      queue: 'cards',
      at: new Date(later).toISOString(),
      serviceLevelSec: { from: 20, to: 30 },
      shortAbandonSec: null,
    };
    const cards = await second.metrics('window=60m&queue=cards');
    expect(cards.thresholdSec).toBe(30);
    expect(cards.thresholdChanges).toEqual([change]);
    // the center row includes cards; the loans row does not
    expect((await second.metrics('window=60m')).thresholdChanges).toEqual([change]);
    expect(await second.metrics('window=60m&queue=loans')).not.toHaveProperty('thresholdChanges');

    // 20 minutes after the change, the 15-minute window no longer spans it; the hour still does
    second.clock.set(later + min(20));
    expect(await second.metrics('window=15m&queue=cards')).not.toHaveProperty('thresholdChanges');
    expect((await second.metrics('window=60m&queue=cards')).thresholdChanges).toEqual([change]);

    // a restart with the same configuration adds nothing and keeps the change
    await second.app.close();
    closers.pop();
    const third = await start(later + min(21), config(30, { queues: [
      { id: 'cards', name, channel: 'voice', serviceLevelThresholdSec: 30 },
      { id: 'loans', name: { zh: '贷款', en: 'Loans' }, channel: 'voice', serviceLevelThresholdSec: 20 },
    ] }), first.prefix);
    expect((await third.metrics('window=60m&queue=cards')).thresholdChanges).toEqual([change]);
  });

  it('states a change of the per-channel default for a queue learned from events, and of the short-abandon threshold', async () => {
    const first = await start(T0, { defaults: { serviceLevelThresholdSec: { voice: 20, text: 20, video: 20 } } });
    await first.ingest([{ id: 'q1', type: 'contact.queued', ts: T0 - sec(40), contactId: 'c1', queue: 'learned', channel: 'voice' }]);
    await first.app.close();
    closers.pop();
    // the start that first sees the learned queue's channel notes its thresholds …
    const second = await start(T0 + min(1), { defaults: { serviceLevelThresholdSec: { voice: 20, text: 20, video: 20 } } }, first.prefix);
    expect(await second.metrics('window=60m&queue=learned')).not.toHaveProperty('thresholdChanges');
    await second.app.close();
    closers.pop();
    // … so a later change of the defaults is a change of that queue's thresholds
    const third = await start(
      T0 + min(2),
      { defaults: { serviceLevelThresholdSec: { voice: 15, text: 20, video: 20 }, shortAbandonThresholdSec: 3 } },
      first.prefix,
    );
    expect((await third.metrics('window=60m&queue=learned')).thresholdChanges).toEqual([
      { queue: 'learned', at: new Date(T0 + min(2)).toISOString(), serviceLevelSec: { from: 20, to: 15 }, shortAbandonSec: { from: 0, to: 3 } },
    ]);
  });

  it('is stated by the interval row that contains the change, not by the others', async () => {
    const first = await start(T0, config(20));
    await first.ingest([{ id: 'q1', type: 'contact.queued', ts: T0 - sec(40), contactId: 'c1', queue: 'cards', channel: 'voice' }]);
    await first.app.close();
    closers.pop();
    const at = T0 + min(20);
    const second = await start(at, config(25), first.prefix);
    second.clock.set(at + min(60));
    const from = new Date(Math.floor((T0 - min(30)) / 900_000) * 900_000).toISOString();
    const to = new Date(Math.floor((at + min(45)) / 900_000) * 900_000).toISOString();
    const res = await second.app.inject({ url: `/api/v1/intervals?queue=cards&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}` });
    expect(res.statusCode, res.body).toBe(200);
    const rows = (res.json().rows ?? res.json()) as { from: string; to: string; thresholdChanges?: unknown[] }[];
    const marked = rows.filter((r) => r.thresholdChanges);
    expect(marked).toHaveLength(1);
    expect(Date.parse(marked[0]!.from) < at && at <= Date.parse(marked[0]!.to)).toBe(true);
    expect(rows.length).toBeGreaterThan(2);
    // the CSV export says it too, in the row of the change, beside the threshold
    const csv = await second.app.inject({ url: `/api/v1/intervals?queue=cards&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&format=csv` });
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\n');
    const header = lines[0]!.split(',');
    const col = (line: string, name: string) => line.split(',')[header.indexOf(name)];
    const withChange = lines.slice(1).filter((l) => col(l, 'thresholdChanges') !== '');
    expect(withChange.map((l) => col(l, 'thresholdChanges'))).toEqual([`cards at ${new Date(at).toISOString()}: service level 20→25 s`]);
    // each row names the threshold in force at its end: 20 s before the change, 25 s from the row that holds it on
    const atRow = lines.slice(1).findIndex((l) => col(l, 'thresholdChanges') !== '');
    expect(lines.slice(1).map((l) => col(l, 'thresholdSec'))).toEqual(lines.slice(1).map((_, i) => (i < atRow ? '20' : '25')));
    expect(atRow).toBeGreaterThan(0);
  });
});
