import { afterAll, beforeAll } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import type { Browser } from 'playwright-core';
import type { FakeClock } from '../../server/clock.ts';
import { TestServer, ensureClientBuilt, launchBrowser } from '../support/browser.ts';

/**
 * A small, deterministic contact center for the browser tests: four queues over three channels,
 * 40 agents in three teams, and an hour of contacts (answered, abandoned, some still waiting) up
 * to `endMs`. Seeded, so every run posts the same events relative to the fake clock.
 */
export const displayToken = 'e2e-display-token-000000';
export const leadToken = 'e2e-lead-token-0000000000';
export const ingestToken = 'e2e-ingest-token-00000000';

export const scenarioConfig: AppConfigInput = {
  centers: [{ id: 'default', name: { zh: '远程银行中心（上海）', en: 'Remote Banking Center (Shanghai)' }, timeZone: 'Asia/Shanghai' }],
  queues: [
    { id: 'retail', name: { zh: '个人业务', en: 'Retail' }, channel: 'voice' },
    { id: 'credit', name: { zh: '信用卡', en: 'Credit cards' }, channel: 'voice' },
    { id: 'chat', name: { zh: '在线客服', en: 'Web chat' }, channel: 'text' },
    { id: 'vtm', name: { zh: '远程视频柜员', en: 'Video teller' }, channel: 'video' },
  ],
  teams: [
    { id: 'red', name: { zh: '一组', en: 'Team 1' } },
    { id: 'blue', name: { zh: '二组', en: 'Team 2' } },
    { id: 'green', name: { zh: '三组', en: 'Team 3' } },
  ],
  boards: [
    { id: 'voice', title: { zh: '语音队列', en: 'Voice queues' }, rows: [{ kind: 'queue', queue: 'retail' }, { kind: 'queue', queue: 'credit' }], window: '30m', rotateEverySec: 5, rotateTo: ['video'], legendPage: true },
    { id: 'video', title: { zh: '视频', en: 'Video' }, rows: [{ kind: 'channel', channel: 'video' }], window: '15m' },
  ],
  tokens: [
    { token: displayToken, role: 'display', name: 'tv-hall' },
    { token: leadToken, role: 'lead', name: 'lead-wang' },
    { token: ingestToken, role: 'ingest', name: 'acd' },
  ],
};

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const queueChannel = { retail: 'voice', credit: 'voice', chat: 'text', vtm: 'video' } as const;
type QueueId = keyof typeof queueChannel;
const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'];
const given = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军'];

export function agentEvents(endMs: number, prefix = 'a'): ContractEventInput[] {
  const r = rng(7);
  const out: ContractEventInput[] = [];
  const teams = ['red', 'blue', 'green'];
  const states = ['available', 'on_contact', 'on_contact', 'acw', 'not_ready', 'available', 'on_contact', 'hold'] as const;
  for (let i = 0; i < 40; i++) {
    const agentId = `A${String(100 + i)}`;
    const queues: QueueId[] = i % 4 === 0 ? ['vtm'] : i % 3 === 0 ? ['chat'] : i % 2 === 0 ? ['retail', 'credit'] : ['retail'];
    const state = states[i % states.length]!;
    out.push({
      id: `${prefix}-${agentId}-login`,
      type: 'agent.state',
      ts: endMs - 55 * 60_000,
      agentId,
      state: 'available',
      team: teams[i % 3]!,
      queues,
      name: `${surnames[i % 10]}${given[(i * 7) % 12]}`,
    });
    out.push({
      id: `${prefix}-${agentId}-now`,
      type: 'agent.state',
      ts: endMs - Math.floor(r() * 30 * 60_000),
      agentId,
      state,
      ...(state === 'not_ready' ? { reason: i % 2 ? 'break' : 'meal' } : {}),
      team: teams[i % 3]!,
      queues,
    });
  }
  return out;
}

