import { describe, expect, it, vi } from 'vitest';
import type { ViewPayload } from '../../shared/realtime/events.ts';

/**
 * The STALE rule of client/src/lib/view.svelte.ts ("nothing for 10 s") is timed on the monotonic
 * clock (performance.now): a TV whose clock is stepped back (NTP correction, the README's "a TV's
 * own clock is often wrong") must still turn STALE when no payload arrives.
 */
vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date', 'performance'] });
vi.setSystemTime(Date.parse('2026-03-16T02:30:00Z'));

vi.mock('../../client/src/lib/connection.svelte.ts', () => ({
  connection: { connected: true, session: null, authError: null, serverOffsetMs: 0, socket: { watch: () => () => {} } },
}));

const { LiveView } = await import('../../client/src/lib/view.svelte.ts');
const { now } = await import('../../client/src/lib/now.svelte.ts');

function payload(asOfMs: number): ViewPayload {
  return { viewId: 'board:default:default', asOf: new Date(asOfMs).toISOString(), seq: 1, demo: false, window: '30m', rowKeys: [], rows: [], trend: [] };
}

describe('LiveView STALE detection survives a device clock stepped back', () => {
  it('control: with a steady clock, 30 s without a payload is STALE', () => {
    const v = new LiveView({ kind: 'board', board: 'default' });
    v.apply(payload(Date.now()), 'snapshot');
    expect(v.stale).toBe(false);
    vi.advanceTimersByTime(30_000);
    expect(now.ms).toBe(Date.now());
    expect(v.stale).toBe(true);
  });

  it('turns STALE after 30 s without a payload even if the device clock is stepped back meanwhile', () => {
    const v = new LiveView({ kind: 'board', board: 'default' });
    v.apply(payload(Date.now()), 'snapshot');
    expect(v.stale).toBe(false);
    // the TV's clock is corrected by NTP: one hour back (real time keeps running)
    vi.setSystemTime(Date.now() - 60 * 60_000);
    // 30 s of real time pass; the server sends nothing (it died, or the feed stopped)
    vi.advanceTimersByTime(30_000);
    expect(now.ms).toBe(Date.now());
    expect({ stale: v.stale, ageMs: v.ageMs }).toEqual({ stale: true, ageMs: expect.any(Number) });
    expect(v.ageMs).toBeGreaterThanOrEqual(30_000);
  });
});
