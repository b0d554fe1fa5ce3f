/**
 * Every Redis key the product uses is built here, nowhere else.
 *
 * All keys of one center share the hash tag `{<prefix>:<center>}`, so every script touching a
 * center's keys runs in one cluster slot (a Redis Cluster then spreads centers over shards). The
 * ingest writer (server/metrics/write/) computes in Node and changes a center's keys only through
 * applyWrites.lua, one atomic, fenced call per batch; reads go through loadState.lua and the
 * read scripts.
 * Alert-wide keys share the tag `{<prefix>:alerts}`.
 *
 * | key                                   | type   | what                                                     | retention                 |
 * |---------------------------------------|--------|----------------------------------------------------------|---------------------------|
 * | {p:c}:ct:<contactId>                  | hash   | e:<eventId> events, a = applied contribution, s = state  | last event ts + lateEvent, |
 * |                                       |        | machine after the last event, w = waiting leg, x = expiry | 10–20 min headroom (x)    |
 * |                                       |        | (shared); the KPI pack's ks:<id> surveys, ka / kv applied | (the later of both parts) |
 * |                                       |        | items, kz state, ke:<id> carried-over events (kpi-batch)  |                           |
 * | {p:c}:b:<level>:<startSec>:<dim>      | hash   | counter bucket (levels 60s, 900s) for one dimension; a   | 60s: end + 121 min; 900s: end + intervalDays |
 * |                                       |        | 10 s bucket is read as the sum of the b:1 hash below     |                           |
 * | {p:c}:b:1:<10s startSec>:<dim>        | hash   | the ten 1 s buckets of a 10 s span: fields <f>.<0-9>;    | end + 61 min              |
 * |                                       |        | agent time p:<state>.<0-9> = n × 2^34 + m (codec.ts)     |                           |
 * | {p:c}:w:<queue>                       | zset   | contacts waiting now (score = ms the customer asked for  | removed on exit / timeout |
 * |                                       |        | a human, before any pre-answer transfer: SEMANTICS.md)   |                           |
 * | {p:c}:at:<agentId>                    | zset   | agent state timeline (member = event id, score = ts)     | trimmed to lateEvent (checked once per step) |
 * | {p:c}:ap:<agentId>                    | hash   | timeline points: event id → encoded state/dims; '' =     | trimmed with the timeline |
 * |                                       |        | last trim step US start (ts US id) of the current state  |                           |
 * | {p:c}:agents                          | hash   | agentId → JSON of current state (agents API)             | bounded by agent count    |
 * | {p:c}:live:<dim>                      | hash   | agents in each state now, per dimension                  | bounded by dimensions     |
 * | {p:c}:qmap                            | hash   | queue → channel␟slMs␟shortMs␟groups (␞-joined)           | bounded by queues         |
 * | {p:c}:qthr                            | hash   | queue → JSON thresholds in force + their changes (ms)    | changes pruned to intervalDays at start; bounded by queues |
 * | {p:c}:ad:<YYYY-MM-DD>                 | hash   | agentId → contacts answered that local day               | day end + lateEvent       |
 * | {p:c}:kc:<contactId>                  | hash   | KPI pack's earlier layout of a contact (mirrored leg events, surveys, contribution); no longer written, read and carried into ct: until it expires | last event + lateEvent + ≤ 20 min |
 * | {p:c}:ki:<sessionId> / kbs:<sessionId>| hash   | KPI pack: IVR / robot session events + contribution      | last event + lateEvent, 10–20 min headroom (x) |
 * | {p:c}:kb:<level>:<startSec>:<dim>     | hash   | KPI pack counter bucket (levels 60s, 900s); a 10 s       | as b:                     |
 * |                                       |        | bucket is read as the sum of the kb:1 hash below         |                           |
 * | {p:c}:kb:1:<10s startSec>:<dim>       | hash   | KPI pack: the ten 1 s buckets of a 10 s span: <f>.<0-9>  | end + 61 min              |
 * | {p:c}:kad:<YYYY-MM-DD>                | hash   | KPI pack: agentId␟field → ratings of that local day      | day end + lateEvent       |
 * | {p:c}:kfc:<YYYY-MM-DD>:<dim>          | hash   | KPI pack: customerId → contacts that day (FCR; never read by an API) | day end + lateEvent |
 * | {p:c}:kfs:<YYYY-MM-DD>:<dim>          | hash   | KPI pack: FCR summary c (customers), o (one contact), n (no customerId) | day end + intervalDays |
 * | {p:c}:meta                            | hash   | seq (ingest sequence), lastEventAt, demoAt,              | none (tiny)               |
 * |                                       |        | minuteRetentionSince (see plan.ts FineRetention),        |                           |
 * |                                       |        | sealGen / sealEpoch (see metrics/sealed.ts), wv = the    |                           |
 * |                                       |        | writer version (fence of metrics/write/center-writer.ts) |                           |
 * | {p:c}:trend:<viewId>                  | hash   | minute start (s) → JSON trend point of a wall view       | 2 h after last write      |
 * | {p:kpi}:layout                        | string | "1": a start-up scan found no earlier-layout kc: record   | none (tiny)               |
 * |                                       |        | left, so later starts skip the scan (kpi/engine.ts)      |                           |
 * | {p:alerts}:lease                      | string | id of the server process that evaluates alerts (SET NX PX) | leaseMs, renewed       |
 * | {p:alerts}:rules                      | string | JSON thresholds document {version, updatedAt, by, rules} | none (admin edits)        |
 * | {p:alerts}:audit                      | stream | threshold/forecast changes: who, when, old → new         | MAXLEN ~ 100000           |
 * | {p:alerts}:track                      | hash   | rule|subject → JSON hysteresis tracker (pending since…)  | removed when back to ok   |
 * | {p:alerts}:open                       | hash   | rule|subject → id of the open alert (HSETNX: one alert)  | removed on resolve        |
 * | {p:alerts}:alerts                     | hash   | alert id → JSON alert (firing, acknowledged, resolved)   | resolved: resolvedKeepHours |
 * | {p:alerts}:esc                        | hash   | alert id → JSON escalation progress (level since, last notified) | removed on resolve |
 * | {p:alerts}:history                    | stream | alert lifecycle records (raised/updated/acknowledged/resolved) | MINID historyDays, MAXLEN historyMaxEntries |
 * | {p:alerts}:notify                     | stream | every notification attempt (channel, outcome, status)    | MINID historyDays, MAXLEN ~ 200000 |
 * | {p:alerts}:fc:<center>:<YYYY-MM-DD>   | string | JSON forecast (15-min volumes) of one local day          | 40 days                   |
 *
 * Pub/sub channel (not a key): `{p:c}:ingested` — the engine publishes the center's new ingest
 * sequence (payload `{"seq": n}`) after every batch that accepted events; realtime servers subscribe to
 * recompute views.
 *
 * Pub/sub channel (not a key): `{p:alerts}:changes` — JSON {type: raised|updated|resolved, alert} on
 * every alert change; each server process relays it to its sockets (server/alerts/bus.ts).
 *
 * Dimensions (`<dim>`): `all`, `q:<queue>`, `ch:<channel>`, `g:<group>`, `t:<team>`.
 */
