/**
 * The metric registry: one entry per published figure. The README's metric table, the lead
 * console's ⓘ popovers and the wall's legend page are all rendered from this list, so the
 * definition a supervisor reads is the one the engine computes.
 */
export type MetricUnit = 'ratio' | 'count' | 'seconds';
export type WindowSemantics = 'leave' | 'arrival' | 'end' | 'wrap' | 'live' | 'time-in-state' | 'rating' | 'session' | 'day';

export interface MetricDefinition {
  id: string;
  name: { zh: string; en: string };
  formula: { zh: string; en: string };
  unit: MetricUnit;
  /** which moment places a contact in a window */
  window: WindowSemantics;
  /** where the definition comes from */
  source: { zh: string; en: string };
  /** true when a higher value is better (for threshold colouring direction) */
  higherIsBetter?: boolean;
}

/** the industry standard the sources condense (《远程银行客户服务与经营规范》) and a section or target */
const standard = (zh: string, en: string) => ({
  zh: `远程银行客户服务与经营规范${zh}`,
  en: `Remote banking customer service and operation specification${en}`,
});
const practice = { zh: '行业惯例', en: 'industry practice' };
const variant = { zh: '业内常用口径', en: 'common industry variant' };

const leave = {
  zh: '联系在窗口内离开队列（接通或放弃）时计入该窗口',
  en: 'a contact counts in the window in which it leaves the queue (answered or abandoned)',
};
export const windowSemanticsText: Record<WindowSemantics, { zh: string; en: string }> = {
  leave,
  arrival: { zh: '按进入队列的时间计入窗口', en: 'counted by the time the contact entered the queue' },
  end: { zh: '按通话结束时间计入窗口', en: 'counted by the time the conversation ended' },
  wrap: { zh: '按话后处理完成时间计入窗口', en: 'counted by the time after-call work finished' },
  live: { zh: '实时值（当前时刻）', en: 'live value (now)' },
  'time-in-state': {
    zh: '各座席在窗口内处于各状态的时长之和（跨窗口边界的状态只计窗口内部分）',
    en: 'agent time in each state inside the window, summed over agents (states crossing the window edge count only their part inside it)',
  },
  rating: { zh: '按评价时间计入窗口（每个联系只计首次评价）', en: 'counted by the time of the rating (a contact’s first rating only)' },
  session: { zh: '按自助/机器人会话结束时间计入窗口', en: 'counted by the time the IVR / robot session ended' },
  day: { zh: '按自然日（中心时区）统计', en: 'per local day (center time zone)' },
};

