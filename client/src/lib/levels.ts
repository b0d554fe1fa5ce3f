import type { DisplayThresholds } from '../../../shared/contract/config.ts';
import { channelThresholdKeys, tileIds } from '../../../shared/contract/config.ts';
import { channels as allChannels, type Channel } from '../../../shared/contract/events.ts';
import type { PublicConfig } from '../../../shared/realtime/public-config.ts';
import { metricDefinition } from '../../../shared/metrics/registry.ts';
import { fewestExtraDigits, readsAsFalseExtreme } from '../../../shared/format/shown-digits.ts';
import { shownReadings, shownValue, type FigureKind } from './format.ts';

export type TileId = (typeof tileIds)[number];
/** a figure's display threshold (`byChannel` holds the per-channel ones, see thresholdsForRow) */
export type DisplayThresholdKey = Exclude<keyof DisplayThresholds, 'byChannel'>;
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
export function levelOf(value: number | null, key: keyof DisplayThresholds | undefined, metric: string, thresholds: DisplayThresholds): Level {
  // (`byChannel` is no figure's threshold: the KPI figures type theirs as any key of the thresholds)
  if (value == null || !key || key === 'byChannel') return 'none';
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

/** What a row covers, as a result states it (MetricsResult, a team row's figures). */
export interface RowScope {
  center: string;
  queue: string | null;
  group: string | null;
  channel: Channel | null;
}

/**
 * The channels a row's contacts come from: its channel; a queue's (configured, or discovered from
 * its events); those of a group's queues; for the center (or a team, whose agents serve any
 * queue) those of the center's queues. Unknown (a queue not yet seen): every channel.
 */
export function channelsOfRow(scope: RowScope, cfg: Pick<PublicConfig, 'queues' | 'groups'> | null | undefined): Channel[] {
  if (scope.channel) return [scope.channel];
  const queues = (cfg?.queues ?? []).filter((q) => q.center === scope.center);
  const channelOf = (id: string) => queues.find((q) => q.id === id)?.channel ?? null;
  let found: (Channel | null)[];
  if (scope.queue) found = [channelOf(scope.queue)];
  else if (scope.group) found = (cfg?.groups.find((g) => g.center === scope.center && g.id === scope.group)?.queues ?? []).map(channelOf);
  else found = queues.map((q) => q.channel);
  if (!found.length || found.includes(null)) return [...allChannels];
  return allChannels.filter((c) => found.includes(c));
}

/**
 * The thresholds that colour a row of `channels`: a figure a channel overrides (`byChannel`) takes
 * that channel's thresholds; a row of several channels takes the strictest of theirs, level by
 * level — the one that turns amber (red) first, so no channel's trouble is hidden by another's
 * looser promise (for "lower is better" figures the lowest, for "higher is better" the highest).
 */
export function thresholdsForChannels(thresholds: DisplayThresholds, channels: readonly Channel[]): DisplayThresholds {
  const byChannel = thresholds.byChannel;
  if (!byChannel || !channels.length) return thresholds;
  const out: DisplayThresholds = { ...thresholds };
  for (const key of channelThresholdKeys) {
    const own = channels.map((c) => byChannel[c]?.[key] ?? thresholds[key]);
    const strictest = metricDefinition(key)?.higherIsBetter ? Math.max : Math.min;
    out[key] = { warning: strictest(...own.map((t) => t.warning)), critical: strictest(...own.map((t) => t.critical)) };
  }
  return out;
}

/** `thresholdsForChannels` for a row of a view (a wall tile, a console row) */
export function thresholdsForRow(thresholds: DisplayThresholds, scope: RowScope | undefined, cfg: Pick<PublicConfig, 'queues' | 'groups'> | null | undefined): DisplayThresholds {
  if (!thresholds.byChannel || !scope) return thresholds;
  return thresholdsForChannels(thresholds, channelsOfRow(scope, cfg));
}

/** decimals a figure may get beyond the usual ones to stay in its level: the text stays short */
const maxExtraDigits = 2;
/** only for thresholds configured finer than that (e.g. 87.4444%): more decimals, never a wrong level */
const lastResortDigits = 6;

/** How a figure is written beside its level colour: `value` (what to format) with `extra` decimals. */
export interface LevelText {
  extra: number;
  value: number | null;
}

/** one unit of the last decimal `formatKind(kind, …, extra)` writes, as a multiplier (percent: of the fraction) */
function decimalsScale(kind: FigureKind, extra: number): number {
  if (kind === 'percent') return 10 ** (3 + extra);
  if (kind === 'score') return 10 ** (1 + extra);
  return 10 ** extra;
}

/** `value` on the grid of `extra` decimals, rounded down (`down`) or up, never past the value */
function roundToward(kind: FigureKind, value: number, extra: number, down: boolean): number {
  const scale = decimalsScale(kind, extra);
  let units = Math.round(value * scale);
  if (down && units / scale > value) units -= 1;
  if (!down && units / scale < value) units += 1;
  return units / scale;
}

/**
 * How a figure is written beside its level colour. The colour is judged on the exact value
 * (`levelOf`); the text is rounded. When the rounded text would fall in another level than the
 * exact value — reach a threshold the value has not reached, or the other way (ASA 19.6 s as
 * "20 秒" in green beside a ≥ 20 s warning, 5/101 as "5.0%" beside a ≥ 5% warning, 59.6 s as "1:00"
 * beside a ≥ 60 s warning, 79.96% as "80.0%" in warning beside an 80% target) — up to two decimals
 * are added until text and colour agree ("19.6 秒", "4.95%", "59.6 秒", "79.96%"). If two extra
 * decimals still read as the threshold (or beyond it), the figure is rounded towards its own side
 * of the threshold at that precision instead of to the nearest: down for a value below it, up for
 * one above (19.99999975 s → "19.99 秒", 49.99975% → "49.999%"), so text and colour always agree
 * and the text stays short. A text that reads as the threshold and has its level (20.1 s as
 * "20 秒" beside ≥ 20 s: warning) keeps the usual digits. `judge` is the figure's `levelOf`.
 */
export function digitsForLevel(kind: FigureKind, value: number | null, judge: (v: number) => Level): LevelText {
  if (value == null || !Number.isFinite(value) || kind === 'count') return { extra: 0, value };
  const level = judge(value);
  if (level === 'none') return { extra: 0, value };
  // the text is judged as it reads (shownReadings rounds as formatKind prints), not the exact
  // value; a ratio written as a bound ("> 99.99%") reads right only if all it leaves open does
  const readsRight = (v: number, extra: number) => shownReadings(kind, v, extra).every((x) => judge(x) === level);
  const nearest = fewestExtraDigits(0, maxExtraDigits, (extra) => readsRight(value, extra));
  if (nearest !== undefined) return { extra: nearest, value };
  // the nearest rounding crossed a threshold: round towards the exact value's side of it instead,
  // but never onto 0 % or 100 % for a ratio that is neither (the text would print that exactly)
  const toward = (extra: number) => roundToward(kind, value, extra, shownValue(kind, value, extra) > value);
  const directed = fewestExtraDigits(maxExtraDigits, lastResortDigits, (extra) => {
    const t = toward(extra);
    return !(kind === 'percent' && readsAsFalseExtreme(value, t)) && readsRight(t, extra);
  });
  if (directed !== undefined) return { extra: directed, value: toward(directed) };
  return { extra: lastResortDigits, value };
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
