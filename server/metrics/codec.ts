import { isContactEvent, type ContractEvent } from '../../shared/contract/events.ts';
import type { ContactSums, TimedState } from '../../shared/metrics/raw.ts';

/**
 * The compact encoding between Node and the Lua scripts (see server/redis/lua/lib/common.lua).
 * Events are already validated by zod, whose identifier rule forbids control characters, so the
 * separators US (\x1f) and RS (\x1e) cannot appear inside a value.
 */
export const US = '\x1f';
export const RS = '\x1e';

/** Bucket hash field of each contact sum (short names: a bucket is written ~16× per event). */
export const contactField: Record<keyof ContactSums, string> = {
  arrivals: 'arr',
  answered: 'ans',
  answeredInThreshold: 'ait',
  answeredWaitMs: 'awm',
  abandoned: 'abn',
  abandonedInThreshold: 'bit',
  shortAbandoned: 'sab',
  transferredOut: 'xfr',
  talkCount: 'tc',
  talkMs: 'tm',
  handleCount: 'hc',
  handleMs: 'hm',
};

/** `n:<code>` = Σ transition signs, `m:<code>` = Σ sign × (t − bucketStart) per timed state. */
export const stateCode: Record<TimedState, string> = {
  available: 'av',
  ringing: 'rg',
  on_contact: 'oc',
  hold: 'ho',
  acw: 'aw',
  not_ready: 'nr',
};

const contactTypeCode = {
  'contact.queued': '0',
  'contact.answered': '1',
  'contact.abandoned': '2',
  'contact.transferred': '3',
  'contact.ended': '4',
  'contact.wrapped': '5',
} as const;

// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const controlCharsGlobal = /[\u0000-\u001f\u007f]/g;

/** Why an otherwise valid event cannot be encoded, or undefined. Event ids are free text in the
 * contract; only control characters are refused because they are the encoding's separators. */
export function encodingProblem(e: ContractEvent): string | undefined {
  if (controlChars.test(e.id)) return 'id: must not contain control characters';
  return undefined;
}

export function encodeEvent(e: ContractEvent): string {
  if (e.type === 'agent.state') {
    return [
      'a',
      e.id,
      String(e.ts),
      e.agentId,
      e.state,
      e.reason ?? '',
      e.team ?? '',
      e.queues ? '1' : '0',
      (e.queues ?? []).join(RS),
      // a display name is free text: control characters become spaces rather than a rejection
      (e.name ?? '').replace(controlCharsGlobal, ' '),
    ].join(US);
  }
  // survey.rated / ivr.* / bot.* go to the KPI pack's script (server/kpi/engine.ts), never here
  if (!isContactEvent(e)) throw new Error(`${e.type}: not an event of the core script`);
  const queue = e.type === 'contact.queued' ? e.queue : '';
  const channel = e.type === 'contact.queued' ? e.channel : '';
  const agent = e.type === 'contact.answered' || e.type === 'contact.ended' || e.type === 'contact.wrapped' ? (e.agentId ?? '') : '';
  return ['c', e.id, contactTypeCode[e.type], String(e.ts), e.contactId, queue, channel, agent].join(US);
}
