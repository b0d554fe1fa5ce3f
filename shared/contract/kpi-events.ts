import { z } from 'zod';

/**
 * Events of the KPI pack (issue 6; standard §4–5): satisfaction surveys, the IVR self-service leg
 * and robot conversations. They join the public contract's `contractEvent` union in events.ts.
 *
 * Built by a factory that receives events.ts's primitives (identifier, channel, the common
 * id/ts/center fields) instead of importing them: events.ts imports this file, and an import back
 * would be a cycle whose bindings are not initialised yet when this module runs.
 */
export const surveyVias = ['ivr', 'sms', 'app', 'web'] as const;
export const ratingLabels = ['satisfied', 'neutral', 'dissatisfied'] as const;
export const ivrOutcomes = ['self_served', 'to_agent', 'hangup'] as const;
export const botOutcomes = ['resolved', 'to_agent', 'abandoned'] as const;
export const botChannels = ['text', 'voice'] as const;

export type RatingLabel = (typeof ratingLabels)[number];
export type Rating = 1 | 2 | 3 | 4 | 5 | RatingLabel;

/**
 * How a rating counts (documented in SEMANTICS-KPI.md): 1–2 = dissatisfied, 3 = neutral,
 * 4–5 = satisfied. Only numeric ratings enter the 1–5 mean score.
 */
export function ratingClass(r: Rating): RatingLabel {
  if (typeof r === 'string') return r;
  return r <= 2 ? 'dissatisfied' : r === 3 ? 'neutral' : 'satisfied';
}

interface Primitives<B extends Record<'id' | 'ts' | 'center', z.ZodType>> {
  identifier: z.ZodString;
  channel: z.ZodEnum<{ voice: 'voice'; text: 'text'; video: 'video' }>;
  base: B;
}

interface SessionCounts {
  recognized?: number | undefined;
  questions?: number | undefined;
  unresolvedRated?: number | undefined;
}

/** recognized questions are some of the questions asked: a count of them needs the count asked
 * (else the recognition rate's numerator could outgrow its denominator) */
const recognizedOk = (e: SessionCounts) => e.recognized === undefined || (e.questions !== undefined && e.recognized <= e.questions);
const unresolvedOk = (e: SessionCounts) => e.unresolvedRated === undefined || e.unresolvedRated <= (e.recognized ?? 0);

const count = z.number().int().min(0).max(10_000);

export function kpiEventSchemas<B extends Record<'id' | 'ts' | 'center', z.ZodType>>({ identifier, channel, base }: Primitives<B>) {
  const surveyRated = z.strictObject({
    ...base,
    type: z.literal('survey.rated'),
    contactId: identifier,
    queue: identifier.optional(),
    channel: channel.optional(),
    agentId: identifier.optional(),
    rating: z.union([z.literal([1, 2, 3, 4, 5]), z.enum(ratingLabels)]),
    via: z.enum(surveyVias),
  });
  const ivrEntered = z.strictObject({
    ...base,
    type: z.literal('ivr.entered'),
    sessionId: identifier,
    /** the entry menu / service number (informational) */
    entry: identifier.optional(),
  });
  const ivrExited = z.strictObject({
    ...base,
    type: z.literal('ivr.exited'),
    sessionId: identifier,
    /** `to_agent`: the call continues as a contact (its own `contact.queued` follows) */
    outcome: z.enum(ivrOutcomes),
  });
  const botStarted = z.strictObject({
    ...base,
    type: z.literal('bot.started'),
    sessionId: identifier,
    channel: z.enum(botChannels),
  });
  const botEnded = z
    .strictObject({
      ...base,
      type: z.literal('bot.ended'),
      sessionId: identifier,
      channel: z.enum(botChannels),
      outcome: z.enum(botOutcomes),
      /** questions the robot recognized (and so answered) in the session */
      recognized: count.optional(),
      /** questions the customer asked */
      questions: count.optional(),
      /** answered questions the customer rated "not solved" */
      unresolvedRated: count.optional(),
    })
      .refine((raw) => recognizedOk(raw as unknown as SessionCounts), {
      message: 'recognized: needs questions and must not exceed it',
      path: ['recognized'],
    })
    .refine((raw) => unresolvedOk(raw as unknown as SessionCounts), {
      message: 'unresolvedRated: must not exceed recognized (only answered questions can be rated)',
      path: ['unresolvedRated'],
    });
  return { surveyRated, ivrEntered, ivrExited, botStarted, botEnded };
}

export const kpiEventTypes = ['survey.rated', 'ivr.entered', 'ivr.exited', 'bot.started', 'bot.ended'] as const;
export type KpiEventType = (typeof kpiEventTypes)[number];
export function isKpiEventType(t: string): t is KpiEventType {
  return (kpiEventTypes as readonly string[]).includes(t);
}
