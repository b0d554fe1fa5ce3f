import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { validateReplayOptions } from '../../server/replay/options.ts';
import { runReplay, type ReplayOutcome } from '../../server/replay/run.ts';
import type { FakeClock } from '../../server/clock.ts';
import { localDate, localMidnight } from '../../shared/metrics/windows.ts';
import { engineApp } from './engine-helpers.ts';

/**
 * Replays one real day of the Anonymous Bank log (January 1999) through the real HTTP API into a
 * real Redis and checks the engine's day totals against a second, deliberately naive count
 * straight from the raw file (it shares no code with server/replay).
 */
const file = new URL('../../../shared/data/anonymous-bank/1999-01.tsv', import.meta.url).pathname;
const sourceDay = '1999-01-07'; // a Thursday; one of its calls is answered after midnight
const zone = 'Asia/Jerusalem';
const hourMs = 3_600_000;

interface Totals {
  offered: number;
  answered: number;
  abandoned: number;
  answeredInThreshold: number;
  /** Σ wait of answered calls, seconds (for ASA) */
  waitSec: number;
}
const zero = (): Totals => ({ offered: 0, answered: 0, abandoned: 0, answeredInThreshold: 0, waitSec: 0 });

/**
 * The issue-3 mapping, computed the simple way: every time as seconds after the call's day
 * starts, a reading more than 12 h before the IVR entry being on the next day.
 * Returns totals per queue type for calls leaving the queue on the day itself and on the next.
 */
function countFromRawFile() {
  const yymmdd = sourceDay.slice(2).replaceAll('-', '');
  const sameDay = new Map<string, Totals>();
  const nextDay = new Map<string, Totals>();
  let lastLeftAt = 0;
  /** talk (ser_exit − answer) of calls whose service ends on the day itself, by queue */
  const talkSameDay = new Map<string, { count: number; sumSec: number }>();
  const lines = readFileSync(file, 'utf8').split('\n');
  const col = lines[0]!.split('\t');
  for (const line of lines.slice(1)) {
    const f = line.split('\t');
    const v = (name: string) => f[col.indexOf(name)]!;
    if (f.length !== col.length || v('date') !== yymmdd) continue;
    if (v('outcome') === 'PHANTOM' || !['PS', 'PE', 'IN', 'NE', 'NW', 'TT'].includes(v('type'))) continue;
    const entry = secondsOf(v('vru_entry'));
    const t = (name: string) => {
      const s = secondsOf(v(name));
      return s < entry - 12 * 3600 ? s + 86_400 : s;
    };
    const hasQueue = v('q_start') !== '0:00:00';
    const served = v('outcome') === 'AGENT';
    if (!hasQueue && !served) continue;
    const queued = hasQueue ? t('q_start') : t('vru_exit');
    let leftAt: number;
    const add: Partial<Totals> = { offered: 1 };
    if (served) {
      const start = v('ser_start') !== '0:00:00' ? t('ser_start') : hasQueue ? t('q_exit') : t('vru_exit');
      leftAt = Math.max(start, queued);
      add.answered = 1;
      add.answeredInThreshold = leftAt - queued <= 20 ? 1 : 0;
      add.waitSec = leftAt - queued;
      if (v('ser_start') !== '0:00:00') {
        const end = Math.max(t('ser_exit'), leftAt);
        for (const key of end < 86_400 ? [v('type'), 'ALL'] : []) {
          const talk = talkSameDay.get(key) ?? { count: 0, sumSec: 0 };
          talk.count += 1;
          talk.sumSec += end - leftAt;
          talkSameDay.set(key, talk);
        }
      }
    } else {
      leftAt = Math.max(t('q_exit'), queued);
      add.abandoned = 1;
    }
    lastLeftAt = Math.max(lastLeftAt, leftAt);
    const target = leftAt < 86_400 ? sameDay : nextDay;
    for (const key of [v('type'), 'ALL']) {
      const totals = target.get(key) ?? zero();
      for (const k of Object.keys(add) as (keyof Totals)[]) totals[k] += add[k]!;
      target.set(key, totals);
    }
  }
  return { sameDay, nextDay, lastLeftAt, talkSameDay };
}

function secondsOf(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number);
  return h! * 3600 + m! * 60 + s!;
}

function plus(a: Totals | undefined, b: Totals | undefined): Totals {
  const out = zero();
  for (const k of Object.keys(out) as (keyof Totals)[]) out[k] = (a?.[k] ?? 0) + (b?.[k] ?? 0);
  return out;
}

