import { addDays, dayKindOf, fallbackLookbackDays, fallbackMinDays, localInstant, sameLocalTimeDaysAgo, type DayKind } from '../alerts/baseline.ts';
import { intervalMs, localDate } from '../../shared/metrics/windows.ts';
import { EventPoster } from '../simulator/feeder.ts';
import { simulationOptions } from '../simulator/generate.ts';
import { kpiProducers } from '../simulator/kpi-producers.ts';
import type { SimulatorParams } from '../simulator/options.ts';
import { Simulation, type SimEvent } from '../simulator/simulation.ts';

/**
 * `npm run demo` arms the traffic-spike alert at start by back-filling the fallback baseline
 * (server/alerts/baseline.ts chooseBaseline): the same stretch of the day on the last
 * `spike.fallbackDays` days of today's kind. The same-weekday baseline cannot be armed this way:
 * its nearest week is 7 days back, and ingest refuses events older than `lateEventHours` (≤ 168 h).
 *
 * Each earlier day is one simulation (the demo's, with its own seed and the spike off: the
 * baseline is normal traffic) started `leadMin` before the demo's time of day on that day: the
 * arrivals the baseline reads do not depend on the floor's state, so a short run-in suffices (it
 * covers IVR hand-overs and callers calling back). At start each day is posted only `aheadMin`
 * past its time of day; then `extend` keeps every day that far ahead of the clock while the demo
 * runs. Posting a whole working day up front cost 38 s (≈ 90,000 events a day, ≈ 7,000 events/s
 * into ingest); this way the start posts about an hour a day, and a demo left running all day
 * keeps its baseline (each extension is minutes of traffic, three times the live feed's rate).
 *
 * Every day stops at its local midnight: nothing of it reaches the next date (today's figures).
 * The contacts still in flight then stay open; they are a day old when posted, far past
 * `waitingTimeoutMin` (240 min), so no live figure counts them. Closing the floor an hour early
 * and draining it would leave none, but the baseline would then fade during the last 15 minutes
 * before the close while live traffic goes on: a false spike alert at 23:0x on a busy floor. Ending
 * at midnight, the stretch never fades: at midnight the date, and with it the baseline's days, change.
 * A demo running past midnight is not armed (its new day has no earlier day at that time).
 */
export interface BaselineDay {
  date: string;
  daysAgo: number;
  kind: DayKind;
  /** simulated from `from` to `until` (the last millisecond before the day's local midnight) */
  from: number;
  until: number;
}

export interface BaselinePlan {
  days: BaselineDay[];
  /** why nothing is back-filled (days is empty) */
  reason?: string;
}

export const baselineDefaults = { leadMin: 30, aheadMin: 30 } as const;
/** the back-fill is posted some seconds after `nowMs`: keep that far inside the ingest horizon */
const postingSlackMs = 10 * 60_000;

export function planBaselineDays(o: { nowMs: number; timeZone: string; fallbackDays: number; lateEventHours: number; leadMin?: number }): BaselinePlan {
  const leadMs = (o.leadMin ?? baselineDefaults.leadMin) * 60_000;
  if (o.fallbackDays < fallbackMinDays) return { days: [], reason: `spike.fallbackDays is ${o.fallbackDays}: no recent-days baseline to arm` };
  const today = dayKindOf(o.nowMs, o.timeZone);
  const oldest = o.nowMs - o.lateEventHours * 3_600_000 + postingSlackMs;
  const days: BaselineDay[] = [];
  let tooOld = false;
  for (let d = 1; d <= fallbackLookbackDays && days.length < o.fallbackDays; d++) {
    const at = sameLocalTimeDaysAgo(o.nowMs, d, o.timeZone);
    if (dayKindOf(at, o.timeZone) !== today) continue;
    // from the interval holding the start of the 15 minutes before `at`, less the run-in
    const from = Math.floor((at - intervalMs) / intervalMs) * intervalMs - leadMs;
    if (from < oldest) {
      tooOld = true;
      break;
    }
    const date = localDate(at, o.timeZone);
    const until = localInstant(addDays(date, 1), '00:00', o.timeZone) - 1;
    days.push({ date, daysAgo: d, kind: today, from, until });
  }
  if (days.length >= fallbackMinDays) return { days: days.reverse() };
  const kind = today === 'weekend' ? 'weekend day' : 'working day';
  const reason = tooOld
    ? `only ${days.length} earlier ${kind}${days.length === 1 ? ' lies' : 's lie'} within lateEventHours (${o.lateEventHours} h) of now; the fallback needs ${fallbackMinDays}`
    : `fewer than ${fallbackMinDays} earlier ${kind}s in the last ${fallbackLookbackDays} days`;
  return { days: [], reason };
}

/**
 * An agent's live state is its last point whatever its date (shared/metrics/SEMANTICS.md), and a
 * state still running counts into today's time in state: an earlier day's agent left available or
 * on a call while its day is still being extended would show on today's board. The baseline needs
 * arrivals only, so those days carry no agent.state events (their contact events name agents,
 * which sets no state); it also posts a third fewer events.
 */
function contactsOnly(events: SimEvent[]): SimEvent[] {
  return events.filter((e) => e.type !== 'agent.state');
}

export interface BackfillOptions {
  /** today's simulator parameters; each day gets its own seed and no spike */
  params: SimulatorParams;
  url: string;
  token?: string;
  plan: BaselinePlan;
  timeZone: string;
  aheadMin?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/**
 * The planned days' simulations, posted through the ingest API as the live demo posts (oldest day
 * first). `extend(now)` posts each day up to `aheadMin` past now's time of day on it; call it at
 * start and then every few minutes.
 */
export class BaselineBackfill {
  private readonly poster: EventPoster;
  private readonly days: { day: BaselineDay; sim: Simulation; postedTo: number }[];
  private readonly aheadMs: number;
  events = 0;

  constructor(private readonly o: BackfillOptions) {
    this.poster = new EventPoster({
      url: o.url,
      ...(o.token ? { token: o.token } : {}),
      ...(o.log ? { log: o.log } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    this.aheadMs = (o.aheadMin ?? baselineDefaults.aheadMin) * 60_000;
    this.days = o.plan.days.map((day) => {
      const params: SimulatorParams = { ...o.params, seed: (o.params.seed + 7919 * day.daysAgo) % 2 ** 32, spikeEvery: 0 };
      return { day, sim: new Simulation(simulationOptions(params, day.from, kpiProducers())), postedTo: day.from };
    });
  }

  get rejected(): number {
    return this.poster.totals.rejected;
  }

  /** true once every day reached its midnight (nothing more to post) */
  get done(): boolean {
    return this.days.every((d) => d.postedTo >= d.day.until);
  }

  async extend(nowMs: number, progress?: (day: BaselineDay, events: number) => void): Promise<void> {
    for (const d of this.days) {
      if (this.o.signal?.aborted) return;
      const target = Math.min(d.day.until, sameLocalTimeDaysAgo(nowMs, d.day.daysAgo, this.o.timeZone) + this.aheadMs);
      let posted = 0;
      // 10-minute slices as the prefill: bounded requests, time moving forward
      while (d.postedTo < target && !this.o.signal?.aborted) {
        d.postedTo = Math.min(target, d.postedTo + 10 * 60_000);
        const batch = contactsOnly(d.sim.runUntil(d.postedTo));
        posted += batch.length;
        await this.poster.post(batch);
      }
      this.events += posted;
      progress?.(d.day, posted);
    }
  }
}
