import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import {
  escalationPolicy,
  defaultEscalationPolicy,
  type Alert,
  type AlertChangeType,
  type AlertRule,
  type AlertsConfig,
  type EscalationPolicy,
  type SpikeRuleStatus,
  type ThresholdsDocument,
} from '../../shared/contract/alerts.ts';
import { centerTimeZone, type AppConfig } from '../../shared/contract/config.ts';
import type { Clock } from '../clock.ts';
import type { Keys } from '../redis/keys.ts';
import type { MetricEngine } from '../metrics/types.ts';
import { AlertBus } from './bus.ts';
import { defaultRules } from './defaults.ts';
import { nextEscalation, type EscalationProgress } from './escalation.ts';
import { initialTracker, step, type Tracker } from './hysteresis.ts';
import { alertHeadline, alertMessage, resolvedTexts, scopeNamesFrom, type AlertEnding, type ScopeNames } from './messages.ts';
import { alertScopeOf, daysWithArrivals, queryFigures, resolverFor, spikeBaseline, type ResolveContext, type Subject } from './metrics.ts';
import type { RefreshedTexts } from './store.ts';
import { addDays, armingDate, fallbackLookbackDays, fallbackMinDays, localInstant } from './baseline.ts';
import { intervalMs, localDate } from '../../shared/metrics/windows.ts';
import { sealGeneration } from '../realtime/trend.ts';
import { NotificationDispatcher } from './notify/dispatcher.ts';
import type { NotificationKind } from './notify/payloads.ts';
import { effectiveRule, localTime } from './schedule.ts';
import { AlertStore } from './store.ts';

export interface AlertServiceDeps {
  redis: Redis;
  keys: Keys;
  config: AppConfig;
  clock: Clock;
  log: FastifyBaseLogger;
  engine(): MetricEngine | undefined;
  dispatcher?: NotificationDispatcher;
}

export interface EvaluationResult {
  evaluated: boolean;
  raised: number;
  resolved: number;
  escalated: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
/** equal as stored: cjson keeps 14 significant digits of a number it re-encodes */
const sameNumber = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x), Math.abs(y));

/**
 * The alert evaluator and lifecycle. `evaluateOnce(now)` is the whole cycle — take/renew the
 * lease, resolve every rule's values, step the hysteresis trackers, open/upgrade/resolve alerts,
 * escalate and re-notify — so tests drive it with a fake clock and the timer in start() only
 * calls it. Only the lease holder evaluates, so N server processes produce one alert.
 */
export class AlertService {
  readonly store: AlertStore;
  readonly bus: AlertBus;
  readonly dispatcher: NotificationDispatcher;
  readonly holderId = randomBytes(8).toString('hex');
  private readonly cfg: AlertsConfig;
  private readonly policies: Map<string, EscalationPolicy>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private evaluations = 0;

  private readonly names: ScopeNames;

  constructor(private readonly deps: AlertServiceDeps) {
    this.names = scopeNamesFrom(deps.config);
    this.cfg = deps.config.alerts;
    this.store = new AlertStore(deps.redis, deps.keys, this.cfg);
    this.bus = new AlertBus(deps.redis, deps.keys.alertChanges());
    this.policies = new Map(this.cfg.escalation.policies.map((p) => [p.id, p]));
    if (!this.policies.has('default')) this.policies.set('default', escalationPolicy.parse(defaultEscalationPolicy));
    this.dispatcher =
      deps.dispatcher ??
      new NotificationDispatcher({
        notify: this.cfg.notify,
        ...(this.cfg.smtp ? { smtp: this.cfg.smtp } : {}),
        now: () => deps.clock.now(),
        record: (a) => this.store.recordAttempt(a, deps.clock.now()),
        alertState: async (id) => (await this.store.alert(id))?.state ?? null,
        log: deps.log,
      });
  }

