import type { AppConfig } from '../../shared/contract/config.ts';
import { alertRule, type AlertRule, type AlertRuleInput } from '../../shared/contract/alerts.ts';
import type { Channel } from '../../shared/contract/events.ts';

/**
 * Built-in rules, used until an admin PUTs thresholds (or the config's alerts.rules replaces them).
 * Levels follow the standards (answer rate ≥ 90%, service level 80% in 20 s, CSAT ≥ 85%) and the
 * tile colours of displayThresholds; the operational ones are common practice and meant to be tuned.
 * Answer rate and service level are per channel (the standard measures them per channel) when the
 * config lists queues, otherwise for the whole center.
 */
/**
 * Spike rules hold 15 s, not 60: the 15-minute window already smooths the count (a ratio moves
 * slowly), so a long hold adds delay, not certainty. A doubling of traffic passes 1.3x 4.5 min
 * after it starts (the window is then 30% new traffic); +15 s hold +5 s evaluation = 4 min 50 s,
 * inside standards §6 "alert response <= 5 minutes". The hold still rides out one evaluation's
 * blip (a burst of late events).
 */
export const spikeSustainedSec = 15;

export function defaultRules(config: AppConfig): AlertRule[] {
  const out: AlertRuleInput[] = [];
  for (const center of config.centers) {
    const c = center.id;
    const channels = [...new Set(config.queues.filter((q) => q.center === c).map((q) => q.channel))] as Channel[];
    const slices: { suffix: string; scope: AlertRuleInput['scope'] }[] =
      channels.length > 0
        ? channels.map((ch) => ({ suffix: `.${ch}`, scope: { center: c, channel: ch } }))
        : [{ suffix: '', scope: { center: c } }];
    for (const { suffix, scope } of slices) {
      out.push(
        {
          id: `${c}.answerRate${suffix}`,
          name: { zh: '人工接通率低于90%', en: 'Answer rate below 90%' },
          metric: 'answerRate', scope, window: '30m', comparator: 'lt',
          warning: 0.9, critical: 0.85, clear: 0.92, sustainedForSec: 120,
        },
        {
          id: `${c}.serviceLevel${suffix}`,
          name: { zh: '服务水平低于80%（20秒）', en: 'Service level below 80% (20 s)' },
          metric: 'serviceLevel', scope, window: '30m', comparator: 'lt',
          warning: 0.8, critical: 0.7, clear: 0.82, sustainedForSec: 120,
        },
      );
    }
    const scope = { center: c };
    out.push(
      {
        id: `${c}.longestWait`, name: { zh: '最长等待过长', en: 'Longest wait too long' },
        metric: 'longestWaitSec', scope, comparator: 'gt', warning: 60, critical: 120, clear: 45, sustainedForSec: 30,
      },
      {
        id: `${c}.waitingPerAgent`, name: { zh: '每名空闲座席对应排队数过多', en: 'Too many waiting per available agent' },
        metric: 'waitingPerAvailableAgent', scope, comparator: 'gt', warning: 3, critical: 6, clear: 2, sustainedForSec: 60,
      },
      {
        id: `${c}.occupancyHigh`, name: { zh: '占用率过高（疲劳风险）', en: 'Occupancy above band (burnout risk)' },
        metric: 'occupancy', scope, window: '60m', comparator: 'gt', warning: 0.9, critical: 0.95, clear: 0.87, sustainedForSec: 300,
      },
      {
        id: `${c}.occupancyLow`, name: { zh: '占用率过低（人员闲置）', en: 'Occupancy below band (idle staff)' },
        metric: 'occupancy', scope, window: '60m', comparator: 'lt', warning: 0.5, critical: null, clear: 0.55, sustainedForSec: 900,
      },
      {
        id: `${c}.notReadyBreak`, name: { zh: '小休超时', en: 'Break too long' },
        metric: 'notReadySec', reason: 'break', scope, comparator: 'gt', warning: 900, critical: 1200, sustainedForSec: 0,
      },
      {
        id: `${c}.notReadyMeal`, name: { zh: '就餐超时', en: 'Meal too long' },
        metric: 'notReadySec', reason: 'meal', scope, comparator: 'gt', warning: 1800, critical: 2700, sustainedForSec: 0,
      },
      {
        id: `${c}.notReady`, name: { zh: '示忙时间过长', en: 'Not ready too long' },
        metric: 'notReadySec', scope, comparator: 'gt', warning: 1800, critical: 3600, sustainedForSec: 0,
      },
      {
        id: `${c}.spikeBaseline`, name: { zh: '话务激增（对比同期）', en: 'Traffic spike vs baseline' },
        metric: 'arrivalsVsBaseline', scope, window: '15m', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: spikeSustainedSec,
      },
      {
        id: `${c}.spikeForecast`, name: { zh: '话务偏离预测', en: 'Traffic above forecast' },
        metric: 'arrivalsVsForecast', scope, window: '15m', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2, sustainedForSec: spikeSustainedSec,
      },
      {
        id: `${c}.feedHealth`, name: { zh: '数据源中断', en: 'Event feed silent' },
        metric: 'feedSilenceSec', scope, comparator: 'gt', warning: 300, critical: 900, clear: 60, sustainedForSec: 0,
      },
      {
        id: `${c}.csat`, name: { zh: '客户满意度低于85%', en: 'CSAT below 85%' },
        metric: 'csat', scope, window: 'today', comparator: 'lt', warning: 0.85, critical: 0.8, clear: 0.86, sustainedForSec: 300,
      },
    );
  }
  return out.map((r) => alertRule.parse(r));
}