export const metricRegistry: MetricDefinition[] = [
  {
    id: 'offered',
    name: { zh: '人工进线量', en: 'Offered' },
    formula: { zh: '接通量 + 放弃量（不含短放弃）', en: 'answered + abandoned (short abandons excluded)' },
    unit: 'count',
    window: 'leave',
    source: standard(' §服务效率', ' §service efficiency'),
  },
  {
    id: 'answered',
    name: { zh: '人工接通量', en: 'Answered' },
    formula: { zh: '人工接起（文本为人工首次回复）的联系数', en: 'contacts answered by a human (text: first human reply)' },
    unit: 'count',
    window: 'leave',
    source: standard(' §服务效率', ' §service efficiency'),
  },
  {
    id: 'abandoned',
    name: { zh: '放弃量', en: 'Abandoned' },
    formula: {
      zh: '排队中、人工接通前放弃的联系数（等待短于短放弃阈值的不计入，另列为短放弃量）',
      en: 'contacts abandoned while waiting, before a human answered (abandons below the short-abandon threshold are excluded and reported as short abandons)',
    },
    unit: 'count',
    window: 'leave',
    source: standard(' §服务效率', ' §service efficiency'),
  },
  {
    id: 'serviceLevel',
    name: { zh: '服务水平', en: 'Service level' },
    formula: {
      zh: '阈值（默认20秒）内人工接通量 ÷ 人工进线量 × 100%；中心、渠道、队列组按客户的等待时长（自请求人工起，接通前的转接不重新计时），队列行按在本队列的等待时长',
      en: 'answered within the threshold (default 20 s) ÷ offered × 100%; center, channel and group rows judge the customer’s wait (from the request for a human, not restarted by transfers before the answer), a queue row the wait in that queue',
    },
    unit: 'ratio',
    window: 'leave',
    source: standard('：80% / 20 秒', ': 80% / 20 s'),
    higherIsBetter: true,
  },
  {
    id: 'serviceLevelVariants.abandonsInThresholdExcluded',
    name: { zh: '服务水平（剔除阈值内放弃）', en: 'Service level (abandons within threshold excluded)' },
    formula: {
      zh: '阈值内接通量 ÷ (人工进线量 − 阈值内放弃量)；等待时长口径同服务水平',
      en: 'answered within threshold ÷ (offered − abandoned within threshold); waits as for the service level',
    },
    unit: 'ratio',
    window: 'leave',
    source: variant,
    higherIsBetter: true,
  },
  {
    id: 'serviceLevelVariants.abandonsInThresholdMet',
    name: { zh: '服务水平（阈值内放弃视为达标）', en: 'Service level (abandons within threshold met)' },
    formula: {
      zh: '(阈值内接通量 + 阈值内放弃量) ÷ 人工进线量；等待时长口径同服务水平',
      en: '(answered within threshold + abandoned within threshold) ÷ offered; waits as for the service level',
    },
    unit: 'ratio',
    window: 'leave',
    source: variant,
    higherIsBetter: true,
  },
  {
    id: 'answerRate',
    name: { zh: '人工接通率', en: 'Answer rate' },
    formula: { zh: '人工接通量 ÷ 人工进线量 × 100%', en: 'answered ÷ offered × 100%' },
    unit: 'ratio',
    window: 'leave',
    source: standard('：≥ 90%', ': ≥ 90%'),
    higherIsBetter: true,
  },
  {
    id: 'abandonRate',
    name: { zh: '放弃率', en: 'Abandon rate' },
    formula: { zh: '放弃量 ÷ 人工进线量 × 100%', en: 'abandoned ÷ offered × 100%' },
    unit: 'ratio',
    window: 'leave',
    source: practice,
  },
  {
    id: 'shortAbandoned',
    name: { zh: '短放弃量', en: 'Short abandons' },
    formula: {
      zh: '客户等待时长（自请求人工起，含接通前的转接）短于短放弃阈值（默认0秒，即不剔除）的放弃量，各层级相同，单独列示且不计入进线量',
      en: 'abandons whose customer wait (from the request for a human, across transfers before the answer) is below the short-abandon threshold (default 0 s: none), the same in every row, reported separately and excluded from offered',
    },
    unit: 'count',
    window: 'leave',
    source: standard('（默认不剔除）', ' (default: none excluded)'),
  },
  {
    id: 'transferredOut',
    name: { zh: '转出量', en: 'Transferred out' },
    formula: {
      zh: '接通前转至其他队列的联系数（不计入本队列进线量）',
      en: 'contacts moved to another queue before an answer (not part of this queue’s offered)',
    },
    unit: 'count',
    window: 'leave',
    source: { zh: '事件契约', en: 'event contract' },
  },
  {
    id: 'asaSec',
    name: { zh: '平均应答速度', en: 'ASA' },
    formula: {
      zh: '人工接通联系的平均等待时长：中心、渠道、队列组为客户自请求人工至接通（含接通前的转接），队列行为在本队列的等待时长',
      en: 'mean wait of answered contacts: center, channel and group rows from the request for a human to the answer (across transfers before it), a queue row the time in that queue',
    },
    unit: 'seconds',
    window: 'leave',
    source: practice,
  },
  {
    id: 'avgTalkSec',
    name: { zh: '平均通话时长', en: 'Average talk time' },
    formula: { zh: '(结束 − 接通) 的平均值', en: 'mean of (ended − answered)' },
    unit: 'seconds',
    window: 'end',
    source: standard(' §运营效率', ' §operating efficiency'),
  },
  {
    id: 'ahtSec',
    name: { zh: '平均处理时长', en: 'AHT' },
    formula: { zh: '(话后处理完成 − 接通) 的平均值', en: 'mean of (wrapped − answered)' },
    unit: 'seconds',
    window: 'wrap',
    source: standard(' §运营效率', ' §operating efficiency'),
  },
  {
    id: 'arrivals',
    name: { zh: '进入队列量', en: 'Arrivals' },
    formula: { zh: '进入队列的联系数（按进队时间）', en: 'contacts that entered the queue (by queued time)' },
    unit: 'count',
    window: 'arrival',
    source: { zh: '话务激增告警的输入', en: 'traffic-spike input' },
  },
  {
    id: 'waiting',
    name: { zh: '排队数', en: 'Waiting' },
    formula: { zh: '当前在队列中、尚未接通或放弃的联系数', en: 'contacts in queue now, not yet answered or abandoned' },
    unit: 'count',
    window: 'live',
    source: practice,
  },
  {
    id: 'longestWaitSec',
    name: { zh: '最长等待', en: 'Longest wait' },
    formula: {
      zh: '当前时刻 − 仍在排队联系中最早请求人工的时间（接通前的转接不重新计时，队列行亦同）',
      en: 'now − the earliest time a contact still waiting asked for a human (transfers before the answer do not restart it, in queue rows too)',
    },
    unit: 'seconds',
    window: 'live',
    source: practice,
  },
  {
    id: 'occupancy',
    name: { zh: '占用率', en: 'Occupancy' },
    formula: {
      zh: '(通话 + 保持 + 话后处理) ÷ (通话 + 保持 + 话后处理 + 就绪等待) 时长',
      en: '(on contact + hold + ACW) ÷ (on contact + hold + ACW + available) time',
    },
    unit: 'ratio',
    window: 'time-in-state',
    source: { zh: '行业用法（区别于标准中的座席利用率）', en: 'industry usage (distinct from the standard’s utilization)' },
  },
  {
    id: 'utilization',
    name: { zh: '座席利用率', en: 'Utilization' },
    formula: {
      zh: '(就绪等待 + 振铃 + 通话 + 保持 + 话后处理) ÷ 在岗（签入）时长',
      en: '(available + ringing + on contact + hold + ACW) ÷ logged-in time',
    },
    unit: 'ratio',
    window: 'time-in-state',
    source: standard(' §运营效率', ' §operating efficiency'),
    higherIsBetter: true,
  },
];

