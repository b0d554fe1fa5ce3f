import { describe, expect, it } from 'vitest';
import { serviceLevelChange } from '../../client/src/lib/threshold-change.ts';

const at = '2026-03-02T06:05:00.000Z'; // 14:05 in Shanghai
const change = (queue: string, from: number, to: number) => ({ queue, at, serviceLevelSec: { from, to }, shortAbandonSec: null });

describe('the service level says its threshold changed inside its span', () => {
  it('reads "20→30" beside the target, and names queue, time and both thresholds in the long text', () => {
    const zh = serviceLevelChange({ thresholdChanges: [change('cards', 20, 30)] }, 'zh-CN', 'Asia/Shanghai')!;
    expect(zh.short).toMatch(/^20→30\s?秒$/);
    expect(zh.long).toContain('cards 于 14:05');
    expect(zh.long).toMatch(/由 20\s?秒 改为 30\s?秒/);
    expect(zh.long).toContain('变更前的接通按原阈值计');
    const en = serviceLevelChange({ thresholdChanges: [change('cards', 20, 30)] }, 'en', 'Asia/Shanghai')!;
    expect(en.short).toBe('20→30 s');
    expect(en.long).toMatch(/cards: 20 s → 30 s at 14:05\./);
  });

  it('says "changed" when the row’s queues changed differently, and nothing without a service-level change', () => {
    expect(serviceLevelChange({ thresholdChanges: [change('a', 20, 30), change('b', 20, 15)] }, 'en', 'UTC')!.short).toBe('changed');
    expect(serviceLevelChange({ thresholdChanges: [{ queue: 'a', at, serviceLevelSec: null, shortAbandonSec: { from: 0, to: 3 } }] }, 'en', 'UTC')).toBeNull();
    expect(serviceLevelChange({}, 'en', 'UTC')).toBeNull();
    expect(serviceLevelChange(undefined, 'zh-CN', 'UTC')).toBeNull();
  });
});
