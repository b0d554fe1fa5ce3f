import type { Alert, AlertRule, AlertScope, Comparator, LocalizedText, Severity } from '../../shared/contract/alerts.ts';
import { fewestExtraDigits, readsAsFalseExtreme, shownByMathRound, shownByToFixed } from '../../shared/format/shown-digits.ts';
import { metricDefinition } from '../../shared/metrics/registry.ts';
import type { Subject } from './metrics.ts';
import { reasonNames } from '../../shared/contract/config.ts';
import { noDataResolveMs, past } from './hysteresis.ts';

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

/**
 * A duration as a supervisor reads it: 45秒 / 3分05秒 / 1小时05分 (zh), 45s / 3m05s / 1h05m (en).
 * `precision` 1 keeps the seconds of an hour-long duration (1h00m03s), 2+ adds decimals to the
 * seconds (formatAgainst asks for them when the usual reading would meet the threshold's).
 */
function formatDuration(seconds: number, lang: 'zh' | 'en', precision = 0): string {
  const d = Math.max(0, precision - 1);
  const scale = 10 ** d;
  const t = Math.round(seconds * scale); // in 1/scale seconds
  const [h, m] = [Math.floor(t / (3600 * scale)), Math.floor((t % (3600 * scale)) / (60 * scale))];
  const sec = (t % (60 * scale)) / scale;
  const total = t / scale;
  const pad = (n: number) => String(n).padStart(2, '0');
  const padS = (x: number) => (d > 0 ? x.toFixed(d).padStart(3 + d, '0') : pad(x));
  if (total >= 3600) {
    if (precision === 0) return lang === 'zh' ? `${h}小时${pad(m)}分` : `${h}h${pad(m)}m`;
    return lang === 'zh' ? `${h}小时${pad(m)}分${padS(sec)}秒` : `${h}h${pad(m)}m${padS(sec)}s`;
  }
  if (total >= 120) return lang === 'zh' ? `${m}分${padS(sec)}秒` : `${m}m${padS(sec)}s`;
  const all = d > 0 ? total.toFixed(d) : String(total);
  return lang === 'zh' ? `${all}秒` : `${all}s`;
}

/**
 * The number a reader takes from formatValue(metric, v, _, precision), in the unit printed (a
 * ratio as its percentage): the printed digits themselves, rounded by the same toFixed /
 * Math.round that prints them — deciding with one rounding and printing with another read
 * 3.05 (3.04999… in binary) as "3.0" beside a threshold of 3. (The screens print with Intl,
 * which reads such a half the other way, "3.1": see shared/format/shown-digits.ts.)
 */
function shownValue(metric: string, v: number, precision: number): number {
  switch (unitOf(metric)) {
    case 'ratio':
      return shownByToFixed(v * 100, 1 + precision);
    case 'seconds': {
      // formatDuration: Math.round in units of 10^-(precision-1) s; hours without seconds at 0
      const total = shownByMathRound(v, Math.max(0, precision - 1));
      return precision === 0 && total >= 3600 ? Math.floor(total / 60) * 60 : total;
    }
    case 'times':
      return shownByToFixed(v, 2 + precision);
    default:
      return shownByToFixed(v, countDecimals(metric) + precision);
  }
}

const countDecimals = (metric: string) => (metric === 'csatMeanScore' ? 2 : 1);

/**
 * `precision` 0 is the usual reading (87.3%, 1.56×, 3m05s); each step adds a decimal (or, for
 * durations of an hour or more, first the seconds).
 */
export function formatValue(metric: string, v: number | null, lang: 'zh' | 'en' = 'en', precision = 0): string {
  if (v === null) return '—';
  switch (unitOf(metric)) {
    case 'ratio':
      return `${(v * 100).toFixed(1 + precision)}%`;
    case 'seconds':
      return formatDuration(v, lang, precision);
    case 'times':
      return `${v.toFixed(2 + precision)}×`;
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(countDecimals(metric) + precision);
  }
}

/** the most extra digits an alert text prints: value and threshold closer than that read alike */
const maxPrecision = 6;

/**
 * The fewest extra digits with which a value reads on its own side of a threshold: 79.96% is
 * "79.96%" beside "80.00%", never "80.0%, below threshold 80.0%"; 3603 s is "1h00m03s" beside
 * "1h00m00s". 0 when the usual reading already does (or the two are equal).
 */
