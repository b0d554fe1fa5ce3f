import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DemoResetRefused, resetDemoCenter } from '../../server/cli/demo-reset.ts';
import { Keys } from '../../server/redis/keys.ts';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import { testRedisClient } from '../support/redis.ts';
import { engineApp, min, sec, snapshot, T0 } from './engine-helpers.ts';

/** `npm run demo` clears its previous run's center before the new run posts its history. */

const redis = testRedisClient();
afterAll(() => redis.disconnect());
/** apps a test built, closed after it (closing twice is harmless) */
let apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps) await app.close();
  apps = [];
});

const config: AppConfigInput = {
  centers: [
    { id: 'default', name: { zh: '演示', en: 'Demo' }, timeZone: 'Asia/Shanghai' },
    { id: 'other', name: { zh: '其他', en: 'Other' }, timeZone: 'Asia/Shanghai' },
  ],
  queues: [
    { id: 'cards', center: 'default', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'loans', center: 'other', name: { zh: '贷款', en: 'Loans' }, channel: 'voice' },
  ],
};

const contact = (center: string, queue: string, n: number, at: number, answered: boolean): ContractEventInput[] => [
  { id: `${center}-q${n}`, type: 'contact.queued', ts: at, center, contactId: `${center}-c${n}`, queue, channel: 'voice' },
  ...(answered ? [{ id: `${center}-a${n}`, type: 'contact.answered' as const, ts: at + sec(5), center, contactId: `${center}-c${n}`, agentId: 'ag1' }] : []),
];

async function setup(prefix?: string) {
  const h = await engineApp({ now: T0, config, ...(prefix ? { prefix } : {}) });
  apps.push(h.app);
  const post = (events: ContractEventInput[], demo: boolean) =>
    h.engine.ingest(
      events.map((e) => contractEvent.parse(e)),
      h.clock.now(),
      { demo },
    );
  const all = (center: string) => h.engine.query({ center, scope: { kind: 'all' } }, '15m', h.clock.now());
  return { ...h, post, all };
}

describe('demo reset (runs before the server is built)', () => {
  it('clears a center the demo fed — answered and still-waiting contacts — and nothing else', async () => {
    const first = await setup();
    // the previous run: one answered contact, one left in the queue when it was stopped
    await first.post([...contact('default', 'cards', 1, T0 - min(5), true), ...contact('default', 'cards', 2, T0 - min(3), false)], true);
    await first.post(contact('other', 'loans', 1, T0 - min(5), true), false);
    await redis.set(`{${first.prefix}:alerts}:rules`, '{"version":1}');
    expect(await first.all('default')).toMatchObject({ offered: 1, answered: 1, waiting: 1 });
    const otherBefore = await first.all('other');
    const otherKeys = await snapshot(redis, `${first.prefix}:other}`);
    expect(otherKeys.size).toBeGreaterThan(0);
    await first.app.close();

    const { removed } = await resetDemoCenter(redis, new Keys(first.prefix), 'default');
    expect(removed).toBeGreaterThan(0);
    expect((await snapshot(redis, `${first.prefix}:default}`)).size).toBe(0);
    // the other center and the alert keys are untouched
    expect(await snapshot(redis, `${first.prefix}:other}`)).toEqual(otherKeys);
    expect(await redis.get(`{${first.prefix}:alerts}:rules`)).toBe('{"version":1}');

    // the new run's server: the config's queue map is written again, the old contacts are gone
    const next = await setup(first.prefix);
    expect(await next.all('other')).toEqual(otherBefore);
    expect(await next.all('default')).toMatchObject({ offered: 0, answered: 0, waiting: 0, longestWaitSec: 0, thresholdSec: 20 });
    next.clock.set(T0 + sec(30));
    await next.post(
      [...contact('default', 'cards', 7, T0 - min(1), true), { id: 'default-x2', type: 'contact.answered', ts: T0, center: 'default', contactId: 'default-c2', agentId: 'ag2' }],
      true,
    );
    // c2, answered now, is a contact the new run never queued: it does not count
    expect(await next.all('default')).toMatchObject({ offered: 1, answered: 1, waiting: 0 });
  });

  it('refuses a center holding events no demo posted, and leaves it as it was', async () => {
    const h = await setup();
    await h.post(contact('default', 'cards', 1, T0 - min(5), true), false);
    const before = await snapshot(redis, `${h.prefix}:default}`);
    await expect(resetDemoCenter(redis, h.app.keys, 'default')).rejects.toThrow(DemoResetRefused);
    await expect(resetDemoCenter(redis, h.app.keys, 'default')).rejects.toThrow(/holds 2 events that no demo simulator posted/);
    expect(await snapshot(redis, `${h.prefix}:default}`)).toEqual(before);
  });

  it('a center that never accepted an event is left alone (its queue map stays)', async () => {
    const h = await setup();
    const before = await snapshot(redis, `${h.prefix}:default}`);
    expect(before.size).toBeGreaterThan(0);
    expect(await resetDemoCenter(redis, h.app.keys, 'default')).toEqual({ removed: 0 });
    expect(await snapshot(redis, `${h.prefix}:default}`)).toEqual(before);
  });
});
