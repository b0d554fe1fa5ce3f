import type { Rating } from '../../shared/contract/kpi-events.ts';
import type { Rng } from './prng.ts';
import type { ContactInfo, EventProducer, ProducerContext } from './simulation.ts';

/**
 * The KPI pack's demo producers (issue 6): an IVR in front of the voice queues, a robot in front of
 * the text queues, and satisfaction surveys after handled contacts. Repeat callers come from the
 * core model's customerIds (drawn from a bounded pool, so some customers call twice a day).
 *
 * The core model's arrival curve is the *human* traffic, so a robot never removes a contact from
 * it: every human contact first passes the robot and is handed over (`to_agent`), and the contained
 * sessions (self-served, hung up, resolved) are generated next to it, about `contained ÷ handed`
 * per human contact. That keeps the queues as calibrated while the robot figures follow the same
 * intraday curve: IVR self-service ≈ 65%, robot text diversion ≈ 55%, CSAT ≈ 90–95%.
 */
const sec = 1000;

/** Poisson-ish count with mean m (for "how many contained sessions around this contact"). */
function countWithMean(rng: Rng, m: number): number {
  let n = Math.floor(m);
  if (rng.chance(m - n)) n += 1;
  return n;
}

export interface KpiProducerOptions {
  /** IVR self-service share (语音自助分流率) the demo aims at */
  ivrSelfService: number;
  /** robot text diversion (机器人文本服务分流率) */
  botDiversion: number;
  /** share of handled contacts that answer the survey */
  surveyShare: number;
}

export const kpiProducerDefaults: KpiProducerOptions = { ivrSelfService: 0.65, botDiversion: 0.55, surveyShare: 0.3 };

export function ivrProducer(o: KpiProducerOptions = kpiProducerDefaults): EventProducer {
  const containedPerHuman = o.ivrSelfService / (1 - o.ivrSelfService);
  return {
    name: 'ivr',
    beforeQueue(c: ContactInfo, ctx: ProducerContext) {
      if (c.channel !== 'voice') return undefined;
      const now = ctx.now();
      const n = countWithMean(ctx.rng, containedPerHuman);
      for (let i = 0; i < n; i++) {
        // contained callers around the same time: mostly served by the menu, some hang up
        const start = now + ctx.rng.uniform(-60, 60) * sec;
        const sessionId = ctx.newId('ivr');
        const dur = ctx.rng.lognormal(75, 0.5) * sec;
        const outcome = ctx.rng.chance(0.9) ? 'self_served' : 'hangup';
        ctx.at(Math.max(now, start), () => ctx.emit({ type: 'ivr.entered', sessionId }));
        ctx.at(Math.max(now, start) + dur, () => ctx.emit({ type: 'ivr.exited', sessionId, outcome }));
      }
      const sessionId = ctx.newId('ivr');
      const menuMs = Math.round(ctx.rng.lognormal(35, 0.5) * sec);
      ctx.emit({ type: 'ivr.entered', sessionId });
      ctx.at(now + menuMs, () => ctx.emit({ type: 'ivr.exited', sessionId, outcome: 'to_agent' }));
      return { queueAfterMs: menuMs + 1 };
    },
  };
}

function botSession(ctx: ProducerContext, outcome: 'resolved' | 'to_agent' | 'abandoned', at: number, durMs: number): void {
  const sessionId = ctx.newId('bot');
  const questions = 1 + Math.floor(ctx.rng.exponential(1.2));
  let recognized = 0;
  for (let q = 0; q < questions; q++) if (ctx.rng.chance(0.9)) recognized++;
  // customers rate an answer "not solved" far more often when they end up asking for a human
  const pUnresolved = outcome === 'to_agent' ? 0.55 : outcome === 'abandoned' ? 0.3 : 0.12;
  let unresolvedRated = 0;
  for (let q = 0; q < recognized; q++) if (ctx.rng.chance(pUnresolved)) unresolvedRated++;
  ctx.at(at, () => ctx.emit({ type: 'bot.started', sessionId, channel: 'text' }));
  ctx.at(at + durMs, () =>
    ctx.emit({ type: 'bot.ended', sessionId, channel: 'text', outcome, questions, recognized, unresolvedRated }),
  );
}

export function botProducer(o: KpiProducerOptions = kpiProducerDefaults): EventProducer {
  const containedPerHuman = o.botDiversion / (1 - o.botDiversion);
  return {
    name: 'bot',
    beforeQueue(c: ContactInfo, ctx: ProducerContext) {
      if (c.channel !== 'text') return undefined;
      const now = ctx.now();
      const n = countWithMean(ctx.rng, containedPerHuman);
      for (let i = 0; i < n; i++) {
        botSession(ctx, ctx.rng.chance(0.85) ? 'resolved' : 'abandoned', Math.max(now, now + ctx.rng.uniform(-60, 60) * sec), ctx.rng.lognormal(120, 0.6) * sec);
      }
      const chatMs = Math.round(ctx.rng.lognormal(60, 0.5) * sec);
      botSession(ctx, 'to_agent', now, chatMs);
      return { queueAfterMs: chatMs + 1 };
    },
  };
}

/** 1–5 scores (voice via IVR, app) or labels (SMS), weighted like a well-run bank center. */
function drawRating(rng: Rng, labels: boolean): Rating {
  const u = rng.next();
  if (labels) return u < 0.78 ? 'satisfied' : u < 0.93 ? 'neutral' : 'dissatisfied';
  return u < 0.6 ? 5 : u < 0.84 ? 4 : u < 0.93 ? 3 : u < 0.97 ? 2 : 1;
}

export function surveyProducer(o: KpiProducerOptions = kpiProducerDefaults): EventProducer {
  return {
    name: 'survey',
    afterContact(c, ctx) {
      if (c.outcome !== 'handled' || !ctx.rng.chance(o.surveyShare)) return;
      const via = c.channel === 'voice' ? (ctx.rng.chance(0.8) ? 'ivr' : 'sms') : ctx.rng.chance(0.7) ? 'app' : 'web';
      const rating = drawRating(ctx.rng, via === 'sms');
      const delay = (via === 'ivr' ? ctx.rng.uniform(5, 40) : ctx.rng.uniform(30, 600)) * sec;
      ctx.at(ctx.now() + delay, () =>
        ctx.emit({
          type: 'survey.rated',
          contactId: c.contactId,
          queue: c.queue,
          channel: c.channel,
          ...(c.agentId ? { agentId: c.agentId } : {}),
          rating,
          via,
        }),
      );
    },
  };
}

/** IVR + robot + surveys, as the demo runs them. */
export function kpiProducers(o: KpiProducerOptions = kpiProducerDefaults): EventProducer[] {
  return [ivrProducer(o), botProducer(o), surveyProducer(o)];
}
