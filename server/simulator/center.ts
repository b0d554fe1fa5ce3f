import type { Channel } from '../../shared/contract/events.ts';
import { Rng } from './prng.ts';

/**
 * The demo center: a 95xxx remote-banking contact center. Numbers are chosen to look like a real
 * mid-sized bank center (≈ 10–11k contacts a day at rate 1, peak ≈ 950/h), not to be exact.
 * Queue ids match server/config/examples/*.yaml so the board has names for them.
 */
export interface QueueProfile {
  id: string;
  zh: string;
  en: string;
  channel: Channel;
  /** contacts per hour at the top of the intraday curve, at rate 1 */
  peakPerHour: number;
  /** talk (chat) time, lognormal mean and coefficient of variation, seconds */
  talkMeanSec: number;
  talkCv: number;
  /** after-contact work, lognormal */
  acwMeanSec: number;
  acwCv: number;
  /** mean caller patience (exponential), seconds: who waits longer than this hangs up */
  patienceMeanSec: number;
  /** local opening hours [from, to) in hours; humans answer only then (voice/text are 24 h at a 95xxx) */
  openFromHour: number;
  openToHour: number;
  /** routing priority bonus in seconds of virtual wait (VIP queues get served first) */
  priorityBonusSec: number;
  /** share of answered voice contacts put on hold once */
  holdShare: number;
  /** share of answered contacts transferred by the agent to another queue */
  transferShare: number;
  /** waiting longer than this overflows to `overflowTo` (0 = never) */
  overflowAfterSec: number;
  overflowTo?: string;
}

export const queueCatalog: readonly QueueProfile[] = [
  {
    id: 'personal', zh: '个人业务', en: 'Personal banking', channel: 'voice', peakPerHour: 300,
    talkMeanSec: 210, talkCv: 0.8, acwMeanSec: 25, acwCv: 0.6, patienceMeanSec: 110,
    openFromHour: 0, openToHour: 24, priorityBonusSec: 0, holdShare: 0.18, transferShare: 0.04,
    overflowAfterSec: 0,
  },
  {
    id: 'credit-card', zh: '信用卡', en: 'Credit card', channel: 'voice', peakPerHour: 180,
    talkMeanSec: 240, talkCv: 0.8, acwMeanSec: 30, acwCv: 0.6, patienceMeanSec: 100,
    openFromHour: 0, openToHour: 24, priorityBonusSec: 0, holdShare: 0.2, transferShare: 0.03,
    overflowAfterSec: 0,
  },
  {
    id: 'wealth-vip', zh: '理财贵宾', en: 'Wealth management (VIP)', channel: 'voice', peakPerHour: 40,
    talkMeanSec: 360, talkCv: 0.7, acwMeanSec: 45, acwCv: 0.6, patienceMeanSec: 150,
    openFromHour: 8, openToHour: 21, priorityBonusSec: 60, holdShare: 0.25, transferShare: 0.02,
    overflowAfterSec: 90, overflowTo: 'personal',
  },
  {
    id: 'mobile-chat', zh: '手机银行在线客服', en: 'Mobile banking chat', channel: 'text', peakPerHour: 240,
    talkMeanSec: 420, talkCv: 0.9, acwMeanSec: 15, acwCv: 0.5, patienceMeanSec: 240,
    openFromHour: 0, openToHour: 24, priorityBonusSec: 0, holdShare: 0, transferShare: 0.02,
    overflowAfterSec: 0,
  },
  {
    id: 'video-teller', zh: '视频柜员', en: 'Video teller', channel: 'video', peakPerHour: 30,
    talkMeanSec: 480, talkCv: 0.6, acwMeanSec: 60, acwCv: 0.5, patienceMeanSec: 180,
    openFromHour: 8, openToHour: 20, priorityBonusSec: 0, holdShare: 0, transferShare: 0,
    overflowAfterSec: 0,
  },
];

/**
 * Relative arrival intensity by local hour (value at hh:30), a bank hotline's double hump: a
 * morning peak around 10:00, a lunch dip, an afternoon peak around 15:00, quiet nights.
 */
export const intradayCurve: readonly number[] = [
  0.1, 0.07, 0.05, 0.04, 0.04, 0.06, 0.12, 0.3, 0.65, 0.95, 1.0, 0.92,
  0.7, 0.74, 0.9, 0.97, 0.88, 0.7, 0.55, 0.48, 0.42, 0.35, 0.25, 0.15,
];

const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;

