import { afterEach, describe, expect, it } from 'vitest';
import { testRedisClient } from '../support/redis.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/** `thresholdSec` in a metrics answer: the threshold every queue in scope shares, else null. */
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('thresholdSec', () => {
  it('ignores a queue a group lists before any contact queued there (no channel, no threshold yet)', async () => {
    const h = await engineApp({
      now: T0,
      config: {
        queues: [{ id: 'vip-video', name: { zh: '视频', en: 'Video' }, channel: 'video', serviceLevelThresholdSec: 30 }],
        groups: [
          { id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards', 'loans'] },
          { id: 'mixed', name: { zh: '混合', en: 'Mixed' }, queues: ['cards', 'vip-video'] },
        ],
      },
    });
    close = () => h.app.close();
    const read = async (query: string) => (await h.app.inject({ url: `/api/v1/metrics?window=15m${query}` })).json().thresholdSec;
    // nothing queued yet: cards and loans have no channel, only the configured video queue has one
    expect({ retail: await read('&group=retail'), mixed: await read('&group=mixed') }).toEqual({ retail: null, mixed: 30 });
    await h.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - min(1), contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: T0 - sec(30), contactId: 'c1', agentId: 'ag1' },
    ]);
    // cards is voice now (20 s); loans is still unseen and does not make the group's threshold "mixed"
    expect({ center: await read(''), retail: await read('&group=retail'), mixed: await read('&group=mixed') }).toEqual({
      center: null,
      retail: 20,
      mixed: null,
    });
  });

  it('reads a queue-map channel this build does not know (another build, a hand edit) as no channel, not NaN', async () => {
    const h = await engineApp({ now: T0, config: { queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }] } });
    const redis = testRedisClient();
    close = async () => {
      redis.disconnect();
      await h.app.close();
    };
    await h.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - min(1), contactId: 'c1', queue: 'cards', channel: 'voice' },
      { id: 'a1', type: 'contact.answered', ts: T0 - sec(30), contactId: 'c1', agentId: 'ag1' },
    ]);
    await redis.hset(`{${h.prefix}:default}:qmap`, 'faxq', 'fax\x1f\x1f\x1f');
    const read = async (query: string) => {
      const res = await h.app.inject({ url: `/api/v1/metrics?window=15m${query}` });
      return res.statusCode === 200 ? res.json().thresholdSec : `HTTP ${res.statusCode} ${res.body}`;
    };
    expect({ center: await read(''), faxq: await read('&queue=faxq'), cards: await read('&queue=cards') }).toEqual({ center: 20, faxq: null, cards: 20 });
  });
});