  // --- loop ------------------------------------------------------------------------------------
  /**
   * Evaluations skipped until resumeEvaluation (the demo posts hours of history first: an agent's
   * state of two hours ago is "now" until the rest arrives, and would raise not-ready alerts that
   * resolve a few seconds later). The timer keeps running; a paused tick does nothing. Resolves once
   * an evaluation already running has finished (the first starts when the server is ready and may
   * still be reading when the history begins), and the start-up spike-arming check with it: it
   * would otherwise read a half-posted back-fill and log "not armed (has 1)" in the middle of it.
   */
  async pauseEvaluation(): Promise<void> {
    this.paused = true;
    await this.running;
    await this.arming;
  }
  resumeEvaluation(): void {
    this.paused = false;
  }
  private paused = false;

  start(): void {
    const tick = () => {
      if (this.running || this.paused) return;
      this.running = this.evaluateOnce(this.deps.clock.now())
        .catch((err) => this.deps.log.warn({ err: (err as Error).message }, 'alert evaluation failed'))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.cfg.evaluateEverySec * 1000);
    this.timer.unref?.();
    tick();
    if (this.cfg.enabled) {
      // held so that stop() lets it finish: a Ctrl-C during start-up otherwise closed Redis under it
      // and logged a warning that read as a fault
      this.arming = this.logSpikeArming(this.deps.clock.now()).then(
        () => undefined,
        (err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'traffic-spike arming could not be checked'),
      );
    }
  }

