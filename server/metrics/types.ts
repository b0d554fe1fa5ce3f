import type { Channel, ContractEvent } from '../../shared/contract/events.ts';
import type { AgentRow, MetricsResult } from '../../shared/contract/metrics-api.ts';
import type { ContactMetrics } from '../../shared/metrics/formulas.ts';
import type { WindowId } from '../../shared/metrics/windows.ts';

/** What a figure is computed over. */
export type Scope =
  | { kind: 'all' }
  | { kind: 'queue'; queue: string }
  | { kind: 'channel'; channel: Channel }
  | { kind: 'group'; group: string };

/**
 * One question to the engine: a scope's figures, or one team's agent figures (states, occupancy,
 * utilization) center-wide. Agent figures are kept per scope and per team (`t:<team>`), never per
 * team within a queue, channel or group, so a team goes with the center scope only (the engine
 * refuses anything else: teamScopeConflict). Contacts have no team: a team query's contact figures
 * are the center's.
 */
export type EngineQuery = { scope: Scope; team?: undefined } | { scope: { kind: 'all' }; team: string };

export type ScopeQuery = EngineQuery & { center: string };

export type IngestOutcome =
  | { status: 'accepted' }
  | { status: 'duplicate' }
  | { status: 'rejected'; reason: string };

export interface IngestBatchResult {
  outcomes: IngestOutcome[];
  /** per center: the ingest sequence number after this batch (monotonic, counts accepted events) */
  seq: Record<string, number>;
}

export interface IntervalRow extends MetricsResult {}

/**
 * The metric engine's contract, used by HTTP routes, the realtime push, alerts, the KPI pack and
 * the benchmark. All times are epoch ms; `nowMs` always comes from the injected clock.
 */
export interface MetricEngine {
  /** `demo`: the batch came from the demo simulator (screens show a DEMO badge, see demoActive) */
  ingest(events: ContractEvent[], nowMs: number, opts?: { demo?: boolean }): Promise<IngestBatchResult>;
  /** one figure set for a rolling window or today */
  query(q: ScopeQuery, window: WindowId, nowMs: number): Promise<MetricsResult>;
  /** many scopes of one center in one round trip (a board's rows) */
  queryMany(center: string, queries: EngineQuery[], window: WindowId, nowMs: number): Promise<MetricsResult[]>;
  /** [fromMs, toMs) on 15-minute boundaries within retention */
  history(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<MetricsResult>;
  intervals(q: ScopeQuery, fromMs: number, toMs: number, nowMs: number): Promise<IntervalRow[]>;
  /** per scope, the contact figures of `window` as of each end (whole seconds, ≤ now); null where
   * the buckets needed have expired (trend charts that start before anyone watched) */
  contactSeries(center: string, scopes: Scope[], window: WindowId, ends: number[], nowMs: number): Promise<(ContactMetrics | null)[][]>;
  agents(center: string, filter: { team?: string; queue?: string; state?: string }, nowMs: number): Promise<AgentRow[]>;
  /** current ingest sequence of a center (see IngestBatchResult.seq) */
  sequence(center: string): Promise<number>;
  /** true while the demo simulator posted to this center within the last 5 minutes */
  demoActive(center: string, nowMs: number): Promise<boolean>;
  /** epoch ms of the last batch that accepted events (feed health), undefined if none yet */
  lastEventAt(center: string): Promise<number | undefined>;
}
