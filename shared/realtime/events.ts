import { z } from 'zod';
import { centerId, identifier } from '../contract/events.ts';
import { windowId, type WindowId } from '../metrics/windows.ts';
import type { AgentRow, MetricsResult } from '../contract/metrics-api.ts';
import type { Role } from '../contract/config.ts';
import type { AlertChange } from '../contract/alerts.ts';

/**
 * The Socket.IO contract between the server and the two clients (wall, lead console), typed once
 * and used by both ends through Socket.IO's generics. Event names: client → server `domain:verb`,
 * server → client `domain:pastTense`. Every client message is validated with the zod schemas
 * below; a rejected message is answered `{ok: false, error: <code>}` and never with internal text.
 */

// ---------------------------------------------------------------------------------------------
// Views: what a client subscribes to. The server keys views by a canonical id, computes each view
// once per server process and broadcasts to the view's room.

export const boardViewSpec = z.strictObject({
  kind: z.literal('board'),
  center: centerId.default('default'),
  /** a configured board id, or "default" (one row per channel of the center) */
  board: z.string().regex(/^[a-z0-9-]+$/).max(64),
});

export const leadViewSpec = z.strictObject({
  kind: z.literal('lead'),
  center: centerId.default('default'),
  window: windowId.default('30m'),
  /** one team: its agent figures as a row of their own on top (the other rows stay without the
   * team: agent figures are kept per team and per queue, not per both) and the agent grid */
  team: identifier.optional(),
  /** narrows the rows and the agent grid to one queue */
  queue: identifier.optional(),
});

export const viewSpec = z.discriminatedUnion('kind', [boardViewSpec, leadViewSpec]);
export type ViewSpec = z.infer<typeof viewSpec>;
export type ViewSpecInput = z.input<typeof viewSpec>;
export type BoardViewSpec = z.infer<typeof boardViewSpec>;
export type LeadViewSpec = z.infer<typeof leadViewSpec>;

/** Canonical view id (the room name). Identifiers may contain ":", hence the encoding. */
export function viewIdOf(spec: ViewSpec): string {
  const e = encodeURIComponent;
  if (spec.kind === 'board') return `board:${spec.center}:${spec.board}`;
  return `lead:${spec.center}:${spec.window}:${e(spec.team ?? '*')}:${e(spec.queue ?? '*')}`;
}

// ---------------------------------------------------------------------------------------------
// Client → server messages.

export const subscribeMessage = viewSpec;
export const unsubscribeMessage = z.strictObject({ viewId: z.string().min(1).max(512) });
export const acknowledgeAlertMessage = z.strictObject({
  alertId: z.string().min(1).max(128),
  note: z.string().max(500).optional(),
});
export type UnsubscribeMessage = z.infer<typeof unsubscribeMessage>;
export type AcknowledgeAlertMessage = z.infer<typeof acknowledgeAlertMessage>;

/** Error codes a client may see in an ack; never anything else. */
export const ackErrorCodes = [
  'invalid_message',
  'forbidden',
  'unknown_board',
  'unknown_center',
  /** a lead view's team / queue: not configured for the center and not seen in its events */
  'unknown_team',
  'unknown_queue',
  'unknown_view',
  'unknown_alert',
  'not_available',
  'unavailable',
  'rate_limited',
] as const;
export type AckErrorCode = (typeof ackErrorCodes)[number];
export type Ack<T = object> = ({ ok: true } & T) | { ok: false; error: AckErrorCode };

// ---------------------------------------------------------------------------------------------
// Server → client payloads.

/** A row over a scope of contacts and agents: the center, a channel, a group, a queue. */
export type ScopeRowKey =
  | { kind: 'center' }
  | { kind: 'channel'; channel: 'voice' | 'text' | 'video' }
  | { kind: 'group'; group: string }
  | { kind: 'queue'; queue: string; channel: 'voice' | 'text' | 'video' | null };

/**
 * One row of a view: what it covers (so the client can label it) and its figures. `team`: a lead
 * view's team, first row; its figures are TeamRowFigures (agent figures only).
 */
export type RowKey = ScopeRowKey | { kind: 'team'; team: string };

/** A row's stable id on the screens ("queue:cards", "team:A"): DOM ids, sorting and test hooks. */
export function rowIdOf(key: RowKey): string {
  switch (key.kind) {
    case 'center':
      return 'center';
    case 'channel':
      return `channel:${key.channel}`;
    case 'group':
      return `group:${key.group}`;
    case 'team':
      return `team:${key.team}`;
    case 'queue':
      return `queue:${key.queue}`;
  }
}

