import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import { resolverFor, type ResolveContext } from '../../server/alerts/metrics.ts';
import { cardsAndChatConfig, engineApp, T0, min } from './engine-helpers.ts';

/** The not-ready alert figure (notReadySec): a rule scoped to a channel or a group covers the agents serving it. */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** what an evaluation hands a resolver, on the app's own Redis or another client */
function ctxOf(h: Awaited<ReturnType<typeof engineApp>>, redis: Redis = h.app.redis): ResolveContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    engine: h.engine,
    redis,
    keys: h.app.keys,
    config: h.app.config,
    alerts: h.app.config.alerts,
    nowMs: T0,
    timeZone: () => 'Asia/Shanghai',
    memo: <T,>(k: string, f: () => Promise<T>) => {
      if (!memo.has(k)) memo.set(k, f());
      return memo.get(k) as Promise<T>;
    },
    rules: [],
  } as unknown as ResolveContext;
}

const breakRule = (id: string, scope: Record<string, string>) =>
  alertRule.parse({ id, metric: 'notReadySec', reason: 'break', scope, comparator: 'gt', warning: 900 });

describe('notReadySec scope', () => {
  it('a rule scoped to a channel or a group reports only the not-ready agents serving it', async () => {
    const h = await engineApp({ now: T0, config: cardsAndChatConfig });
    cleanup = () => h.app.close();
    await h.ingest([
      { id: '1', type: 'agent.state', ts: T0 - min(30), agentId: 'voiceAgent', state: 'not_ready', reason: 'break', team: 'A', queues: ['cards'] },
      { id: '2', type: 'agent.state', ts: T0 - min(30), agentId: 'chatAgent', state: 'not_ready', reason: 'break', team: 'A', queues: ['chat'] },
    ]);
    const resolve = resolverFor('notReadySec');
    const r1 = await resolve(ctxOf(h), breakRule('nr-text', { channel: 'text' }));
    const r2 = await resolve(ctxOf(h), breakRule('nr-retail', { group: 'retail' }));
    expect({
      channelText: r1.subjects.map((s) => [s.scope.agent, s.scope.channel]),
      groupRetail: r2.subjects.map((s) => [s.scope.agent, s.scope.group]),
    }).toEqual({ channelText: [['chatAgent', 'text']], groupRetail: [['voiceAgent', 'retail']] });
  });

  it("covers a queue known only from events, and fails (rather than report nobody) when the queue map can't be read", async () => {
    const h = await engineApp({ now: T0, config: cardsAndChatConfig });
    cleanup = () => h.app.close();
    await h.ingest([
      { id: 'q1', type: 'contact.queued', ts: T0 - min(40), contactId: 'c1', queue: 'loans', channel: 'voice' },
      { id: 's1', type: 'agent.state', ts: T0 - min(30), agentId: 'loanAgent', state: 'not_ready', reason: 'break', team: 'A', queues: ['loans'] },
    ]);
    const rule = breakRule('nr-voice', { channel: 'voice' });
    const resolve = resolverFor('notReadySec');
    expect((await resolve(ctxOf(h), rule)).subjects.map((s) => s.scope.agent)).toEqual(['loanAgent']);

    // the queue-map read fails after the agents read succeeded: an exhaustive answer without
    // loanAgent would resolve its open alert (and raise it again at the next good evaluation)
    const failing = new Proxy(h.app.redis, {
      get(target, prop, receiver) {
        if (prop === 'hgetall') return async () => Promise.reject(new Error('Connection is closed.'));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Redis;
    await expect(resolve(ctxOf(h, failing), rule)).rejects.toThrow('Connection is closed.');
  });
});
