import { z } from 'zod';
import { simulationDefaults } from './simulation.ts';

/**
 * Simulator parameters shared by the CLI, the demo and `generate()`; validated once with zod so a
 * typo in `--rate` fails with a message instead of a silent NaN arrival rate.
 */
export const simulatorParams = z.strictObject({
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(simulationDefaults.seed),
  /** multiplier of the base intraday arrival curve (1 ≈ 10–11k contacts/day, peak ≈ 950/h) */
  rate: z.coerce.number().positive().max(1000).default(simulationDefaults.rate),
  /** roster size over all shifts; default: staffed for the load (≈ 130 at rate 1) */
  agents: z.coerce.number().int().min(1).max(100_000).optional(),
  queues: z.coerce.number().int().min(1).max(500).default(simulationDefaults.queues),
  /** seconds between traffic spikes (0 = none) */
  spikeEvery: z.coerce.number().int().min(0).max(86_400).default(simulationDefaults.spikeEverySec),
  spikeDuration: z.coerce.number().int().min(1).max(3600).default(simulationDefaults.spikeDurationSec),
  spikeFactor: z.coerce.number().min(1).max(50).default(simulationDefaults.spikeFactor),
  center: z.string().regex(/^[A-Za-z0-9_.-]+$/).max(64).default(simulationDefaults.center),
  utcOffsetMin: z.coerce.number().int().min(-720).max(840).default(simulationDefaults.utcOffsetMin),
  dayShiftMin: z.coerce.number().int().min(-1440).max(1440).default(simulationDefaults.dayShiftMin),
});
export type SimulatorParams = z.infer<typeof simulatorParams>;
export type SimulatorParamsInput = z.input<typeof simulatorParams>;
