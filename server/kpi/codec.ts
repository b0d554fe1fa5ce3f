import type { ContactEvent, KpiEvent } from '../../shared/contract/events.ts';
import { US } from '../metrics/codec.ts';

/**
 * Encoding of the KPI script's input (server/redis/lua/ingestKpi.lua header). Values are zod-checked
 * identifiers (no control characters), so the US separator cannot occur inside one.
 */
const contactType: Partial<Record<ContactEvent['type'], string>> = {
  'contact.queued': '0',
  'contact.answered': '1',
  'contact.abandoned': '2',
  'contact.transferred': '3',
};

/** Contact events the KPI script also needs (legs for transfers, customerId for FCR, the answering
 * agent for surveys); contact.ended / contact.wrapped change nothing there and are not sent. */
export function mirroredContact(e: ContactEvent): string | undefined {
  const t = contactType[e.type];
  if (t === undefined) return undefined;
  const queue = e.type === 'contact.queued' ? e.queue : '';
  const channel = e.type === 'contact.queued' ? e.channel : '';
  const agent = e.type === 'contact.answered' ? e.agentId : '';
  const customer = e.type === 'contact.queued' ? (e.customerId ?? '') : '';
  return ['c', e.id, t, String(e.ts), e.contactId, queue, channel, agent, customer, '1'].join(US);
}

export function encodeKpiEvent(e: KpiEvent): string {
  switch (e.type) {
    case 'survey.rated':
      return ['s', e.id, String(e.ts), e.contactId, String(e.rating), e.queue ?? '', e.channel ?? '', e.agentId ?? ''].join(US);
    case 'ivr.entered':
      return ['i', e.id, '0', String(e.ts), e.sessionId, ''].join(US);
    case 'ivr.exited':
      return ['i', e.id, '1', String(e.ts), e.sessionId, e.outcome].join(US);
    case 'bot.started':
      return ['b', e.id, '0', String(e.ts), e.sessionId, e.channel, '', '', '', ''].join(US);
    case 'bot.ended':
      return [
        'b',
        e.id,
        '1',
        String(e.ts),
        e.sessionId,
        e.channel,
        e.outcome,
        String(e.questions ?? 0),
        String(e.recognized ?? 0),
        String(e.unresolvedRated ?? 0),
      ].join(US);
  }
}
