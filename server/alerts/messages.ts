import type { AlertRule, AlertScope, Comparator, LocalizedText, Severity } from '../../shared/contract/alerts.ts';
import { metricDefinition } from '../../shared/metrics/registry.ts';
import type { Subject } from './metrics.ts';
import { reasonNames } from '../../shared/contract/config.ts';

/** Bilingual alert text (zh-CN first: the users are supervisors of Chinese bank contact centers). */

const extraNames: Record<string, LocalizedText> = {
  waitingPerAvailableAgent: { zh: '每名空闲座席对应排队数', en: 'Waiting per available agent' },
  notReadySec: { zh: '示忙时长', en: 'Time not ready' },
  arrivalsVsBaseline: { zh: '近15分钟进线量/同期基线', en: 'Arrivals (15 min) vs baseline' },
  arrivalsVsForecast: { zh: '近15分钟进线量/预测', en: 'Arrivals (15 min) vs forecast' },
  feedSilenceSec: { zh: '数据源静默时长', en: 'Feed silent for' },
  csat: { zh: '客户满意度', en: 'CSAT' },
  botResolutionRate: { zh: '机器人问题解决率', en: 'Bot resolution rate' },
};

/** the registry entry of an alert metric (KPI pack figures are registered as `kpi.<id>`) */
function definitionOf(metric: string) {
  const aliases: Record<string, string> = { fcr: 'firstContactResolution' };
  return metricDefinition(metric) ?? metricDefinition(`kpi.${aliases[metric] ?? metric}`);
}

export function metricName(metric: string): LocalizedText {
  return extraNames[metric] ?? definitionOf(metric)?.name ?? { zh: metric, en: metric };
}

type Unit = 'ratio' | 'seconds' | 'count' | 'times';
export function unitOf(metric: string): Unit {
  if (metric === 'arrivalsVsBaseline' || metric === 'arrivalsVsForecast') return 'times';
  if (metric.endsWith('Sec')) return 'seconds';
  const d = definitionOf(metric);
  if (d) return d.unit;
  if (/(Rate|Share)$/.test(metric) || metric === 'csat' || metric === 'fcr') return 'ratio';
  return 'count';
}

/** A duration as a supervisor reads it: 45秒 / 3分05秒 / 1小时05分 (zh), 45s / 3m05s / 1h05m (en). */
function formatDuration(seconds: number, lang: 'zh' | 'en'): string {
  const total = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  if (total >= 3600) return lang === 'zh' ? `${h}小时${pad(m)}分` : `${h}h${pad(m)}m`;
  if (total >= 120) return lang === 'zh' ? `${m}分${pad(s)}秒` : `${m}m${pad(s)}s`;
  return lang === 'zh' ? `${total}秒` : `${total}s`;
}

export function formatValue(metric: string, v: number | null, lang: 'zh' | 'en' = 'en'): string {
  if (v === null) return '—';
  switch (unitOf(metric)) {
    case 'ratio':
      return `${(v * 100).toFixed(1)}%`;
    case 'seconds':
      return formatDuration(v, lang);
    case 'times':
      return `${v.toFixed(2)}×`;
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(metric === 'csatMeanScore' ? 2 : 1);
  }
}

const severityText: Record<Severity, LocalizedText> = {
  warning: { zh: '预警', en: 'Warning' },
  critical: { zh: '严重', en: 'Critical' },
};

/** Display names of configured centers, queues, groups and teams; ids stay the fallback. */
export interface ScopeNames {
  center(id: string): LocalizedText | undefined;
  queue(center: string, id: string): LocalizedText | undefined;
  group(center: string, id: string): LocalizedText | undefined;
  team(center: string, id: string): LocalizedText | undefined;
  reason(code: string): LocalizedText | undefined;
}

export function scopeNamesFrom(config: {
  centers: { id: string; name: LocalizedText }[];
  queues: { id: string; center: string; name: LocalizedText }[];
  groups: { id: string; center: string; name: LocalizedText }[];
  teams: { id: string; center: string; name: LocalizedText }[];
  reasons: { id: string; name: LocalizedText }[];
}): ScopeNames {
  const reasons = reasonNames(config);
  const find = (list: { id: string; center: string; name: LocalizedText }[]) => (center: string, id: string) =>
    list.find((x) => x.center === center && x.id === id)?.name;
  return {
    center: (id) => config.centers.find((c) => c.id === id)?.name,
    queue: find(config.queues),
    group: find(config.groups),
    team: find(config.teams),
    reason: (code) => reasons[code],
  };
}

/** Where an alert is: the center, then queue / channel / group / team / agent / reason.
 * `withCenter: false` leaves the center out (a screen that shows one center already says it). */