/** Live agent counts (the `agents` object of a result), shown as wall tiles and console columns. */
const agentCount = (id: string, zh: string, en: string, fzh: string, fen: string): MetricDefinition => ({
  id: `agents.${id}`,
  name: { zh, en },
  formula: { zh: fzh, en: fen },
  unit: 'count',
  window: 'live',
  source: practice,
});
metricRegistry.push(
  agentCount('loggedIn', '签入座席', 'Agents logged in', '当前签入（非签出）的座席数', 'agents in any state but logged out, now'),
  agentCount('available', '空闲座席', 'Agents available', '当前处于就绪等待状态的座席数', 'agents ready and waiting for a contact, now'),
  agentCount('onContact', '通话中座席', 'Agents on contact', '当前处于通话/会话状态的座席数（不含保持、振铃）', 'agents in a conversation now (on_contact; hold and ringing not included)'),
  agentCount('acw', '话后处理座席', 'Agents in ACW', '当前处于话后处理（整理）状态的座席数', 'agents in after-contact work, now'),
  agentCount('notReady', '未就绪座席', 'Agents not ready', '当前处于未就绪（小休、就餐、培训等）状态的座席数', 'agents not ready (break, meal, training…), now'),
);

export function metricDefinition(id: string): MetricDefinition | undefined {
  return metricRegistry.find((m) => m.id === id);
}

