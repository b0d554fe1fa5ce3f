import { EventPoster } from './feeder.ts';
import { runRealtime } from './feeder.ts';
import { simulationOptions } from './generate.ts';
import type { SimulatorParams } from './options.ts';
import { localMinuteOfDay, minutesForward, Simulation } from './simulation.ts';
import { offsetMs } from '../../shared/metrics/windows.ts';
import { kpiProducers } from './kpi-producers.ts';

export interface LiveRunOptions {
  params: SimulatorParams;
  url: string;
  token?: string;
  /** minutes of history generated fast and posted before going real-time (fills trend charts) */
  prefillMin: number;
  tickMs?: number;
  signal?: AbortSignal;
  log?: (msg: string) => void;
  /** called once the history is posted and real time begins */
  onLive?: (info: { prefilledEvents: number }) => void;
  now?: () => number;
}

/**
 * One continuous simulation: it starts `prefillMin` minutes in the past, the history is posted as
 * fast as the server takes it, then the same model keeps running against the wall clock. Using one
 * model (not a history run plus a fresh live run) keeps queues, agents and contacts continuous.
 */
export async function runLive(opts: LiveRunOptions): Promise<EventPoster> {
  const now = opts.now ?? Date.now;
  const start = now() - opts.prefillMin * 60_000;
  const sim = new Simulation(simulationOptions(opts.params, start, kpiProducers()));
  const poster = new EventPoster({
    url: opts.url,
    ...(opts.token ? { token: opts.token } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let prefilled = 0;
  // history in 10-minute slices: bounded requests, and the server sees time move forward
  for (let t = start; t < now() - 1000 && !opts.signal?.aborted; ) {
    t = Math.min(now(), t + 10 * 60_000);
    const events = sim.runUntil(t);
    prefilled += events.length;
    await poster.post(events);
  }
  opts.onLive?.({ prefilledEvents: prefilled });
  await runRealtime(sim, poster, {
    ...(opts.tickMs ? { tickMs: opts.tickMs } : {}),
    now,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return poster;
}

/** UTC offset of an IANA zone at an instant, in minutes (Asia/Shanghai → 480). */
export function utcOffsetMinutes(timeZone: string, at = Date.now()): number {
  return Math.round(offsetMs(at, timeZone) / 60_000);
}

/**
 * For the demo at night: minutes to add to the simulated time of day so that "now" looks like
 * mid-morning (10:30), or 0 when the center is in business hours (08:00–20:00) anyway.
 */
export function daytimeShiftMinutes(utcOffsetMin: number, at = Date.now()): number {
  const localMin = localMinuteOfDay(at, utcOffsetMin);
  if (localMin >= 8 * 60 && localMin < 20 * 60) return 0;
  return minutesForward(localMin, 10 * 60 + 30);
}
