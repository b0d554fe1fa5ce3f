import { describe, expect, it } from 'vitest';
import { localDate, localDayIntervals, localMidnight } from '../../shared/metrics/windows.ts';

describe('local day arithmetic (memoised per UTC minute)', () => {
  it('finds midnight and the date in Asia/Shanghai', () => {
    const ms = Date.parse('2026-11-24T09:30:15+08:00');
    expect(localMidnight(ms, 'Asia/Shanghai')).toBe(Date.parse('2026-11-24T00:00:00+08:00'));
    expect(localDate(ms, 'Asia/Shanghai')).toBe('2026-11-24');
    // a second before midnight belongs to the previous day, in the same call pattern
    const before = Date.parse('2026-11-23T23:59:59+08:00');
    expect(localDate(before, 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localMidnight(before, 'Asia/Shanghai')).toBe(Date.parse('2026-11-23T00:00:00+08:00'));
  });

  it('handles 23-hour and 25-hour days (America/New_York)', () => {
    expect(localMidnight(Date.parse('2026-03-08T12:00:00-04:00'), 'America/New_York')).toBe(Date.parse('2026-03-08T00:00:00-05:00'));
    expect(localMidnight(Date.parse('2026-11-01T23:30:00-05:00'), 'America/New_York')).toBe(Date.parse('2026-11-01T00:00:00-04:00'));
    expect(localDate(Date.parse('2026-11-01T23:30:00-05:00'), 'America/New_York')).toBe('2026-11-01');
  });

  it('stays exact in a UTC minute that contains a local midnight (LMT offset with seconds)', () => {
    // Asia/Shanghai used local mean time +08:05:43 until 1901: 1900-01-01 00:00 local = 15:54:17 UTC
    const midnight = Date.UTC(1899, 11, 31, 15, 54, 17);
    for (let s = -17; s < 43; s++) {
      const ms = midnight + s * 1000;
      // asked twice: the second answer may come from the memo and must not differ
      for (let round = 0; round < 2; round++) {
        expect(localDate(ms, 'Asia/Shanghai')).toBe(s < 0 ? '1899-12-31' : '1900-01-01');
        if (s >= 0) expect(localMidnight(ms, 'Asia/Shanghai')).toBe(midnight);
      }
    }
  });
  it('starts every local day at its first instant, also where DST begins or ends at midnight', () => {
    // zones with DST at midnight (Santiago, Havana, Beirut), at 02:00/03:00, half-hour shifts
    // (Lord Howe), none (Shanghai); instants every 5 h 7 min through 2026
    const zones = ['America/Santiago', 'America/Havana', 'Asia/Beirut', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Shanghai'];
    const from = Date.parse('2026-01-01T00:00:00Z');
    for (const tz of zones) {
      for (let ms = from; ms < from + 366 * 86_400_000; ms += 307 * 60_000) {
        const m = localMidnight(ms, tz);
        expect(m, `${tz} ${new Date(ms).toISOString()}`).toBeLessThanOrEqual(ms);
        expect(localDate(m, tz), `${tz} ${new Date(ms).toISOString()}`).toBe(localDate(ms, tz));
        expect(localDate(m - 1000, tz), `${tz} ${new Date(ms).toISOString()}: the second before is the day before`).not.toBe(localDate(ms, tz));
      }
    }
  });
});

describe('localDayIntervals', () => {
  it.each([
    ['Asia/Shanghai', '2026-03-03', 96],
    ['America/New_York', '2026-03-08', 92], // springs forward at 02:00
    ['America/New_York', '2026-11-01', 100], // falls back at 02:00
    ['America/Santiago', '2026-09-06', 92], // springs forward at 00:00: the day starts at 01:00
    ['Australia/Lord_Howe', '2026-04-05', 98], // a half-hour change
    ['Pacific/Kiritimati', '2026-03-03', 96], // UTC+14
    ['Pacific/Pago_Pago', '2026-03-03', 96], // UTC−11
  ])('%s %s has %i intervals', (timeZone, date, n) => {
    expect(localDayIntervals(date, timeZone)).toBe(n);
  });
});
