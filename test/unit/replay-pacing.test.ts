import { describe, expect, it } from 'vitest';
import { progressLine, ProgressReporter } from '../../server/replay/progress.ts';
import { pastPacingWarning } from '../../server/replay/run.ts';
import type { ReplayEvent } from '../../server/replay/types.ts';

const minute = 60_000;
const hour = 60 * minute;

function eventsAt(times: number[]): ReplayEvent[] {
  return times.map((ts, i) => ({
    id: `e-${i}`,
    type: 'contact.queued' as const,
    ts,
    center: 'default',
    contactId: `c-${i}`,
    queue: 'q',
    channel: 'voice' as const,
  }));
}

// 2026-12-07 06:00 UTC = 14:00 in Asia/Shanghai
const now = Date.UTC(2026, 11, 7, 6);

describe('a paced replay that never reaches the live windows', () => {
  it('is warned about when yesterday is replayed at 1× (a day of waiting, nothing live)', () => {
    const yesterday = eventsAt([now - 30 * hour, now - 20 * hour, now - 18 * hour]);
    const w = pastPacingWarning(yesterday, 1, now, 'Asia/Shanghai');
    expect(w).toContain('--speed 1');
    expect(w).toContain('30h00m old');
    expect(w).toContain('will take 12h00m');
    expect(w).toContain('--shift-to 2026-12-07 --speed 1');
  });

  it('is warned about at N× too: the lag only grows', () => {
    expect(pastPacingWarning(eventsAt([now - 3 * hour, now - 2 * hour]), 10, now, 'Asia/Shanghai')).toContain('will take 6m00s');
  });

  it('is not warned about for a live replay of today (past part at once, the rest on time)', () => {
    const today = eventsAt([now - 6 * hour, now - minute, now + 3 * hour]);
    expect(pastPacingWarning(today, 1, now, 'Asia/Shanghai')).toBeUndefined();
  });

  it('is not warned about when the events are under an hour old when sent, nor at --speed max', () => {
    expect(pastPacingWarning(eventsAt([now - 50 * minute, now - 40 * minute]), 1, now, 'UTC')).toBeUndefined();
    expect(pastPacingWarning(eventsAt([now - 30 * hour]), 'max', now, 'UTC')).toBeUndefined();
  });
});

describe('the ETA of a paced replay', () => {
  it('follows the last event’s due time, not the send rate', () => {
    // 500 of 2,000 sent in 1 s, but the last event is due in 5 hours
    expect(progressLine(500, 2000, 1000, 5 * hour)).toBe('500/2,000 events  500 ev/s  ETA 5h00m');
    // a rate slower than the schedule still wins
    expect(progressLine(500, 2000, 1000, 1000)).toBe('500/2,000 events  500 ev/s  ETA 3s');
    expect(progressLine(2000, 2000, 4000, 0)).toBe('2,000/2,000 events  500 ev/s  done in 4s');
  });

  it('is what the reporter prints, counted down on its clock', () => {
    let t = 0;
    const lines: string[] = [];
    const reporter = new ProgressReporter({ isTTY: false, write: (s) => lines.push(s) }, 100, () => t, 0, 2 * hour);
    reporter.start();
    t = 1000;
    reporter.update(50);
    t = hour;
    reporter.update(60);
    expect(lines[1]).toContain('ETA 1h59m');
    expect(lines[2]).toContain('ETA 1h00m');
  });
});
