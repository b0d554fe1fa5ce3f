import { describe, expect, it } from 'vitest';
import { nextEscalation } from '../../server/alerts/escalation.ts';

const policy = { levels: [{}, {}, {}] as never[], escalateAfterSec: 300, reNotifyEverySec: 120, reNotifyWarnings: false };

describe('escalation policy', () => {
  it('escalates an unacknowledged critical after escalateAfterSec, one level at a time', () => {
    const p = { level: 0, levelSince: 0, lastNotifiedAt: 0 };
    const a = { severity: 'critical' as const, state: 'firing' as const };
    expect(nextEscalation(a, p, policy, undefined, 299_999)).toEqual({ kind: 'renotify', level: 0 });
    expect(nextEscalation(a, p, policy, undefined, 300_000)).toEqual({ kind: 'escalate', level: 1 });
    expect(nextEscalation(a, { level: 2, levelSince: 0, lastNotifiedAt: 0 }, policy, undefined, 900_000)).toEqual({
      kind: 'renotify',
      level: 2,
    });
  });

  it('a per-rule escalateAfterSec wins over the policy', () => {
    const a = { severity: 'critical' as const, state: 'firing' as const };
    expect(nextEscalation(a, { level: 0, levelSince: 0, lastNotifiedAt: 0 }, policy, 60, 60_000)).toEqual({ kind: 'escalate', level: 1 });
  });

  it('acknowledged or resolved alerts neither escalate nor re-notify', () => {
    for (const state of ['acknowledged', 'resolved'] as const) {
      expect(nextEscalation({ severity: 'critical', state }, { level: 0, levelSince: 0, lastNotifiedAt: 0 }, policy, undefined, 1e9)).toEqual({
        kind: 'none',
      });
    }
  });

  it('warnings do not escalate and re-notify only when the policy asks', () => {
    const a = { severity: 'warning' as const, state: 'firing' as const };
    const p = { level: 0, levelSince: 0, lastNotifiedAt: 0 };
    expect(nextEscalation(a, p, policy, undefined, 1e9)).toEqual({ kind: 'none' });
    expect(nextEscalation(a, p, { ...policy, reNotifyWarnings: true }, undefined, 1e9)).toEqual({ kind: 'renotify', level: 0 });
  });
});
