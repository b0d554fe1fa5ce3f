import { afterEach, describe, expect, it } from 'vitest';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { contractEvent, type ContractEvent } from '../../shared/contract/events.ts';
import { KpiWriterPart } from '../../server/kpi/write/kpi-batch.ts';
import { CenterWriter } from '../../server/metrics/write/center-writer.ts';
import { engineApp, min, sec, T0 } from './engine-helpers.ts';

/**
 * Several server processes writing one center at the same time (server/metrics/write/center-writer.ts).
 * Each process holds contact and agent state between batches; the fenced apply (meta `wv`) is what
 * keeps a process from writing on top of state another process changed after it read. Two
 * processes take interleaved, concurrent batches of the same contacts and agents; their figures
 * must equal one process's that took every event alone, and the race must really have happened.
 */

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

const agents = Array.from({ length: 8 }, (_, i) => `ag${i}`);

/** 80 contacts over 20 minutes, each queued, answered (or abandoned), ended and wrapped; agents cycling states */
function history(): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  for (let k = 0; k < 80; k++) {
    const c = `c${k}`;
    const at = T0 - min(20) + k * sec(13);
    const queue = k % 3 === 0 ? 'loans' : 'cards';
    out.push({ id: `${c}-q`, type: 'contact.queued', ts: at, contactId: c, queue, channel: 'voice' });
    if (k % 7 === 3) {
      out.push({ id: `${c}-x`, type: 'contact.abandoned', ts: at + sec(9 + (k % 40)), contactId: c });
      continue;
    }
    const ag = agents[k % agents.length]!;
    const answered = at + sec(4 + (k % 35));
    out.push({ id: `${c}-a`, type: 'contact.answered', ts: answered, contactId: c, agentId: ag });
    out.push({ id: `${c}-e`, type: 'contact.ended', ts: answered + sec(60 + k), contactId: c, agentId: ag });
    out.push({ id: `${c}-w`, type: 'contact.wrapped', ts: answered + sec(90 + k), contactId: c, agentId: ag });
    out.push({ id: `${c}-s1`, type: 'agent.state', ts: answered, agentId: ag, state: 'on_contact', team: 'A', queues: [queue] });
    out.push({ id: `${c}-s2`, type: 'agent.state', ts: answered + sec(60 + k), agentId: ag, state: 'acw', team: 'A', queues: [queue] });
    out.push({ id: `${c}-s3`, type: 'agent.state', ts: answered + sec(90 + k), agentId: ag, state: 'available', team: 'A', queues: [queue] });
  }
  return out;
}

/** the events of each contact (ids "<contact>-<step>"), in history order, parsed as the API would */
function contactGroups(events: ContractEventInput[]): ContractEvent[][] {
  const byContact = new Map<string, ContractEvent[]>();
  for (const e of events.map((x) => contractEvent.parse(x))) {
    const c = e.id.slice(0, e.id.lastIndexOf('-'));
    byContact.set(c, [...(byContact.get(c) ?? []), e]);
  }
  return [...byContact.values()];
}

/** a reference app that took `events` in one go, and a fresh app (its own prefix) for the test to write */
async function referenceAndFresh(events: ContractEventInput[]) {
  const one = await engineApp({ now: T0 });
  const h = await engineApp({ now: T0 });
  cleanup.push(() => one.app.close(), () => h.app.close());
  await one.ingest(events);
  return { one, h };
}

type App = Awaited<ReturnType<typeof engineApp>>;

/** `h`'s center-wide figures in `window` equal the reference's (asOf aside) */
async function expectCenterFigures(one: App, h: App, window: '15m' | 'today', label?: string): Promise<void> {
  const want = await one.engine.query({ center: 'default', scope: { kind: 'all' } }, window, T0);
  const got = await h.engine.query({ center: 'default', scope: { kind: 'all' } }, window, T0);
  expect({ ...got, asOf: want.asOf }, label).toEqual(want);
}

/** every batch handed to one writer at once, so their reads go out ahead of their computations */
async function writeInFlight(h: App, batches: ContractEvent[][]) {
  const writer = new CenterWriter(h.app.redis as never, h.app.keys, new KpiWriterPart(h.app.keys));
  const settings = h.engine.writerSettings('default', T0);
  const results = await Promise.all(batches.map((b) => writer.write('default', b, settings, { demo: false, epoch: 'test' })));
  return { writer, results };
}

