import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { ClientToServerEvents, ServerToClientEvents, TrendPoint, ViewPayload } from '../../shared/realtime/events.ts';
import { FakeClock } from '../../server/clock.ts';
import type { MetricEngine } from '../../server/metrics/types.ts';
import { TestServer } from '../support/browser.ts';

/**
 * The wall's trend takes in late events: a contact posted late (it left the queue 35 minutes ago)
 * changes the figure of every minute whose window holds it, and the chart — on the screens and in
 * Redis — must show those figures, not the ones sampled before the contact arrived. Each past
 * point must be the board window's figure as it stood at the end of its minute (counted here by
 * hand from the events posted, and asked from the engine), the current one the API's figure now.
 * A burst of late batches (a replay's backfill) must not recompute the chart once per batch.
 */
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const displayToken = 'display-token-0123456789';
const ingestToken = 'ingest-token-0123456789ab';
const minute = 60_000;
/** server/realtime/trend.ts recomputeEveryMs: at most one whole-chart recompute per this (per view and process) */
const recomputeEveryMs = 5_000;

const config = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' as const },
    // traffic that moves the clock's minutes on without touching the board's row
    { id: 'other', name: { zh: '其他', en: 'Other' }, channel: 'voice' as const },
  ],
  boards: [{ id: 'late', rows: [{ kind: 'queue' as const, queue: 'cards' }], window: '60m' as const }],
  tokens: [
    { token: displayToken, role: 'display' as const, name: 'tv-1' },
    { token: ingestToken, role: 'ingest' as const, name: 'acd' },
  ],
};
const viewId = 'board:default:late';

/** a contact of the board's queue leaving it at `leaveAt` (answered after `waitMs`; the voice threshold is 20 s) */
interface Leave {
  at: number;
  inThreshold: boolean;
}

// 20 s into a minute, so pushes within it sample that minute
const t0 = Math.floor(Date.now() / minute) * minute + 20_000;
const clock = new FakeClock(t0);
let server: TestServer;
let socket: ClientSocket;
const leaves: Leave[] = [];
/** the chart as a screen holds it: the snapshot, then every update merged by minute (as client/src/lib/view.svelte.ts does) */
let chart: TrendPoint[] = [];
let lastPayload: ViewPayload | null = null;
let n = 0;

function contact(queuedAt: number, waitMs: number, queue = 'cards'): ContractEventInput[] {
  n += 1;
  const contactId = `late-${n}-${Math.random().toString(36).slice(2)}`;
  if (queue === 'cards') leaves.push({ at: queuedAt + waitMs, inThreshold: waitMs <= 20_000 });
  return [
    { id: `${contactId}-q`, type: 'contact.queued', ts: queuedAt, contactId, queue, channel: 'voice' },
    { id: `${contactId}-a`, type: 'contact.answered', ts: queuedAt + waitMs, contactId, agentId: 'ag-1' },
  ];
}

async function post(events: ContractEventInput[]): Promise<number> {
  const r = (await server.postEvents(events, ingestToken)) as unknown as { accepted: number; seq: Record<string, number> };
  expect(r.accepted).toBe(events.length);
  return r.seq.default!;
}

/** the board row's service level of the 60 min window ending at `end`, by hand from the contacts posted */
function expectedAt(end: number): number | null {
  const inWindow = leaves.filter((l) => l.at >= end - 60 * minute && l.at < end);
  return inWindow.length === 0 ? null : inWindow.filter((l) => l.inThreshold).length / inWindow.length;
}

function merge(fresh: TrendPoint[], asOfMs: number): void {
  const byMinute = new Map(chart.map((p) => [p.t, p]));
  for (const p of fresh) byMinute.set(p.t, p);
  chart = [...byMinute.values()].filter((p) => Date.parse(p.t) >= asOfMs - 60 * minute).sort((a, b) => a.t.localeCompare(b.t));
}

function engine(): MetricEngine {
  return (server.app as unknown as { engine: MetricEngine }).engine;
}

