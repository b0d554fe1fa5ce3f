import type { AlertState, EscalationPolicy, Severity } from '../../shared/contract/alerts.ts';

/**
 * Escalation, pure. Level 0 (team lead) hears of every alert when it fires. A critical alert that
 * nobody acknowledges within `escalateAfterSec` moves up one level (floor manager, then duty
 * director), and the timer restarts at each level. Until acknowledged, the current level is
 * re-notified every `reNotifyEverySec` (warnings only if the policy asks). Acknowledging or
 * resolving stops both.
 */
export interface EscalationProgress {
  level: number;
  /** when the current level was reached (for a warning upgraded to critical: the upgrade time) */
  levelSince: number;
  lastNotifiedAt: number;
  /**
   * false from opening until the "raised" notification is claimed (store.claimAnnouncement):
   * an alert opened by a process that failed before notifying is announced by the next
   * evaluation, once — or, if it resolves first, by its resolve step (which drops the progress,
   * so no claim can follow). Absent (older entries) = announced.
   */
  announced?: boolean;
}

export type EscalationAction = { kind: 'none' } | { kind: 'escalate'; level: number } | { kind: 'renotify'; level: number };

export function nextEscalation(
  alert: { severity: Severity; state: AlertState },
  progress: EscalationProgress,
  policy: Pick<EscalationPolicy, 'levels' | 'reNotifyEverySec' | 'reNotifyWarnings' | 'escalateAfterSec'>,
  escalateAfterSec: number | undefined,
  nowMs: number,
): EscalationAction {
  if (alert.state !== 'firing') return { kind: 'none' };
  const after = (escalateAfterSec ?? policy.escalateAfterSec) * 1000;
  if (alert.severity === 'critical' && progress.level < policy.levels.length - 1 && nowMs - progress.levelSince >= after) {
    return { kind: 'escalate', level: progress.level + 1 };
  }
  const repeats = alert.severity === 'critical' || policy.reNotifyWarnings;
  if (repeats && nowMs - progress.lastNotifiedAt >= policy.reNotifyEverySec * 1000) {
    return { kind: 'renotify', level: progress.level };
  }
  return { kind: 'none' };
}
