import { describe, expect, it } from 'vitest';
import { alertRule } from '../../shared/contract/alerts.ts';
import { alertMessage } from '../../server/alerts/messages.ts';

// A message must never say a value is "below 80.0%" while printing it as 80.0% (or
// "above 1小时00分" while printing 1小时00分). The alert fired because the true value is past
// the threshold; the figure shown must be on the breaching side of the threshold shown.

describe('alert texts never round a breaching value onto (or past) its threshold', () => {
  it('service level 79.96% (< 80%) is not shown as "80.0%, below threshold 80.0%"', () => {
    const rule = alertRule.parse({ id: 'sl', metric: 'serviceLevel', comparator: 'lt', warning: 0.8, critical: 0.7, clear: 0.82 });
    const m = alertMessage(rule, { key: '', value: 0.7996, scope: { center: 'default' } }, 'warning', 0.8);
    expect(m.en).not.toContain('80.0%, below threshold 80.0%');
    expect(m.zh).not.toContain('80.0%，低于阈值 80.0%');
  });

  it('answer rate 89.96% (< 90%) is not shown as "90.0%, below threshold 90.0%"', () => {
    const rule = alertRule.parse({ id: 'ar', metric: 'answerRate', comparator: 'lt', warning: 0.9, critical: 0.85, clear: 0.92 });
    const m = alertMessage(rule, { key: '', value: 0.8996, scope: { center: 'default' } }, 'warning', 0.9);
    expect(m.en).not.toContain('90.0%, below threshold 90.0%');
  });

  it('not ready 3603 s (> 3600 s critical, the default rule, sustained 0) is not shown as "1h00m, above threshold 1h00m"', () => {
    const rule = alertRule.parse({ id: 'nr', metric: 'notReadySec', comparator: 'gt', warning: 1800, critical: 3600, sustainedForSec: 0 });
    const m = alertMessage(rule, { key: '', value: 3603, scope: { center: 'default', agent: 'A1', reason: 'training' } }, 'critical', 3600);
    expect(m.en).not.toContain('1h00m, above threshold 1h00m');
    expect(m.zh).not.toContain('1小时00分，高于阈值 1小时00分');
  });

  it('spike ratio 287/220 = 1.3045 (> 1.3) is not shown as "1.30× … threshold 1.30×" with +30%', () => {
    const rule = alertRule.parse({ id: 'sp', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6, clear: 1.2 });
    const m = alertMessage(rule, { key: '', value: 287 / 220, scope: { center: 'default' }, facts: { live: 287, reference: 220 } }, 'warning', 1.3);
    expect(m.en).not.toMatch(/1\.30× the baseline of 220 \(\+30%, threshold 1\.30×\)/);
  });
});