export function precisionAgainst(metric: string, v: number, threshold: number): number {
  const side = Math.sign(v - threshold);
  // a ratio reads 100 % (0 %) only when it is exactly 1 (0): 2 499 of 2 500 is "99.96%", as on
  // the screens (shared/format/shown-digits.ts); a text can afford the decimals a bound saves a tile
  const ratio = unitOf(metric) === 'ratio';
  const readsRight = (p: number) =>
    !(ratio && readsAsFalseExtreme(v, shownValue(metric, v, p) / 100)) && Math.sign(shownValue(metric, v, p) - shownValue(metric, threshold, p)) === side;
  return fewestExtraDigits(0, maxPrecision - 1, readsRight) ?? maxPrecision;
}

/**
 * value and threshold, formatted alike (the same decimals: "3.05, above threshold 3.00", not
 * "… 3") and never reading equal unless they are
 */
export function formatAgainst(metric: string, v: number | null, threshold: number, lang: 'zh' | 'en' = 'en'): [string, string] {
  if (v === null) return [formatValue(metric, v, lang), formatValue(metric, threshold, lang)];
  const p = precisionAgainst(metric, v, threshold);
  if (unitOf(metric) === 'count' && !(Number.isInteger(v) && Number.isInteger(threshold))) {
    const d = countDecimals(metric) + p;
    return [v.toFixed(d), threshold.toFixed(d)];
  }
  return [formatValue(metric, v, lang, p), formatValue(metric, threshold, lang, p)];
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
  if (s.agent || s.agentId) {
    // always with the id: a manager reading one alert on a phone cannot know a namesake exists
    const name = s.agent ?? s.agentId!;
    const id = s.agentId !== undefined && s.agentId !== name ? s.agentId : undefined;
    zh.push(id ? `座席 ${name}（${id}）` : `座席 ${name}`), en.push(id ? `agent ${name} (${id})` : `agent ${name}`);
  }
  if (s.reason) {
    const r = label(names?.reason(s.reason), s.reason);
    zh.push(`原因 ${r.zh}`), en.push(`reason ${r.en}`);
  }
  return { zh: zh.join('，'), en: en.join(', ') };
}

function direction(c: Comparator): LocalizedText {
  return c === 'lt' ? { zh: '低于', en: 'below' } : { zh: '高于', en: 'above' };
}

/** signed percentage of a ratio against 1: 1.56 → "+56%" (with `decimals`: 1.3045 → "+30.5%") */
export function ratioPercent(ratio: number, decimals = 0): string {
  const p = (ratio - 1) * 100;
  const text = p.toFixed(decimals);
  return `${Number(text) >= 0 ? '+' : ''}${text}%`;
}

export function alertMessage(
  rule: AlertRule,
  subject: Subject,
  severity: Severity,
  threshold: number,
  names?: ScopeNames,
): LocalizedText {
  return withSeverity(severity, alertBody(rule, subject, threshold), subject.scope, names);
}

/**
 * The same alert for a screen of one center that shows the severity beside it: no severity
 * prefix, no center name, so what matters (figure, team, agent, reason) fits on a TV line.
 */
export function alertHeadline(rule: AlertRule, subject: Subject, threshold: number, names?: ScopeNames): LocalizedText {
  return withPlace(alertBody(rule, subject, threshold), subject.scope, names);
}

function withSeverity(severity: Severity, what: LocalizedText, scope: AlertScope, names?: ScopeNames): LocalizedText {
  const sev = severityText[severity];
  const where = scopeText(scope, names);
  return { zh: `【${sev.zh}】${what.zh} — ${where.zh}`, en: `[${sev.en}] ${what.en} — ${where.en}` };
}

function withPlace(what: LocalizedText, scope: AlertScope, names?: ScopeNames): LocalizedText {
  const where = scopeText(scope, names, { withCenter: false });
  return {
    zh: where.zh ? `${what.zh} — ${where.zh}` : what.zh,
    en: where.en ? `${what.en} — ${where.en}` : what.en,
  };
}