/** The KPI pack (issue 6, standard §4–5): figures of the `kpi` object of a result. Rules: SEMANTICS-KPI.md. */
const kpi = (
  id: string,
  name: [string, string],
  formula: [string, string],
  unit: MetricUnit,
  window: WindowSemantics,
  source: { zh: string; en: string },
  higherIsBetter?: boolean,
): MetricDefinition => ({
  id: `kpi.${id}`,
  name: { zh: name[0], en: name[1] },
  formula: { zh: formula[0], en: formula[1] },
  unit,
  window,
  source,
  ...(higherIsBetter ? { higherIsBetter } : {}),
});
metricRegistry.push(
  kpi('csat', ['客户满意度', 'CSAT'], [
    '(1 − 不满意评价数 ÷ 评价总数) × 100%；1–2分或“不满意”为不满意，3分为一般，4–5分为满意；每个联系只计首次评价',
    '(1 − dissatisfied ratings ÷ ratings) × 100%; 1–2 or "dissatisfied" = dissatisfied, 3 = neutral, 4–5 = satisfied; a contact’s first rating only',
  ], 'ratio', 'rating', standard(' §服务体验：≥ 85%', ' §service experience: ≥ 85%'), true),
  kpi('ratings', ['评价数', 'Ratings'], [
    '收到的满意度评价数（含1–5分与“满意/一般/不满意”文字评价）；每个联系只计首次评价',
    'satisfaction ratings received (1–5 scores and "satisfied/neutral/dissatisfied" labels); a contact’s first rating only',
  ], 'count', 'rating', standard(' §服务体验', ' §service experience')),
  kpi('csatMeanScore', ['满意度平均分', 'Mean rating (1–5)'], [
    '1–5分评价的平均分（“满意/一般/不满意”文字评价不计入）',
    'mean of the ratings given on the 1–5 scale (label ratings are not scored)',
  ], 'count', 'rating', { zh: '柜面服务评价分：≥ 4.5', en: 'teller-style CSAT score: ≥ 4.5' }, true),
  kpi('ivrSelfServiceRate', ['语音自助分流率', 'IVR self-service rate'], [
    '(1 − 转人工的IVR会话数 ÷ IVR会话总数) × 100%；挂机计入分母',
    '(1 − IVR sessions transferred to an agent ÷ IVR sessions) × 100%; hang-ups count in the denominator',
  ], 'ratio', 'session', standard(' §智能化应用', ' §intelligent services'), true),
  kpi('botDiversionRate', ['机器人分流率', 'Robot diversion rate'], [
    '(1 − 转人工的机器人会话数 ÷ 机器人会话总数) × 100%；文本渠道即机器人文本服务分流率',
    '(1 − robot sessions transferred to an agent ÷ robot sessions) × 100%; on the text channel this is the standard’s robot text diversion',
  ], 'ratio', 'session', standard(' §智能化应用', ' §intelligent services'), true),
  kpi('botRecognitionRate', ['机器人问题识别率', 'Robot recognition rate'], [
    '机器人识别的问题数 ÷ 客户提问数 × 100%',
    'questions the robot recognized ÷ questions asked × 100%',
  ], 'ratio', 'session', standard('：语音识别率 ≥ 95%', ': speech recognition ≥ 95%'), true),
  kpi('botResolutionRate', ['机器人问题解决率', 'Robot resolution rate'], [
    '(1 − 客户评价未解决的问题数 ÷ 机器人已答复（已识别）的问题数) × 100%',
    '(1 − questions customers rated unresolved ÷ questions the robot answered (recognized)) × 100%',
  ], 'ratio', 'session', standard(' §智能化应用：≥ 50%', ' §intelligent services: ≥ 50%'), true),
  kpi('intelligentShare', ['智能服务占比', 'Intelligent-service share'], [
    '智能服务解决量（IVR自助完成 + 机器人解决）÷ 全部进线旅程（未转人工的IVR/机器人会话 + 人工联系首次进队）；转人工的会话与其后的人工联系只计一次；队列、队列组不适用',
    'robot-handled (IVR self-served + robot resolved) ÷ all inbound journeys (IVR/robot sessions not handed to an agent + human contacts by first queueing); a hand-over and the contact it becomes count once; not defined per queue or group',
  ], 'ratio', 'session', standard(' §智能化应用', ' §intelligent services'), true),
  kpi('transferRate', ['转接率', 'Transfer rate'], [
    '被转出的排队段 ÷ 已结束的排队段（接通、放弃、转出）；接通后由座席转出的也计为转接，按该段结束时间计入源队列',
    'queue legs the contact left for another leg ÷ queue legs closed (answered, abandoned, moved); a contact an agent transfers after answering counts too, by the leg’s close time, in the source queue',
  ], 'ratio', 'leave', practice),
  kpi('transferSuccessRate', ['转接成功率', 'Transfer success rate'], [
    '转接后在目标队列被接通的数量 ÷ 目标队列排队段已结束的转接数 × 100%（按目标段结束时间计入源队列）',
    'transfers answered in the target queue ÷ transfers whose target leg closed × 100% (by the target leg’s close time, in the source queue)',
  ], 'ratio', 'leave', standard(' §智能化应用', ' §intelligent services'), true),
  kpi('dailyCallsPerAgent', ['日人均话务处理量', 'Daily calls per agent'], [
    '人工接通量 ÷ (座席签入总时长 ÷ 标准工作日时长，默认8小时)',
    'human-answered contacts ÷ (agent logged-in time ÷ one standard working day, default 8 h)',
  ], 'count', 'time-in-state', standard(' §运营效率', ' §operating efficiency'), true),
  kpi('firstContactResolution', ['一次问题解决率', 'First-contact resolution'], [
    '当日仅联系一次的客户数 ÷ 当日联系过的客户数（按客户标识统计；无客户标识的联系不计入并单独列示；队列/渠道行只计该队列/渠道内的联系）',
    'customers who contacted once in the day ÷ customers who contacted that day (by customerId; contacts without one are excluded and counted separately; a queue or channel row counts the contacts in it only)',
  ], 'ratio', 'day', standard(' §服务体验', ' §service experience'), true),
);
