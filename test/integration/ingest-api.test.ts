import { afterEach, describe, expect, it } from 'vitest';
import { engineApp, snapshot, T0, sec } from './engine-helpers.ts';
import { testRedisClient } from '../support/redis.ts';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup(opts: Partial<Parameters<typeof engineApp>[0]> = {}) {
  const h = await engineApp({ now: T0, ...opts });
  cleanup = () => h.app.close();
  return h;
}

const queued = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'contact.queued',
  ts: T0 - sec(30),
  contactId: `c-${id}`,
  queue: 'cards',
  channel: 'voice',
  ...extra,
});

describe('POST /api/v1/events', () => {
  it('accepts one event or an array, reports duplicates and the center sequence', async () => {
    const h = await setup();
    const one = await h.app.inject({ method: 'POST', url: '/api/v1/events', payload: queued('e1') });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({
      accepted: 1,
      duplicate: 0,
      rejected: 0,
      results: [{ index: 0, id: 'e1', status: 'accepted' }],
      seq: { default: 1 },
    });
    const many = await h.app.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [queued('e1'), queued('e2'), { ...queued('e3'), center: 'north' }],
    });
    expect(many.json()).toMatchObject({
      accepted: 2,
      duplicate: 1,
      rejected: 0,
      results: [
        { index: 0, id: 'e1', status: 'duplicate' },
        { index: 1, id: 'e2', status: 'accepted' },
        { index: 2, id: 'e3', status: 'accepted' },
      ],
      seq: { default: 2, north: 1 },
    });
  });
});
