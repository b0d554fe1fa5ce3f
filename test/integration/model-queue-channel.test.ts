import { afterEach, describe, expect, it } from 'vitest';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import { ReferenceModel } from '../support/reference-model.ts';
import { engineApp, T0, sec, min } from './engine-helpers.ts';

/**
 * Found in review (2026-12-07): the reference model and the engine placed a contact in a CHANNEL
 * differently when the contact.queued event's `channel` differs from the queue's configured (or
 * first-learned) channel. The model used the event's channel; the engine uses the queue map's channel
 * (core-batch.ts qinfo(q).dims). The property generators never produce such an event
 * (event-generators.ts: channel: q.channel), so the property tests cannot see it.
 * SEMANTICS.md: "A queue's channel is the channel of its contact.queued events (or the config)".
 */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const configInput: AppConfigInput = { queues: [{ id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' }] };

describe('model vs engine, contact.queued with another channel than its queue', () => {
  it('agree on the per-channel figures', async () => {
    const h = await engineApp({ now: T0, config: configInput });
    cleanup = () => h.app.close();
    const t = T0 - min(5);
    const events: ContractEventInput[] = [
      { id: 'q1', type: 'contact.queued', ts: t, contactId: 'c1', queue: 'cards', channel: 'text' },
      { id: 'a1', type: 'contact.answered', ts: t + sec(10), contactId: 'c1', agentId: 'ag1' },
    ];
    const res = await h.ingest(events);
    expect(res.outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted']);
    const model = new ReferenceModel(appConfig.parse(configInput), events.map((e) => contractEvent.parse(e)));
    const got: Record<string, number> = {};
    const want: Record<string, number> = {};
    for (const channel of ['voice', 'text'] as const) {
      got[channel] = (await h.engine.query({ center: 'default', scope: { kind: 'channel', channel } }, '15m', T0)).answered;
      want[channel] = model.query({ scope: { kind: 'channel', channel } }, '15m', T0).answered;
    }
    expect(got).toEqual(want);
  });
});
