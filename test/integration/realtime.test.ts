import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { defaultCoalesceMs } from '../../shared/contract/config.ts';
import type { AlertChange } from '../../shared/contract/alerts.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { MetricsResult } from '../../shared/contract/metrics-api.ts';
import { viewIdOf, viewSpec, type ClientToServerEvents, type ServerToClientEvents, type SessionInfo, type ViewPayload } from '../../shared/realtime/events.ts';
import { FakeClock } from '../../server/clock.ts';
import { alertFixture } from '../support/alert-fixture.ts';
import { TestServer } from '../support/browser.ts';
import { watchRedisCommands } from '../support/redis.ts';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const displayToken = 'display-token-0123456789';
const leadToken = 'lead-token-0123456789abc';
const ingestToken = 'ingest-token-0123456789ab';

const config = {
  queues: [
    { id: 'retail', name: { zh: '零售', en: 'Retail' }, channel: 'voice' as const },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' as const },
    // only the trend-history test posts to it
    { id: 'history-q', name: { zh: '历史', en: 'History' }, channel: 'voice' as const },
  ],
  // the lead-scope tests watch it before any event names it
  teams: [{ id: 'blue', name: { zh: '二组', en: 'Team 2' } }],
  boards: [{ id: 'history', rows: [{ kind: 'queue' as const, queue: 'history-q' }], window: '15m' as const }],
  tokens: [
    { token: displayToken, role: 'display' as const, name: 'tv-1' },
    { token: leadToken, role: 'lead' as const, name: 'lead-1' },
    { token: ingestToken, role: 'ingest' as const, name: 'acd' },
  ],
};

let server: TestServer;
const sockets: ClientSocket[] = [];

function open(opts: { token?: string; origin?: string } = {}): ClientSocket {
  const s: ClientSocket = connect(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: opts.token ? { token: opts.token } : {},
    ...(opts.origin ? { extraHeaders: { origin: opts.origin } } : {}),
  });
  sockets.push(s);
  return s;
}

function connected(s: ClientSocket): Promise<SessionInfo> {
  return new Promise((resolve, reject) => {
    s.once('session:established', resolve);
    s.once('connect_error', reject);
  });
}

function refused(s: ClientSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once('connect_error', (err) => resolve(err.message));
    s.once('connect', () => reject(new Error('connected although it should have been refused')));
  });
}

function next<E extends 'view:snapshotted' | 'view:updated'>(s: ClientSocket, event: E, accept: (p: ViewPayload) => boolean = () => true, timeoutMs = 3000): Promise<ViewPayload> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.off(event, handler as never);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (p: ViewPayload) => {
      if (!accept(p)) return;
      clearTimeout(timer);
      s.off(event, handler as never);
      resolve(p);
    };
    s.on(event, handler as never);
  });
}

async function subscribe(s: ClientSocket, spec: Parameters<ClientToServerEvents['view:subscribe']>[0]) {
  const snapshot = next(s, 'view:snapshotted');
  const ack = await s.emitWithAck('view:subscribe', spec);
  return { ack, snapshot: await snapshot };
}

let n = 0;
function queued(queue: string, channel: 'voice' | 'text', atMs = Date.now()): ContractEventInput {
  n += 1;
  return { id: `q-${n}-${Math.random()}`, type: 'contact.queued', ts: atMs, contactId: `c-${n}-${Math.random()}`, queue, channel };
}

beforeAll(async () => {
  server = await TestServer.start({ config, host: '127.0.0.1' });
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await server.stop();
});

describe('socket auth', () => {
  it('refuses a socket without a token when tokens are configured', async () => {
    expect(await refused(open())).toBe('unauthorized');
  });

  it('refuses a wrong token and an ingest-only token', async () => {
    expect(await refused(open({ token: 'not-a-real-token-at-all' }))).toBe('unauthorized');
    expect(await refused(open({ token: ingestToken }))).toBe('forbidden');
  });

  it('refuses a browser Origin that is not the server', async () => {
    expect(await refused(open({ token: displayToken, origin: 'http://evil.example' }))).toMatch(/websocket error|xhr poll error|refused|error/i);
  });

  it('accepts the server’s own Origin and reports the role', async () => {
    const info = await connected(open({ token: displayToken, origin: server.url }));
    expect(info).toMatchObject({ role: 'display', name: 'tv-1', devMode: false });
  });

  it('keeps the lead console from a display token', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    expect(await s.emitWithAck('view:subscribe', { kind: 'lead', window: '15m' })).toEqual({ ok: false, error: 'forbidden' });
  });
});

