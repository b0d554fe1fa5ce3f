import type { Alert } from '../../../../shared/contract/alerts.ts';

/**
 * Pure texts and picks of the alert banner (AlertBanner.svelte), kept apart so they are tested
 * without a DOM (test/unit/alert-banner-texts.test.ts).
 */
export type BannerLocale = 'zh-CN' | 'en';

/**
 * The escalation level as people read it: `Alert.escalationLevel` is the 0-based index into the
 * policy's levels (0 = team lead, who hears of every alert), and the notifications number it from 1
 * (server/alerts/notify/payloads.ts: "第3级 Level 3/3" for index 2). The banner numbers it the same
 * way: index 2 → "第3级" / "Level 3". Null at index 0 (nothing escalated, nothing to show).
 */
export function escalationText(level: number, locale: BannerLocale): string | null {
  if (!(level > 0)) return null;
  const n = level + 1;
  return locale === 'en' ? `escalated to Level ${n}` : `已升级至第${n}级`;
}

/** "另有 n 条告警" / "n more alert(s)": the alerts the banner has no room for */
export function moreText(n: number, locale: BannerLocale): string {
  return locale === 'en' ? `${n} more ${n === 1 ? 'alert' : 'alerts'}` : `另有 ${n} 条告警`;
}

/**
 * The metric of the event-feed-silence rule (server/alerts/metrics.ts `feedSilenceSec`; the
 * standard rule is `<center>.feedHealth`, server/alerts/defaults.ts). While it is open every other
 * figure may be frozen, so it is never hidden behind other alerts.
 */
export const feedSilenceMetric = 'feedSilenceSec';

/** an open (firing or acknowledged) feed-silence alert */
export function isFeedSilent(a: Alert): boolean {
  return a.metric === feedSilenceMetric && a.state !== 'resolved';
}

/** the open feed-silence alert of a list (the most severe, then the newest), or null */
export function findFeedSilent(list: readonly Alert[]): Alert | null {
  let best: Alert | null = null;
  for (const a of list) {
    if (!isFeedSilent(a)) continue;
    if (!best || (a.severity === 'critical' && best.severity !== 'critical') || (a.severity === best.severity && a.startedAt > best.startedAt)) best = a;
  }
  return best;
}
