import type { MetricsResult } from '../../../shared/contract/metrics-api.ts';
import { formatExact, formatTime, type LocaleId } from './format.ts';

type Change = NonNullable<MetricsResult['thresholdChanges']>[number];

/**
 * How a figure says that its service-level threshold changed inside its span (a new
 * configuration: `thresholdChanges`, server/metrics/threshold-history.ts): before the change its
 * contacts were judged against the old threshold, after it against the new one, so "80% / 30 s"
 * alone would misstate the part before. `short` is the threshold part of the wall's target line,
 * "20→30 s" (or "changed" when queues of the row changed differently); `long` the sentence for a
 * tooltip or a table's note, with the time of the change on the center's clock.
 */
export function serviceLevelChange(
  row: { thresholdChanges?: MetricsResult['thresholdChanges'] } | undefined,
  locale: LocaleId,
  timeZone: string,
): { short: string; long: string } | null {
  const changes = (row?.thresholdChanges ?? []).filter((c): c is Change & { serviceLevelSec: { from: number; to: number } } => c.serviceLevelSec !== null);
  if (changes.length === 0) return null;
  const pairs = new Set(changes.map((c) => `${c.serviceLevelSec.from}|${c.serviceLevelSec.to}`));
  const first = changes[0]!.serviceLevelSec;
  const zh = locale !== 'en';
  const short = pairs.size === 1 ? `${formatExact('count', first.from, locale)}→${formatExact('duration', first.to, locale)}` : zh ? '已变更' : 'changed';
  const each = changes.map((c) => {
    const at = formatTime(Date.parse(c.at), locale, timeZone, false);
    const from = formatExact('duration', c.serviceLevelSec.from, locale);
    const to = formatExact('duration', c.serviceLevelSec.to, locale);
    return zh ? `${c.queue} 于 ${at} 由 ${from} 改为 ${to}` : `${c.queue}: ${from} → ${to} at ${at}`;
  });
  const long = zh
    ? `服务水平阈值在本时段内变更：${each.join('；')}。变更前的接通按原阈值计。`
    : `Service-level threshold changed in this span: ${each.join('; ')}. Contacts before the change were judged against the earlier threshold.`;
  return { short, long };
}
