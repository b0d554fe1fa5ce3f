import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus instruments of one app instance (`app.promMetrics`), on a registry of its own so
 * several apps in one process (tests) never collide. Domain owners record into these:
 *
 * | metric                                   | type      | labels              | recorded by |
 * |------------------------------------------|-----------|---------------------|-------------|
 * | wallboard_events_total                   | counter   | result: accepted, duplicate, rejected | ingest: `app.promMetrics.eventsTotal.inc({ result: 'accepted' }, n)` |
 * | wallboard_ingest_request_duration_seconds| histogram | status (HTTP code)  | ops (hook on POST /api/v1/events) |
 * | wallboard_push_latency_seconds           | histogram | kind                | realtime: `app.promMetrics.pushLatency.observe({ kind: 'board' }, s)` (event accepted → frame emitted) |
 * | wallboard_redis_errors_total             | counter   | —                   | ops (ioredis `error` events); others may `inc()` on failed commands |
 * | wallboard_connected_screens              | gauge     | role                | realtime (server/realtime/gauge.ts, collected on scrape) |
 * | wallboard_live_views                     | gauge     | —                   | realtime |
 * | wallboard_http_requests_total            | counter   | route, method, status | ops |
 * | process_*, nodejs_*                       | default   |                     | prom-client default metrics |
 */
export interface PromMetrics {
  registry: Registry;
  eventsTotal: Counter<'result'>;
  ingestLatency: Histogram<'status'>;
  pushLatency: Histogram<'kind'>;
  redisErrors: Counter<string>;
  httpRequests: Counter<'route' | 'method' | 'status'>;
}

/** `defaultMetrics`: process/Node.js metrics; off in tests, where dozens of apps share a process. */
export function createPromMetrics({ defaultMetrics = true } = {}): PromMetrics {
  const registry = new Registry();
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    eventsTotal: new Counter({
      name: 'wallboard_events_total',
      help: 'events received on POST /api/v1/events, by outcome (accepted, duplicate, rejected)',
      labelNames: ['result'] as const,
      registers,
    }),
    ingestLatency: new Histogram({
      name: 'wallboard_ingest_request_duration_seconds',
      help: 'time to answer an ingest request (validation + Redis scripts), by HTTP status',
      labelNames: ['status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pushLatency: new Histogram({
      name: 'wallboard_push_latency_seconds',
      help: 'from an accepted event to the screens update that includes it, by view kind',
      labelNames: ['kind'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    redisErrors: new Counter({
      name: 'wallboard_redis_errors_total',
      help: 'Redis connection and command errors',
      registers,
    }),
    httpRequests: new Counter({
      name: 'wallboard_http_requests_total',
      help: 'HTTP requests answered, by route pattern, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
  };
}
