import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { notificationChannel, type Alert } from '../../shared/contract/alerts.ts';
import type { Notification } from '../../server/alerts/notify/payloads.ts';
import { cleanupsAfterEach, recordingDispatcher } from './alerts-helpers.ts';

const cleanups = cleanupsAfterEach();

const alert: Alert = {
  id: 'a1', rule: 'r', severity: 'critical', state: 'firing', scope: { center: 'default' }, metric: 'waiting',
  value: 5, threshold: 4, startedAt: '2026-11-23T02:00:00.000Z', updatedAt: '2026-11-23T02:00:00.000Z',
  escalationLevel: 0, message: { zh: '排队', en: 'waiting' },
};
const n: Notification = { kind: 'raised', alert, level: 0, levelName: { zh: '班组长', en: 'Team lead' }, recipients: [] };

/** A robot that answers 200 with its headers, then never sends the JSON body (errcode unknown). */
async function stallingRobot() {
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"errcode":'); // …and nothing more
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

describe('dispatcher: a robot reply that cannot be read is a failure', () => {
  // README: "A robot's errcode/code ≠ 0 in a 200 response is a failure"; timeoutMs bounds a send.
  // A robot whose answer never completes within timeoutMs has not confirmed errcode 0, yet the
  // attempt is recorded "sent" and never retried.
  it('a DingTalk robot that times out before its JSON answer is complete is not recorded as sent', async () => {
    const robot = await stallingRobot();
    const { d, attempts } = recordingDispatcher(cleanups, { maxQueue: 100, concurrency: 1, maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 300 });
    const ch = notificationChannel.parse({ id: 'ding', type: 'dingtalk', url: `${robot.base}/robot/send?access_token=t` });
    d.enqueue(ch, n);
    await d.drain();
    expect(attempts.map((a) => `${a.attempt}:${a.outcome}:${a.status}`)).not.toContain('1:sent:200');
  });
});

describe('dispatcher: timeoutMs bounds email, and a stalled channel holds no other back', () => {
  // README Configuration: notify {… timeoutMs: 10000}: a send that takes longer fails and is
  // retried. The email channel ignores it (nodemailer's own 30 s greeting / 10 min socket
  // timeouts apply), so a stalled SMTP server holds one of the few senders for far longer and
  // every channel queued behind it waits.
  it('an SMTP server that accepts but never greets fails the attempt after timeoutMs', async () => {
    const { createServer: createTcp } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const smtp = createTcp((s) => { sockets.add(s); s.on('error', () => {}); }); // never says "220"
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); smtp.close(() => r()); }));
    const { d, attempts } = recordingDispatcher(
      cleanups,
      { maxQueue: 100, concurrency: 1, maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 500 },
      { smtp: { host: '127.0.0.1', port: (smtp.address() as AddressInfo).port, secure: false, from: 'wallboard@bank.example' } },
    );
    const ch = notificationChannel.parse({ id: 'mail', type: 'email', to: ['duty@bank.example'] });
    const started = Date.now();
    d.enqueue(ch, n);
    await new Promise((r) => setTimeout(r, 4000));
    expect({ afterMs: Date.now() - started, recorded: attempts.map((a) => a.outcome), pending: d.pending }).toEqual({
      afterMs: expect.any(Number),
      recorded: ['failed'],
      pending: 0,
    });
  });

  it('four stalled emails do not hold a WeCom message back for longer than timeoutMs (default concurrency 4)', async () => {
    const { createServer: createTcp } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const smtp = createTcp((s) => { sockets.add(s); s.on('error', () => {}); });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); smtp.close(() => r()); }));
    let wecomAt: number | null = null;
    const robot = createServer((req, res) => { req.resume(); req.on('end', () => { wecomAt ??= Date.now(); res.writeHead(200).end('{"errcode":0}'); }); });
    await new Promise<void>((r) => robot.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { robot.closeAllConnections(); robot.close(() => r()); }));
    const { d } = recordingDispatcher(
      cleanups,
      { maxQueue: 1000, concurrency: 4, maxAttempts: 6, backoffBaseMs: 2000, backoffMaxMs: 300_000, timeoutMs: 500 },
      { smtp: { host: '127.0.0.1', port: (smtp.address() as AddressInfo).port, secure: false, from: 'wallboard@bank.example' } },
    );
    const mail = notificationChannel.parse({ id: 'mail', type: 'email', to: ['duty@bank.example'] });
    const wecom = notificationChannel.parse({ id: 'wecom', type: 'wecom', url: `http://127.0.0.1:${(robot.address() as AddressInfo).port}/send?key=k` });
    const started = Date.now();
    for (let i = 0; i < 4; i++) d.enqueue(mail, { ...n, alert: { ...alert, id: `m${i}` } });
    d.enqueue(wecom as never, n);
    await new Promise((r) => setTimeout(r, 4000));
    expect({ wecomDelivered: wecomAt === null ? 'not after 4 s' : wecomAt - started }).toEqual({ wecomDelivered: expect.any(Number) });
  });
});

describe('dispatcher: a stalled channel holds one sender, not the other channels', () => {
  // Each channel sends one message at a time: four messages to a webhook that takes 2 s to answer
  // (timeoutMs 3 s) must not take all four senders while a WeCom message waits behind them.
  it('a WeCom message goes out at once while a slow webhook has four messages queued', async () => {
    let wecomAt: number | null = null;
    const robot = createServer((req, res) => { req.resume(); req.on('end', () => { wecomAt ??= Date.now(); res.writeHead(200).end('{"errcode":0}'); }); });
    const slow = createServer((req, res) => { req.resume(); req.on('end', () => setTimeout(() => res.writeHead(200).end('{}'), 2000)); });
    for (const s of [robot, slow]) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }));
    }
    const { d } = recordingDispatcher(
      cleanups,
      { maxQueue: 1000, concurrency: 4, maxAttempts: 1, backoffBaseMs: 2000, backoffMaxMs: 300_000, timeoutMs: 3000 },
      { closeGraceMs: 0 },
    );
    const hook = notificationChannel.parse({ id: 'hook', type: 'webhook', url: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/h` });
    const wecom = notificationChannel.parse({ id: 'wecom', type: 'wecom', url: `http://127.0.0.1:${(robot.address() as AddressInfo).port}/send?key=k` });
    const started = Date.now();
    for (let i = 0; i < 4; i++) d.enqueue(hook as never, { ...n, alert: { ...alert, id: `h${i}` } });
    d.enqueue(wecom as never, n);
    await new Promise((r) => setTimeout(r, 1000));
    expect({ wecomWithin1s: wecomAt !== null && wecomAt - started < 1000 }).toEqual({ wecomWithin1s: true });
  });
});

describe('dispatcher: attempt errors say what went wrong', () => {
  // The attempts API (README "every notification attempt") is where a lead finds out why the
  // WeCom group heard nothing. Every network failure is recorded as the bare "fetch failed":
  // refused, DNS, TLS and reset all read the same; the cause (err.cause.code) is dropped.
  it('a refused connection is recorded with its cause, not just "fetch failed"', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r())); // nothing listens there now
    const { d, attempts } = recordingDispatcher(cleanups, { maxQueue: 100, concurrency: 1, maxAttempts: 1, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 2000 });
    d.enqueue(notificationChannel.parse({ id: 'wecom', type: 'wecom', url: `http://127.0.0.1:${port}/cgi-bin/webhook/send?key=k` }) as never, n);
    await d.drain();
    expect(attempts.map((a) => a.error)).toEqual([expect.stringMatching(/ECONNREFUSED|refused/i)]);
  });
});