/** curve value at a local time of day (ms since local midnight), linear between hh:30 points */
export function curveAt(localMsOfDay: number): number {
  const h = ((localMsOfDay / hourMs - 0.5) % 24 + 24) % 24;
  const i = Math.floor(h);
  const f = h - i;
  return intradayCurve[i]! * (1 - f) + intradayCurve[(i + 1) % 24]! * f;
}
export const curveMax = Math.max(...intradayCurve);

/** A skill group: agents who serve the same queues, split into teams. */
export interface SkillGroup {
  id: string;
  zh: string;
  /** queues served, first = primary */
  queues: string[];
  /** chats at once (text 3, everyone else 1) */
  concurrency: number;
  /** share of the roster */
  share: number;
}

export const groupCatalog: readonly SkillGroup[] = [
  { id: 'personal', zh: '个人业务组', queues: ['personal', 'credit-card'], concurrency: 1, share: 0.34 },
  { id: 'card', zh: '信用卡组', queues: ['credit-card', 'personal'], concurrency: 1, share: 0.24 },
  { id: 'wealth', zh: '理财贵宾组', queues: ['wealth-vip', 'personal'], concurrency: 1, share: 0.08 },
  { id: 'online', zh: '在线客服组', queues: ['mobile-chat'], concurrency: 3, share: 0.22 },
  { id: 'video', zh: '视频柜员组', queues: ['video-teller'], concurrency: 1, share: 0.12 },
];

/** Agents per team: a team lead watches about this many people. */
export const teamSize = 15;
/** Hours per shift (8 h work + meal). */
const shiftHours = 9;
const partTimeHours = 5;
/**
 * Square-root staffing, agents = R + β·√R for an offered load of R erlangs. β ≈ 1 gives the 80/20
 * service level; 0.6 runs a little lean, like most centers do, so spikes hurt visibly.
 */
const staffingBeta = 0.6;
/** Share of a shift actually available for contacts (breaks, meal, training, meetings). */
const availability = 0.8;

export interface AgentProfile {
  id: string;
  name: string;
  team: string;
  group: string;
  queues: string[];
  concurrency: number;
  /** shift start, local ms since midnight; shifts may cross midnight */
  shiftStartMs: number;
  shiftLengthMs: number;
}

/**
 * Queues of a simulation: the first `count` of the catalog; beyond five, numbered copies (for
 * load tests with many queues), each a full queue of its own.
 */
export function selectQueues(count: number): QueueProfile[] {
  const out: QueueProfile[] = [];
  for (let i = 0; i < count; i++) {
    const base = queueCatalog[i % queueCatalog.length]!;
    const copy = Math.floor(i / queueCatalog.length);
    if (copy === 0) out.push({ ...base });
    else {
      const suffix = `-${copy + 1}`;
      out.push({
        ...base,
        id: base.id + suffix,
        zh: `${base.zh}${copy + 1}`,
        en: `${base.en} ${copy + 1}`,
        ...(base.overflowTo ? { overflowTo: base.overflowTo + suffix } : {}),
      });
    }
  }
  const ids = new Set(out.map((q) => q.id));
  return out.map((q) => (q.overflowTo && !ids.has(q.overflowTo) ? { ...q, overflowAfterSec: 0 } : q));
}

const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈'.split('');
const given = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉玲建国志宏婷雪琳晨阳欣怡浩宇子涵思雨'.split('');

function groupsFor(queues: QueueProfile[]): SkillGroup[] {
  const queueIds = new Set(queues.map((q) => q.id));
  const copies = Math.ceil(queues.length / queueCatalog.length);
  const groups: SkillGroup[] = [];
  for (let c = 0; c < copies; c++) {
    const suffix = c === 0 ? '' : `-${c + 1}`;
    for (const g of groupCatalog) {
      const served = g.queues.map((q) => q + suffix).filter((q) => queueIds.has(q));
      if (served.length === 0 || !queueIds.has(g.queues[0]! + suffix)) continue;
      groups.push({ ...g, id: g.id + suffix, queues: served });
    }
  }
  return groups;
}

/**
 * Agents a group needs on shift at each local hour: the load of its primary queue (the secondary
 * skills are spare capacity), square-root staffed, grossed up for breaks.
 */
function staffingCurve(group: SkillGroup, queues: QueueProfile[], rate: number): number[] {
  const q = queues.find((x) => x.id === group.queues[0])!;
  const sharers = groupsFor(queues).filter((g) => g.queues[0] === q.id).length;
  return intradayCurve.map((v, h) => {
    if (h + 0.5 < q.openFromHour || h + 0.5 >= q.openToHour) return 0;
    const erlangs = (q.peakPerHour * rate * v * (q.talkMeanSec + q.acwMeanSec)) / 3600 / group.concurrency / sharers;
    // someone must be there while the queue is open, however quiet the night
    return Math.max(1, (erlangs + staffingBeta * Math.sqrt(erlangs)) / availability);
  });
}

