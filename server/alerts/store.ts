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
 * Lua script, so each step happens once. A resolved alert is final for all of them.
 * Alert JSON has no arrays, so cjson's re-encoding ({} vs []) cannot change its shape.
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
 * Open an alert: the open slot (HSETNX), the alert and its escalation progress in one step, so a
 * process dying in between never leaves an open slot without its alert. 1 = opened.
 */
const openLua = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 1`;

/**
 * Claim the "raised" announcement of an alert that was opened but not yet announced
 * (progress.announced == false). Only one caller ever gets 1, so the raise is notified once even
 * when the process that opened it died before notifying, or two evaluations overlap. The claim
 * writes the "raised" history entry in the same step: a claimer slowed down after it cannot
 * record "raised" after an overlapping evaluation's "resolved" (which needs the claim done, or
 * takes the announcement itself). ARGV[2..5] = entry id, at, alert JSON, MAXLEN; an id below
 * the stream's last (clock skew) falls back to a server-time id, as AlertStore.xadd does.
 */
const claimAnnouncementLua = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local p = cjson.decode(raw)
if p.announced ~= false then return 0 end
local added = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], ARGV[2], 'type', 'raised', 'at', ARGV[3], 'alert', ARGV[4])
if type(added) == 'table' and added.err then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', 'raised', 'at', ARGV[3], 'alert', ARGV[4])
end
p.announced = true
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1`;

/**
 * Warning → critical, once: applies only while the stored alert is an open warning, so a second
 * evaluation holding a stale tracker (overlapping leases) gets nil and announces nothing. An
 * acknowledged warning fires again (its acknowledgement is dropped); the escalation clock restarts
 * at the upgrade (level kept) and the upgrade's notification counts as the announcement.
 */
const upgradeLua = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local a = cjson.decode(raw)
if a.state == 'resolved' or a.severity ~= 'warning' then return false end
local p = cjson.decode(ARGV[2])
for k, v in pairs(p) do a[k] = v end
a.severity = 'critical'
a.state = 'firing'
a.acknowledgedBy = nil
a.acknowledgedAt = nil
a.note = nil
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
local praw = redis.call('HGET', KEYS[2], ARGV[1])
local level = a.escalationLevel or 0
if praw then level = cjson.decode(praw).level or level end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({level = level, levelSince = tonumber(ARGV[3]), lastNotifiedAt = tonumber(ARGV[3]), announced = true}))
return out`;

/**
 * Escalation compare-and-set: moves level ARGV[2] → ARGV[3] only if the stored progress is still
 * at ARGV[2] and the alert is firing; only the evaluation that made the move gets the alert back
 * (and notifies).
 */
const escalateLua = `
local praw = redis.call('HGET', KEYS[2], ARGV[1])
if not praw then return false end
local p = cjson.decode(praw)
if tonumber(p.level) ~= tonumber(ARGV[2]) then return false end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
local a = cjson.decode(raw)
if a.state ~= 'firing' then return false end
a.escalationLevel = tonumber(ARGV[3])
a.updatedAt = ARGV[5]
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
p.level = tonumber(ARGV[3])
p.levelSince = tonumber(ARGV[4])
p.lastNotifiedAt = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(p))
return out`;

/**
 * Re-notify compare-and-set on the progress (level, lastNotifiedAt) and, like escalateLua, only
 * while the alert is firing: an acknowledgement (or resolution) landing after the caller read the
 * alert stops the re-notify. Returns the alert as it is now to the one caller that re-notifies.
 */
const renotifyLua = `
local praw = redis.call('HGET', KEYS[2], ARGV[1])
if not praw then return false end
local p = cjson.decode(praw)
if tonumber(p.level) ~= tonumber(ARGV[2]) or tonumber(p.lastNotifiedAt) ~= tonumber(ARGV[3]) then return false end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return false end
if cjson.decode(raw).state ~= 'firing' then return false end
p.lastNotifiedAt = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(p))
return raw`;

/**
 * Resolve in one step: mark the alert resolved, free its open slot (only if the slot still names
 * this alert: a successor may hold it), drop its escalation progress. Answers {alert, progress,
 * alert before} when this call resolved it, {} when it was resolved already (or is missing).
 * Dropping the progress also takes an unclaimed "raised" announcement (claimAnnouncementLua finds
 * no progress afterwards): the caller announces it, once.
 */
const resolveLua = `
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
local praw = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return {} end
local a = cjson.decode(raw)
if a.state == 'resolved' then return {} end
local p = cjson.decode(ARGV[3])
for k, v in pairs(p) do a[k] = v end
a.state = 'resolved'
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return {out, praw or '', raw}`;

/**
 * Keep an open alert's figure and text current (escalations and re-notifications quote them).
 * ARGV[2] = value, ARGV[3] = {warning: {threshold, message, headline}, critical: {…}}: the text
 * for the stored severity is used, so an evaluation holding a stale tracker cannot write a
 * warning's text onto an alert that turned critical. Nothing is written when nothing changed:
 * numbers are compared with a relative tolerance, because cjson re-encodes them with 14
 * significant digits (1/3 is stored as 0.33333333333333 and never equals it again).
 */
const refreshLua = `
local function same(x, y)
  if type(x) ~= 'number' or type(y) ~= 'number' then return x == y end
  return math.abs(x - y) <= 1e-12 * math.max(1, math.abs(x), math.abs(y))
