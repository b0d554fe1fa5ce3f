import type { FastifyInstance } from 'fastify';
import { channel as channelSchema, type Channel } from '../../shared/contract/events.ts';
import { US } from '../metrics/codec.ts';

export interface KnownQueue {
  id: string;
  channel: Channel | null;
  /** configured in the config file (else discovered from events) */
  configured: boolean;
}

/**
 * The queues of a center: the configured ones plus those the engine has seen in events (its queue
 * map in Redis), so a center that sends events before anyone writes a config still gets a queue
 * table. Read from Redis each time: another server process may have learnt a queue.
 * `strict`: a failed read throws instead of falling back to the configured queues (an alert rule
 * must not read "nobody" from a partial list: it would resolve that list's missing agents' alerts).
 */
export async function knownQueues(
  app: Pick<FastifyInstance, 'config' | 'redis' | 'keys'>,
  center: string,
  { strict = false }: { strict?: boolean } = {},
): Promise<KnownQueue[]> {
  const out = new Map<string, KnownQueue>();
  for (const q of app.config.queues) {
    if (q.center === center) out.set(q.id, { id: q.id, channel: q.channel, configured: true });
  }
  let discovered: Record<string, string> = {};
  try {
    discovered = await app.redis.hgetall(app.keys.queueMap(center));
  } catch (err) {
    if (strict) throw err;
    // the figures themselves will fail loudly; the catalogue falls back to the config
  }
  for (const [id, value] of Object.entries(discovered)) {
    if (out.has(id)) continue;
    out.set(id, { id, channel: channelOf(value), configured: false });
  }
  return [...out.values()].sort((a, b) => (a.channel ?? '').localeCompare(b.channel ?? '') || a.id.localeCompare(b.id));
}

/** the channel of a queue-map value ("channel␟slMs␟shortMs␟groups", server/redis/keys.ts); '' = not known yet */
function channelOf(value: string): Channel | null {
  const end = value.indexOf(US);
  const parsed = channelSchema.safeParse(end < 0 ? value : value.slice(0, end));
  return parsed.success ? parsed.data : null;
}
