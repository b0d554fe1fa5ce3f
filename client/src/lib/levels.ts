import type { DisplayThresholds } from '../../../shared/contract/config.ts';
import { tileIds } from '../../../shared/contract/config.ts';
import { metricDefinition } from '../../../shared/metrics/registry.ts';
import { shownValue, type FigureKind } from './format.ts';

export type TileId = (typeof tileIds)[number];
export type DisplayThresholdKey = keyof DisplayThresholds;
export type Level = 'normal' | 'warning' | 'critical' | 'none';

/**
 * Where `value` lies against a configured limit: −1 below, 0 at, 1 above. Differences below a
 * billionth (floating-point noise such as 1 − 0.7 = 0.30000000000000004) count as "at": no figure
 * on screen is that precise, and text and colour must judge the same way.
 */
export function compareToLimit(value: number, limit: number): -1 | 0 | 1 {
  if (Math.abs(value - limit) <= 1e-9 * Math.max(1, Math.abs(limit))) return 0;
  return value < limit ? -1 : 1;
}

/**
 * Display colouring from the configured thresholds (a presentation rule, not a metric formula):
 * for "higher is better" figures (registry) a value below warning is warning, below critical is
 * critical; for the others, at or above. A null figure has no level. Judged on the exact value.
 */
export function levelOf(value: number | null, key: DisplayThresholdKey | undefined, metric: string, thresholds: DisplayThresholds): Level {
  if (value == null || !key) return 'none';
  const t = thresholds[key];
  if (metricDefinition(metric)?.higherIsBetter) {
    if (compareToLimit(value, t.critical) < 0) return 'critical';
    if (compareToLimit(value, t.warning) < 0) return 'warning';
    return 'normal';
  }
  if (compareToLimit(value, t.critical) >= 0) return 'critical';
  if (compareToLimit(value, t.warning) >= 0) return 'warning';
  return 'normal';
}

const maxExtraDigits = 6;

/**
 * How many decimals beyond the usual a figure needs beside its level colour. The colour is judged on
 * the exact value (`levelOf`); the text is rounded. When the rounded text would fall in another
 * level than the exact value — reach a threshold the value has not reached, or the other way (ASA
 * 19.6 s as "20 秒" in green beside a ≥ 20 s warning, 5/101 as "5.0%" beside a ≥ 5% warning, 59.6 s
 * as "1:00" beside a ≥ 60 s warning, 79.96% as "80.0%" in warning beside an 80% target) — decimals
 * are added until text and colour agree ("19.6 秒", "4.95%", "59.6 秒", "79.96%"). A text that
 * reads as the threshold and has its level (20.1 s as "20 秒" beside ≥ 20 s: warning) keeps the
 * usual digits. `judge` is the figure's `levelOf`.
 */
export function extraDigits(kind: FigureKind, value: number | null, judge: (v: number) => Level): number {
  if (value == null || !Number.isFinite(value) || kind === 'count') return 0;
  const level = judge(value);
  if (level === 'none') return 0;
  for (let extra = 0; extra < maxExtraDigits; extra++) {
    if (judge(shownValue(kind, value, extra)) === level) return extra;
  }
  return maxExtraDigits;
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