describe('replay of a January 1999 day through the HTTP API', () => {
  let app: FastifyInstance;
  let clock: FakeClock;
  let url: string;
  let shiftTo: string;
  let dayStart: number;
  let dayEnd: number;
  let first: ReplayOutcome;
  const expected = countFromRawFile();

  const replay = () =>
    runReplay(validateReplayOptions({ format: 'anonymous-bank', file, from: sourceDay, to: sourceDay, shiftTo, url, batch: 1000 }), {
      stdout: { write: () => true },
      stderr: { isTTY: false, write: () => true },
      now: () => clock.now(),
    });

  async function totals(from: number, to: number, queue?: string): Promise<Totals & Record<string, unknown>> {
    const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(queue ? { queue } : {}) });
    const res = await app.inject({ method: 'GET', url: `/api/v1/metrics?${q}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  beforeAll(async () => {
    // Shift to a recent day (Redis keys expire relative to real time), and stop the fake clock
    // two hours after it, so every event is inside the engine's 48 h horizon.
    shiftTo = localDate(Date.now() - 36 * hourMs, zone);
    dayStart = localMidnight(Date.parse(`${shiftTo}T12:00:00Z`), zone);
    dayEnd = localMidnight(dayStart + 30 * hourMs, zone);
    const h = await engineApp({ now: dayEnd + 2 * hourMs });
    app = h.app;
    clock = h.clock;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    first = await replay();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('sends every event of the day and the server accepts all of them', () => {
    expect(first.exitCode).toBe(0);
    expect(first.horizon).toMatchObject({ tooOld: 0, tooNew: 0 });
    expect(first.parse!.unreadableTotal).toBe(0);
    expect(first.send).toMatchObject({ sent: first.parse!.events.length, accepted: first.parse!.events.length, duplicate: 0, rejected: 0 });
  });

  it("matches the raw file's offered/answered/abandoned/answered-within-20 s, ASA and talk time for the shifted day", async () => {
    expect(expected.sameDay.get('ALL')!.offered).toBeGreaterThan(1000);
    for (const [queue, { waitSec, ...want }] of expected.sameDay) {
      const got = await totals(dayStart, dayEnd, queue === 'ALL' ? undefined : queue);
      expect({ queue, offered: got.offered, answered: got.answered, abandoned: got.abandoned, answeredInThreshold: got.answeredInThreshold }).toEqual({
        queue,
        ...want,
      });
      if (want.answered === 0) expect(got.asaSec).toBeNull();
      else expect(got.asaSec as number).toBeCloseTo(waitSec / want.answered, 6);
      // the log has no after-call work: talk and handle time are both ser_exit − answer
      const talk = expected.talkSameDay.get(queue);
      expect(got.avgTalkSec as number).toBeCloseTo(talk!.sumSec / talk!.count, 6);
      expect(got.ahtSec as number).toBeCloseTo(talk!.sumSec / talk!.count, 6);
    }
  });

  it('counts calls that leave the queue after midnight on the next day', async () => {
    // The history range may not reach past the clock (dayEnd + 2 h); the day's last exit is earlier.
    expect(expected.lastLeftAt).toBeLessThan(86_400 + 2 * 3600);
    expect(expected.nextDay.size).toBeGreaterThan(0);
    const nextEnd = dayEnd + 2 * hourMs;
    for (const queue of new Set([...expected.sameDay.keys(), ...expected.nextDay.keys()])) {
      const { waitSec: _, ...want } = plus(expected.sameDay.get(queue), expected.nextDay.get(queue));
      const got = await totals(dayStart, nextEnd, queue === 'ALL' ? undefined : queue);
      expect({ queue, offered: got.offered, answered: got.answered, abandoned: got.abandoned, answeredInThreshold: got.answeredInThreshold }).toEqual({
        queue,
        ...want,
      });
    }
  });

  it('a second replay of the same day is all duplicates and changes nothing', async () => {
    const before = await totals(dayStart, dayEnd);
    const again = await replay();
    expect(again.exitCode).toBe(0);
    expect(again.send).toMatchObject({ accepted: 0, duplicate: first.parse!.events.length, rejected: 0 });
    const after = await totals(dayStart, dayEnd);
    expect({ ...after, asOf: null }).toEqual({ ...before, asOf: null });
  });
});