/**
 * How an open alert ended: its figure came back past the clear level (`value`, the figure that
 * resolved it), or there is no figure left to judge — none for noDataResolveMs (nothing offered,
 * no data), the subject gone from its rule's list (an agent left the not-ready state), the rule
 * disabled, out of its schedule, or deleted.
 */
export type AlertEnding =
  | { kind: 'cleared'; value: number; facts?: Subject['facts'] }
  | { kind: 'noData' }
  | { kind: 'gone' }
  | { kind: 'disabled' }
  | { kind: 'offSchedule'; schedule: string | null }
  | { kind: 'deleted' };

/**
 * message and headline of a resolved alert. They quote the figure at resolution, beside the
 * alert's threshold, and never "above/below threshold": a resolved text that kept the last
 * breaching figure ("71秒，高于阈值 60秒") read as still on fire. Without a figure they say why.
 */
export function resolvedTexts(
  alert: Pick<Alert, 'metric' | 'severity' | 'threshold' | 'scope'>,
  ending: AlertEnding,
  names?: ScopeNames,
): { message: LocalizedText; headline: LocalizedText } {
  const what = resolvedBody(alert.metric, alert.threshold, ending);
  return { message: withSeverity(alert.severity, what, alert.scope, names), headline: withPlace(what, alert.scope, names) };
}

const isSpike = (metric: string) => metric === 'arrivalsVsBaseline' || metric === 'arrivalsVsForecast';

/**
 * The words naming a spike's fallback baseline (server/alerts/baseline.ts chooseBaseline), from the
 * resolver's facts: "近3个工作日" / "from the last 3 working days", and why it is used; undefined for
 * the usual same-weekday baseline. A reader must know a 2-day baseline is not a 4-week one.
 */
function fallbackWords(facts: Subject['facts']): { zh: string; en: string; whyZh: string; whyEn: string } | undefined {
  const n = facts?.baselineDays;
  if (typeof n !== 'number') return undefined;
  const weekend = facts?.dayKind === 'weekend';
  const w = facts?.minWeeks;
  return {
    zh: `近${n}个${weekend ? '周末日' : '工作日'}`,
    en: `from the last ${n} ${weekend ? 'weekend days' : 'working days'}`,
    whyZh: typeof w === 'number' ? `（同星期基线不足${w}周）` : '（同星期基线不足）',
    whyEn: typeof w === 'number' ? `(fewer than ${w} week${w === 1 ? '' : 's'} of same-weekday history)` : '(too little same-weekday history)',
  };
}

function resolvedBody(metric: string, threshold: number, ending: AlertEnding): LocalizedText {
  const name = metricName(metric);
  const about = (zh: string, en: string) => ({ zh: `${name.zh}：${zh}`, en: `${name.en}: ${en}` });
  switch (ending.kind) {
    case 'noData': {
      const m = Math.round(noDataResolveMs / 60_000);
      return about(`已 ${m} 分钟无数值（无话务或无数据），不再判断`, `no figure for ${m} min (no traffic or no data), nothing left to judge`);
    }
    case 'gone':
      return metric === 'notReadySec'
        ? about('座席已不在此示忙状态', 'the agent is no longer in this not-ready state')
        : about('不再统计此对象', 'no longer measured here');
    case 'disabled':
      return about('规则已停用', 'rule disabled');
    case 'offSchedule':
      return ending.schedule
        ? about(`规则在当前时段（${ending.schedule}）不生效`, `rule not in force now (schedule "${ending.schedule}")`)
        : about('规则当前不生效', 'rule not in force now');
    case 'deleted':
      return about('规则已删除', 'rule deleted');
    case 'cleared':
      break;
  }
  const v = ending.value;
  if (isSpike(metric)) {
    const ref = ending.facts?.reference ?? '—';
    const live = ending.facts?.live ?? '—';
    const isForecast = metric === 'arrivalsVsForecast';
    // a ratio of 0 with arrivals is "too few to judge" (spikeRatio), not live / reference
    if (v === 0 && (live !== 0 || typeof ref !== 'number')) {
      const tt = threshold.toFixed(2);
      return {
        zh: `话务回落：近15分钟进线仅 ${live}，量少不计激增（阈值 ${tt} 倍）`,
        en: `Traffic back down: only ${live} arrivals in the last 15 min, too few to count as a spike (threshold ${tt}×)`,
      };
    }
    const p = precisionAgainst(metric, v, threshold);
    const [vt, tt] = [v.toFixed(2 + p), threshold.toFixed(2 + p)];
    const pct = ratioPercent(v, p);
    const fb = fallbackWords(ending.facts);
    if (!isForecast && fb) {
      return {
        zh: `话务回落：近15分钟进线 ${live}，为${fb.zh}同期基线 ${ref} 的 ${vt} 倍（${pct}，阈值 ${tt} 倍）`,
        en: `Traffic back down: ${live} arrivals in the last 15 min, ${vt}× the baseline of ${ref} ${fb.en} (${pct}, threshold ${tt}×)`,
      };
    }
    return {
      zh: `话务回落：近15分钟进线 ${live}，为${isForecast ? '预测量' : '同期基线'} ${ref} 的 ${vt} 倍（${pct}，阈值 ${tt} 倍）`,
      en: `Traffic back down: ${live} arrivals in the last 15 min, ${vt}× the ${isForecast ? 'forecast' : 'baseline'} of ${ref} (${pct}, threshold ${tt}×)`,
    };
  }
  const [vZh, tZh] = formatAgainst(metric, v, threshold, 'zh');
  const [vEn, tEn] = formatAgainst(metric, v, threshold, 'en');
  return about(`现 ${vZh}（阈值 ${tZh}）`, `now ${vEn} (threshold ${tEn})`);
}