describe('engine: several writer processes on one center', () => {
  it('interleaved concurrent batches from two processes count exactly what one process counts', async () => {
    const events = history();
    const one = await engineApp({ now: T0 });
    const a = await engineApp({ now: T0 });
    const b = await engineApp({ now: T0, prefix: a.prefix });
    cleanup.push(() => one.app.close(), () => a.app.close(), () => b.app.close());

    await one.ingest(events);

    // round-robin deal (so every contact's events are split between the processes), batches of 7,
    // each round one batch per process at the same time; every third round re-sends a batch
    const dealt: ContractEventInput[][] = [[], []];
    events.forEach((e, i) => dealt[i % 2]!.push(e));
    const rounds = Math.ceil(dealt[0]!.length / 7);
    const statuses = new Map<string, string[]>();
    for (let r = 0; r < rounds; r++) {
      const batchA = dealt[0]!.slice(r * 7, r * 7 + 7);
      const batchB = dealt[1]!.slice(r * 7, r * 7 + 7);
      const sendB = r % 3 === 2 ? [...batchB, ...dealt[0]!.slice(0, 3)] : batchB;
      const [ra, rb] = await Promise.all([a.ingest(batchA), b.ingest(sendB)]);
      ra.outcomes.forEach((o, i) => statuses.set(batchA[i]!.id, [...(statuses.get(batchA[i]!.id) ?? []), o.status]));
      rb.outcomes.forEach((o, i) => statuses.set(sendB[i]!.id, [...(statuses.get(sendB[i]!.id) ?? []), o.status]));
    }
    for (const e of events) expect(statuses.get(e.id)?.filter((s) => s === 'accepted'), e.id).toHaveLength(1);

    const conflicts = a.engine.writerStats.conflicts + b.engine.writerStats.conflicts;
    expect(conflicts, 'the two processes never raced: the test proves nothing').toBeGreaterThan(0);

    for (const window of ['15m', '60m', 'today'] as const) {
      for (const scope of [{ kind: 'all' as const }, { kind: 'queue' as const, queue: 'loans' }]) {
        const want = await one.engine.query({ center: 'default', scope }, window, T0);
        for (const h of [a, b]) {
          const got = await h.engine.query({ center: 'default', scope }, window, T0);
          expect({ ...got, asOf: want.asOf }, `${window} ${JSON.stringify(scope)}`).toEqual(want);
        }
      }
    }
    expect(await a.engine.agents('default', {}, T0)).toEqual(await one.engine.agents('default', {}, T0));
    expect(await a.engine.sequence('default')).toBe(events.length);
  });

  it('batches in flight together in one process: a read issued ahead never serves a record a batch computed after it changed', async () => {
    const events = history();
    const { one, h } = await referenceAndFresh(events);

    // batch k: contact k's events with its agent's, plus a re-send of batch k−1's last contact
    // event and last agent event. Batch k's read goes out before batch k−1 is computed, and batch
    // k−1 closes (wraps) that contact, so the record and the timeline batch k read are stale.
    const groups = contactGroups(events);
    const batches = groups.map((g, k) => {
      const prev = groups[k - 1];
      if (!prev) return g;
      const lastContact = prev.filter((e) => e.type !== 'agent.state').at(-1)!;
      const lastAgent = prev.filter((e) => e.type === 'agent.state').at(-1);
      return [...g, lastContact, ...(lastAgent ? [lastAgent] : [])];
    });
    const { writer, results } = await writeInFlight(h, batches);

    const accepted = new Map<string, number>();
    results.forEach((r, k) => [...r.statuses].forEach((st, i) => st === 'a' && accepted.set(batches[k]![i]!.id, (accepted.get(batches[k]![i]!.id) ?? 0) + 1)));
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    expect(accepted.size).toBe(events.length);
    expect(writer.stats.reread, 'no read issued ahead was stale: the test proves nothing').toBeGreaterThan(0);

    for (const window of ['15m', 'today'] as const) await expectCenterFigures(one, h, window, window);
    expect(await h.engine.agents('default', {}, T0)).toEqual(await one.engine.agents('default', {}, T0));
    expect(await h.engine.sequence('default')).toBe(events.length);
  });

  it('keeps a contact it just closed for the next batches: a repeated event for it costs no read behind the previous write', async () => {
    // contact events only: the history's agent events arrive out of order, and those read the
    // agent's whole timeline (a read of their own)
    const events = history().filter((e) => e.type !== 'agent.state');
    const { one, h } = await referenceAndFresh(events);

    // batch k: contact k's events, plus a re-send of contact k−2's wrap. Batch k's read goes out
    // while contact k−2 is held (closed by batch k−2, whose write is not confirmed yet), so it
    // is not asked for; it must still be held when batch k is computed.
    const groups = contactGroups(events);
    const batches = groups.map((g, k) => {
      const wrap = groups[k - 2]?.at(-1);
      return wrap ? [...g, wrap] : g;
    });
    const { writer, results } = await writeInFlight(h, batches);

    expect(results.map((r, k) => r.statuses.slice(groups[k]!.length))).toEqual(batches.map((_, k) => (k < 2 ? '' : 'd')));
    expect(writer.stats.loads, 'one read per batch, issued ahead').toBe(batches.length);
    await expectCenterFigures(one, h, 'today');
  });
});