describe('views', () => {
  it('sends a full snapshot on join, equal to the metrics API', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    const { ack, snapshot } = await subscribe(s, { kind: 'board', board: 'default' });
    expect(ack).toEqual({ ok: true, viewId: 'board:default:default' });
    expect(snapshot.viewId).toBe('board:default:default');
    expect(snapshot.rowKeys).toEqual([
      { kind: 'channel', channel: 'voice' },
      { kind: 'channel', channel: 'text' },
    ]);
    expect(snapshot.rows).toHaveLength(2);
    expect(Array.isArray(snapshot.trend)).toBe(true);
    const api = await server.getJson<MetricsResult>('/api/v1/metrics?channel=voice&window=30m', displayToken);
    expect(snapshot.rows[0]!.offered).toBe(api.offered);
    expect(snapshot.rows[0]!.waiting).toBe(api.waiting);
  });

  it('pushes an update that includes an accepted event within 1 s', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    const { snapshot } = await subscribe(s, { kind: 'board', board: 'default' });
    const before = snapshot.rows[0]!.waiting ?? 0;
    const posted = (await server.postEvents([queued('retail', 'voice')], ingestToken)) as unknown as { seq: Record<string, number> };
    // from acceptance (the ingest answer) to the screen
    const accepted = Date.now();
    const seq = posted.seq.default!;
    const update = await next(s, 'view:updated', (p) => p.seq >= seq, 1000);
    expect(Date.now() - accepted).toBeLessThan(1000);
    expect(update.rows[0]!.waiting).toBe(before + 1);
    // with no late event, updates carry only the current minute of the trend
    expect(update.trend!.length).toBeLessThanOrEqual(1);
  });

  it(`coalesces a burst of ingests into a few updates (≤ one per ${defaultCoalesceMs} ms, the default realtime.coalesceMs)`, async () => {
    const s = open({ token: displayToken });
    await connected(s);
    await subscribe(s, { kind: 'board', board: 'default' });
    const updates: ViewPayload[] = [];
    s.on('view:updated', (p) => updates.push(p));
    const started = Date.now();
    let lastSeq = 0;
    for (let i = 0; i < 40; i++) {
      const r = (await server.postEvents([queued('chat', 'text')], ingestToken)) as unknown as { seq: Record<string, number> };
      lastSeq = r.seq.default!;
    }
    await next(s, 'view:updated', (p) => p.seq >= lastSeq, 2000).catch(() => undefined);
    const elapsed = Date.now() - started;
    expect(updates.at(-1)!.seq).toBe(lastSeq);
    // at most one update per coalescing window (+1 for the leading edge, +1 for a heartbeat)
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / defaultCoalesceMs) + 2);
    expect(updates.length).toBeLessThan(40);
  });

  it('sends a heartbeat with a fresh asOf at least every 5 s without events', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    const { snapshot } = await subscribe(s, { kind: 'board', board: 'default' });
    const beat = await next(s, 'view:updated', (p) => p.asOf > snapshot.asOf, 6500);
    expect(Date.parse(beat.asOf) - Date.parse(snapshot.asOf)).toBeGreaterThanOrEqual(1000);
  }, 10_000);

  it('fills the trend minutes nobody watched with the service level as of each minute end, waiting unknown', async () => {
    // 30 contacts over the last 40 minutes of a queue only this test uses: every third waits 35 s
    // (outside the 20 s voice threshold), every fifth abandons after 40 s
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 40 * 60_000;
    const leaves: { at: number; answered: boolean; inThreshold: boolean }[] = [];
    const events: ContractEventInput[] = [];
    for (let i = 0; i < 30; i++) {
      const contactId = `hist-${i}-${Math.random()}`;
      const queuedAt = base + i * 77_000 + 5_000;
      events.push({ id: `${contactId}-q`, type: 'contact.queued', ts: queuedAt, contactId, queue: 'history-q', channel: 'voice' });
      if (i % 5 === 4) {
        events.push({ id: `${contactId}-x`, type: 'contact.abandoned', ts: queuedAt + 40_000, contactId });
        leaves.push({ at: queuedAt + 40_000, answered: false, inThreshold: false });
      } else {
        const wait = i % 3 === 0 ? 35_000 : 8_000;
        events.push({ id: `${contactId}-a`, type: 'contact.answered', ts: queuedAt + wait, contactId, agentId: 'h1' });
        leaves.push({ at: queuedAt + wait, answered: true, inThreshold: wait <= 20_000 });
      }
    }
    expect((await server.postEvents(events, ingestToken)).accepted).toBe(events.length);
    const s = open({ token: displayToken });
    await connected(s);
    const { snapshot } = await subscribe(s, { kind: 'board', board: 'history' });
    const filled = snapshot.trend!.filter((p) => p.waiting[0] === null);
    // every minute from the first contact's leave to the one before now has a figure
    expect(filled.length).toBeGreaterThanOrEqual(38);
    for (const p of filled) {
      const end = Date.parse(p.t) + 60_000;
      const inWindow = leaves.filter((l) => l.at >= end - 15 * 60_000 && l.at < end);
      const expected = inWindow.length === 0 ? null : inWindow.filter((l) => l.inThreshold).length / inWindow.length;
      expect(p.serviceLevel[0], `minute ${p.t}`).toBe(expected);
    }
    // the live minute is a sample: it has waiting
    expect(snapshot.trend!.at(-1)!.waiting[0]).toBe(0);
  });

  it('gives the lead console queue rows and agents', async () => {
    await server.postEvents(
      [{ id: `a-${Math.random()}`, type: 'agent.state', ts: Date.now(), agentId: 'a1', state: 'available', team: 'red', queues: ['retail'], name: '张三' }],
      ingestToken,
    );
    const s = open({ token: leadToken });
    await connected(s);
    const { ack, snapshot } = await subscribe(s, { kind: 'lead', window: '15m' });
    expect(ack.ok).toBe(true);
    expect(snapshot.rowKeys[0]).toEqual({ kind: 'center' });
    expect(snapshot.rowKeys).toContainEqual({ kind: 'queue', queue: 'retail', channel: 'voice' });
    expect(snapshot.agents!.find((a) => a.agentId === 'a1')).toMatchObject({ name: '张三', state: 'available', team: 'red' });
  });
});

