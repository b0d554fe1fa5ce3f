import type { Alert, AlertChange } from '../../../../shared/contract/alerts.ts';
import { isFeedSilent } from './texts.ts';

/**
 * One `alert:changed` message applied to a center's list: each alert of the center takes its
 * latest state (changes are in the order they happened). Null when none is of this center.
 * `resolved`: the ids now resolved, which leave the screen after a short while.
 */
export function mergeAlertChanges(list: readonly Alert[], changes: readonly AlertChange[], center: string): { alerts: Alert[]; resolved: string[] } | null {
  const latest = new Map<string, Alert>();
  for (const c of changes) if (c.alert.scope.center === center) latest.set(c.alert.id, c.alert);
  if (latest.size === 0) return null;
  const alerts = sortAlerts([...list.filter((x) => !latest.has(x.id)), ...latest.values()]);
  return { alerts, resolved: [...latest.values()].filter((a) => a.state === 'resolved').map((a) => a.id) };
}

const rank = { critical: 0, warning: 1 } as const;
const stateRank = { firing: 0, acknowledged: 1, resolved: 2 } as const;
/**
 * An open feed-silence alert first, whatever its severity or state (it says every other figure may
 * be frozen, so it must never sit under "另有 n 条告警"); then firing, acknowledged, resolved;
 * critical before warning; newest first.
 */
export function sortAlerts(list: Alert[]): Alert[] {
  return list.sort(
    (a, b) =>
      Number(isFeedSilent(b)) - Number(isFeedSilent(a)) ||
      stateRank[a.state] - stateRank[b.state] || rank[a.severity] - rank[b.severity] || b.startedAt.localeCompare(a.startedAt),
  );
}
