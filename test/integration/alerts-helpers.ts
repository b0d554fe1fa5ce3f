import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import type { AlertRuleInput } from '../../shared/contract/alerts.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

export const T = Date.parse('2026-11-23T02:00:00.000Z'); // Monday 10:00 Asia/Shanghai
export const sec = (s: number) => s * 1000;
export const min = (m: number) => m * 60_000;

export const tokens = {
  admin: 'admin-token-0123456789',
  lead: 'lead-token-0123456789',
  display: 'display-token-0123456789',
};
export const auth = (role: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[role]}` });

export const baseConfig = (alerts: AppConfigInput['alerts'] = {}): AppConfigInput => ({
  queues: [
    { id: 'q1', name: { zh: '一', en: 'one' }, channel: 'voice' },
    { id: 'q2', name: { zh: '二', en: 'two' }, channel: 'voice' },
  ],
  tokens: [
    { token: tokens.admin, role: 'admin', name: 'Ada Admin' },
    { token: tokens.lead, role: 'lead', name: 'Li Lead' },
    { token: tokens.display, role: 'display', name: 'Wall TV' },
  ],
  alerts,
});

export const waitingRule = (over: Partial<AlertRuleInput> = {}): AlertRuleInput => ({
  id: 'wait-q1',
  metric: 'waiting',
  scope: { center: 'default', queue: 'q1' },
  comparator: 'gt',
  warning: 2,
  critical: 4,
  clear: 1,
  sustainedForSec: 30,
  ...over,
});

/** The whole app (real engine, real Redis, private prefix, fake clock), background loops off. */
export async function alertsApp(opts: { config?: AppConfigInput; prefix?: string; clock?: FakeClock; background?: boolean } = {}) {
  const clock = opts.clock ?? new FakeClock(T);
  const prefix = opts.prefix ?? uniquePrefix('alr');
  const app: FastifyInstance = await buildApp({
    env: envSchema.parse({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    config: appConfig.parse(opts.config ?? baseConfig()),
    redis: { host: '127.0.0.1', port: testRedisPort() },
    keyPrefix: prefix,
    clock,
    logger: false,
    background: opts.background ?? false,
  });
  const ingest = (events: ContractEventInput[]) => app.engine.ingest(events.map((e) => contractEvent.parse(e)), clock.now());
  let n = 0;
  const queue = (queueId: string, count: number) =>
    ingest(
      Array.from({ length: count }, () => {
        n++;
        return { id: `e${n}`, type: 'contact.queued', ts: clock.now(), contactId: `c${n}`, queue: queueId, channel: 'voice' } as const;
      }),
    ).then(() => Array.from({ length: count }, (_, i) => `c${n - count + i + 1}`));
  const abandon = (contactIds: string[]) =>
    ingest(contactIds.map((c) => ({ id: `ab-${c}`, type: 'contact.abandoned', ts: clock.now(), contactId: c })));
  const evaluateAt = (ms: number) => {
    clock.set(ms);
    return app.alerts.evaluateOnce(ms);
  };
  return { app, clock, prefix, ingest, queue, abandon, evaluateAt };
}

export interface Received {
  path: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver (port 0); `respond` decides each status and body. */
export async function receiver(
  respond: (r: Received, nth: number) => { status: number; body?: string } = () => ({ status: 200 }),
  delayMs = 0,
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: new URL(req.url!, 'http://x').pathname, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const out = respond(r, received.filter((x) => x.path === r.path).length);
      setTimeout(() => res.writeHead(out.status, { 'content-type': 'application/json' }).end(out.body ?? '{"errcode":0,"code":0}'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