describe('client messages are validated', () => {
  it('answers invalid or unknown messages with a safe error code only', async () => {
    const s = open({ token: leadToken });
    await connected(s);
    const bad = [
      await s.emitWithAck('view:subscribe', { kind: 'nope' } as never),
      await s.emitWithAck('view:subscribe', { kind: 'board', board: 'BAD BOARD' }),
      await s.emitWithAck('view:subscribe', { kind: 'board', board: 'default', extra: 1 } as never),
      await s.emitWithAck('view:subscribe', 'just a string' as never),
      await s.emitWithAck('view:unsubscribe', { viewId: 42 } as never),
      await s.emitWithAck('alert:acknowledge', {} as never),
    ];
    for (const r of bad) expect(r).toEqual({ ok: false, error: 'invalid_message' });
    expect(await s.emitWithAck('view:subscribe', { kind: 'board', board: 'missing' })).toEqual({ ok: false, error: 'unknown_board' });
    expect(await s.emitWithAck('view:subscribe', { kind: 'board', center: 'elsewhere', board: 'default' })).toEqual({ ok: false, error: 'unknown_center' });
    expect(await s.emitWithAck('view:unsubscribe', { viewId: 'board:default:zzz' })).toEqual({ ok: false, error: 'unknown_view' });
    // the socket survives all of it
    const { ack } = await subscribe(s, { kind: 'board', board: 'default' });
    expect(ack.ok).toBe(true);
  });

  it('stops pushing after unsubscribe', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    const { ack } = await subscribe(s, { kind: 'board', board: 'default' });
    expect(await s.emitWithAck('view:unsubscribe', { viewId: (ack as { viewId: string }).viewId })).toEqual({ ok: true });
    let got = 0;
    s.on('view:updated', () => (got += 1));
    await server.postEvents([queued('retail', 'voice')], ingestToken);
    await new Promise((r) => setTimeout(r, 600));
    expect(got).toBe(0);
  });
});

