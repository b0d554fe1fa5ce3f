import { US } from '../codec.ts';
import { parsePoint, type AgentHead } from './core-batch.ts';

/** The writer's two scripts as Node sees them: server/redis/lua/loadState.lua and applyWrites.lua. */

/** applyWrites' header (server/redis/lua/applyWrites.lua) */
export interface ApplyHeader {
  v: string;
  nv: string;
  acc: number;
  now: number;
  pub: boolean;
  /** '' or the center's new seal generation (a token never used before; applyWrites.lua) */
  sealed: string;
  epoch: string;
  demo: boolean;
  chan: string;
}

export interface WriterScripts {
  loadState(tag: string, request: string): Promise<LoadReply>;
  applyWrites(tag: string, header: string, ops: Buffer): Promise<number>;
}

type Flat = string[];
/** loadState's reply (Lua false arrives as null) */
export type LoadReply = [
  version: string | null,
  hashes: Flat[],
  lasts: [string | null, string | null, string | null, string | null, string | null, string | null][],
  scores: (string | null)[],
  timelines: [Flat, Flat][],
  qmap: Flat | null,
];

export interface LoadRequest {
  h?: string[];
  a?: [string, string][];
  /** flat: timeline key, event id, timeline key, event id, … (a pair per agent event of a batch) */
  z?: string[];
  t?: [string, string][];
  q?: boolean;
}

export function mapOf(flat: Flat): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) m.set(flat[i]!, flat[i + 1]!);
  return m;
}

/** loadState's [lastId, lastScore, point, meta, _s, _t] of one agent (_s / _t: records written before the meta field) */
export function agentHead(v: LoadReply[2][number]): AgentHead {
  const [lastId, score, point, meta, legacySince, legacyTrim] = v;
  if (lastId === null) return { sinceDirty: false };
  let trim: string | null = legacyTrim;
  let since: string | null = legacySince;
  if (meta !== null) {
    const cut = meta.indexOf(US);
    trim = meta.slice(0, cut);
    since = meta.slice(cut + 1);
    if (since === US) since = null;
  }
  const head: AgentHead = { lastId, lastTs: Number(score), last: parsePoint(point ?? ''), sinceDirty: true, ...(trim !== null ? { trimStep: trim } : {}) };
  if (since !== null) {
    const cut = since.indexOf(US);
    if (cut >= 0) {
      head.since = Number(since.slice(0, cut));
      head.sinceId = since.slice(cut + 1);
      head.sinceDirty = false;
    }
  }
  return head;
}
