import { describe, expect, it } from 'vitest';
import { checkEvent } from '../../server/ingest/validate.ts';

/**
 * Robot sessions' question counts (standard §5: 机器人问题识别率 = questions recognized ÷ questions
 * asked). Found in review (2026-12-07): `recognized` without `questions` was accepted and stored as
 * 0 questions asked, so the rate could exceed 100 %.
 */
const ended = (counts: Record<string, number>) => ({
  id: 'b1',
  type: 'bot.ended',
  ts: Date.UTC(2026, 11, 7, 2, 0, 0),
  sessionId: 's1',
  channel: 'text',
  outcome: 'resolved',
  ...counts,
});

describe('bot.ended question counts', () => {
  it('accepts recognized up to questions, and counts left out altogether', () => {
    expect(checkEvent(ended({ questions: 3, recognized: 3 })).ok).toBe(true);
    expect(checkEvent(ended({ questions: 3 })).ok).toBe(true);
    expect(checkEvent(ended({})).ok).toBe(true);
  });

  it('rejects recognized without questions, or above them, naming the field', () => {
    for (const counts of [{ recognized: 3 }, { questions: 2, recognized: 3 }] as Record<string, number>[]) {
      const r = checkEvent(ended(counts));
      expect(r.ok, JSON.stringify(counts)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^recognized: /);
    }
  });
});