describe('a lead view names a team and a queue the center has', () => {
  it('refuses an unknown team or queue with its own code; accepts configured ones and ones seen in events', async () => {
    const s = open({ token: leadToken });
    await connected(s);
    const sub = (spec: { team?: string; queue?: string }) => s.emitWithAck('view:subscribe', { kind: 'lead', window: '15m', ...spec });
    // configured, no event yet
    expect(await sub({ team: 'blue' })).toMatchObject({ ok: true });
    expect(await sub({ queue: 'chat' })).toMatchObject({ ok: true });
    // neither configured nor seen: a clear code, not an empty view
    expect(await sub({ team: 'ghost-team' })).toEqual({ ok: false, error: 'unknown_team' });
    expect(await sub({ queue: 'ghost-queue' })).toEqual({ ok: false, error: 'unknown_queue' });
    expect(await sub({ team: 'blue', queue: 'ghost-queue' })).toEqual({ ok: false, error: 'unknown_queue' });
    expect(await sub({ team: 'ghost-team', queue: 'chat' })).toEqual({ ok: false, error: 'unknown_team' });
    // the center is checked first
    expect(await s.emitWithAck('view:subscribe', { kind: 'lead', center: 'elsewhere', team: 'blue' })).toEqual({ ok: false, error: 'unknown_center' });
    // not configured: known from its first event on
    await server.postEvents(
      [
        { id: `ls-a-${Math.random()}`, type: 'agent.state', ts: Date.now(), agentId: 'ls-agent', state: 'available', team: 'ghost-team', queues: ['ghost-queue'] },
        queued('ghost-queue', 'voice'),
      ],
      ingestToken,
    );
    const { ack, snapshot } = await subscribe(s, { kind: 'lead', window: '15m', team: 'ghost-team', queue: 'ghost-queue' });
    expect(ack.ok).toBe(true);
    // the team's own row on top, then the queue's (without the team)
    expect(snapshot.rowKeys).toEqual([{ kind: 'team', team: 'ghost-team' }, { kind: 'queue', queue: 'ghost-queue', channel: 'voice' }]);
    expect(snapshot.agents!.map((a) => a.agentId)).toEqual(['ls-agent']);
  });
});

describe('alerts', () => {
  it('gathers the alert changes of a moment into one alert:changed message per center, in order', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    await subscribe(s, { kind: 'board', board: 'default' });
    const messages: AlertChange[][] = [];
    s.on('alert:changed', (changes) => messages.push(changes));
    // what one evaluation publishes when a spike hits many queues, through the Redis channel
    const changes: AlertChange[] = [];
    for (let i = 0; i < 12; i++) changes.push({ type: 'raised', alert: alertFixture(`burst-${i}`, 'default') });
    changes.push({ type: 'resolved', alert: { ...alertFixture('burst-0', 'default'), state: 'resolved' } });
    const elsewhere: AlertChange = { type: 'raised', alert: alertFixture('elsewhere', 'other-center') };
    // pipelined on one connection: the order holds, and a loaded machine cannot stretch the
    // burst past the relay's window
    await Promise.all([...changes.slice(0, 6), elsewhere, ...changes.slice(6)].map((c) => server.app.alerts.bus.publish(c)));
    await new Promise((r) => setTimeout(r, 400));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.map((c) => `${c.type} ${c.alert.id}`)).toEqual(changes.map((c) => `${c.type} ${c.alert.id}`));
    // a later change is a message of its own
    await server.app.alerts.bus.publish({ type: 'updated', alert: { ...alertFixture('burst-1', 'default'), severity: 'critical' } });
    await new Promise((r) => setTimeout(r, 400));
    expect(messages).toHaveLength(2);
    expect(messages[1]!.map((c) => [c.type, c.alert.id, c.alert.severity])).toEqual([['updated', 'burst-1', 'critical']]);
  });
});

