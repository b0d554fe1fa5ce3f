import { afterEach, describe, expect, it } from 'vitest';
import { knownQueues } from '../../server/realtime/catalog.ts';
import { engineApp, T0, sec } from './engine-helpers.ts';

/**
 * The queue catalogue behind the lead console's channel rows, the board's queue rows and the
 * public config: queues only seen in events (no config) carry the channel the engine learnt.
 */
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('knownQueues', () => {
  it('gives a queue discovered from events the channel of its contacts, beside the configured ones', async () => {
    const h = await engineApp({
      now: T0,
      config: { queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }] },
    });
    close = () => h.app.close();
    await h.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - sec(30), contactId: 'c1', queue: 'chat-loans', channel: 'text' },
      { id: 'q2', type: 'contact.queued', ts: T0 - sec(20), contactId: 'c2', queue: 'video-vip', channel: 'video' },
    ]);
    expect(await knownQueues(h.app, 'default')).toEqual([
      { id: 'chat-loans', channel: 'text', configured: false },
      { id: 'video-vip', channel: 'video', configured: false },
      { id: 'cards', channel: 'voice', configured: true },
    ]);
  });
});