/** waits for a push that covers ingest sequence `seq` */
function pushCovering(seq: number, timeoutMs = 3000): Promise<ViewPayload> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('view:updated', handler);
      reject(new Error(`no view:updated covering seq ${seq} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (p: ViewPayload) => {
      if (p.seq < seq) return;
      clearTimeout(timer);
      socket.off('view:updated', handler);
      resolve(p);
    };
    socket.on('view:updated', handler);
  });
}

/** past points (not the current minute) whose service level is not the window's figure at its minute's end */
function wrongPastPoints(points: TrendPoint[], nowMs: number): { t: string; shown: number | null; expected: number | null }[] {
  const current = Math.floor(nowMs / minute) * minute;
  return points
    .filter((p) => Date.parse(p.t) < current)
    .map((p) => ({ t: p.t, shown: p.serviceLevel[0] ?? null, expected: expectedAt(Date.parse(p.t) + minute) }))
    .filter((d) => d.shown !== d.expected);
}

/** polls until the screen's chart has every past point right (or the time is up); returns the wrong ones */
async function settled(timeoutMs: number): Promise<ReturnType<typeof wrongPastPoints>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wrong = wrongPastPoints(chart, clock.now());
    if (wrong.length === 0 || Date.now() > deadline) return wrong;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = await TestServer.start({ config, host: '127.0.0.1', clock });
  // ten contacts over the last 50 minutes, two of them outside the threshold: 80 % now
  for (let i = 0; i < 10; i++) {
    const leaveAt = t0 - 50 * minute + i * 5 * minute;
    const wait = i === 2 || i === 6 ? 40_000 : 10_000;
    await post(contact(leaveAt - wait, wait));
  }
  socket = connect(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
  await new Promise<void>((resolve, reject) => {
    socket.once('session:established', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.on('view:snapshotted', (p) => {
    chart = p.trend ?? [];
    lastPayload = p;
  });
  socket.on('view:updated', (p) => {
    merge(p.trend ?? [], Date.parse(p.asOf));
    lastPayload = p;
  });
  const snapshot = new Promise<ViewPayload>((resolve) => socket.once('view:snapshotted', resolve));
  expect(await socket.emitWithAck('view:subscribe', { kind: 'board', board: 'late' })).toEqual({ ok: true, viewId });
  await snapshot;
  // three more minutes sampled live (the chart's points then come from samples, not only the fill)
  for (let k = 0; k < 3; k++) {
    clock.advance(minute);
    await pushCovering(await post(contact(clock.now() - 15_000, 5_000, 'other')));
  }
});

afterAll(async () => {
  socket?.disconnect();
  await server?.stop();
});

describe('trend: late events', () => {
  it('recomputes the past minutes a late contact falls in: screens and Redis show each window as it stood at its minute end', async () => {
    const before = wrongPastPoints(chart, clock.now());
    expect(before, 'the chart is right before the late contact').toEqual([]);
    expect(chart.at(-1)!.serviceLevel[0]).toBe(0.8);

    // queued 35 minutes ago, answered 5 s later: in threshold; 80 % → 9/11 now
    const lateLeave = clock.now() - 35 * minute + 5_000;
    const seq = await post(contact(lateLeave - 5_000, 5_000));
    await pushCovering(seq);
    const api = await server.getJson<MetricsResult>('/api/v1/metrics?queue=cards&window=60m', displayToken);
    expect(api.serviceLevel).toBeCloseTo(9 / 11, 12);
    expect(expectedAt(clock.now())).toBe(api.serviceLevel);

    const wrong = await settled(recomputeEveryMs + 3000);
    expect(wrong, 'past points still showing figures from before the late contact').toEqual([]);
    // the points the late contact moved: every minute whose window [end − 60 min, end) holds it
    const moved = chart.filter((p) => {
      const end = Date.parse(p.t) + minute;
      return lateLeave >= end - 60 * minute && lateLeave < end;
    });
    expect(moved.length).toBeGreaterThanOrEqual(30);
    // the live minute is the API's figure now
    expect(lastPayload!.trend!.at(-1)!.serviceLevel[0]).toBe(api.serviceLevel);
    expect(chart.at(-1)!.serviceLevel[0]).toBe(api.serviceLevel);

    // the engine agrees with the hand count for every past point
    const past = chart.slice(0, -1);
    const [series] = await engine().contactSeries('default', [{ kind: 'queue', queue: 'cards' }], '60m', past.map((p) => Date.parse(p.t) + minute), clock.now());
    expect(series!.map((m) => m?.serviceLevel ?? null)).toEqual(past.map((p) => p.serviceLevel[0]));

    // Redis holds the corrected points (another process, or this one restarted, draws them)
    const stored = await server.app.redis.hgetall(server.app.keys.trend('default', viewId));
    const storedPast = Object.entries(stored)
      .map(([sec, json]) => ({ ...(JSON.parse(json) as TrendPoint), ms: Number(sec) * 1000 }))
      .filter((p) => p.ms < Math.floor(clock.now() / minute) * minute);
    expect(storedPast.length).toBeGreaterThanOrEqual(45);
    for (const p of storedPast) expect(p.serviceLevel[0], `stored minute ${p.t}`).toBe(expectedAt(p.ms + minute));
    // the sampled minutes kept their waiting figure (a sample's waiting cannot be recomputed)
    const sampledMinute = String(Math.floor((clock.now() - minute) / minute) * 60);
    expect((JSON.parse(stored[sampledMinute]!) as TrendPoint).waiting).toEqual([0]);
  });

  it('recomputes the chart a bounded number of times for a burst of late batches, and ends exact', async () => {
    const calls: { ends: number; at: number }[] = [];
    const e = engine();
    const original = e.contactSeries.bind(e);
    e.contactSeries = (center, scopes, window, ends, nowMs) => {
      // the board's reads (the alert evaluator reads 15m series of its own)
      if (window === '60m') calls.push({ ends: ends.length, at: Date.now() });
      return original(center, scopes, window, ends, nowMs);
    };
    try {
      // the last recompute (previous test) is more than a window ago: the burst's first is at once
      await new Promise((r) => setTimeout(r, recomputeEveryMs));
      const started = Date.now();
      const batches = 40;
      for (let i = 0; i < batches; i++) {
        // each batch one contact that left 10–49 minutes ago, every fourth outside the threshold;
        // spread over several seconds, as a replay's backfill comes
        const leaveAt = clock.now() - (10 + i) * minute + 7_000;
        const wait = i % 4 === 0 ? 30_000 : 8_000;
        await post(contact(leaveAt - wait, wait));
        await new Promise((r) => setTimeout(r, 120));
      }
      const burstMs = Date.now() - started;
      const wrong = await settled(recomputeEveryMs + 3000);
      expect(wrong, 'past points still showing figures from before the burst').toEqual([]);
      const doneAt = Date.now();
      // nothing more is due once the chart is exact
      await new Promise((r) => setTimeout(r, recomputeEveryMs + 500));
      // the clock stood still: every engine read here is a whole-chart recompute (no minute settled)
      expect(calls.map((c) => c.ends)).toEqual(calls.map(() => 60));
      // at most one per recomputeEveryMs while the batches came, and one after them
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(calls[0]!.at - started, 'the first late batch is taken in at once').toBeLessThan(1000);
      expect(calls.length).toBeLessThanOrEqual(Math.ceil(burstMs / recomputeEveryMs) + 2);
      expect(calls.length).toBeLessThan(batches / 4);
      for (let i = 1; i < calls.length; i++) expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(recomputeEveryMs - 50);
      expect(calls.filter((c) => c.at > doneAt)).toEqual([]);
      if (process.env.TREND_TEST_LOG) console.log(`burst: ${batches} late batches in ${burstMs} ms, ${calls.length} whole-chart recomputes, converged ${doneAt - started} ms after the first`);
    } finally {
      e.contactSeries = original;
    }
  }, 60_000);

  it('corrects a minute a few seconds late events changed without moving the seal generation, at the next minute', async () => {
    const meta = server.app.keys.meta('default');
    const genBefore = await server.app.redis.hmget(meta, 'sealEpoch', 'sealGen');
    const current = Math.floor(clock.now() / minute) * minute;
    // left the queue 30 s before the current minute began, posted now (50 s late): its buckets
    // are younger than the writer's seal age, so no generation moves
    const seq = await post(contact(current - 30_000 - 25_000, 25_000));
    await pushCovering(seq);
    expect(await server.app.redis.hmget(meta, 'sealEpoch', 'sealGen')).toEqual(genBefore);
    await new Promise((r) => setTimeout(r, 1000));
    const previous = new Date(current - minute).toISOString();
    const wrongNow = wrongPastPoints(chart, clock.now()).map((w) => w.t);
    // the minute before is the one it changed (its window's end is past the contact)
    expect(wrongNow).toEqual([previous]);
    clock.advance(minute);
    await pushCovering(await post(contact(clock.now() - 15_000, 5_000, 'other')));
    expect(await settled(3000)).toEqual([]);
    const stored = await server.app.redis.hget(server.app.keys.trend('default', viewId), String((current - minute) / 1000));
    expect((JSON.parse(stored!) as TrendPoint).serviceLevel[0]).toBe(expectedAt(current));
  });
});
