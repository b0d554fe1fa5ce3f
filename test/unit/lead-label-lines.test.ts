import { describe, expect, it } from 'vitest';
import { columnDefs } from '../../client/src/lib/tiles.ts';
import { kpiColumns } from '../../client/src/lib/kpi/columns.ts';
import { metricDefinition } from '../../shared/metrics/registry.ts';
import { labelPieces, type LabelPiece } from '../../client/src/lead/label-lines.ts';

/**
 * The console's column labels wrap between pieces only (client/src/lead/label-lines.ts): at most 3
 * pieces, a Chinese piece never a single character, and the pieces give back the label. The
 * browser test (test/e2e/lead-layout.test.ts) checks how they are laid out on a laptop.
 */
const names = [...columnDefs, ...kpiColumns].map((c) => (c.name ?? metricDefinition(c.metric)?.name)!);
const joined = (pieces: LabelPiece[]) => pieces.map((p, i) => `${i > 0 && p.space ? ' ' : ''}${p.text}`).join('');
const shown = (label: string, locale: string) => labelPieces(label, locale).map((p) => p.text);

describe('labelPieces', () => {
  it('cuts every column label into at most 3 pieces that give back the label', () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const n of names) {
      for (const [label, locale] of [
        [n.zh, 'zh-CN'],
        [n.en, 'en'],
      ] as const) {
        const pieces = labelPieces(label, locale);
        expect(pieces.length, label).toBeLessThanOrEqual(3);
        expect(joined(pieces), label).toBe(label);
        if (locale === 'zh-CN' && [...label].length > 1) expect(pieces.filter((p) => [...p.text].length < 2), label).toEqual([]);
      }
    }
  });

  it('cuts Chinese between words, a lone character joining its neighbour', () => {
    expect(shown('人工进线量', 'zh-CN')).toEqual(['人工', '进线量']);
    expect(shown('机器人问题解决率', 'zh-CN')).toEqual(['机器人', '问题', '解决率']);
    expect(shown('一次问题解决率', 'zh-CN')).toEqual(['一次', '问题', '解决率']);
    expect(shown('话后处理座席', 'zh-CN')).toEqual(['话后', '处理', '座席']);
    expect(shown('放弃量', 'zh-CN')).toEqual(['放弃量']);
  });

  it('cuts English between words and after a hyphen, the shortest neighbours merging beyond 3', () => {
    expect(shown('Service level', 'en')).toEqual(['Service', 'level']);
    expect(shown('First-contact resolution', 'en')).toEqual(['First-', 'contact', 'resolution']);
    expect(shown('IVR self-service rate', 'en')).toEqual(['IVR self-', 'service', 'rate']);
    expect(labelPieces('IVR self-service rate', 'en').map((p) => p.space)).toEqual([false, false, true]);
  });
});
