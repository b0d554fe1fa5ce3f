import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfigInput } from '../../shared/contract/config.ts';
import { alertRule } from '../../shared/contract/alerts.ts';
import { resolverFor, type ResolveContext } from '../../server/alerts/metrics.ts';
import { engineApp, T0, min } from './engine-helpers.ts';

/** The not-ready alert figure (notReadySec): a rule scoped to a channel or a group covers the agents serving it. */

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const config: AppConfigInput = {
  queues: [
    { id: 'cards', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice' },
    { id: 'chat', name: { zh: '在线', en: 'Chat' }, channel: 'text' },
  ],
  groups: [{ id: 'retail', name: { zh: '零售', en: 'Retail' }, queues: ['cards'] }],
};

describe('notReadySec scope', () => {
  it('a rule scoped to a channel or a group reports only the not-ready agents serving it', async () => {
    const h = await engineApp({ now: T0, config });
    cleanup = () => h.app.close();
    await h.ingest([
      { id: '1', type: 'agent.state', ts: T0 - min(30), agentId: 'voiceAgent', state: 'not_ready', reason: 'break', team: 'A', queues: ['cards'] },
      { id: '2', type: 'agent.state', ts: T0 - min(30), agentId: 'chatAgent', state: 'not_ready', reason: 'break', team: 'A', queues: ['chat'] },
    ]);
    const memo = new Map<string, Promise<unknown>>();
    const ctx = {
      engine: h.engine,
      redis: h.app.redis,
      config: h.app.config,
      nowMs: T0,
      timeZone: () => 'Asia/Shanghai',
      memo: <T,>(k: string, f: () => Promise<T>) => {
        if (!memo.has(k)) memo.set(k, f());
        return memo.get(k) as Promise<T>;
      },
      rules: [],
    } as unknown as ResolveContext;
    const resolve = resolverFor('notReadySec');
    const byChannel = alertRule.parse({ id: 'nr-text', metric: 'notReadySec', reason: 'break', scope: { channel: 'text' }, comparator: 'gt', warning: 900 });
    const r1 = await resolve(ctx, byChannel);
    const byGroup = alertRule.parse({ id: 'nr-retail', metric: 'notReadySec', reason: 'break', scope: { group: 'retail' }, comparator: 'gt', warning: 900 });
    const r2 = await resolve(ctx, byGroup);
    expect({
      channelText: r1.subjects.map((s) => [s.scope.agent, s.scope.channel]),
      groupRetail: r2.subjects.map((s) => [s.scope.agent, s.scope.group]),
    }).toEqual({ channelText: [['chatAgent', 'text']], groupRetail: [['voiceAgent', 'retail']] });
  });
});
