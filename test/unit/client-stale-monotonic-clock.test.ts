import { describe, expect, it, vi } from 'vitest';
import type { ViewPayload } from '../../shared/realtime/events.ts';

/**
 * The STALE rule of client/src/lib/view.svelte.ts ("nothing for 10 s") is timed on the monotonic
 * clock (performance.now): a TV whose clock is stepped back (NTP correction, the README's "a TV's
 * own clock is often wrong") must still turn STALE when no payload arrives. The wall clock counts
 * too when it shows more time passed (a laptop that slept: its monotonic clock may stand still
 * meanwhile). A wall-clock jump looks the same whether the laptop slept or the clock was stepped
 * forward (after either, the monotonic clock and the 1 s timer tick on normally), so a clock
 * stepped forward shows STALE, with the step as its age, until the next payload — the documented
 * trade-off (README, STALE).
 */
vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date', 'performance'] });
vi.setSystemTime(Date.parse('2026-03-16T02:30:00Z'));

vi.mock('../../client/src/lib/connection.svelte.ts', () => ({
  connection: { connected: true, session: null, authError: null, serverClock: null, socket: { watch: () => () => {} } },
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

describe('LiveView after a wall-clock jump forward (laptop sleep, or a clock stepped forward): STALE at most until the next payload', () => {
  it('a laptop that slept 10 min (monotonic clock stood still) shows its figures STALE on waking, aged by the sleep', () => {
    const v = new LiveView({ kind: 'board', board: 'default' });
    v.apply(payload(Date.now()), 'snapshot');
    vi.advanceTimersByTime(1_000);
    // asleep: the wall clock runs on, the monotonic clock and the timers do not
    vi.setSystemTime(Date.now() + 10 * 60_000);
    vi.advanceTimersByTime(1_000);
    expect({ stale: v.stale, ageMs: v.ageMs }).toEqual({ stale: true, ageMs: 10 * 60_000 + 2_000 });
  });

  it('a device clock stepped forward 1 h: STALE with the step as age until the next payload, then live, aged from that payload', () => {
    const v = new LiveView({ kind: 'board', board: 'default' });
    v.apply(payload(Date.now()), 'snapshot');
    // NTP steps the TV's clock forward by one hour; one real second passes
    vi.setSystemTime(Date.now() + 60 * 60_000);
    vi.advanceTimersByTime(1_000);
    expect({ stale: v.stale, ageMs: v.ageMs }).toEqual({ stale: true, ageMs: 60 * 60_000 + 1_000 });
    // the server's next update (at least every 5 s) arrives: live again, its age runs from its arrival
    vi.advanceTimersByTime(3_000);
    v.apply(payload(Date.parse(v.payload!.asOf) + 4_000), 'update');
    vi.advanceTimersByTime(1_000);
    expect({ stale: v.stale, ageMs: v.ageMs }).toEqual({ stale: false, ageMs: 1_000 });
  });
});
