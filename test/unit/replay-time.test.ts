import { describe, expect, it } from 'vitest';
import { addDays, dayNumber, isCalendarDate, parseClock, shiftInstant, wallClockToInstant } from '../../server/replay/time.ts';

const hour = 3_600_000;

describe('replay time arithmetic', () => {
  it('converts wall clocks to instants in fixed and DST zones', () => {
    expect(wallClockToInstant('2026-11-23', 9 * 3600, 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 23, 1));
    expect(wallClockToInstant('1999-01-19', 10 * 3600, 'Asia/Jerusalem')).toBe(Date.UTC(1999, 0, 19, 8));
    expect(wallClockToInstant('2026-07-19', 10 * 3600, 'Asia/Jerusalem')).toBe(Date.UTC(2026, 6, 19, 7));
    // seconds past 24 h roll into the next day
    expect(wallClockToInstant('2026-11-23', 86_400 + 20, 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 23, 16, 0, 20));
  });

  it('resolves a wall time skipped by DST forward and a repeated one to its first occurrence', () => {
    // Israel 2026-03-27: 02:00 IST jumps to 03:00 IDT, so 02:30 does not exist → 03:30 IDT.
    expect(wallClockToInstant('2026-03-27', 2.5 * 3600, 'Asia/Jerusalem')).toBe(Date.UTC(2026, 2, 27, 0, 30));
    // Israel 2026-10-25: 02:00 IDT falls back to 01:00 IST, 01:30 happens twice → the IDT one.
    expect(wallClockToInstant('2026-10-25', 1.5 * 3600, 'Asia/Jerusalem')).toBe(Date.UTC(2026, 9, 24, 22, 30));
  });

  it('shifts by whole local days keeping the time of day across an offset change', () => {
    const winter = Date.UTC(1999, 0, 19, 8, 0, 0, 250); // 10:00:00.250 in Israel (UTC+2)
    const days = dayNumber('2026-07-19') - dayNumber('1999-01-19');
    const summer = shiftInstant(winter, days, 'Asia/Jerusalem');
    expect(summer).toBe(Date.UTC(2026, 6, 19, 7, 0, 0, 250)); // still 10:00:00.250 local, now UTC+3
    expect(summer - winter).toBe(days * 24 * hour - hour);
    expect(shiftInstant(winter, 0, 'Asia/Jerusalem')).toBe(winter);
  });

  it('does calendar arithmetic on dates', () => {
    expect(addDays('1999-01-31', 1)).toBe('1999-02-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(isCalendarDate('2026-02-30')).toBe(false);
    expect(isCalendarDate('2026-2-3')).toBe(false);
    expect(isCalendarDate('2026-02-28')).toBe(true);
  });

  it('reads H:MM:SS clocks and refuses impossible ones', () => {
    expect(parseClock('0:00:31')).toBe(31);
    expect(parseClock('23:59:59')).toBe(86_399);
    expect(parseClock('24:00:00')).toBeUndefined();
    expect(parseClock('7:5:00')).toBeUndefined();
  });
});
