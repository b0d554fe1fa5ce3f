import { Simulation, type EventProducer, type SimEvent, type SimulationOptions } from './simulation.ts';
import { simulatorParams, type SimulatorParams, type SimulatorParamsInput } from './options.ts';

export interface GenerateOptions extends SimulatorParamsInput {
  /** epoch ms; the simulated period is [from, to] */
  from: number;
  to: number;
  producers?: EventProducer[];
  /** events per yielded chunk in `generateBatches` */
  batchSize?: number;
}

export function simulationOptions(params: SimulatorParams, from: number, producers?: EventProducer[]): SimulationOptions {
  return {
    seed: params.seed,
    from,
    rate: params.rate,
    ...(params.agents !== undefined ? { agents: params.agents } : {}),
    queues: params.queues,
    spikeEverySec: params.spikeEvery,
    spikeDurationSec: params.spikeDuration,
    spikeFactor: params.spikeFactor,
    center: params.center,
    utcOffsetMin: params.utcOffsetMin,
    dayShiftMin: params.dayShiftMin,
    ...(producers ? { producers } : {}),
  };
}

/**
 * Offline generator: the events of a simulated period, as fast as the CPU goes, in time order.
 * Lazy, so a benchmark can stream a simulated week without holding it in memory.
 */
export function* generate(options: GenerateOptions): Generator<SimEvent> {
  for (const batch of generateBatches({ ...options, batchSize: 1 })) yield* batch;
}

/** The same stream in arrays of about `batchSize` events (what the ingest API takes per request). */
export function* generateBatches(options: GenerateOptions): Generator<SimEvent[]> {
  const { from, to, producers, batchSize = 1000, ...rest } = options;
  if (!(to >= from)) throw new RangeError('generate: `to` must not be before `from`');
  const sim = new Simulation(simulationOptions(simulatorParams.parse(rest), from, producers));
  let pending: SimEvent[] = [];
  const step = 60_000;
  for (let t = from; ; t = Math.min(to, t + step)) {
    pending.push(...sim.runUntil(t));
    while (pending.length >= batchSize) {
      yield pending.slice(0, batchSize);
      pending = pending.slice(batchSize);
    }
    if (t >= to) break;
  }
  if (pending.length) yield pending;
}

/** Everything at once, for tests of a few simulated hours. */
export function generateAll(options: GenerateOptions): SimEvent[] {
  const out: SimEvent[] = [];
  for (const batch of generateBatches({ ...options, batchSize: 10_000 })) out.push(...batch);
  return out;
}
