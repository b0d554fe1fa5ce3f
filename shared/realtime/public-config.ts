import type { BoardConfig, BoardRow, DisplayThresholds } from '../contract/config.ts';
import type { Channel } from '../contract/events.ts';

/** `GET /api/v1/config/public`: what the clients need to label and colour figures (never tokens). */
export interface PublicConfig {
  centers: { id: string; name: Localized; timeZone: string }[];
  /** configured queues plus those discovered from events (name = id) */
  queues: {
    id: string;
    center: string;
    name: Localized;
    channel: Channel | null;
    serviceLevelThresholdSec: number | null;
  }[];
  groups: { id: string; center: string; name: Localized; queues: string[] }[];
  teams: { id: string; center: string; name: Localized }[];
  /** not-ready reason code → name (codes not listed are shown as sent) */
  reasons: Record<string, Localized>;
  boards: PublicBoard[];
  defaults: { serviceLevelThresholdSec: Record<Channel, number> };
  displayThresholds: DisplayThresholds;
  /** seconds in a state (key `state` or `state:reason`) after which the agent grid turns warning/critical */
  stateTimeThresholds: Record<string, { warning: number; critical: number }>;
  devMode: boolean;
}

export type Localized = { zh: string; en: string };
export type PublicBoard = BoardConfig & { rows: BoardRow[] };
