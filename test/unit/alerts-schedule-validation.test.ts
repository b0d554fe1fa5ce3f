import { describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import { effectiveRule } from '../../server/alerts/schedule.ts';
import { initialTracker, step, type Tracker } from '../../server/alerts/hysteresis.ts';

// Found in review (2026-12-07): a schedule override's own levels were never checked, so an override
// whose clear (or critical) was on the wrong side of its warning was accepted by PUT /thresholds
// and then made the alert resolve and re-fire on every evaluation.
const shanghai = (d: number, h: number, m = 0) => Date.UTC(2026, 10, d, h - 8, m);

function flaps(rule: ReturnType<typeof alertRule.parse>, value: number, evaluations: number) {
  let tr: Tracker = initialTracker;
  const kinds: string[] = [];
  for (let i = 0; i < evaluations; i++) {
    const now = shanghai(30, 10, i);
    const eff = effectiveRule(rule, now, 'Asia/Shanghai');
    const { next, transition } = step(tr, eff.levels, value, now);
    tr = next;
    if (transition.kind !== 'none') kinds.push(transition.kind);
  }
  return kinds;
}

describe('schedule override levels are validated like the rule levels', () => {
  const base = { id: 'sl', metric: 'serviceLevel', comparator: 'lt', warning: 0.8, critical: 0.7, clear: 0.82, sustainedForSec: 0 } as const;

  it('an override whose clear is below its own warning (lt) is rejected, like the same rule without the override', () => {
    // same levels as a plain rule: rejected
    expect(alertRule.safeParse({ ...base, warning: 0.85, clear: 0.82 }).success).toBe(false);
    // as an override: accepted
    const parsed = alertRule.safeParse({ ...base, schedules: [{ name: 'vip-hours', weekdays: ['mon'], warning: 0.85, clear: 0.82 }] });
    const kinds = parsed.success ? flaps(parsed.data, 0.83, 6) : [];
    expect({ accepted: parsed.success, transitions: kinds }).toEqual({ accepted: false, transitions: [] });
  });

  it('an override whose critical is on the good side of the warning is rejected', () => {
    expect(alertRule.safeParse({ ...base, critical: 0.85 }).success).toBe(false);
    const parsed = alertRule.safeParse({ ...base, schedules: [{ name: 'month-end', monthDays: [-1], critical: 0.85 }] });
    const kinds = parsed.success ? flaps(parsed.data, 0.83, 6) : [];
    expect({ accepted: parsed.success, transitions: kinds }).toEqual({ accepted: false, transitions: [] });
  });
});
