import type { AppConfig, BoardConfig, BoardRow } from '../../shared/contract/config.ts';
import { boardConfig } from '../../shared/contract/config.ts';
import { channels } from '../../shared/contract/events.ts';

/**
 * A board as the clients and the realtime push use it: rows resolved (a board without rows gets
 * one row per channel that has configured queues, or all three channels when no queues are
 * configured, since queues may also be discovered from events).
 */
export interface ResolvedBoard extends BoardConfig {
  rows: BoardRow[];
}

export function defaultBoard(config: AppConfig): BoardConfig {
  const center = config.centers[0]!.id;
  return boardConfig.parse({ id: 'default', center });
}

/** All boards: the configured ones plus a synthesized `default` (unless one is configured). */
export function resolveBoards(config: AppConfig): ResolvedBoard[] {
  const boards = config.boards.some((b) => b.id === 'default') ? config.boards : [defaultBoard(config), ...config.boards];
  return boards.map((b) => ({ ...b, rows: b.rows ?? channelRows(config, b.center) }));
}

export function findBoard(config: AppConfig, center: string, id: string): ResolvedBoard | undefined {
  return resolveBoards(config).find((b) => b.id === id && b.center === center);
}

function channelRows(config: AppConfig, center: string): BoardRow[] {
  const used = new Set(config.queues.filter((q) => q.center === center).map((q) => q.channel));
  const list = used.size > 0 ? channels.filter((c) => used.has(c)) : [...channels];
  return list.map((channel) => ({ kind: 'channel' as const, channel }));
}