end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if a.state == 'resolved' then return 0 end
local v = tonumber(ARGV[2])
local texts = cjson.decode(ARGV[3])
local t = texts[a.severity]
local changed = not same(a.value, v)
a.value = v
if t then
  if not same(a.threshold, t.threshold) or cjson.encode(a.message) ~= cjson.encode(t.message) then changed = true end
  a.threshold = t.threshold
  a.message = t.message
  a.headline = t.headline
end
if not changed then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1`;

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

  /** Creates the alert unless one is already open for this key (then returns false). */
  async open(key: string, alert: Alert, progress: EscalationProgress): Promise<boolean> {
    const k = this.keys;
    const won = await this.redis.eval(openLua, 3, k.alertOpen(), k.alertItems(), k.alertEscalation(), key, alert.id, JSON.stringify(alert), JSON.stringify(progress));
    return Number(won) === 1;
  }
  /**
   * true for exactly one caller per alert opened with `announced: false`; that call also writes
   * the alert's "raised" history entry (see claimAnnouncementLua)
   */
  async claimAnnouncement(alert: Alert, nowMs: number): Promise<boolean> {
    const k = this.keys;
    return (
      Number(
        await this.redis.eval(
          claimAnnouncementLua, 2, k.alertEscalation(), k.alertHistory(),
          alert.id, `${Math.floor(nowMs)}-*`, new Date(nowMs).toISOString(), JSON.stringify(alert), String(this.retention.historyMaxEntries),
        ),
      ) === 1
    );
  }
  /** warning → critical; null when it is not (or no longer) an open warning */
  async upgrade(alertId: string, patch: Partial<Alert>, nowMs: number): Promise<Alert | null> {
    const out = (await this.redis.eval(upgradeLua, 2, this.keys.alertItems(), this.keys.alertEscalation(), alertId, JSON.stringify(patch), String(nowMs))) as string | null;
    return out ? (JSON.parse(out) as Alert) : null;
  }
  /** level `from` → `to`; null unless this call made the move */
  async escalateStep(alertId: string, from: number, to: number, nowMs: number): Promise<Alert | null> {
    const out = (await this.redis.eval(
      escalateLua, 2, this.keys.alertItems(), this.keys.alertEscalation(),
      alertId, String(from), String(to), String(nowMs), new Date(nowMs).toISOString(),
    )) as string | null;
    return out ? (JSON.parse(out) as Alert) : null;
  }
  /**
   * The alert (as stored now) when this call moved lastNotifiedAt from `prev` to `nowMs` (at
   * `level`) while it is firing; null otherwise (another evaluation did, or it was acknowledged
   * or resolved since the caller read it)
   */
  async renotifyStep(alertId: string, level: number, prev: number, nowMs: number): Promise<Alert | null> {
    const out = (await this.redis.eval(
      renotifyLua, 2, this.keys.alertItems(), this.keys.alertEscalation(),
      alertId, String(level), String(prev), String(nowMs),
    )) as string | null;
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
    const [out, praw, raw] = (await this.redis.eval(resolveLua, 3, k.alertItems(), k.alertOpen(), k.alertEscalation(), alertId, key, JSON.stringify(patch))) as [string?, string?, string?];
    if (!out) return null;
    return { alert: JSON.parse(out) as Alert, before: JSON.parse(raw!) as Alert, progress: praw ? (JSON.parse(praw) as EscalationProgress) : null };
  }
  /**
   * keeps value, threshold and texts of an open alert current (texts per severity, see
   * refreshLua); true when it wrote (something changed)
   */
  async refresh(alertId: string, value: number, texts: Partial<Record<Alert['severity'], Pick<Alert, 'threshold' | 'message' | 'headline'>>>): Promise<boolean> {
    return Number(await this.redis.eval(refreshLua, 1, this.keys.alertItems(), alertId, String(value), JSON.stringify(texts))) === 1;
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