/** The fields of a result that describe contacts: null in a team row (contacts have no team). */
export const contactResultKeys = [
  'thresholdSec',
  'offered',
  'answered',
  'answeredInThreshold',
  'abandoned',
  'abandonedInThreshold',
  'shortAbandoned',
  'transferredOut',
  'arrivals',
  'serviceLevel',
  'answerRate',
  'abandonRate',
  'asaSec',
  'avgTalkSec',
  'ahtSec',
  'waiting',
  'longestWaitSec',
] as const satisfies readonly (keyof MetricsResult)[];
type ContactResultKey = (typeof contactResultKeys)[number];

/**
 * A team row's figures: the team's agent figures (live counts, occupancy, utilization, time in
 * state) over the whole center, as `GET /api/v1/metrics?team=` answers them; every contact figure
 * null, no KPI object (contacts have no team).
 */
export type TeamRowFigures = Omit<MetricsResult, ContactResultKey | 'serviceLevelVariants' | 'kpi' | 'thresholdChanges'> & { [K in ContactResultKey]: null } & {
  serviceLevelVariants: { abandonsInThresholdExcluded: null; abandonsInThresholdMet: null };
  kpi?: undefined;
  thresholdChanges?: undefined;
};

/** The figures of one row of a view. */
export type ViewRow = MetricsResult | TeamRowFigures;

/** A team row from the engine's center-scope team result: its agent figures, no contact figure. */
export function teamRowFigures(r: MetricsResult): TeamRowFigures {
  const { kpi: _kpi, thresholdChanges: _changes, ...rest } = r;
  const nulls = Object.fromEntries(contactResultKeys.map((k) => [k, null])) as { [K in ContactResultKey]: null };
  return { ...rest, ...nulls, serviceLevelVariants: { abandonsInThresholdExcluded: null, abandonsInThresholdMet: null } };
}

/** One per-minute trend sample: index i of each array is row i of the view. */
export interface TrendPoint {
  /** ISO start of the minute (UTC) */
  t: string;
  serviceLevel: (number | null)[];
  waiting: (number | null)[];
}

export interface ViewPayload {
  viewId: string;
  /** server time the figures describe (ISO, whole second; the engine's asOf) */
  asOf: string;
  /**
   * The center's ingest sequence covered: every event accepted with a sequence ≤ seq is included
   * in these figures (read before the figures are computed). The benchmark measures
   * event-to-screen latency with it.
   */
  seq: number;
  /** true while the demo simulator feeds the center: the clients show "DEMO DATA / 演示数据" */
  demo: boolean;
  window: WindowId;
  /** the row descriptors, in display order (board: its configured rows; lead: the team's row when
   * the view has a team, then center, channels, queues) */
  rowKeys: RowKey[];
  /** the engine's figures for each row, same order as rowKeys (a team row: TeamRowFigures) */
  rows: ViewRow[];
  /** lead views only: the agent grid (filtered by the view's team/queue) */
  agents?: AgentRow[];
  /**
   * board views only. Snapshot: the last 60 one-minute points; update: the points that changed
   * since the previous payload (normally the current minute). Clients merge by `t`.
   */
  trend?: TrendPoint[];
}

export interface SessionInfo {
  role: Exclude<Role, 'ingest'>;
  name: string;
  /** the server runs open (loopback, no tokens): the clients show a development-mode marker */
  devMode: boolean;
  serverTime: string;
}

/**
 * Alert changes as pushed to screens, in the order they happened: the alerts contract's objects
 * (lifecycle owned by server/alerts). One message carries every change of a center from one short
 * window (server/realtime/alert-relay.ts): a traffic spike raises alerts on many queues at once, and
 * one message per alert cost each screen that many frames.
 */
export type AlertChangesMessage = AlertChange[];

export interface ServerToClientEvents {
  'session:established': (info: SessionInfo) => void;
  'view:snapshotted': (payload: ViewPayload) => void;
  'view:updated': (payload: ViewPayload) => void;
  'alert:changed': (changes: AlertChangesMessage) => void;
}

export interface ClientToServerEvents {
  /** join a view; the server answers with the view id, then sends `view:snapshotted` */
  'view:subscribe': (spec: ViewSpecInput, ack: (res: Ack<{ viewId: string }>) => void) => void;
  'view:unsubscribe': (msg: UnsubscribeMessage, ack: (res: Ack) => void) => void;
  /** role lead or admin */
  'alert:acknowledge': (msg: AcknowledgeAlertMessage, ack: (res: Ack) => void) => void;
}

/** Nothing is sent between server processes yet (the Redis adapter issue adds it). */
export type InterServerEvents = Record<string, never>;

export interface SocketData {
  role: Exclude<Role, 'ingest'>;
  name: string;
  devMode: boolean;
}

/** A figure is STALE on screen when no payload has arrived for this long (or the socket is down). */
export const staleAfterMs = 10_000;
/** Server heartbeat: a payload at least this often per view even without events. */
export const heartbeatMs = 5_000;

/** Every socket that subscribes to a view of a center also joins this room: alerts are sent to it. */
export function centerRoom(center: string): string {
  return `center:${center}`;
}
