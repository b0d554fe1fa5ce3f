import { describe, expect, it } from 'vitest';
import { appConfig, displayThresholds } from '../../shared/contract/config.ts';
import { channelsOfRow, levelOf, thresholdsForChannels, thresholdsForRow } from '../../client/src/lib/levels.ts';
import type { PublicConfig } from '../../shared/realtime/public-config.ts';

/**
 * Display thresholds per channel (client/src/lib/levels.ts, `displayThresholds.byChannel`): a
 * text queue's ASA is judged against text chat's own thresholds, a row mixing channels against the
 * strictest of its channels' thresholds; without `byChannel` nothing changes (the defaults: every
 * channel 20 s / 40 s for ASA, as the standard's one 20 s rule).
 */
const withText = displayThresholds.parse({ byChannel: { text: { asaSec: { warning: 30, critical: 60 }, longestWaitSec: { warning: 90, critical: 180 } } } });
const cfg: Pick<PublicConfig, 'queues' | 'groups'> = {
  queues: [
    { id: 'cards', center: 'sh', name: { zh: '信用卡', en: 'Cards' }, channel: 'voice', serviceLevelThresholdSec: 20 },
    { id: 'chat', center: 'sh', name: { zh: '在线', en: 'Chat' }, channel: 'text', serviceLevelThresholdSec: 30 },
    { id: 'chat2', center: 'sh', name: { zh: '微信', en: 'WeChat' }, channel: 'text', serviceLevelThresholdSec: 30 },
    { id: 'seen', center: 'sh', name: { zh: 'seen', en: 'seen' }, channel: null, serviceLevelThresholdSec: null },
    { id: 'chat', center: 'cd', name: { zh: '语音', en: 'Voice' }, channel: 'voice', serviceLevelThresholdSec: 20 },
  ],
  groups: [
    { id: 'digital', center: 'sh', name: { zh: '数字', en: 'Digital' }, queues: ['chat', 'chat2'] },
    { id: 'mixed', center: 'sh', name: { zh: '混合', en: 'Mixed' }, queues: ['cards', 'chat'] },
  ],
};
const scope = (over: Partial<{ center: string; queue: string; group: string; channel: 'voice' | 'text' | 'video' }>) => ({ center: 'sh', queue: null, group: null, channel: null, ...over });
const asaLevel = (t: typeof withText, v: number) => levelOf(v, 'asaSec', 'asaSec', t);

describe('ASA coloured against its channel', () => {
  it('25 s: normal on a text queue (text 30 s), warning on a voice queue (default 20 s)', () => {
    expect(asaLevel(thresholdsForRow(withText, scope({ queue: 'chat' }), cfg), 25)).toBe('normal');
    expect(asaLevel(thresholdsForRow(withText, scope({ queue: 'cards' }), cfg), 25)).toBe('warning');
    expect(asaLevel(thresholdsForRow(withText, scope({ channel: 'text' }), cfg), 25)).toBe('normal');
    expect(asaLevel(thresholdsForRow(withText, scope({ channel: 'voice' }), cfg), 25)).toBe('warning');
    // a group of text queues is a text row
    expect(asaLevel(thresholdsForRow(withText, scope({ group: 'digital' }), cfg), 25)).toBe('normal');
  });

  it('a row mixing channels takes the strictest: the center, a group over voice and text, an unknown queue', () => {
    expect(asaLevel(thresholdsForRow(withText, scope({}), cfg), 25)).toBe('warning');
    expect(asaLevel(thresholdsForRow(withText, scope({ group: 'mixed' }), cfg), 25)).toBe('warning');
    expect(asaLevel(thresholdsForRow(withText, scope({ queue: 'seen' }), cfg), 25)).toBe('warning');
    expect(thresholdsForChannels(withText, ['voice', 'text']).asaSec).toEqual({ warning: 20, critical: 40 });
  });

  it('the strictest is the side that turns amber first: highest for "higher is better" figures', () => {
    const t = displayThresholds.parse({ byChannel: { text: { serviceLevel: { warning: 0.9, critical: 0.8 } }, video: { serviceLevel: { warning: 0.7, critical: 0.6 } } } });
    expect(thresholdsForChannels(t, ['voice', 'text', 'video']).serviceLevel).toEqual({ warning: 0.9, critical: 0.8 });
    expect(thresholdsForChannels(t, ['video']).serviceLevel).toEqual({ warning: 0.7, critical: 0.6 });
    expect(thresholdsForChannels(t, ['voice', 'video']).serviceLevel).toEqual({ warning: 0.8, critical: 0.7 });
  });

  it('queue ids are a center\'s own: "chat" in Chengdu is a voice queue', () => {
    expect(channelsOfRow(scope({ center: 'cd', queue: 'chat' }), cfg)).toEqual(['voice']);
    expect(channelsOfRow(scope({ queue: 'chat' }), cfg)).toEqual(['text']);
    expect(channelsOfRow(scope({ group: 'mixed' }), cfg)).toEqual(['voice', 'text']);
  });

  it('without byChannel (the default) every row keeps the common thresholds', () => {
    const d = displayThresholds.parse(undefined);
    expect(d.byChannel).toBeUndefined();
    expect(thresholdsForRow(d, scope({ queue: 'chat' }), cfg)).toBe(d);
    expect(asaLevel(thresholdsForRow(d, scope({ queue: 'chat' }), cfg), 25)).toBe('warning');
  });

  it('a longest wait uses the channel too; a figure the channel does not list keeps the common one', () => {
    const text = thresholdsForRow(withText, scope({ queue: 'chat' }), cfg);
    expect(text.longestWaitSec).toEqual({ warning: 90, critical: 180 });
    expect(text.abandonRate).toEqual(withText.abandonRate);
  });
});

describe('byChannel is validated like the common thresholds', () => {
  const errorOf = (input: unknown) => {
    const r = appConfig.safeParse({ displayThresholds: input });
    return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };

  it('accepts per-channel overrides of the queue figures', () => {
    expect(errorOf({ byChannel: { text: { asaSec: { warning: 30, critical: 60 } }, video: { serviceLevel: { warning: 0.75, critical: 0.6 } } } })).toBe('');
  });

  it('refuses an unknown channel, a KPI figure, a percentage as a ratio and levels in the wrong order', () => {
    expect(errorOf({ byChannel: { chat: { asaSec: { warning: 30, critical: 60 } } } })).toMatch(/displayThresholds\.byChannel/);
    expect(errorOf({ byChannel: { text: { csat: { warning: 0.85, critical: 0.8 } } } })).toMatch(/displayThresholds\.byChannel\.text/);
    expect(errorOf({ byChannel: { text: { serviceLevel: { warning: 80, critical: 70 } } } })).toMatch(/displayThresholds\.byChannel\.text\.serviceLevel\.warning: a ratio between 0 and 1/);
    expect(errorOf({ byChannel: { text: { asaSec: { warning: 60, critical: 30 } } } })).toMatch(/displayThresholds\.byChannel\.text\.asaSec\.critical: lower is better for asaSec/);
    expect(errorOf({ byChannel: { text: { asaSec: { warning: 30 } } } })).toMatch(/displayThresholds\.byChannel\.text\.asaSec\.critical/);
  });
});