  private arming: Promise<void> | undefined;

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.arming;
    await this.store.releaseLease(this.holderId).catch(() => {});
    // a bounded grace for what is queued or sending; whatever is left is recorded as dropped
    await this.dispatcher.close();
  }

  // --- rules ------------------------------------------------------------------------------------
  async rules(): Promise<ThresholdsDocument> {
    const stored = await this.store.rulesDocument();
    if (stored) return stored;
    return { version: 0, updatedAt: null, updatedBy: null, rules: this.cfg.rules ?? defaultRules(this.deps.config) };
  }

  policyFor(rule: Pick<AlertRule, 'policy'>): EscalationPolicy {
    return this.policies.get(rule.policy) ?? this.policies.get('default')!;
  }
  hasPolicy(id: string): boolean {
    return this.policies.has(id);
  }
  policyIds(): string[] {
    return [...this.policies.keys()];
  }

  timeZone(center: string): string {
    return centerTimeZone(this.deps.config, center);
  }

  // --- evaluation -------------------------------------------------------------------------------
  async evaluateOnce(nowMs: number): Promise<EvaluationResult> {
    const result: EvaluationResult = { evaluated: false, raised: 0, resolved: 0, escalated: 0 };
    if (!this.cfg.enabled) return result;
    if (!(await this.store.acquireLease(this.holderId, this.cfg.leaseMs))) return result;
    const engine = this.deps.engine();
    if (!engine) return result;
    result.evaluated = true;

    const [doc, trackers, open] = await Promise.all([this.rules(), this.store.trackers(), this.store.openAlerts()]);
    const changed = new Map<string, Tracker>();
    const removed: string[] = [];
    const ctx = this.context(engine, nowMs, doc.rules);

    const ruleIds = new Set(doc.rules.map((r) => r.id));
    const ruleOf = (key: string) => key.slice(0, key.indexOf('|'));
    for (const rule of doc.rules) {
      const eff = effectiveRule(rule, nowMs, this.timeZone(rule.scope.center));
      let subjects: Subject[] = [];
      let exhaustive = true;
      if (eff.enabled) {
        try {
          ({ subjects, exhaustive } = await resolverFor(rule.metric)(ctx, rule));
        } catch (err) {
          // leave this rule's trackers untouched: an engine hiccup must not resolve or raise anything
          this.deps.log.warn({ err: (err as Error).message, rule: rule.id }, 'alert rule could not be evaluated');
          continue;
        }
      }
      const seen = new Set<string>();
      for (const s of subjects) {
        const key = `${rule.id}|${s.key}`;
        seen.add(key);
        const stored = trackers.get(key);
        const openId = open.get(key);
        // The trackers are saved at the end of an evaluation, so one that failed midway leaves them
        // out of step with the open alerts, either way round: an open alert is judged as active
        // whatever its stored tracker says (it was opened, the tracker not saved: see adopt()), and
        // an "active" tracker without an open alert starts afresh (its alert was resolved, the
        // tracker not saved), or a new breach of that subject would never fire.
        const orphaned = !openId && stored?.phase === 'active';
        const prev =
          (openId && stored?.phase !== 'active' ? await this.adopt(openId) : undefined) ?? (orphaned ? undefined : stored) ?? initialTracker;
        const { next, transition } = step(prev, eff.levels, s.value, nowMs);
        if (next.phase === 'ok') {
          if (stored) removed.push(key);
        } else if (JSON.stringify(next) !== JSON.stringify(stored ?? initialTracker)) changed.set(key, next);

        if (transition.kind === 'fire') {
          if (await this.raise(key, rule, s, transition.severity, transition.threshold, nowMs)) result.raised++;
        } else if (transition.kind === 'upgrade' && openId) {
          await this.upgrade(openId, rule, s, transition.threshold, nowMs);
        } else if (transition.kind === 'resolve' && openId) {
          const ending: AlertEnding = s.value === null ? { kind: 'noData' } : { kind: 'cleared', value: s.value, ...(s.facts ? { facts: s.facts } : {}) };
          if (await this.resolve(key, openId, rule, ending, nowMs)) result.resolved++;
        } else if (openId && next.phase === 'active' && s.value !== null) {
          // the figure and the text quoted by escalations and re-notifications stay current
          await this.store.refresh(openId, s.value, this.texts(rule, s, eff.levels));
        }
      }
      if (exhaustive) {
        // subjects that disappeared (agent left the state, rule disabled): cleared — those with a
        // tracker and those with an open alert (whose tracker an evaluation failed to save)
        const ending: AlertEnding = eff.enabled
          ? { kind: 'gone' }
          : rule.enabled
            ? { kind: 'offSchedule', schedule: eff.schedule }
            : { kind: 'disabled' };
        for (const key of new Set([...trackers.keys(), ...open.keys()])) {
          if (ruleOf(key) !== rule.id || seen.has(key)) continue;
          if (trackers.has(key)) removed.push(key);
          const openId = open.get(key);
          if (openId) {
            if (await this.resolve(key, openId, rule, ending, nowMs)) result.resolved++;
          }
        }
      }
    }
    // rules deleted by an admin: their alerts resolve, their trackers go
    for (const key of new Set([...trackers.keys(), ...open.keys()])) {
      if (ruleIds.has(ruleOf(key))) continue;
      if (trackers.has(key)) removed.push(key);
      const openId = open.get(key);
      if (openId) {
        if (await this.resolve(key, openId, undefined, { kind: 'deleted' }, nowMs)) result.resolved++;
      }
    }
    await this.store.saveTrackers(changed, removed);
    result.escalated = await this.escalate(doc.rules, nowMs);
    if (this.evaluations++ % 60 === 0) await this.housekeeping(nowMs);
    return result;
  }

  /** what a resolver reads, with a cache for one evaluation (or one status request) */
  private context(engine: MetricEngine, nowMs: number, rules: readonly AlertRule[]): ResolveContext {
    const memo = new Map<string, Promise<unknown>>();
    return {
      engine,
      redis: this.deps.redis,
      keys: this.deps.keys,
      config: this.deps.config,
      alerts: this.cfg,
      nowMs,
      timeZone: (c) => this.timeZone(c),
      memo: <T>(key: string, compute: () => Promise<T>) => {
        let p = memo.get(key) as Promise<T> | undefined;
        if (!p) memo.set(key, (p = compute()));
        return p;
      },
      rules,
    };
  }

  // --- traffic-spike arming -------------------------------------------------------------------
  /**
   * Whether each traffic-spike rule (arrivalsVsBaseline) can raise an alert now, against which
   * baseline, and if not why and from when (GET /api/v1/alerts/rules/status). A new install, queue
   * or center has no same-weekday history for minWeeks weeks: the rule then falls back to recent
   * days of the same kind, and until those exist it cannot fire; nobody is to think it would.
   */
  async spikeStatus(nowMs: number, center?: string): Promise<SpikeRuleStatus[]> {
    const engine = this.deps.engine();
    const doc = await this.rules();
    const rules = doc.rules.filter((r) => r.metric === 'arrivalsVsBaseline' && (!center || r.scope.center === center));
    if (!engine || rules.length === 0) return [];
    const ctx = this.context(engine, nowMs, doc.rules);
    const quarter = Math.floor(nowMs / intervalMs);
    const generations = new Map<string, Promise<string>>();
    const out: SpikeRuleStatus[] = [];
    for (const rule of rules) {
      const c = rule.scope.center;
      if (!generations.has(c)) generations.set(c, sealGeneration(this.deps.redis, this.deps.keys, c));
      const generation = await generations.get(c)!;
      const inForce = effectiveRule(rule, nowMs, this.timeZone(c)).enabled;
      const key = `${JSON.stringify(rule)}|${inForce}`;
      const kept = this.spikeStatusMemo.get(key);
      if (kept && kept.quarter === quarter && kept.generation === generation) {
        out.push(kept.status);
        continue;
      }
      const status = await this.spikeRuleStatus(ctx, rule);
      this.spikeStatusMemo.set(key, { quarter, generation, status });
      out.push(status);
    }
    for (const [key, kept] of this.spikeStatusMemo) if (kept.quarter !== quarter) this.spikeStatusMemo.delete(key);
    return out;
  }
  /**
   * Each lead console asks every 5 minutes, and a rule without a baseline reads up to
   * fallbackLookbackDays whole days per scope to say why. The answer is kept per rule (its whole
   * definition, and whether its schedule has it in force) until the next quarter hour or until data
   * for a past bucket arrives (the center's seal generation moves: a replay, a back-fill, a late
   * event; live in-order traffic does not move it). Trade-off: within a quarter the figures in the
   * answer (reference, armed at the very start of a busy period) can be up to 15 minutes old.
   */
  private readonly spikeStatusMemo = new Map<string, { quarter: number; generation: string; status: SpikeRuleStatus }>();

  private async spikeRuleStatus(ctx: ResolveContext, rule: AlertRule): Promise<SpikeRuleStatus> {
    const { minWeeks, minBaselineArrivals, fallbackDays } = this.cfg.spike;
    const tz = this.timeZone(rule.scope.center);
    const nowMs = ctx.nowMs;
    const b = await spikeBaseline(ctx, rule);
    const inForce = effectiveRule(rule, nowMs, tz).enabled;
    const baseline =
      b.kind === null
        ? null
        : { kind: b.kind, samples: b.samples, ...(b.kind === 'recentDays' ? { dayKind: b.dayKind } : {}), reference: Math.round(b.reference * 10) / 10 };
    const base: SpikeRuleStatus = {
      rule: rule.id,
      metric: rule.metric,
      scope: alertScopeOf(rule),
      inForce,
      armed: false,
      baseline,
      dayKind: b.today,
      weeksWithData: b.kind === 'weekday' ? b.samples : b.weeks,
      daysWithData: b.kind === 'recentDays' ? b.samples : b.kind === null ? b.days : 0,
      armedFrom: null,
      armedFromLocal: null,
    };
    const kindWords = b.today === 'weekend' ? { zh: '周末日', en: 'weekend days' } : { zh: '工作日', en: 'working days' };
    if (b.kind !== null && b.reference >= minBaselineArrivals) {
      if (inForce) return { ...base, armed: true };
    }
    if (!inForce) {
      return { ...base, reason: { code: 'notInForce', text: { zh: '规则已停用或当前时段不生效', en: 'rule disabled or not in force now (schedule)' } } };
    }
    if (b.kind !== null) {
      const ref = Math.round(b.reference * 10) / 10;
      return {
        ...base,
        reason: {
          code: 'lowBaseline',
          text: {
            zh: `此时段基线 ${ref} 低于最低值 ${minBaselineArrivals}，此时段不判断话务激增`,
            en: `baseline ${ref} arrivals below the minimum ${minBaselineArrivals} at this time of day`,
          },
        },
      };
    }
    // no baseline at this time of day: too little history at all, or only quiet at this hour?
    const fallback = fallbackDays >= fallbackMinDays;
    const lookback = fallback ? fallbackLookbackDays : 7 * minWeeks;
    const days = await daysWithArrivals(ctx, rule, lookback);
    const today = localDate(nowMs, tz);
    const todayCounts = (await queryFigures(ctx, rule, 'today')).arrivals > 0;
    const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();
    const sameWeekday = days.filter((d) => weekday(d.date) === weekday(today)).length;
    const sameKind = days.filter((d) => d.kind === b.today).length;
    const enough = fallback ? sameKind >= fallbackMinDays : sameWeekday >= minWeeks;
    if (enough) {
      return {
        ...base,
        reason: {
          code: 'quiet',
          text: {
            zh: `近期${kindWords.zh}此时段无进线，无可比基线（有进线的时段照常判断）`,
            en: `no arrivals at this time of day on recent ${kindWords.en}: nothing to compare with (busier times of day are judged)`,
          },
        },
      };
    }
    const date = fallback
      ? armingDate(today, b.today, sameKind, todayCounts, fallbackMinDays)
      : addDays(today, 7 * Math.max(1, minWeeks - sameWeekday - (todayCounts ? 1 : 0)));
    const at = date === null ? null : this.armingInstant(rule.scope.center, date, nowMs);
    const when = at ? { zh: `；预计 ${at.local}（当地时间）起生效`, en: `; armed from ${at.local} local` } : { zh: '', en: '' };
    const text = fallback
      ? {
          zh: `历史数据不足：需至少${fallbackMinDays}个${kindWords.zh}的历史（现有${sameKind}个），同星期基线需${minWeeks}周（现有${base.weeksWithData}周）${when.zh}`,
          en: `not enough history: needs ${fallbackMinDays} ${kindWords.en} of history (has ${sameKind}), or ${minWeeks} weeks for the same-weekday baseline (has ${base.weeksWithData})${when.en}`,
        }
      : {
          zh: `历史数据不足：同星期基线需${minWeeks}周（现有${sameWeekday}周），未启用近期基线（spike.fallbackDays 为 0）${when.zh}`,
          en: `not enough history: the same-weekday baseline needs ${minWeeks} weeks (has ${sameWeekday}); no recent-days fallback (spike.fallbackDays is 0)${when.en}`,
        };
    return { ...base, reason: { code: 'history', text }, armedFrom: at ? iso(at.ms) : null, armedFromLocal: at?.local ?? null };
  }

  /**
   * The instant on local `date` the rule is expected to be armed: the center's opening time, or
   * without opening hours the local clock time of now (the stretch the status was asked about).
   */
  private armingInstant(center: string, date: string, nowMs: number): { ms: number; local: string } {
    const tz = this.timeZone(center);
    const open = this.deps.config.centers.find((c) => c.id === center)?.openingHours?.from;
    const minute = localTime(nowMs, tz).minuteOfDay;
    const hhmm = open ?? `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    const ms = localInstant(date, hhmm, tz);
    return { ms, local: `${date} ${hhmm}` };
  }

  /**
   * One log line per center whose traffic-spike rule cannot fire for lack of history (a new
   * install, queue or center), so an operator learns it at start, not after a missed spike.
   * Returns the lines logged.
   */
  async logSpikeArming(nowMs: number): Promise<string[]> {
    const byCenter = new Map<string, SpikeRuleStatus[]>();
    for (const s of await this.spikeStatus(nowMs)) {
      if (s.reason?.code !== 'history') continue;
      byCenter.set(s.scope.center, [...(byCenter.get(s.scope.center) ?? []), s]);
    }
    const lines: string[] = [];
    for (const [center, list] of byCenter) {
      const line = `traffic-spike alert not armed for center ${center} (${list.map((s) => s.rule).join(', ')}): ${list[0]!.reason!.text.en}`;
      this.deps.log.warn({ center, rules: list.map((s) => s.rule) }, line);
      lines.push(line);
    }
    return lines;
  }

  private async raise(
    key: string,
    rule: AlertRule,
    s: Subject,
    severity: Alert['severity'],
    threshold: number,
    nowMs: number,
  ): Promise<boolean> {
    const alert: Alert = {
      id: `${nowMs.toString(36)}-${randomBytes(4).toString('hex')}`,
      rule: rule.id,
      severity,
      state: 'firing',
      scope: s.scope,
      metric: rule.metric,
      value: s.value,
      threshold,
      startedAt: iso(nowMs),
      updatedAt: iso(nowMs),
      escalationLevel: 0,
      message: alertMessage(rule, s, severity, threshold, this.names),
      headline: alertHeadline(rule, s, threshold, this.names),
      ...(s.baseline ? { baseline: s.baseline } : {}),
    };
    const progress: EscalationProgress = { level: 0, levelSince: nowMs, lastNotifiedAt: nowMs, announced: false };
    if (!(await this.store.open(key, alert, progress))) return false;
    // the claim writes the "raised" history entry in the same step; notify before publishing, so
    // a Redis blip there loses no one's notification. If this process fails before the claim,
    // the next evaluation announces it (or, if it cleared meanwhile, its resolve step does);
    // whoever claims it notifies, records and publishes it.
    if (await this.store.claimAnnouncement(alert, nowMs)) {
      this.notify(rule, alert, [0], 'raised');
      await this.bus.publish({ type: 'raised', alert }); // its history entry came with the claim
    }
    return true;
  }

  /**
   * The tracker of an open alert whose stored tracker is not active: an evaluation that opened it
   * and then failed (before saveTrackers) left none, or "ok". Judged as active from the alert
   * itself, so it resolves when its figure clears (or its subject or rule goes), like any other.
   */
  private async adopt(openId: string): Promise<Tracker | undefined> {
    const alert = await this.store.alert(openId);
    if (!alert || alert.state === 'resolved') return undefined;
    const since = Date.parse(alert.startedAt);
    return { phase: 'active', breachSince: since, ...(alert.severity === 'critical' ? { criticalSince: since } : {}), severity: alert.severity };
  }

  private async upgrade(id: string, rule: AlertRule, s: Subject, threshold: number, nowMs: number): Promise<void> {
    // once only: null when the stored alert is not an open warning any more (an overlapping
    // evaluation upgraded it already); an acknowledged warning fires again (store.ts upgradeLua),
    // and the escalation clock starts when the alert became critical
    const alert = await this.store.upgrade(
      id,
      {
        threshold,
        value: s.value,
        message: alertMessage(rule, s, 'critical', threshold, this.names),
        headline: alertHeadline(rule, s, threshold, this.names),
        ...(s.baseline ? { baseline: s.baseline } : {}),
        updatedAt: iso(nowMs),
      },
      nowMs,
    );
    if (!alert) return;
    this.notify(rule, alert, [alert.escalationLevel], 'raised');
    await this.changed('updated', 'updated', alert, nowMs);
  }

  /**
   * false: it was resolved already (by another evaluator whose lease overlapped this one's).
   * `rule` is the one in hand (undefined: deleted, the default policy); nothing is read from
   * Redis between the resolve step and the notification, so a Redis blip cannot lose it.
   */
  private async resolve(key: string, id: string, rule: AlertRule | undefined, ending: AlertEnding, nowMs: number): Promise<boolean> {
    // the resolved texts quote the alert's severity and threshold: read before the step, so the
    // step stores them with the resolution (the API and history never show the firing text)
    const open = await this.store.alert(id);
    const done = await this.store.resolve(key, id, {
      resolvedAt: iso(nowMs),
      updatedAt: iso(nowMs),
      ...(ending.kind === 'cleared' ? { value: ending.value } : {}),
      ...(open && open.state !== 'resolved' ? resolvedTexts(open, ending, this.names) : {}),
    });
    if (!done) return false;
    const textsStale = !open || done.alert.severity !== open.severity || !sameNumber(done.alert.threshold, open.threshold);
    // an overlapping evaluation turned it critical (or moved its threshold) between the read and
    // the step: the texts follow the alert as resolved, stored again after the notification
    const alert = textsStale ? { ...done.alert, ...resolvedTexts(done.alert, ending, this.names) } : done.alert;
    const { before, progress } = done;
    const policyRule = rule ?? { policy: 'default' };
    const reached = Math.max(alert.escalationLevel, progress?.level ?? 0);
    if (progress?.announced === false) {
      // opened by an evaluation that failed before announcing it, and cleared before the next one
      // did: the resolve step took the announcement with the progress (no claim can follow), so
      // this evaluation tells it was raised and that it is over, and records both, once
      this.notify(policyRule, before, [progress.level], 'raised');
      this.notify(policyRule, alert, Array.from({ length: reached + 1 }, (_, i) => i), 'resolved');
      await this.changed('raised', 'raised', before, nowMs);
    } else {
      // everyone who was told it is on fire hears it is over: every level up to the one reached
      // (escalation climbs one level at a time, each told)
      this.notify(policyRule, alert, Array.from({ length: reached + 1 }, (_, i) => i), 'resolved');
    }
    if (textsStale) {
      // a resolved alert is final (no other step writes it), so a plain write cannot undo anyone's
      await this.store.putResolved(alert).catch((err: unknown) =>
        this.deps.log.warn({ err: (err as Error).message, alert: id }, 'resolved alert texts not stored'),
      );
    }
    await this.changed('resolved', 'resolved', alert, nowMs);
    return true;
  }

  private async escalate(rules: AlertRule[], nowMs: number): Promise<number> {
    const progress = await this.store.escalations();
    let escalated = 0;
    for (const [id, p] of progress) {
      const alert = await this.store.alert(id);
      if (!alert || alert.state === 'resolved') continue;
      const rule = rules.find((r) => r.id === alert.rule);
      if (p.announced === false) {
        // opened by an evaluation that failed before notifying (and still open after this
        // evaluation's rules: not cleared): announce, record and publish it now, once
        if (await this.store.claimAnnouncement(alert, nowMs)) {
          this.notify(rule ?? { policy: 'default' }, alert, [p.level], 'raised');
          await this.bus.publish({ type: 'raised', alert }); // its history entry came with the claim
        }
        continue;
      }
      const policy = this.policyFor(rule ?? { policy: 'default' });
      const action = nextEscalation(alert, p, policy, rule?.escalateAfterSec, nowMs);
      if (action.kind === 'none') continue;
      if (action.kind === 'escalate') {
        // compare-and-set in Redis: only the evaluation that moves level N → N+1 notifies
        const updated = await this.store.escalateStep(id, p.level, action.level, nowMs);
        if (!updated) continue;
        this.notify(rule ?? { policy: 'default' }, updated, [action.level], 'escalated');
        await this.changed('updated', 'escalated', updated, nowMs);
        escalated++;
      } else {
        // compare-and-set on the progress, and only while the alert is still firing (an
        // acknowledgement landing after the read above stops it); the alert as it is now
        const current = await this.store.renotifyStep(id, p.level, p.lastNotifiedAt, nowMs);
        if (current) this.notify(rule ?? { policy: 'default' }, current, [action.level], 'renotify');
      }
    }
    return escalated;
  }

  private async housekeeping(nowMs: number): Promise<void> {
    const keepMs = this.cfg.resolvedKeepHours * 3_600_000;
    const old = (await this.store.alerts())
      .filter((a) => a.state === 'resolved' && a.resolvedAt && nowMs - Date.parse(a.resolvedAt) > keepMs)
      .map((a) => a.id);
    await this.store.deleteAlerts(old);
    await this.store.trim(nowMs);
  }

  private async changed(type: AlertChangeType, history: Parameters<AlertStore['appendHistory']>[0], alert: Alert, nowMs: number) {
    await this.store.appendHistory(history, alert, nowMs);
    await this.bus.publish({ type, alert });
  }

  /**
   * One message per channel of the given levels; a channel listed by several of them hears once,
   * as the highest of those levels (a group robot shared by two levels gets one "resolved").
   */
  private notify(rule: Pick<AlertRule, 'policy'>, alert: Alert, levels: number[], kind: NotificationKind): void {
    const policy = this.policyFor(rule);
    const timeZone = this.timeZone(alert.scope.center);
    const byChannel = new Map<string, number>();
    for (const wanted of levels) {
      const level = Math.min(wanted, policy.levels.length - 1);
      for (const channelId of policy.levels[level]!.channels) byChannel.set(channelId, Math.max(byChannel.get(channelId) ?? 0, level));
    }
    for (const [channelId, level] of byChannel) {
      const channel = this.cfg.channels.find((c) => c.id === channelId);
      if (!channel) continue;
      const lvl = policy.levels[level]!;
      this.dispatcher.enqueue(channel, { kind, alert, level, levelName: lvl.name, recipients: lvl.recipients, levelCount: policy.levels.length, timeZone });
    }
  }

  /** the alert's threshold and texts for the value now, per severity (store.refresh picks one) */
  private texts(rule: AlertRule, s: Subject, levels: { warning: number | null; critical: number | null }) {
    const out: Partial<Record<Alert['severity'], RefreshedTexts>> = {};
    const thresholds = { warning: levels.warning ?? levels.critical, critical: levels.critical };
    for (const sev of ['warning', 'critical'] as const) {
      const t = thresholds[sev];
      if (t === null) continue;
      out[sev] = {
        threshold: t,
        message: alertMessage(rule, s, sev, t, this.names),
        headline: alertHeadline(rule, s, t, this.names),
        // a spike's baseline follows its text (the fallback hands over to the weekday baseline)
        ...(s.baseline ? { baseline: s.baseline } : {}),
      };
    }
    return out;
  }

  // --- acknowledgement --------------------------------------------------------------------------
  /** 'missing' → 404, 'resolved' → 409; acknowledging twice returns the first acknowledgement */
  async acknowledge(
    id: string,
    by: string,
    note: string | undefined,
    nowMs: number,
  ): Promise<{ status: 'ok' | 'missing' | 'resolved'; alert?: Alert }> {
    const { code, alert } = await this.store.acknowledge(id, by, iso(nowMs), note);
    if (code === 0 || !alert) return { status: 'missing' };
    if (alert.state === 'resolved') return { status: 'resolved', alert };
    if (code === 2) await this.changed('updated', 'acknowledged', alert, nowMs);
    return { status: 'ok', alert };
  }

  async list(filter: { state?: Alert['state']; center?: string; queue?: string }): Promise<Alert[]> {
    const rank = { critical: 0, warning: 1 } as const;
    return (await this.store.alerts())
      .filter((a) => (filter.state ? a.state === filter.state : a.state !== 'resolved'))
      .filter((a) => !filter.center || a.scope.center === filter.center)
      .filter((a) => !filter.queue || a.scope.queue === filter.queue)
      .sort((a, b) => rank[a.severity] - rank[b.severity] || b.startedAt.localeCompare(a.startedAt));
  }
}
