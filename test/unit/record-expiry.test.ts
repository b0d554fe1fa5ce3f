import { describe, expect, it } from 'vitest';
import { expiryStep, recordExpiry } from '../../server/metrics/write/core-batch.ts';

const hour = 3_600_000;
const late = 48 * hour;
const step = expiryStep(late);
const now = Date.UTC(2026, 11, 7, 9, 0, 0);

describe('recordExpiry: a contact record lives until its last event + lateEvent', () => {
  it('is ten minutes for the default 48 h', () => {
    expect(step).toBe(600_000);
  });

  it('a new record gets a deadline a step or two beyond the need, on a step boundary', () => {
    const lastTs = now - 7_000;
    const r = recordExpiry(undefined, lastTs, late, step, now);
    const need = lastTs + late;
    expect(Number(r.x)).toBe(r.expiresAt);
    expect(r.expiresAt! % step).toBe(0);
    expect(r.expiresAt!).toBeGreaterThan(need + step);
    expect(r.expiresAt!).toBeLessThanOrEqual(need + 2 * step);
    expect(r.expireIn).toBe(r.expiresAt! - now);
  });

  it('events within the headroom leave the deadline and send no expiry', () => {
    const first = recordExpiry(undefined, now, late, step, now);
    // later events of the same contact, minutes apart, up to the stored deadline's need
    for (const later of [now + 60_000, now + 5 * 60_000, first.expiresAt! - late]) {
      const r = recordExpiry(first.x, later, late, step, later);
      expect(r).toEqual({ expiresAt: first.expiresAt });
    }
  });

  it('an event past the headroom moves the deadline forward, never back', () => {
    const first = recordExpiry(undefined, now, late, step, now);
    const lastTs = first.expiresAt! - late + 1;
    const r = recordExpiry(first.x, lastTs, late, step, lastTs);
    expect(r.expiresAt!).toBeGreaterThan(first.expiresAt!);
    expect(r.expiresAt!).toBeGreaterThanOrEqual(lastTs + late);
    // a late event with an older time finds the deadline already covering it
    expect(recordExpiry(r.x, now - hour, late, step, lastTs)).toEqual({ expiresAt: r.expiresAt });
  });

  it('a record written within a minute of its deadline gets its expiry again, in case it expired meanwhile', () => {
    const first = recordExpiry(undefined, now, late, step, now);
    const soon = first.expiresAt! - 30_000;
    // an event already covered (a late one, or a survey) written 30 s before the deadline: should
    // the key expire before the write lands, the HSET recreates it and this expiry still bounds it
    expect(recordExpiry(first.x, now + 60_000, late, step, soon)).toEqual({ expireIn: 30_000, expiresAt: first.expiresAt });
    // a minute and more before it, nothing goes out
    expect(recordExpiry(first.x, now + 60_000, late, step, first.expiresAt! - 60_000)).toEqual({ expiresAt: first.expiresAt });
  });

  it('a record whose need is already past expires within a second and is not held', () => {
    const r = recordExpiry(undefined, now - late - 2 * step - 5_000, late, step, now);
    expect(r).toEqual({ expireIn: 1000 });
  });
});