/** the prefix of every key a server writes (tests pass their own) */
export const defaultKeyPrefix = 'wb';

export const levels = [1, 10, 60, 900] as const;
export type LevelSec = (typeof levels)[number];

export class Keys {
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) throw new Error('key prefix must not contain braces');
  }

  /** the hash-tagged namespace of one center; scripts get it as KEYS[1]-derived prefix */
  center(center: string): string {
    return `{${this.prefix}:${center}}`;
  }
  contact(center: string, contactId: string): string {
    return `${this.center(center)}:ct:${contactId}`;
  }
  bucket(center: string, level: LevelSec, startSec: number, dim: string): string {
    return `${this.center(center)}:b:${level}:${startSec}:${dim}`;
  }
  /** every counter bucket key of a center starts with this (`<prefix><level>:<startSec>:<dim>`) */
  bucketPrefix(center: string): string {
    return `${this.center(center)}:b:`;
  }
  /** the KPI pack's counter buckets (`kb:`), same layout */
  kpiBucketPrefix(center: string): string {
    return `${this.center(center)}:kb:`;
  }
  /** KPI pack's earlier layout (read only, carried into `ct:` at the contact's first touch): a
   * contact's leg events, surveys and contribution; the pack now keeps them in the `ct:` record */
  kpiContact(center: string, contactId: string): string {
    return `${this.center(center)}:kc:${contactId}`;
  }
  /** SCAN pattern of every center's kpiContact keys */
  kpiContactPattern(): string {
    return `{${this.prefix}:*}:kc:*`;
  }
  /** set once a start-up scan found no kpiContact key left (nothing writes them any more) */
  kpiLayoutChecked(): string {
    return `{${this.prefix}:kpi}:layout`;
  }
  kpiIvrSession(center: string, sessionId: string): string {
    return `${this.center(center)}:ki:${sessionId}`;
  }
  kpiBotSession(center: string, sessionId: string): string {
    return `${this.center(center)}:kbs:${sessionId}`;
  }
  /** KPI pack: agentId US field → ratings of that local day */
  kpiAgentDay(center: string, localDate: string): string {
    return `${this.center(center)}:kad:${localDate}`;
  }
  kpiFcrCounts(center: string, localDate: string, dim: string): string {
    return `${this.center(center)}:kfc:${localDate}:${dim}`;
  }
  kpiFcrSummary(center: string, localDate: string, dim: string): string {
    return `${this.center(center)}:kfs:${localDate}:${dim}`;
  }
  waiting(center: string, queue: string): string {
    return `${this.center(center)}:w:${queue}`;
  }
  agentTimeline(center: string, agentId: string): string {
    return `${this.center(center)}:at:${agentId}`;
  }
  agentPoints(center: string, agentId: string): string {
    return `${this.center(center)}:ap:${agentId}`;
  }
  agents(center: string): string {
    return `${this.center(center)}:agents`;
  }
  live(center: string, dim: string): string {
    return `${this.center(center)}:live:${dim}`;
  }
  queueMap(center: string): string {
    return `${this.center(center)}:qmap`;
  }
  /** threshold in force per queue and when it changed (metrics/threshold-history.ts) */
  thresholdHistory(center: string): string {
    return `${this.center(center)}:qthr`;
  }
  agentDay(center: string, localDate: string): string {
    return `${this.center(center)}:ad:${localDate}`;
  }
  meta(center: string): string {
    return `${this.center(center)}:meta`;
  }
  // --- alerts (server/alerts); one hash tag so the evaluator's multi-key writes share a slot
  alerts(): string {
    return `{${this.prefix}:alerts}`;
  }
  alertLease(): string {
    return `${this.alerts()}:lease`;
  }
  alertRules(): string {
    return `${this.alerts()}:rules`;
  }
  alertAudit(): string {
    return `${this.alerts()}:audit`;
  }
  alertTrack(): string {
    return `${this.alerts()}:track`;
  }
  alertOpen(): string {
    return `${this.alerts()}:open`;
  }
  alertItems(): string {
    return `${this.alerts()}:alerts`;
  }
  alertEscalation(): string {
    return `${this.alerts()}:esc`;
  }
  alertHistory(): string {
    return `${this.alerts()}:history`;
  }
  alertNotify(): string {
    return `${this.alerts()}:notify`;
  }
  alertForecast(center: string, localDate: string): string {
    return `${this.alerts()}:fc:${center}:${localDate}`;
  }
  /** pub/sub channel: JSON AlertChange on every alert change */
  alertChanges(): string {
    return `${this.alerts()}:changes`;
  }
  /** per-minute trend samples of one wall view (realtime push) */
  trend(center: string, viewId: string): string {
    return `${this.center(center)}:trend:${viewId}`;
  }
  /** pub/sub channel: message = the center's ingest sequence after a batch with accepted events */
  ingested(center: string): string {
    return `${this.center(center)}:ingested`;
  }
  /** pattern matching `ingested` of every center */
  ingestedPattern(): string {
    return `{${this.prefix}:*}:ingested`;
  }
}

export const dims = {
  all: 'all',
  queue: (q: string) => `q:${q}`,
  channel: (c: string) => `ch:${c}`,
  group: (g: string) => `g:${g}`,
  team: (t: string) => `t:${t}`,
};