/** Roster the center needs at this rate when `--agents` is not given. */
export function autoRosterSize(queues: QueueProfile[], rate: number): number {
  return groupsFor(queues).reduce((n, g) => n + placeShifts(staffingCurve(g, queues, rate)).length, 0);
}

/**
 * Builds the roster: skill groups, teams of `teamSize`, and shifts placed greedily where the
 * staffing need is least covered ("staffing to the curve", what a WFM tool does), so the number of
 * agents logged in rises and falls with the traffic. An explicit roster size is split over the
 * groups in proportion to their need.
 */
export function buildRoster(rng: Rng, queues: QueueProfile[], rate: number, rosterSize?: number): AgentProfile[] {
  const groups = groupsFor(queues);
  const curves = groups.map((g) => staffingCurve(g, queues, rate));
  const need = curves.map((c) => sum(c));
  const totalNeed = sum(need);
  const agents: AgentProfile[] = [];
  let seq = 0;
  groups.forEach((g, gi) => {
    const starts =
      rosterSize === undefined
        ? placeShifts(curves[gi]!)
        : placeShifts(curves[gi]!, Math.max(1, Math.round((rosterSize * need[gi]!) / totalNeed)));
    for (let i = 0; i < starts.length; i++) {
      seq++;
      agents.push({
        id: `A${String(1000 + seq)}`,
        name: rng.pick(surnames) + rng.pick(given) + (rng.chance(0.6) ? rng.pick(given) : ''),
        team: `${g.id}-${Math.floor(i / teamSize) + 1}`,
        group: g.id,
        queues: [...g.queues],
        concurrency: g.concurrency,
        shiftStartMs: starts[i]!.start,
        shiftLengthMs: starts[i]!.length,
      });
    }
  });
  return agents;
}

/**
 * Full 9-hour shifts plus 5-hour part-time shifts (弹性班), each placed where the average uncovered
 * need over its hours is largest; the short ones fill the steep evening decline and the peaks.
 * Without a count, shifts are added until every hour is covered; with one, exactly that many are
 * placed against the need scaled to the count.
 */
function placeShifts(need: number[], count?: number): { start: number; length: number }[] {
  let target = need;
  if (count !== undefined) {
    const auto = placeShifts(need).length;
    target = need.map((n) => (n * count) / auto);
  }
  const cover = new Array<number>(24).fill(0);
  const out: { start: number; length: number }[] = [];
  const uncovered = () => Math.max(...target.map((t, h) => t - cover[h]!));
  // every shift placed covers at least one open hour, so a few times the total need is far more
  // than enough; past it the planner has a bug, and a clear error beats a hang (with a count the
  // loop stops at the count)
  const limit = 4 * Math.ceil(sum(target)) + 100;
  while (count !== undefined ? out.length < count : uncovered() > 0.35) {
    if (count === undefined && out.length > limit) throw new Error(`simulator: shift planning did not converge after ${out.length} shifts`);
    let best = { start: 0, length: shiftHours };
    let bestScore = -Infinity;
    for (const length of [shiftHours, partTimeHours]) {
      for (let s = 0; s < 24; s++) {
        let gain = 0;
        let openHours = 0;
        for (let k = 0; k < length; k++) {
          const h = (s + k) % 24;
          if (need[h] === 0) gain -= 2;
          else {
            gain += target[h]! - cover[h]!;
            openHours++;
          }
        }
        // a shift only in closed hours keeps the same score however often it is placed (its
        // penalty does not grow with cover): once every shift over the last uncovered hour scored
        // below it, it won forever and the loop never ended (rate 10 over 5 queues hung the
        // simulator's constructor)
        if (openHours === 0) continue;
        // full shifts are preferred: a part-timer must fill a clearly larger gap per hour
        const score = gain / length - (length === partTimeHours ? 0.25 : 0);
        if (score > bestScore + 1e-9) {
          bestScore = score;
          best = { start: s, length };
        }
      }
    }
    for (let k = 0; k < best.length; k++) cover[(best.start + k) % 24]! += 1;
    // stagger starts by a quarter hour so logins do not all land on the same second
    out.push({ start: best.start * hourMs + (out.length % 4) * 15 * 60_000, length: best.length * hourMs });
  }
  return out;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
