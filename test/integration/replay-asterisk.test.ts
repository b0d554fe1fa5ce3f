import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FakeClock } from '../../server/clock.ts';
import { validateReplayOptions } from '../../server/replay/options.ts';
import { runReplay, type ReplayOutcome } from '../../server/replay/run.ts';
import { dayNumber, shiftInstant } from '../../server/replay/time.ts';
import { intervalMs, localDate, localMidnight } from '../../shared/metrics/windows.ts';
import { engineApp } from './engine-helpers.ts';

/**
 * Replays the last day of the production Asterisk queue_log export (2018-12-04, the PBX's own
 * zone America/New_York) through the HTTP API and checks it against a plain count of the CSV rows;
 * then checks that the calls the file leaves without an exit stop counting as waiting after
 * retention.waitingTimeoutMin (240 min).
 */
const file = new URL('../../../shared/data/asterisk-queue-log/queue_log-table-export.csv', import.meta.url).pathname;
const zone = 'America/New_York';
const sourceDay = '2018-12-04';
const sourceStart = Date.parse('2018-12-04T05:00:00Z'); // local midnight, EST
const sourceEnd = sourceStart + 86_400_000;

/** Straight from the CSV: calls whose first row is on the day, by what their rows say. */
function countFromCsv() {
  const rows = readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const firstSeen = new Map<string, number>();
  for (const r of rows) if (!firstSeen.has(r[2]!)) firstSeen.set(r[2]!, Number(r[1]) * 1000);
  const onDay = (r: string[]) => {
    const first = firstSeen.get(r[2]!)!;
    return r[2] !== 'NONE' && first >= sourceStart && first < sourceEnd;
  };
  const dayRows = rows.filter(onDay);
  const of = (...events: string[]) => dayRows.filter((r) => events.includes(r[5]!));
  const exited = new Set(of('CONNECT', 'ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'EXITEMPTY').map((r) => r[2]));
  const lastRowAt = Math.max(...dayRows.map((r) => Number(r[1]) * 1000));
  return {
    queued: of('ENTERQUEUE').length,
    answered: of('CONNECT').length,
    // the export keeps CONNECT's hold time in htime (column 12)
    answeredInThreshold: of('CONNECT').filter((r) => Number(r[11]) <= 20).length,
    abandoned: of('ABANDON', 'EXITWITHTIMEOUT', 'EXITWITHKEY', 'EXITEMPTY').length,
    stillWaiting: of('ENTERQUEUE').filter((r) => !exited.has(r[2])).length,
    lastRowAt,
  };
}

describe('replay of the Asterisk queue_log export through the HTTP API', () => {
  const expected = countFromCsv();
  let app: FastifyInstance;
  let clock: FakeClock;
  let outcome: ReplayOutcome;
  let dayStart: number;

  beforeAll(async () => {
    const shiftTo = localDate(Date.now() - 24 * 3_600_000, zone);
    dayStart = localMidnight(Date.parse(`${shiftTo}T17:00:00Z`), zone);
    // the fake clock stands 30 s after the day's last row, shifted
    const lastRowShifted = shiftInstant(expected.lastRowAt, dayNumber(shiftTo) - dayNumber(sourceDay), zone);
    const h = await engineApp({ now: lastRowShifted + 30_000 });
    app = h.app;
    clock = h.clock;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    outcome = await runReplay(
      validateReplayOptions({ format: 'asterisk-queue-log', file, from: sourceDay, to: sourceDay, shiftTo, timezone: zone, url }),
      { stdout: { write: () => true }, stderr: { isTTY: false, write: () => true }, now: () => clock.now() },
    );
  });
  afterAll(async () => {
    await app?.close();
  });

  async function metrics(query: Record<string, string>) {
    const res = await app.inject({ method: 'GET', url: `/api/v1/metrics?${new URLSearchParams(query)}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  it('is accepted in full', () => {
    expect(outcome.exitCode).toBe(0);
    expect(outcome.parse!.unreadableTotal).toBe(0);
    expect(outcome.send).toMatchObject({ rejected: 0, duplicate: 0, accepted: outcome.parse!.events.length });
  });

  it("matches the CSV's answered, abandoned and answered-within-20 s for the day", async () => {
    const to = Math.ceil(clock.now() / intervalMs) * intervalMs;
    const got = await metrics({ from: new Date(dayStart).toISOString(), to: new Date(to).toISOString(), queue: 'IT' });
    expect({ answered: got.answered, abandoned: got.abandoned, offered: got.offered, answeredInThreshold: got.answeredInThreshold }).toEqual({
      answered: expected.answered,
      abandoned: expected.abandoned,
      offered: expected.answered + expected.abandoned,
      answeredInThreshold: expected.answeredInThreshold,
    });
    expect(got.arrivals).toBe(expected.queued);
  });

  it('shows calls without an exit event as waiting until retention.waitingTimeoutMin, then drops them', async () => {
    expect(expected.stillWaiting).toBeGreaterThan(0);
    expect((await metrics({ window: '15m', queue: 'IT' })).waiting).toBe(expected.stillWaiting);
    clock.advance(241 * 60_000);
    expect((await metrics({ window: '15m', queue: 'IT' })).waiting).toBe(0);
  });
});