describe('several server processes sharing Redis', () => {
  it('a screen on one process sees events ingested through another', async () => {
    const other = await TestServer.start({ config, keyPrefix: server.keyPrefix });
    try {
      const s: ClientSocket = connect(other.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
      sockets.push(s);
      await connected(s);
      const { snapshot } = await subscribe(s, { kind: 'board', board: 'default' });
      const before = snapshot.rows[1]!.waiting ?? 0;
      const posted = (await server.postEvents([queued('chat', 'text')], ingestToken)) as unknown as { seq: Record<string, number> };
      const update = await next(s, 'view:updated', (p) => p.seq >= posted.seq.default!, 1000);
      expect(update.rows[1]!.waiting).toBe(before + 1);
    } finally {
      await other.stop();
    }
  });
});

describe('the sequence a payload carries', () => {
  it('is read before the figures (same connection, ahead of their scripts), so every event up to it is inside them', async () => {
    // a server of its own without background loops: every command on its prefix is the view's
    const quiet = await TestServer.start({ config, keyPrefix: `${server.keyPrefix}-seq`, background: false });
    const seen: string[] = [];
    const tag = `{${quiet.keyPrefix}:default}`;
    const monitor = await watchRedisCommands((args) => {
      const cmd = args[0]!.toLowerCase();
      if (cmd === 'hget' && args[1] === `${tag}:meta` && args[2] === 'seq') seen.push('seq');
      else if (cmd === 'evalsha' && args[3]?.startsWith(tag)) seen.push('script');
    });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const s: ClientSocket = connect(quiet.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
      sockets.push(s);
      await connected(s);
      await subscribe(s, { kind: 'board', board: 'default' });
      await new Promise((r) => setTimeout(r, 100));
      expect(seen[0]).toBe('seq');
      expect(seen).toContain('script');
    } finally {
      monitor.stop();
      await quiet.stop();
    }
  });
});

describe('trend samples', () => {
  it('live in Redis: another process draws a minute it did not sample with the first one’s waiting', async () => {
    // two processes on one key prefix with clocks two minutes apart: the second one's chart holds
    // the first one's minute, and waiting is only known from that sample (a filled minute has null)
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60_000 + 10_000;
    const prefix = `${server.keyPrefix}-trend`;
    const first = await TestServer.start({ config, keyPrefix: prefix, clock: new FakeClock(t0) });
    const second = await TestServer.start({ config, keyPrefix: prefix, clock: new FakeClock(t0 + 2 * 60_000) });
    try {
      await first.postEvents([queued('retail', 'voice', t0 - 1000)], ingestToken);
      const a: ClientSocket = connect(first.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
      sockets.push(a);
      await connected(a);
      const sampled = (await subscribe(a, { kind: 'board', board: 'default' })).snapshot.trend!.at(-1)!;
      expect(sampled.t).toBe(new Date(t0 - 10_000).toISOString());
      expect(sampled.waiting[0]).toBe(1);
      a.disconnect();
      const b: ClientSocket = connect(second.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: displayToken } });
      sockets.push(b);
      await connected(b);
      const chart = (await subscribe(b, { kind: 'board', board: 'default' })).snapshot.trend!;
      expect(chart.find((p) => p.t === sampled.t)?.waiting).toEqual(sampled.waiting);
      // no other minute before the second process's own has a waiting figure: nobody sampled it
      const own = new Date(t0 + 2 * 60_000 - 10_000).toISOString();
      for (const p of chart) if (p.t !== sampled.t && p.t !== own) expect(p.waiting.every((w) => w === null), `minute ${p.t}`).toBe(true);
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});

describe('demo data', () => {
  it('marks payloads demo while the simulator feeds the center', async () => {
    const s = open({ token: displayToken });
    await connected(s);
    const { snapshot } = await subscribe(s, { kind: 'board', board: 'default' });
    expect(snapshot.demo).toBe(false);
    const res = await fetch(`${server.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestToken}`, 'x-wallboard-source': 'simulator' },
      body: JSON.stringify([queued('retail', 'voice')]),
    });
    expect(res.status).toBe(200);
    const update = await next(s, 'view:updated', (p) => p.demo, 2000);
    expect(update.demo).toBe(true);
  });
});

describe('a screen that leaves while its subscription is being checked', () => {
  it('is not joined after it has gone: no room keeps its id, no view keeps computing for it', async () => {
    // a team known only from events: the lead view's check reads Redis, which is paused below so
    // the socket is gone before the check answers (as when Redis is slow and a console reloads)
    await server.postEvents(
      [{ id: `gone-a-${Math.random()}`, type: 'agent.state', ts: Date.now(), agentId: 'gone-agent', state: 'available', team: 'gone-team', queues: ['retail'] }],
      ingestToken,
    );
    const spec = { kind: 'lead', window: '15m', team: 'gone-team' } as const;
    const s = open({ token: leadToken });
    await connected(s);
    const socketId = s.id!;
    const pauser = server.app.redis.duplicate({ enableOfflineQueue: true });
    try {
      await pauser.call('CLIENT', 'PAUSE', '600', 'ALL');
      s.emit('view:subscribe', spec, () => {});
      await new Promise((r) => setTimeout(r, 100));
      s.disconnect();
      await new Promise((r) => setTimeout(r, 1200));
    } finally {
      pauser.disconnect();
    }
    const rooms = server.app.realtime.io.of('/').adapter.rooms;
    const ghostRooms = [...rooms].filter(([, members]) => members.has(socketId)).map(([room]) => room);
    expect(ghostRooms).toEqual([]);
    expect(server.app.realtime.hub.has(viewIdOf(viewSpec.parse(spec)))).toBe(false);
  });
});

describe('operations', () => {
  it('gauges connected screens per role and records push latency on /metrics', async () => {
    const s = open({ token: leadToken });
    await connected(s);
    await subscribe(s, { kind: 'board', board: 'default' });
    await server.postEvents([queued('retail', 'voice')], ingestToken);
    await next(s, 'view:updated');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/wallboard_connected_screens\{role="lead"\} [1-9]/);
    expect(text).toMatch(/wallboard_live_views [1-9]/);
    expect(text).toMatch(/wallboard_push_latency_seconds_count\{kind="board"\} [1-9]/);
  });
});
