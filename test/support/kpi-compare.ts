import type { FastifyInstance } from 'fastify';
import type { ContractEvent } from '../../shared/contract/events.ts';
import type { KpiResult, ScorecardResult } from '../../shared/contract/kpi-api.ts';
import type { KpiFigures } from '../../shared/metrics/kpi.ts';
import { intervalMs, localMidnight, windowIds } from '../../shared/metrics/windows.ts';
import type { KpiMetricEngine } from '../../server/kpi/engine.ts';
import { engineQuery } from '../../server/metrics/engine.ts';
import type { Scope } from '../../server/metrics/types.ts';
import type { KpiHistory } from './kpi-event-generators.ts';
import { KpiReferenceModel, type ModelScorecardRow } from './kpi-reference-model.ts';
import { ReferenceModel, type ModelQuery } from './reference-model.ts';

/**
 * The KPI engine against the KPI reference model at one clock reading: every KPI figure of every
 * window and scope, history ranges, interval rows and the scorecard. Used by the property test
 * (test/integration/kpi-properties.test.ts) and the upgrade test (kpi-upgrade.test.ts).
 */

export const ceilSecond = (ms: number) => Math.ceil(ms / 1000) * 1000;
const floorInterval = (ms: number) => Math.floor(ms / intervalMs) * intervalMs;
export const iso8 = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');

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

/** pushes a line per disagreement to `out` */
export async function compareAt(app: FastifyInstance, h: KpiHistory, events: ContractEvent[], nowMs: number, label: string, out: string[]): Promise<void> {
  const engine = app.engine as KpiMetricEngine;
  const core = new ReferenceModel(h.fixture.config, events);
  const model = new KpiReferenceModel(h.fixture.config, events, core);
  const center = h.fixture.center;
  const scopes = scopesOf(h);
  const add = (where: string, d: string[]) => d.length && out.push(`${label} now=${iso8(nowMs)} ${where}\n    ${d.join('\n    ')}`);
  for (const w of windowIds) {
    const got = await engine.queryMany(center, scopes.map((s) => engineQuery(s.scope, s.team)), w, nowMs);
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
      const got = await engine.history({ center, ...engineQuery(s.scope, s.team) }, from, to, nowMs);
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