/**
 * what crossed which threshold, without severity or place. The figures carry as many decimals as
 * it takes to read on the right side of the threshold; a value no longer past it (an open alert
 * inside its hysteresis band, refreshed after it was raised) is given beside it, not "below" it.
 */
function alertBody(rule: AlertRule, subject: Subject, threshold: number): LocalizedText {
  const v = subject.value;
  if ((rule.metric === 'arrivalsVsBaseline' || rule.metric === 'arrivalsVsForecast') && v !== null) {
    const ref = subject.facts?.reference ?? '—';
    const live = subject.facts?.live ?? '—';
    const isForecast = rule.metric === 'arrivalsVsForecast';
    const p = precisionAgainst(rule.metric, v, threshold);
    const [vt, tt] = [v.toFixed(2 + p), threshold.toFixed(2 + p)];
    const pct = ratioPercent(v, p);
    const fb = fallbackWords(subject.facts);
    if (!isForecast && fb) {
      return {
        zh: `话务激增：近15分钟进线 ${live}，为${fb.zh}同期基线 ${ref} 的 ${vt} 倍（${pct}，阈值 ${tt} 倍）${fb.whyZh}`,
        en: `Traffic spike: ${live} arrivals in the last 15 min, ${vt}× the baseline of ${ref} ${fb.en} (${pct}, threshold ${tt}×) ${fb.whyEn}`,
      };
    }
    return {
      zh: `话务激增：近15分钟进线 ${live}，为${isForecast ? '预测量' : '同期基线'} ${ref} 的 ${vt} 倍（${pct}，阈值 ${tt} 倍）`,
      en: `Traffic spike: ${live} arrivals in the last 15 min, ${vt}× the ${isForecast ? 'forecast' : 'baseline'} of ${ref} (${pct}, threshold ${tt}×)`,
    };
  }
  const [vZh, tZh] = formatAgainst(rule.metric, v, threshold, 'zh');
  const [vEn, tEn] = formatAgainst(rule.metric, v, threshold, 'en');
  if (rule.metric === 'feedSilenceSec') {
    return {
      zh: `数据源中断：营业时间内已 ${vZh} 未收到事件（阈值 ${tZh}）`,
      en: `Event feed silent: no events for ${vEn} during opening hours (threshold ${tEn})`,
    };
  }
  const name = metricName(rule.metric);
  if (v !== null && !past(rule.comparator, v, threshold)) {
    return { zh: `${name.zh} ${vZh}（阈值 ${tZh}）`, en: `${name.en} ${vEn} (threshold ${tEn})` };
  }
  const dir = direction(rule.comparator);
  return {
    zh: `${name.zh} ${vZh}，${dir.zh}阈值 ${tZh}`,
    en: `${name.en} ${vEn}, ${dir.en} threshold ${tEn}`,
  };
}
