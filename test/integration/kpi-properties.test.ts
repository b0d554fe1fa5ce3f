import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ContractEvent } from '../../shared/contract/events.ts';
import type { KpiResult, ScorecardResult } from '../../shared/contract/kpi-api.ts';
import type { KpiFigures } from '../../shared/metrics/kpi.ts';
import { intervalMs, localMidnight, windowIds } from '../../shared/metrics/windows.ts';
import { FakeClock } from '../../server/clock.ts';
import type { KpiMetricEngine } from '../../server/kpi/engine.ts';
import type { Scope } from '../../server/metrics/types.ts';
import { deliveryArb, describeEvents, type Delivery } from '../support/event-generators.ts';
import { kpiHistoryArb, type KpiHistory } from '../support/kpi-event-generators.ts';
import { KpiReferenceModel, type ModelScorecardRow } from '../support/kpi-reference-model.ts';
import { ReferenceModel, type ModelQuery } from '../support/reference-model.ts';
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

const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
const floorInterval = (ms: number) => Math.floor(ms / intervalMs) * intervalMs;
const iso8 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');

type Flat = Record<string, number | string | null>;

function flat(k: KpiResult | KpiFigures | undefined): Flat {
  if (!k) return { missing: 'kpi' };
  const { firstContactResolution: f, ...rest } = k;
  return { ...rest, fcr: f === null ? null : `${f.day} ${f.customers}/${f.singleContact}/${f.withoutCustomerId}`, fcrRate: f?.rate ?? null };
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

function diff(engine: Flat, model: Flat): string[] {
  return [...new Set([...Object.keys(engine), ...Object.keys(model)])]
    .filter((k) => !same(engine[k], model[k]))
    .map((k) => `${k}: engine=${engine[k]} model=${model[k]}`);
}

function scopesOf(h: KpiHistory): { label: string; scope: Scope; team?: string }[] {
  const out: { label: string; scope: Scope; team?: string }[] = [{ label: 'all', scope: { kind: 'all' } }];
  for (const q of h.fixture.queues) out.push({ label: `q:${q.id}`, scope: { kind: 'queue', queue: q.id } });
  for (const ch of ['voice', 'text', 'video'] as const) out.push({ label: `ch:${ch}`, scope: { kind: 'channel', channel: ch } });
  for (const g of h.fixture.groups) out.push({ label: `g:${g.id}`, scope: { kind: 'group', group: g.id } });
  out.push({ label: 'all+t:A', scope: { kind: 'all' }, team: 'A' });
  return out;
}

const mq = (s: { scope: Scope; team?: string }): ModelQuery => ({ scope: s.scope, ...(s.team ? { team: s.team } : {}) });

function flatCard(r: ScorecardResult['agents'][number] | ModelScorecardRow): Flat {
  return {
    team: r.team,
    handledToday: r.handledToday,
    loggedInSec: r.loggedInSec,
    dailyCallsPerAgent: r.dailyCallsPerAgent,
    ratings: r.ratings,
    dissatisfied: r.dissatisfied,
    csat: r.csat,
    csatMeanScore: r.csatMeanScore,
  };
}

async function compareAt(app: FastifyInstance, h: KpiHistory, events: ContractEvent[], nowMs: number, label: string, out: string[]): Promise<void> {
  const engine = app.engine as KpiMetricEngine;
  const core = new ReferenceModel(h.fixture.config, events);
  const model = new KpiReferenceModel(h.fixture.config, events, core);
  const center = h.fixture.center;
  const scopes = scopesOf(h);
  const add = (where: string, d: string[]) => d.length && out.push(`${label} now=${iso8(nowMs)} ${where}\n    ${d.join('\n    ')}`);
  for (const w of windowIds) {
    const got = await engine.queryMany(center, scopes.map((s) => ({ scope: s.scope, ...(s.team ? { team: s.team } : {}) })), w, nowMs);
    scopes.forEach((s, i) => add(`window=${w} scope=${s.label}`, diff(flat(got[i]!.kpi), flat(model.query(mq(s), w, nowMs)))));
  }
  const asOfInterval = floorInterval(nowMs);
  const ranges: [number, number][] = [
    [asOfInterval - 4 * intervalMs, asOfInterval],
  ];
  // the whole previous local day (FCR of a history range)
  const todayMidnight = localMidnight(nowMs, 'Asia/Shanghai');
  ranges.push([todayMidnight - 24 * 3_600_000, todayMidnight]);
  if (h.midnightMs - 2 * intervalMs >= nowMs - 40 * 24 * 3_600_000 && h.midnightMs + 2 * intervalMs <= asOfInterval) {
    ranges.push([h.midnightMs - 2 * intervalMs, h.midnightMs + 2 * intervalMs]);
  }
  for (const [from, to] of ranges) {
    for (const s of scopes) {
      const got = await engine.history({ center, ...mq(s) }, from, to, nowMs);
      add(`history [${iso8(from)}, ${iso8(to)}) scope=${s.label}`, diff(flat(got.kpi), flat(model.history(mq(s), from, to, nowMs))));
    }
  }
  const rows = await engine.intervals({ center, scope: { kind: 'channel', channel: 'voice' } }, asOfInterval - 4 * intervalMs, asOfInterval, nowMs);
  for (const row of rows) {
    const from = Date.parse(row.from);
    add(`interval ${row.from}`, diff(flat(row.kpi), flat(model.interval({ scope: { kind: 'channel', channel: 'voice' } }, from, from + intervalMs, nowMs))));
  }
  const card = await engine.scorecard(center, nowMs);
  const want = model.scorecard(center, nowMs);
  if (card.agents.length !== want.length) add('scorecard', [`engine ${card.agents.length} agents, model ${want.length}`]);
  for (const m of want) {
    const e = card.agents.find((a) => a.agentId === m.agentId);
    add(`scorecard ${m.agentId}`, e ? diff(flatCard(e), flatCard(m)) : ['missing in engine']);
  }
}

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
