import type { Redis } from 'ioredis';
import type { Alert, AuditRecord, ForecastPut, NotificationAttempt, ThresholdsDocument } from '../../shared/contract/alerts.ts';
import type { Keys } from '../redis/keys.ts';
import type { Tracker } from './hysteresis.ts';
import type { EscalationProgress } from './escalation.ts';

/**
 * Alert persistence in Redis (all keys under the `{<prefix>:alerts}` tag, see keys.ts).
 * The few read-modify-write steps that another process may race (acknowledge from any server vs
 * the evaluator updating the same alert, the thresholds version check, the lease) are small Lua
 * scripts; everything else is written by the single lease holder.
 */

/** Holder renews, anybody takes an expired lease. 1 = you hold it. */
const leaseLua = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const releaseLua = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Merge a patch into a stored alert. A resolved alert is final: the merge changes nothing and
 * answers nil, as for a missing one, so a caller never announces a change twice (an evaluator
 * whose lease ran out mid-evaluation resolving what its successor resolved). An acknowledged alert
 * never goes back to firing (the evaluator may hold a copy read before the acknowledgement), except
 * when a warning turns critical: a new severity needs its own acknowledgement, and escalation
 * starts from it; the earlier acknowledgement is dropped.
 * Alert JSON has no arrays, so cjson's re-encoding ({} vs []) cannot change its shape.
 */
const mergeLua = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local a = cjson.decode(raw)
if a.state == 'resolved' then return false end
local p = cjson.decode(ARGV[2])
local rearm = a.state == 'acknowledged' and p.state == 'firing' and a.severity == 'warning' and p.severity == 'critical'
for k, v in pairs(p) do
  if not (k == 'state' and a.state == 'acknowledged' and v == 'firing' and not rearm) then a[k] = v end
end
if rearm then
  a.acknowledgedBy = nil
  a.acknowledgedAt = nil
  a.note = nil
end
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out`;

/** 0 = no such alert, 1 = not firing (unchanged), 2 = acknowledged now */
const ackLua = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {0, ''} end
local a = cjson.decode(raw)
if a.state ~= 'firing' then return {1, raw} end
a.state = 'acknowledged'
a.acknowledgedBy = ARGV[2]
a.acknowledgedAt = ARGV[3]
a.updatedAt = ARGV[3]
if ARGV[4] ~= '' then a.note = ARGV[4] end
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return {2, out}`;

/** Thresholds compare-and-set: node builds the new document, Lua checks nobody saved in between. */
const putRulesLua = `
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(cjson.decode(cur).version) end
if v ~= tonumber(ARGV[1]) then return {0, v} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', ARGV[3], 'json', ARGV[4])
return {1, v}`;

export type HistoryType = 'raised' | 'updated' | 'escalated' | 'acknowledged' | 'resolved';
export interface HistoryEntry {
  at: string;
  type: HistoryType;
  alert: Alert;
}

export class AlertStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly retention: { historyDays: number; historyMaxEntries: number },
  ) {}

  async acquireLease(holder: string, ms: number): Promise<boolean> {
    return Number(await this.redis.eval(leaseLua, 1, this.keys.alertLease(), holder, String(ms))) === 1;
  }
  async releaseLease(holder: string): Promise<void> {
    await this.redis.eval(releaseLua, 1, this.keys.alertLease(), holder);
  }

  // --- thresholds ----------------------------------------------------------------------------
  async rulesDocument(): Promise<ThresholdsDocument | null> {
    const raw = await this.redis.get(this.keys.alertRules());
    return raw ? (JSON.parse(raw) as ThresholdsDocument) : null;
  }
  /** false when the stored version is no longer `basedOnVersion` */
  async putRules(doc: ThresholdsDocument, basedOnVersion: number, audit: AuditRecord, nowMs: number): Promise<boolean> {
    const [ok] = (await this.redis.eval(
      putRulesLua,
      2,
      this.keys.alertRules(),
      this.keys.alertAudit(),
      String(basedOnVersion),
      JSON.stringify(doc),
      `${nowMs}-*`,
      JSON.stringify(audit),
    )) as [number, number];
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

  /** Creates the alert unless one is already open for this key (then returns null). */
  async open(key: string, alert: Alert, progress: EscalationProgress): Promise<boolean> {
    const won = await this.redis.hsetnx(this.keys.alertOpen(), key, alert.id);
    if (won !== 1) return false;
    await this.redis
      .multi()
      .hset(this.keys.alertItems(), alert.id, JSON.stringify(alert))
      .hset(this.keys.alertEscalation(), alert.id, JSON.stringify(progress))
      .exec();
    return true;
  }
  async close(key: string, alertId: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.alertOpen(), key).hdel(this.keys.alertEscalation(), alertId).exec();
  }

  async merge(alertId: string, patch: Partial<Alert>): Promise<Alert | null> {
    const out = (await this.redis.eval(mergeLua, 1, this.keys.alertItems(), alertId, JSON.stringify(patch))) as string | null;
    return out ? (JSON.parse(out) as Alert) : null;
  }
  async acknowledge(alertId: string, by: string, atIso: string, note: string | undefined) {
    const [code, raw] = (await this.redis.eval(ackLua, 1, this.keys.alertItems(), alertId, by, atIso, note ?? '')) as [
      number,
      string,
    ];
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
