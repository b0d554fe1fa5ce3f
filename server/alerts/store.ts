import type { Redis } from 'ioredis';
import type { Alert, AuditRecord, ForecastPut, NotificationAttempt, ThresholdsDocument } from '../../shared/contract/alerts.ts';
import type { Keys } from '../redis/keys.ts';
import type { Tracker } from './hysteresis.ts';
import type { EscalationProgress } from './escalation.ts';

/**
 * Alert persistence in Redis (all keys under the `{<prefix>:alerts}` tag, see keys.ts).
 * Every read-modify-write step that another process may race (acknowledge from any server vs
 * the evaluator updating the same alert; open, upgrade, escalate, re-notify and resolve, which an
 * evaluation outliving its lease may repeat; the thresholds version check; the lease) is a small
 * Lua script (server/redis/lua/alert*.lua, whose headers give each one's semantics), so each step
 * happens once. A resolved alert is final for all of them. Time is always an argument.
 * Alert JSON has no arrays, so cjson's re-encoding ({} vs []) cannot change its shape.
 */

/** The alert store's Lua scripts (server/redis/lua/alert*.lua, defined on the client by server/redis/scripts.ts). */
interface AlertScripts {
  alertLease(lease: string, holder: string, ms: string): Promise<number>;
  alertRelease(lease: string, holder: string): Promise<number>;
  alertOpen(open: string, items: string, esc: string, key: string, alertId: string, alert: string, progress: string): Promise<number>;
  alertClaimAnnouncement(esc: string, history: string, alertId: string, entryId: string, atIso: string, alert: string, maxLen: string): Promise<number>;
  alertUpgrade(items: string, esc: string, alertId: string, patch: string, nowMs: string): Promise<string | null>;
  alertEscalate(items: string, esc: string, alertId: string, from: string, to: string, nowMs: string, nowIso: string): Promise<string | null>;
  alertRenotify(items: string, esc: string, alertId: string, level: string, prev: string, nowMs: string): Promise<string | null>;
  alertResolve(items: string, open: string, esc: string, alertId: string, key: string, patch: string): Promise<[string?, string?, string?]>;
  alertRefresh(items: string, alertId: string, value: string, texts: string): Promise<number>;
  alertAck(items: string, alertId: string, by: string, atIso: string, note: string): Promise<[number, string]>;
  alertPutRules(rules: string, auditStream: string, basedOnVersion: string, doc: string, entryId: string, audit: string): Promise<[number, number]>;
}

/** what an evaluation keeps current on an open alert, per severity (alertRefresh.lua) */
export type RefreshedTexts = Pick<Alert, 'threshold' | 'message' | 'headline' | 'baseline'>;

export type HistoryType = 'raised' | 'updated' | 'escalated' | 'acknowledged' | 'resolved';
export interface HistoryEntry {
  at: string;
  type: HistoryType;
  alert: Alert;
}

export class AlertStore {
  private readonly redis: Redis & AlertScripts;

  /** `redis` has the scripts defined (server/redis/plugin.ts: defineScripts) */
  constructor(
    redis: Redis,
    private readonly keys: Keys,
    private readonly retention: { historyDays: number; historyMaxEntries: number },
  ) {
    this.redis = redis as Redis & AlertScripts;
  }

  async acquireLease(holder: string, ms: number): Promise<boolean> {
    return Number(await this.redis.alertLease(this.keys.alertLease(), holder, String(ms))) === 1;
  }
  async releaseLease(holder: string): Promise<void> {
    await this.redis.alertRelease(this.keys.alertLease(), holder);
  }

  // --- thresholds ----------------------------------------------------------------------------
  async rulesDocument(): Promise<ThresholdsDocument | null> {
    const raw = await this.redis.get(this.keys.alertRules());
    return raw ? (JSON.parse(raw) as ThresholdsDocument) : null;
  }
  /** false when the stored version is no longer `basedOnVersion` */
  async putRules(doc: ThresholdsDocument, basedOnVersion: number, audit: AuditRecord, nowMs: number): Promise<boolean> {
    const [ok] = await this.redis.alertPutRules(
      this.keys.alertRules(),
      this.keys.alertAudit(),
      String(basedOnVersion),
      JSON.stringify(doc),
      `${nowMs}-*`,
      JSON.stringify(audit),
    );
    return Number(ok) === 1;
  }
  async appendAudit(audit: AuditRecord, nowMs: number): Promise<void> {
    await this.xadd(this.keys.alertAudit(), nowMs, ['json', JSON.stringify(audit)], ['MAXLEN', '~', '100000']);
  }
  async audit(limit: number): Promise<AuditRecord[]> {
    const rows = await this.redis.xrevrange(this.keys.alertAudit(), '+', '-', 'COUNT', limit);
    return rows.map(([id, fields]) => ({ ...(JSON.parse(field(fields, 'json') ?? '{}') as AuditRecord), id }));
  }

