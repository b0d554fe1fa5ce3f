import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { FakeClock } from '../../server/clock.ts';
import { envSchema } from '../../server/config/env.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import { contractEvent, type ContractEventInput } from '../../shared/contract/events.ts';
import type { AlertRuleInput, AlertsConfigInput } from '../../shared/contract/alerts.ts';
import type { MetricEngine } from '../../server/metrics/types.ts';
import { NotificationDispatcher, type AttemptRecord, type DispatcherOptions } from '../../server/alerts/notify/dispatcher.ts';
import { testRedisPort, uniquePrefix } from '../support/redis.ts';

export const T = Date.parse('2026-11-23T02:00:00.000Z'); // Monday 10:00 Asia/Shanghai
export const sec = (s: number) => s * 1000;
export const min = (m: number) => m * 60_000;
export const week = 7 * 86_400_000;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a test registers to run after it: the last registered runs first. */
export type Cleanups = (() => Promise<unknown> | void)[];

/** The file's cleanup list, emptied after each test (last registered first). Call once, at the top of a test file. */
export function cleanupsAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

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

/**
 * `arrivals(from, count)` for `h`: sets its clock to from + 15 min and ingests `count` calls queued
 * in q1, spread evenly over [from, from + 15 min).
 */
export function spreadArrivals(h: Awaited<ReturnType<typeof alertsApp>>) {
  let n = 0;
  return async (from: number, count: number) => {
    h.clock.set(from + min(15));
    if (count === 0) return;
    await h.ingest(
      Array.from({ length: count }, (_, i) => {
        n++;
        return { id: `s${n}`, type: 'contact.queued' as const, ts: from + Math.floor((i * min(15)) / count), contactId: `s${n}`, queue: 'q1', channel: 'voice' as const };
      }),
    );
  };
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

type EscalationPolicyInput = NonNullable<NonNullable<AlertsConfigInput['escalation']>['policies']>[number];
/** An escalation policy's settings besides its id and levels (reNotifyEverySec, escalateAfterSec, …). */
export type PolicySettings = Omit<EscalationPolicyInput, 'id' | 'levels'>;
/** Alert settings besides the channels and the escalation policy (rules, leaseMs, notify, …). */
export type AlertSettings = Omit<AlertsConfigInput, 'channels' | 'escalation'>;

export const teamLead = { zh: '班组长', en: 'Team lead' };

/** The "default" escalation policy with one level, the team lead, told through `channels`. */
export const oneLevelEscalation = (channels: string[], policy: PolicySettings = {}) => ({
  policies: [{ id: 'default', levels: [{ name: teamLead, channels }], ...policy }],
});

/** Channels and escalation: one webhook `hook` (`${base}/hook`), told at the only level (the team lead). */
export const oneHook = (base: string, policy: PolicySettings = {}) => ({
  channels: [{ id: 'hook', type: 'webhook' as const, url: `${base}/hook` }],
  escalation: oneLevelEscalation(['hook'], policy),
});

/** Channels and escalation: one level per name (zh = en = name); level i is told through webhook `hook{i}` (`${base}/level{i}`). */
export const levelHooks = (base: string, names: string[], policy: PolicySettings = {}) => {
  const levels = names.map((name, i) => ({ name: { zh: name, en: name }, channels: [`hook${i}`] }));
  return {
    channels: levels.map((_, i) => ({ id: `hook${i}`, type: 'webhook' as const, url: `${base}/level${i}` })),
    escalation: { policies: [{ id: 'default', levels, ...policy }] },
  };
};

interface HookAppOptions {
  /** the receiver's answers (default 200) */
  respond?: Parameters<typeof receiver>[0];
  /** the receiver's delay before each answer */
  delayMs?: number;
  /** the escalation policy's other settings */
  policy?: PolicySettings;
}

/** A local receiver (see receiver) closed after the test. */
export async function scopedReceiver(cleanups: Cleanups, ...args: Parameters<typeof receiver>) {
  const rx = await receiver(...args);
  cleanups.push(rx.close);
  return rx;
}

async function receiverAndApp(cleanups: Cleanups, opts: HookAppOptions, config: (base: string) => AppConfigInput) {
  const rx = await scopedReceiver(cleanups, opts.respond, opts.delayMs);
  const h = await alertsApp({ config: config(rx.base) });
  cleanups.push(() => h.app.close());
  return { rx, h };
}

/**
 * A local receiver and an app (see alertsApp) with `alerts` whose notifications go to it through one
 * webhook, `/hook`, at one escalation level (oneHook); both are closed after the test.
 */
export const oneHookApp = (cleanups: Cleanups, alerts: AlertSettings, opts: HookAppOptions = {}) =>
  receiverAndApp(cleanups, opts, (base) => baseConfig({ ...alerts, ...oneHook(base, opts.policy) }));

/**
 * A local receiver and an app (see alertsApp) with `alerts` whose notifications go to it through one
 * webhook per escalation level, `/level{i}`, one level per name (levelHooks); both are closed after the test.
 */
export const levelHooksApp = (cleanups: Cleanups, names: string[], alerts: AlertSettings, opts: HookAppOptions = {}) =>
  receiverAndApp(cleanups, opts, (base) => baseConfig({ ...alerts, ...levelHooks(base, names, opts.policy) }));

/**
 * Two apps standing for two server processes: one Redis prefix, one clock, each built from its own
 * call of `config()`; both are closed after the test (the second first).
 */
export async function twoProcesses(cleanups: Cleanups, config: () => AppConfigInput) {
  const first = await alertsApp({ config: config() });
  cleanups.push(() => first.app.close());
  const second = await alertsApp({ config: config(), prefix: first.prefix, clock: first.clock });
  cleanups.push(() => second.app.close());
  return [first, second] as const;
}

/** Makes every query of `h`'s alert evaluator take `ms` longer (a slow engine), from now on. */
export function slowEngine(h: Awaited<ReturnType<typeof alertsApp>>, ms: number) {
  const real = h.app.engine;
  const slow = new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== 'query' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return async (...args: unknown[]) => {
        await sleep(ms);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as MetricEngine;
  (h.app.alerts as unknown as { deps: { engine: () => MetricEngine } }).deps.engine = () => slow;
}

/**
 * A notification dispatcher on the real clock, without logs, that records its attempts in
 * `attempts`; closed after the test (with `closeGraceMs`, else its configured grace).
 */
export function recordingDispatcher(
  cleanups: Cleanups,
  notify: DispatcherOptions['notify'],
  opts: { smtp?: DispatcherOptions['smtp']; closeGraceMs?: number } = {},
) {
  const attempts: AttemptRecord[] = [];
  const d = new NotificationDispatcher({
    notify,
    ...(opts.smtp && { smtp: opts.smtp }),
    now: () => Date.now(),
    record: async (a) => void attempts.push(a),
    log: { warn: () => {} },
  });
  cleanups.push(() => d.close(opts.closeGraceMs));
  return { d, attempts };
}
