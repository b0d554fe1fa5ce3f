import type { FastifyPluginAsync } from 'fastify';
import { maxBatchSize, type ContractEvent, type EventResult, type IngestResponse } from '../../shared/contract/events.ts';
import { IngestInterruptedError } from '../metrics/engine.ts';
import { checkEvent, idOf } from './validate.ts';

export interface IngestReply extends IngestResponse {
  /** per center: ingest sequence after this request */
  seq: Record<string, number>;
}

const simulatorPrincipal = 'demo-simulator';

/**
 * `POST /api/v1/events`: one event or an array of up to 5,000. Every event gets a result in the
 * order sent; a rejected one never stops the others. Re-sending is always safe (duplicates are
 * recognised by event id), so on 503 a producer simply retries the whole request.
 */
export const ingestRoutes: FastifyPluginAsync = async (app) => {
  const configured = new Set(app.config.centers.map((c) => c.id));
  const configuredList = [...configured].join(', ');
  /** centers already logged as unconfigured: the log says it once per center and process, the response every time */
  const loggedUnconfigured = new Set<string>();

  app.post('/events', { preHandler: app.requireRole('ingest') }, async (req, reply) => {
    const body = req.body;
    const items: unknown[] = Array.isArray(body) ? body : [body];
    if (body === undefined || body === null || (typeof body !== 'object' && !Array.isArray(body))) {
      return reply.code(400).send({ error: 'bad_request', message: 'body must be an event object or an array of events' });
    }
    if (items.length > maxBatchSize) {
      return reply
        .code(413)
        .send({ error: 'too_many_events', message: `at most ${maxBatchSize} events per request (got ${items.length}); split the batch` });
    }
    const results: EventResult[] = new Array(items.length);
    const valid: ContractEvent[] = [];
    const validIndex: number[] = [];
    items.forEach((item, index) => {
      const id = idOf(item);
      const checked = checkEvent(item);
      if (checked.ok) {
        valid.push(checked.event);
        validIndex.push(index);
      } else results[index] = { index, ...(id !== undefined ? { id } : {}), status: 'rejected', reason: checked.reason };
    });
    const demo = req.principal?.name === simulatorPrincipal || req.headers['x-wallboard-source'] === 'simulator';
    let seq: Record<string, number> = {};
    if (valid.length > 0) {
      try {
        const out = await app.engine.ingest(valid, app.clock.now(), { demo });
        seq = out.seq;
        out.outcomes.forEach((o, j) => {
          const index = validIndex[j]!;
          const id = valid[j]!.id;
          results[index] = o.status === 'rejected' ? { index, id, status: 'rejected', reason: o.reason } : { index, id, status: o.status };
        });
      } catch (err) {
        if (err instanceof IngestInterruptedError) {
          req.log.warn(
            { err: err.message, cause: (err.cause as Error | undefined)?.message, committed: err.committed },
            err.timedOut ? 'ingest interrupted: the write did not finish within INGEST_REDIS_TIMEOUT_MS (storage slow, or this server overloaded)' : 'ingest interrupted: storage unavailable',
          );
          return reply
            .code(503)
            .header('Retry-After', String(err.retryAfterSec))
            .send({
              error: 'unavailable',
              // timed out: the part being written may still be stored; `stored` is what surely is. The
              // deadline covers the wait behind other batches too, so a saturated server (not only a
              // slow Redis) ends here: the text says both (seen in the benchmark's 3,000 screens at
              // 10,000 ev/s, where Redis was 21 % busy)
              message: err.timedOut
                ? 'the write did not finish in time (storage slow, or the server overloaded); events after the stored part may or may not have been kept, re-send the whole request (duplicates are safe)'
                : 'storage temporarily unavailable; nothing after the stored part was kept, re-send the whole request (duplicates are safe)',
              stored: err.committed,
            });
        }
        throw err;
      }
    }
    const counts = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const r of results) counts[r.status]++;
    // wallboard_events_total (server/ops/prom.ts); request latency is observed by the ops plugin's hook
    if (app.hasDecorator('promMetrics')) {
      for (const result of ['accepted', 'duplicate', 'rejected'] as const) {
        if (counts[result] > 0) app.promMetrics.eventsTotal.inc({ result }, counts[result]);
      }
    }
    const response: IngestReply = { ...counts, results, seq };
    // `seq` names every center that stored or recognised events of this request (not one whose
    // events were all rejected): no pass over the events for it
    const unconfigured = Object.keys(seq).filter((center) => !configured.has(center));
    if (unconfigured.length > 0) {
      response.warnings = unconfigured.map(
        (center) =>
          `center "${center}" is not configured (configured: ${configuredList}): its events are stored and counted, ` +
          `but no board or console shows them${center === 'default' ? ' (an event without "center" belongs to "default")' : ''}`,
      );
      for (const center of unconfigured) {
        if (loggedUnconfigured.has(center)) continue;
        loggedUnconfigured.add(center);
        req.log.warn({ center, configured: configuredList }, 'events accepted for a center that is not configured: no screen shows them');
      }
    }
    return response;
  });
};
