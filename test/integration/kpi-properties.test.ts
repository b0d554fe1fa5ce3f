import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../server/clock.ts';
import { deliveryArb, describeEvents, type Delivery } from '../support/event-generators.ts';
import { ceilSecond, compareAt, iso8 } from '../support/kpi-compare.ts';
import { kpiHistoryArb, type KpiHistory } from '../support/kpi-event-generators.ts';
import { serverProcesses } from '../support/server-processes.ts';

/**
 * The KPI pack's engine (server/kpi/write/kpi-batch.ts + server/kpi/engine.ts) must agree with the KPI reference
 * model on every KPI figure, window, scope, history range, interval row and scorecard row, for
 * random histories with surveys, IVR/robot sessions and repeat customers, delivered late, out of
 * order, in random batches with re-sends. Counts exactly; ratios to 1e-9.
 */
const NUM_RUNS = Number(process.env.KPI_PROPERTY_RUNS ?? 20);
const SEED = Number(process.env.KPI_PROPERTY_SEED ?? 20261124);

interface Run {
  h: KpiHistory;
  d: Delivery;
  laterSec: number;
  /** which batches a second server process on the same Redis ingests (see engine-properties) */
  writerMask: number;
}

const runArb: fc.Arbitrary<Run> = kpiHistoryArb({ maxContacts: 22, maxAgentSteps: 8 }).chain((h) =>
  fc.record({ h: fc.constant(h), d: deliveryArb(h.events), laterSec: fc.integer({ min: 0, max: 40 * 60 }), writerMask: fc.nat() }),
);

async function checkRun(run: Run): Promise<void> {
  const [app, other] = (await serverProcesses(run.h.fixture.config, { label: 'kpiprop', startMs: run.h.lastTs, count: 2 })) as [FastifyInstance, FastifyInstance];
  const out: string[] = [];
  try {
    const seen = new Set<string>();
    const half = Math.ceil(run.d.batches.length / 2);
    const deliver = async (from: number, to: number) => {
      for (let b = from; b < to; b++) {
        const batch = run.d.batches[b]!;
        const writer = (run.writerMask >> b % 30) & 1 ? other : app;
        (writer.clock as FakeClock).set(batch.nowMs);
        const res = await writer.engine.ingest(batch.events, batch.nowMs);
        batch.events.forEach((e, i) => {
          const expected = seen.has(e.id) ? 'duplicate' : 'accepted';
          seen.add(e.id);
          if (res.outcomes[i]!.status !== expected) out.push(`batch ${b}: ${e.id} (${e.type}) ${res.outcomes[i]!.status}, expected ${expected}`);
        });
      }
    };
    await deliver(0, half);
    if (half > 0 && half < run.d.batches.length) {
      await compareAt(app, run.h, run.d.batches.slice(0, half).flatMap((b) => b.events), ceilSecond(run.d.batches[half - 1]!.nowMs), 'mid-stream', out);
    }
    await deliver(half, run.d.batches.length);
    const all = run.d.batches.flatMap((b) => b.events);
    const endNow = ceilSecond(Math.max(run.d.batches.at(-1)?.nowMs ?? run.h.lastTs, run.h.lastTs));
    await compareAt(app, run.h, all, endNow, 'end', out);
    if (out.length === 0) await compareAt(app, run.h, all, endNow + run.laterSec * 1000, 'later', out);
  } finally {
    await Promise.all([app.close(), other.close()]);
  }
  if (out.length) {
    throw new Error(
      `KPI engine and model disagree in ${out.length} places:\n  ${out.slice(0, 10).join('\n  ')}\n` +
        `events (seconds from midnight ${iso8(run.h.midnightMs)}):\n${describeEvents(run.h.events, run.h.midnightMs)}`,
    );
  }
}

describe('KPI pack vs KPI reference model (property-based)', () => {
  it(
    `agrees on every KPI figure, window, scope, interval and scorecard row for ${NUM_RUNS} random histories`,
    async () => {
      await fc.assert(fc.asyncProperty(runArb, checkRun), {
        numRuns: NUM_RUNS,
        seed: SEED,
        interruptAfterTimeLimit: 150_000,
        markInterruptAsFailure: false,
      });
    },
    240_000,
  );

  it('generates the KPI families it claims to test', () => {
    const samples = fc.sample(runArb, { numRuns: 20, seed: SEED });
    const types = new Set(samples.flatMap((r) => r.h.events.map((e) => e.type)));
    for (const t of ['survey.rated', 'ivr.entered', 'ivr.exited', 'bot.started', 'bot.ended']) expect(types).toContain(t);
    expect(samples.some((r) => r.h.events.some((e) => e.type === 'contact.queued' && e.customerId !== undefined))).toBe(true);
  });
});