  // --- trackers / open alerts ----------------------------------------------------------------
  async trackers(): Promise<Map<string, Tracker>> {
    const all = await this.redis.hgetall(this.keys.alertTrack());
    return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as Tracker]));
  }
  async saveTrackers(changed: Map<string, Tracker>, removed: string[]): Promise<void> {
    const m = this.redis.multi();
    if (changed.size > 0) m.hset(this.keys.alertTrack(), Object.fromEntries([...changed].map(([k, t]) => [k, JSON.stringify(t)])));
    if (removed.length > 0) m.hdel(this.keys.alertTrack(), ...removed);
    if (changed.size > 0 || removed.length > 0) await m.exec();
  }
  async openAlerts(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.keys.alertOpen())));
  }

  /** Creates the alert unless one is already open for this key (then returns false). */
  async open(key: string, alert: Alert, progress: EscalationProgress): Promise<boolean> {
    const k = this.keys;
    const won = await this.redis.alertOpen(k.alertOpen(), k.alertItems(), k.alertEscalation(), key, alert.id, JSON.stringify(alert), JSON.stringify(progress));
    return Number(won) === 1;
  }
  /**
   * true for exactly one caller per alert opened with `announced: false`; that call also writes
   * the alert's "raised" history entry (see alertClaimAnnouncement.lua)
   */
  async claimAnnouncement(alert: Alert, nowMs: number): Promise<boolean> {
    const k = this.keys;
    return (
      Number(
        await this.redis.alertClaimAnnouncement(
          k.alertEscalation(), k.alertHistory(),
          alert.id, `${Math.floor(nowMs)}-*`, new Date(nowMs).toISOString(), JSON.stringify(alert), String(this.retention.historyMaxEntries),
        ),
      ) === 1
    );
  }
  /** warning → critical; null when it is not (or no longer) an open warning */
  async upgrade(alertId: string, patch: Partial<Alert>, nowMs: number): Promise<Alert | null> {
    const out = await this.redis.alertUpgrade(this.keys.alertItems(), this.keys.alertEscalation(), alertId, JSON.stringify(patch), String(nowMs));
    return out ? (JSON.parse(out) as Alert) : null;
  }
  /** level `from` → `to`; null unless this call made the move */
  async escalateStep(alertId: string, from: number, to: number, nowMs: number): Promise<Alert | null> {
    const out = await this.redis.alertEscalate(
      this.keys.alertItems(), this.keys.alertEscalation(),
      alertId, String(from), String(to), String(nowMs), new Date(nowMs).toISOString(),
    );
    return out ? (JSON.parse(out) as Alert) : null;
  }
  /**
   * The alert (as stored now) when this call moved lastNotifiedAt from `prev` to `nowMs` (at
   * `level`) while it is firing; null otherwise (another evaluation did, or it was acknowledged
   * or resolved since the caller read it)
   */
  async renotifyStep(alertId: string, level: number, prev: number, nowMs: number): Promise<Alert | null> {
    const out = await this.redis.alertRenotify(
      this.keys.alertItems(), this.keys.alertEscalation(),
      alertId, String(level), String(prev), String(nowMs),
    );
    return out ? (JSON.parse(out) as Alert) : null;
  }
  /**
   * resolves and closes; null when it was resolved already (by an overlapping evaluation).
   * `before`: the alert as it was open (an unannounced raise is announced with it).
   */
  async resolve(
    key: string,
    alertId: string,
    patch: Partial<Alert>,
  ): Promise<{ alert: Alert; before: Alert; progress: EscalationProgress | null } | null> {
    const k = this.keys;
    const [out, praw, raw] = await this.redis.alertResolve(k.alertItems(), k.alertOpen(), k.alertEscalation(), alertId, key, JSON.stringify(patch));
    if (!out) return null;
    return { alert: JSON.parse(out) as Alert, before: JSON.parse(raw!) as Alert, progress: praw ? (JSON.parse(praw) as EscalationProgress) : null };
  }
  /**
   * keeps value, threshold and texts of an open alert current (texts per severity, see
   * alertRefresh.lua); true when it wrote (something changed)
   */
  async refresh(alertId: string, value: number, texts: Partial<Record<Alert['severity'], RefreshedTexts>>): Promise<boolean> {
    return Number(await this.redis.alertRefresh(this.keys.alertItems(), alertId, String(value), JSON.stringify(texts))) === 1;
  }
  /** stores a resolved alert as given; only for a resolved one, which no other step writes */
  async putResolved(alert: Alert): Promise<void> {
    if (alert.state !== 'resolved') throw new Error(`putResolved: alert ${alert.id} is ${alert.state}`);
    await this.redis.hset(this.keys.alertItems(), alert.id, JSON.stringify(alert));
  }
  async acknowledge(alertId: string, by: string, atIso: string, note: string | undefined) {
    const [code, raw] = await this.redis.alertAck(this.keys.alertItems(), alertId, by, atIso, note ?? '');
    return { code: Number(code) as 0 | 1 | 2, alert: raw ? (JSON.parse(raw) as Alert) : null };
  }

  async alert(id: string): Promise<Alert | null> {
    const raw = await this.redis.hget(this.keys.alertItems(), id);
    return raw ? (JSON.parse(raw) as Alert) : null;
  }
  async alerts(): Promise<Alert[]> {
    return Object.values(await this.redis.hgetall(this.keys.alertItems())).map((v) => JSON.parse(v) as Alert);
  }
  async deleteAlerts(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.redis.hdel(this.keys.alertItems(), ...ids);
  }

  async escalations(): Promise<Map<string, EscalationProgress>> {
    const all = await this.redis.hgetall(this.keys.alertEscalation());
    return new Map(Object.entries(all).map(([k, v]) => [k, JSON.parse(v) as EscalationProgress]));
  }
  async saveEscalation(alertId: string, p: EscalationProgress): Promise<void> {
    await this.redis.hset(this.keys.alertEscalation(), alertId, JSON.stringify(p));
  }

  // --- streams --------------------------------------------------------------------------------
  async appendHistory(type: HistoryType, alert: Alert, nowMs: number): Promise<void> {
    await this.xadd(
      this.keys.alertHistory(),
      nowMs,
      ['type', type, 'at', new Date(nowMs).toISOString(), 'alert', JSON.stringify(alert)],
      ['MAXLEN', '~', String(this.retention.historyMaxEntries)],
    );
  }
  async history(fromMs: number, toMs: number, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.redis.xrange(this.keys.alertHistory(), String(fromMs), String(toMs), 'COUNT', limit);
    return rows.map(([, f]) => ({
      at: field(f, 'at') ?? '',
      type: field(f, 'type') as HistoryType,
      alert: JSON.parse(field(f, 'alert') ?? '{}') as Alert,
    }));
  }
  async recordAttempt(a: Omit<NotificationAttempt, 'id'>, nowMs: number): Promise<void> {
    await this.xadd(this.keys.alertNotify(), nowMs, ['json', JSON.stringify(a)], ['MAXLEN', '~', '200000']);
  }
  async attempts(alertId: string | undefined, limit: number): Promise<NotificationAttempt[]> {
    const rows = await this.redis.xrevrange(this.keys.alertNotify(), '+', '-', 'COUNT', alertId ? 50_000 : limit);
    const out: NotificationAttempt[] = [];
    for (const [id, f] of rows) {
      const a = { ...(JSON.parse(field(f, 'json') ?? '{}') as NotificationAttempt), id };
      if (!alertId || a.alertId === alertId) out.push(a);
      if (out.length >= limit) break;
    }
    return out;
  }
  /** time-based retention of the history and attempt streams (XTRIM MINID, approximate) */
  async trim(nowMs: number): Promise<void> {
    const minId = String(nowMs - this.retention.historyDays * 86_400_000);
    await this.redis
      .multi()
      .xtrim(this.keys.alertHistory(), 'MINID', '~', minId)
      .xtrim(this.keys.alertNotify(), 'MINID', '~', minId)
      .exec();
  }

  /**
   * Entry ids carry the application clock's milliseconds so history ranges follow the injected
   * clock; if that clock is behind the stream's last id (clock skew between processes) Redis
   * refuses the explicit id and the entry gets a server-time id instead.
   */
  private async xadd(key: string, nowMs: number, fields: string[], trim: string[]): Promise<void> {
    try {
      await this.redis.xadd(key, ...(trim as ['MAXLEN', '~', string]), `${Math.floor(nowMs)}-*`, ...fields);
    } catch (err) {
      if (!/equal or smaller/i.test((err as Error).message)) throw err;
      await this.redis.xadd(key, ...(trim as ['MAXLEN', '~', string]), '*', ...fields);
    }
  }

  // --- forecast -------------------------------------------------------------------------------
  /** kept until 40 days after its date (a forecast may be uploaded weeks ahead), uploaded at `nowMs` */
  async putForecast(fc: ForecastPut, nowMs: number): Promise<void> {
    const dateEnd = Date.parse(`${fc.date}T00:00:00Z`) + 2 * 86_400_000; // the date's end in any zone
    const ttlSec = Math.ceil((Math.max(dateEnd, nowMs) - nowMs) / 1000) + 40 * 86_400;
    await this.redis.set(this.keys.alertForecast(fc.center, fc.date), JSON.stringify(fc), 'EX', ttlSec);
  }
  async forecast(center: string, date: string): Promise<ForecastPut | null> {
    const raw = await this.redis.get(this.keys.alertForecast(center, date));
    return raw ? (JSON.parse(raw) as ForecastPut) : null;
  }
}

function field(fields: string[], name: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