export function scopeText(s: AlertScope, names?: ScopeNames, opts: { withCenter?: boolean } = {}): LocalizedText {
  const label = (n: LocalizedText | undefined, id: string) => ({ zh: n?.zh ?? id, en: n?.en ?? id });
  const centerName = names?.center(s.center);
  const withCenter = opts.withCenter ?? true;
  const zh: string[] = withCenter ? [centerName?.zh ?? `中心 ${s.center}`] : [];
  const en: string[] = withCenter ? [centerName?.en ?? `center ${s.center}`] : [];
  if (s.queue) {
    const q = label(names?.queue(s.center, s.queue), s.queue);
    zh.push(`队列 ${q.zh}`), en.push(`queue ${q.en}`);
  }
  if (s.channel) {
    const ch = { voice: ['语音', 'voice'], text: ['文本', 'text'], video: ['视频', 'video'] }[s.channel];
    zh.push(`${ch[0]}渠道`), en.push(`${ch[1]} channel`);
  }
  if (s.group) {
    const g = label(names?.group(s.center, s.group), s.group);
    zh.push(`队列组 ${g.zh}`), en.push(`group ${g.en}`);
  }
  if (s.team) {
    const t = label(names?.team(s.center, s.team), s.team);
    zh.push(`班组 ${t.zh}`), en.push(`team ${t.en}`);
  }
  if (s.agent) zh.push(`座席 ${s.agent}`), en.push(`agent ${s.agent}`);
  if (s.reason) {
    const r = label(names?.reason(s.reason), s.reason);
    zh.push(`原因 ${r.zh}`), en.push(`reason ${r.en}`);
  }
  return { zh: zh.join('，'), en: en.join(', ') };
}

function direction(c: Comparator): LocalizedText {
  return c === 'lt' ? { zh: '低于', en: 'below' } : { zh: '高于', en: 'above' };
}

/** signed percentage of a ratio against 1: 1.56 → "+56%" */
export function ratioPercent(ratio: number): string {
  const p = Math.round((ratio - 1) * 100);
  return `${p >= 0 ? '+' : ''}${p}%`;
}

export function alertMessage(
  rule: AlertRule,
  subject: Subject,
  severity: Severity,
  threshold: number,
  names?: ScopeNames,
): LocalizedText {
  const sev = severityText[severity];
  const what = alertBody(rule, subject, threshold);
  const where = scopeText(subject.scope, names);
  return { zh: `【${sev.zh}】${what.zh} — ${where.zh}`, en: `[${sev.en}] ${what.en} — ${where.en}` };
}

/**
 * The same alert for a screen of one center that shows the severity beside it: no severity
 * prefix, no center name, so what matters (figure, team, agent, reason) fits on a TV line.
 */
export function alertHeadline(rule: AlertRule, subject: Subject, threshold: number, names?: ScopeNames): LocalizedText {
  const what = alertBody(rule, subject, threshold);
  const where = scopeText(subject.scope, names, { withCenter: false });
  return {
    zh: where.zh ? `${what.zh} — ${where.zh}` : what.zh,
    en: where.en ? `${what.en} — ${where.en}` : what.en,
  };
}

/** what crossed which threshold, without severity or place */
function alertBody(rule: AlertRule, subject: Subject, threshold: number): LocalizedText {
  const v = subject.value;
  if ((rule.metric === 'arrivalsVsBaseline' || rule.metric === 'arrivalsVsForecast') && v !== null) {
    const ref = subject.facts?.reference ?? '—';
    const live = subject.facts?.live ?? '—';
    const isForecast = rule.metric === 'arrivalsVsForecast';
    return {
      zh: `话务激增：近15分钟进线 ${live}，为${isForecast ? '预测量' : '同期基线'} ${ref} 的 ${v.toFixed(2)} 倍（${ratioPercent(v)}，阈值 ${threshold.toFixed(2)} 倍）`,
      en: `Traffic spike: ${live} arrivals in the last 15 min, ${v.toFixed(2)}× the ${isForecast ? 'forecast' : 'baseline'} of ${ref} (${ratioPercent(v)}, threshold ${threshold.toFixed(2)}×)`,
    };
  }
  if (rule.metric === 'feedSilenceSec') {
    return {
      zh: `数据源中断：营业时间内已 ${formatValue('feedSilenceSec', v, 'zh')} 未收到事件（阈值 ${formatValue('feedSilenceSec', threshold, 'zh')}）`,
      en: `Event feed silent: no events for ${formatValue('feedSilenceSec', v)} during opening hours (threshold ${formatValue('feedSilenceSec', threshold)})`,
    };
  }
  const name = metricName(rule.metric);
  const dir = direction(rule.comparator);
  return {
    zh: `${name.zh} ${formatValue(rule.metric, v, 'zh')}，${dir.zh}阈值 ${formatValue(rule.metric, threshold, 'zh')}`,
    en: `${name.en} ${formatValue(rule.metric, v)}, ${dir.en} threshold ${formatValue(rule.metric, threshold)}`,
  };
}
