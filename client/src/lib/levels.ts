import type { DisplayThresholds } from '../../../shared/contract/config.ts';
import { tileIds } from '../../../shared/contract/config.ts';
import { metricDefinition } from '../../../shared/metrics/registry.ts';

export type TileId = (typeof tileIds)[number];
export type DisplayThresholdKey = keyof DisplayThresholds;
export type Level = 'normal' | 'warning' | 'critical' | 'none';

/**
 * Display colouring from the configured thresholds (a presentation rule, not a metric formula):
 * for "higher is better" figures (registry) a value below warning is warning, below critical is
 * critical; for the others, at or above. A null figure has no level.
 */
export function levelOf(value: number | null, key: DisplayThresholdKey | undefined, metric: string, thresholds: DisplayThresholds): Level {
  if (value == null || !key) return 'none';
  const t = thresholds[key];
  if (metricDefinition(metric)?.higherIsBetter) {
    if (value < t.critical) return 'critical';
    if (value < t.warning) return 'warning';
    return 'normal';
  }
  if (value >= t.critical) return 'critical';
  if (value >= t.warning) return 'warning';
  return 'normal';
}

/** Agent grid: how long is too long in a state ("state:reason" first, then "state"). */
export function stateTimeLevel(
  state: string,
  reason: string | null,
  seconds: number,
  thresholds: Record<string, { warning: number; critical: number }>,
): { level: Level; depth: number } {
  const t = (reason ? thresholds[`${state}:${reason}`] : undefined) ?? thresholds[state];
  if (!t) return { level: 'normal', depth: 0 };
  const level: Level = seconds >= t.critical ? 'critical' : seconds >= t.warning ? 'warning' : 'normal';
  return { level, depth: Math.min(1, seconds / t.critical) };
}
