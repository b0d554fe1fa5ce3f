import { describe, expect, it } from 'vitest';
import { ratingClass } from '../../shared/contract/kpi-events.ts';
import { contractEvent } from '../../shared/contract/events.ts';
import { dailyCallsPerAgent, emptyKpiSums, fcrFigure, kpiFigures, type KpiSums } from '../../shared/metrics/kpi.ts';
import { metricDefinition } from '../../shared/metrics/registry.ts';

const ctx = (over: Partial<Parameters<typeof kpiFigures>[1]> = {}) => ({
  scopeKind: 'all' as const,
  team: false,
  agentDay: { answered: 0, loggedInSec: 0 },
  standardDayHours: 8,
  fcr: null,
  ...over,
});
const sums = (s: Partial<KpiSums>): KpiSums => ({ ...emptyKpiSums(), ...s });

describe('KPI formulas', () => {
  it('maps ratings: 1–2 dissatisfied, 3 neutral, 4–5 satisfied; labels as given', () => {
    expect([1, 2, 3, 4, 5].map((r) => ratingClass(r as 1))).toEqual(['dissatisfied', 'dissatisfied', 'neutral', 'satisfied', 'satisfied']);
    expect(ratingClass('neutral')).toBe('neutral');
  });

  it('every ratio is null, never 0, on empty denominators', () => {
    const k = kpiFigures(emptyKpiSums(), ctx());
    for (const f of ['csat', 'csatMeanScore', 'ivrSelfServiceRate', 'botDiversionRate', 'botRecognitionRate', 'botResolutionRate', 'intelligentShare', 'transferRate', 'transferSuccessRate', 'dailyCallsPerAgent'] as const) {
      expect(k[f], f).toBeNull();
    }
    expect(fcrFigure('2026-03-02', { customers: 0, singleContact: 0, withoutCustomerId: 4 }).rate).toBeNull();
  });

  it('computes the standard’s formulas from the raw sums', () => {
    const k = kpiFigures(
      sums({ ratings: 20, dissatisfied: 3, scored: 10, scoreSum: 43, ivrSessions: 100, ivrToAgent: 35, ivrSelfServed: 60, botSessions: 50, botToAgent: 20, botResolved: 25, botQuestions: 80, botRecognized: 72, botUnresolvedRated: 18, newContacts: 55, legsClosed: 60, transfers: 6, transfersResolved: 5, transfersAnswered: 4 }),
      ctx({ agentDay: { answered: 120, loggedInSec: 10 * 3600 } }),
    );
    expect(k.csat).toBeCloseTo(0.85, 12);
    expect(k.csatMeanScore).toBeCloseTo(4.3, 12);
    expect(k.ivrSelfServiceRate).toBeCloseTo(0.65, 12);
    expect(k.botDiversionRate).toBeCloseTo(0.6, 12);
    expect(k.botRecognitionRate).toBeCloseTo(0.9, 12);
    expect(k.botResolutionRate).toBeCloseTo(0.75, 12);
    // robot-handled 60 + 25; journeys (100 − 35) + (50 − 20) + 55 new contacts
    expect(k.intelligentShare).toBeCloseTo(85 / 150, 12);
    expect(k.transferRate).toBeCloseTo(0.1, 12);
    expect(k.transferSuccessRate).toBeCloseTo(0.8, 12);
    // 120 answered in 10 agent-hours = 1.25 standard 8-hour days → 96 per agent-day
    expect(k.dailyCallsPerAgent).toBeCloseTo(96, 12);
  });

  it('has no intelligent share for queue/group scopes and no daily calls with a team filter', () => {
    const s = sums({ ivrSessions: 2, ivrSelfServed: 2, newContacts: 2 });
    expect(kpiFigures(s, ctx({ scopeKind: 'queue' })).intelligentShare).toBeNull();
    expect(kpiFigures(s, ctx({ scopeKind: 'group' })).intelligentShare).toBeNull();
    expect(kpiFigures(s, ctx({ scopeKind: 'channel' })).intelligentShare).toBe(0.5);
    expect(kpiFigures(s, ctx({ team: true, agentDay: { answered: 5, loggedInSec: 3600 } })).dailyCallsPerAgent).toBeNull();
    expect(dailyCallsPerAgent(10, 4 * 3600, 8)).toBe(20);
    expect(dailyCallsPerAgent(10, 4 * 3600, 4)).toBe(10);
  });

  it('registers every KPI figure with zh-CN and en texts', () => {
    for (const id of ['csat', 'csatMeanScore', 'ivrSelfServiceRate', 'botDiversionRate', 'botRecognitionRate', 'botResolutionRate', 'intelligentShare', 'transferRate', 'transferSuccessRate', 'dailyCallsPerAgent', 'firstContactResolution']) {
      const d = metricDefinition(`kpi.${id}`);
      expect(d, id).toBeDefined();
      expect(d!.formula.zh.length).toBeGreaterThan(5);
      expect(d!.formula.en.length).toBeGreaterThan(5);
    }
  });

  it('validates the new events strictly', () => {
    const base = { id: 'e', ts: 1, center: 'default' };
    expect(contractEvent.safeParse({ ...base, type: 'survey.rated', contactId: 'c', rating: 0, via: 'sms' }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'survey.rated', contactId: 'c', rating: 'happy', via: 'sms' }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'survey.rated', contactId: 'c', rating: 3, via: 'fax' }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'survey.rated', contactId: 'c', rating: 'neutral', via: 'web', customerId: 'x' }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'bot.ended', sessionId: 's', channel: 'video', outcome: 'resolved' }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'bot.ended', sessionId: 's', channel: 'text', outcome: 'resolved', recognized: 2, unresolvedRated: 3 }).success).toBe(false);
    expect(contractEvent.safeParse({ ...base, type: 'bot.ended', sessionId: 's', channel: 'text', outcome: 'resolved', questions: 3, recognized: 2, unresolvedRated: 1 }).success).toBe(true);
    expect(contractEvent.safeParse({ ...base, type: 'ivr.entered', sessionId: 's' }).success).toBe(true);
  });
});
