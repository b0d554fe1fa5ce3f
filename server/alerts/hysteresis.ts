import type { Comparator, Severity } from '../../shared/contract/alerts.ts';

/**
 * The per-(rule, subject) state machine, pure so it can be tested without Redis or time.
 *
 *   ok ──breach──▶ pending ──breach held sustainedFor──▶ active ──value past clear──▶ ok (resolve)
 *        ◀─no breach─┘                                   │ ▲
 *                                                        └─┘ between warning and clear: stays active
 *
 * Severity only rises while an alert is active (warning → critical once critical has been held
 * for sustainedFor); it never falls back, because a value wobbling around the critical level
 * would otherwise re-notify on every swing. A missing value (null: no traffic, no data) cancels a
 * pending alert and changes nothing for an active one for up to `noDataResolveMs`: a short quiet
 * spell keeps it. Past that, nothing is left to judge (a queue with nothing offered has no
 * service-level problem, a spike against a baseline too small to count is no spike) and it
 * resolves, rather than staying open, and escalating, until traffic returns the next morning.
 */
export const noDataResolveMs = 15 * 60_000;
export interface Levels {
  comparator: Comparator;
  warning: number | null;
  critical: number | null;
  /** resolve only past this level (defaults to the first level that fires) */
  clear: number;
  sustainedForSec: number;
}

export interface Tracker {
  phase: 'ok' | 'pending' | 'active';
  /** when the current breach (any severity) began */
  breachSince?: number;
  /** when the critical breach began (for the critical upgrade) */
  criticalSince?: number;
  severity?: Severity;
  /** active alerts: since when the value has been missing */
  nullSince?: number;
}

export type Transition =
  | { kind: 'none' }
  | { kind: 'fire'; severity: Severity; threshold: number }
  | { kind: 'upgrade'; severity: 'critical'; threshold: number }
  | { kind: 'resolve' };

export const initialTracker: Tracker = { phase: 'ok' };

export function past(comparator: Comparator, value: number, level: number): boolean {
  return comparator === 'lt' ? value < level : value > level;
}

export function breachOf(levels: Levels, value: number): Severity | null {
  if (levels.critical !== null && past(levels.comparator, value, levels.critical)) return 'critical';
  if (levels.warning !== null && past(levels.comparator, value, levels.warning)) return 'warning';
  return null;
}

/** Past the clear level in the good direction (inclusive: reaching the clear level clears). */
export function cleared(levels: Levels, value: number): boolean {
  return levels.comparator === 'lt' ? value >= levels.clear : value <= levels.clear;
}

export function defaultClear(levels: Omit<Levels, 'clear'>): number {
  return (levels.warning ?? levels.critical)!;
}

export function step(
  prev: Tracker,
  levels: Levels,
  value: number | null,
  nowMs: number,
): { next: Tracker; transition: Transition } {
  const held = (since: number | undefined) => since !== undefined && nowMs - since >= levels.sustainedForSec * 1000;
  if (value === null || !Number.isFinite(value)) {
    if (prev.phase === 'pending') return { next: { phase: 'ok' }, transition: { kind: 'none' } };
    if (prev.phase !== 'active') return { next: prev, transition: { kind: 'none' } };
    const nullSince = prev.nullSince ?? nowMs;
    if (nowMs - nullSince >= noDataResolveMs) return { next: { phase: 'ok' }, transition: { kind: 'resolve' } };
    return { next: { ...prev, nullSince }, transition: { kind: 'none' } };
  }
  const breach = breachOf(levels, value);

  if (prev.phase === 'active') {
    if (cleared(levels, value)) return { next: { phase: 'ok' }, transition: { kind: 'resolve' } };
    const criticalSince = breach === 'critical' ? (prev.criticalSince ?? nowMs) : undefined;
    const { nullSince: _, ...rest } = prev;
    const next: Tracker = { ...rest, criticalSince };
    if (prev.severity === 'warning' && breach === 'critical' && held(criticalSince)) {
      return {
        next: { ...next, severity: 'critical' },
        transition: { kind: 'upgrade', severity: 'critical', threshold: levels.critical! },
      };
    }
    return { next, transition: { kind: 'none' } };
  }

  if (breach === null) return { next: { phase: 'ok' }, transition: { kind: 'none' } };
  const breachSince = prev.phase === 'pending' ? (prev.breachSince ?? nowMs) : nowMs;
  const criticalSince = breach === 'critical' ? (prev.criticalSince ?? nowMs) : undefined;
  if (held(breachSince)) {
    // fire at the worst severity that has itself been held long enough
    const severity: Severity = breach === 'critical' && held(criticalSince) ? 'critical' : 'warning';
    const threshold = severity === 'critical' ? levels.critical! : (levels.warning ?? levels.critical!);
    if (severity === 'warning' && levels.warning === null) {
      // critical-only rule whose critical breach has not been held yet
      return { next: { phase: 'pending', breachSince, criticalSince }, transition: { kind: 'none' } };
    }
    return {
      next: { phase: 'active', breachSince, criticalSince, severity },
      transition: { kind: 'fire', severity, threshold },
    };
  }
  return { next: { phase: 'pending', breachSince, criticalSince }, transition: { kind: 'none' } };
}