/** contacts from `endMs − 60 min` to `endMs`; `strain` > 1 makes waits longer (for warning tiles) */
export function contactEvents(endMs: number, opts: { strain?: number; prefix?: string } = {}): ContractEventInput[] {
  const r = rng(42);
  const strain = opts.strain ?? 1;
  const prefix = opts.prefix ?? 'c';
  const out: ContractEventInput[] = [];
  const rates: Record<QueueId, number> = { retail: 25, credit: 40, chat: 30, vtm: 120 };
  let n = 0;
  for (const queue of Object.keys(rates) as QueueId[]) {
    for (let t = endMs - 60 * 60_000; t < endMs; t += rates[queue]! * 1000 * (0.5 + r())) {
      n += 1;
      const contactId = `${prefix}${n}`;
      const queuedAt = Math.floor(t);
      const wait = Math.floor(r() * 40_000 * strain);
      const base = { contactId } as const;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts: queuedAt, queue, channel: queueChannel[queue], ...base });
      if (queuedAt + wait >= endMs) continue; // still waiting
      if (r() < 0.08 * strain) {
        out.push({ id: `${contactId}-x`, type: 'contact.abandoned', ts: queuedAt + wait, ...base });
        continue;
      }
      const agentId = `A${100 + Math.floor(r() * 40)}`;
      out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: queuedAt + wait, agentId, ...base });
      const talk = 60_000 + Math.floor(r() * 240_000);
      if (queuedAt + wait + talk < endMs) out.push({ id: `${contactId}-e`, type: 'contact.ended', ts: queuedAt + wait + talk, agentId, ...base });
      if (queuedAt + wait + talk + 30_000 < endMs) out.push({ id: `${contactId}-w`, type: 'contact.wrapped', ts: queuedAt + wait + talk + 30_000, agentId, ...base });
    }
  }
  return out;
}

/** The shared scenario: a server on a fake clock with the scenario's agents and contacts ending
 * at `t0` already ingested, and a browser. Every e2e file that checks figures starts from it. */
export async function startScenario(t0: number, clock: FakeClock): Promise<{ server: TestServer; browser: Browser }> {
  ensureClientBuilt();
  const server = await TestServer.start({ config: scenarioConfig, clock });
  await server.postEvents([...agentEvents(t0), ...contactEvents(t0)], ingestToken);
  return { server, browser: await launchBrowser() };
}

export async function stopScenario(server: TestServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await server?.stop().catch(() => undefined);
}

/**
 * The scenario for one test file: registers the beforeAll / afterAll hooks that start it (at `t0`
 * on `clock`) and stop it. The returned accessor's `server` and `browser` are there from the
 * file's first test on (reading them earlier throws).
 */
export function useScenario(t0: number, clock: FakeClock): { readonly server: TestServer; readonly browser: Browser } {
  let started: { server: TestServer; browser: Browser } | undefined;
  beforeAll(async () => {
    started = await startScenario(t0, clock);
  });
  afterAll(() => stopScenario(started?.server, started?.browser));
  const get = () => {
    if (!started) throw new Error('the scenario starts in beforeAll: read it inside a test');
    return started;
  };
  return {
    get server() {
      return get().server;
    },
    get browser() {
      return get().browser;
    },
  };
}

/** per queue (of any center): six answered contacts over the 20 minutes before `endMs`, waits spread 5–44 s */
export function answeredSpread(queues: { id: string; channel: 'voice' | 'text' | 'video'; center: string }[], endMs: number): ContractEventInput[] {
  const out: ContractEventInput[] = [];
  queues.forEach((q, qi) => {
    for (let k = 0; k < 6; k++) {
      const contactId = `${q.center}-${q.id}-${k}`;
      const ts = endMs - 20 * 60_000 + k * 180_000 + qi * 1000;
      out.push({ id: `${contactId}-q`, type: 'contact.queued', ts, center: q.center, contactId, queue: q.id, channel: q.channel });
      out.push({ id: `${contactId}-a`, type: 'contact.answered', ts: ts + 5_000 + ((k * 7 + qi * 3) % 40) * 1000, center: q.center, contactId, agentId: `A${qi}${k}` });
    }
  });
  return out;
}
