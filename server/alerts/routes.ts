import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  ackBody,
  alertHistoryQuery,
  alertsQuery,
  forecastPut,
  ruleSetIssues,
  ruleStatusQuery,
  thresholdsPut,
  type AlertRule,
  type RulesStatusResponse,
  type AuditRecord,
  type ThresholdsDocument,
} from '../../shared/contract/alerts.ts';
import { centerId } from '../../shared/contract/events.ts';
import { centerTimeZone } from '../../shared/contract/config.ts';
import { localDayIntervals } from '../../shared/metrics/windows.ts';
import { BadRequestError } from '../errors.ts';
import { sendCsv } from '../csv.ts';
import { knownAlertMetrics } from './metrics.ts';
import type { AlertService } from './service.ts';
import type { HistoryEntry } from './store.ts';

const limitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(200) });
const attemptsQuery = z.strictObject({
  alert: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(200),
});
const forecastQuery = z.strictObject({ center: centerId.default('default'), date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) });

/** Alerts, thresholds and forecast HTTP API (prefix /api/v1). */
export async function alertRoutes(app: FastifyInstance, opts: { service: AlertService }): Promise<void> {
  const svc = opts.service;

  app.get('/alerts', { preHandler: app.requireRole('display') }, async (req) => {
    const q = alertsQuery.parse(req.query);
    return { asOf: new Date(app.clock.now()).toISOString(), alerts: await svc.list(q) };
  });

  // whether each traffic-spike rule can fire now (baseline kind; if not, why and from when)
  app.get('/alerts/rules/status', { preHandler: app.requireRole('display') }, async (req): Promise<RulesStatusResponse> => {
    const q = ruleStatusQuery.parse(req.query);
    const now = app.clock.now();
    return { asOf: new Date(now).toISOString(), rules: await svc.spikeStatus(now, q.center) };
  });

  app.get('/alerts/history', { preHandler: app.requireRole('lead') }, async (req, reply) => {
    const q = alertHistoryQuery.parse(req.query);
    const now = app.clock.now();
    const to = q.to ? Date.parse(q.to) : now;
    const from = q.from ? Date.parse(q.from) : to - 86_400_000;
    if (from > to) throw new BadRequestError('from must not be after to');
    const entries = await svc.store.history(from, to, q.limit);
    if (q.format === 'csv') {
      const stamp = new Date(from).toISOString().slice(0, 10);
      return sendCsv(reply, `alerts-${stamp}.csv`, historyCsv(entries));
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), entries };
  });

  app.get('/alerts/notifications', { preHandler: app.requireRole('lead') }, async (req) => {
    const q = attemptsQuery.parse(req.query);
    return { attempts: await svc.store.attempts(q.alert, q.limit) };
  });

  app.post<{ Params: { id: string } }>('/alerts/:id/ack', { preHandler: app.requireRole('lead') }, async (req, reply) => {
    const body = ackBody.parse(req.body ?? {});
    const by = req.principal?.name ?? 'unknown';
    const r = await svc.acknowledge(req.params.id, by, body.note, app.clock.now());
    if (r.status === 'missing') return reply.code(404).send({ error: 'not_found', message: 'no such alert' });
    if (r.status === 'resolved') {
      return reply.code(409).send({ error: 'conflict', message: 'the alert is already resolved', alert: r.alert });
    }
    return { alert: r.alert };
  });

  app.get('/thresholds', { preHandler: app.requireRole('display') }, async () => ({
    ...(await svc.rules()),
    metrics: knownAlertMetrics(),
  }));

  app.put('/thresholds', { preHandler: app.requireRole('admin') }, async (req, reply) => {
    const body = thresholdsPut.parse(req.body);
    checkRules(body.rules, app, svc);
    const now = app.clock.now();
    const current = await svc.rules();
    if (body.expectedVersion !== undefined && body.expectedVersion !== current.version) {
      return reply.code(409).send({ error: 'conflict', message: `thresholds are at version ${current.version}` });
    }
    const principal = req.principal!;
    const doc: ThresholdsDocument = {
      version: current.version + 1,
      updatedAt: new Date(now).toISOString(),
      updatedBy: principal.name,
      rules: body.rules,
    };
    const audit: AuditRecord = {
      id: '',
      at: doc.updatedAt!,
      by: principal.name,
      role: principal.role,
      action: 'thresholds.put',
      fromVersion: current.version,
      toVersion: doc.version,
      summary: diffRules(current.rules, body.rules),
      old: current.rules,
      new: body.rules,
    };
    if (!(await svc.store.putRules(doc, current.version, audit, now))) {
      return reply.code(409).send({ error: 'conflict', message: 'thresholds changed meanwhile; reload and retry' });
    }
    return doc;
  });

  app.get('/thresholds/audit', { preHandler: app.requireRole('lead') }, async (req) => {
    const q = limitQuery.parse(req.query);
    return { records: await svc.store.audit(q.limit) };
  });

  app.put('/forecast', { preHandler: app.requireRole('admin') }, async (req) => {
    const fc = forecastPut.parse(req.body);
    if (!app.config.centers.some((c) => c.id === fc.center)) throw new BadRequestError(`unknown center "${fc.center}"`);
    // one volume per 15-minute interval of that local day: 96, or 92 / 100 where the clock changes
    const intervals = localDayIntervals(fc.date, centerTimeZone(app.config, fc.center));
    const wrong = fc.series.findIndex((s) => s.volumes.length !== intervals);
    if (wrong >= 0) {
      throw new BadRequestError(
        `series.${wrong}.volumes: ${fc.date} has ${intervals} 15-minute intervals in ${centerTimeZone(app.config, fc.center)}, got ${fc.series[wrong]!.volumes.length} volumes`,
      );
    }
    const now = app.clock.now();
    const before = await svc.store.forecast(fc.center, fc.date);
    await svc.store.putForecast(fc, now);
    const p = req.principal!;
    await svc.store.appendAudit(
      {
        id: '',
        at: new Date(now).toISOString(),
        by: p.name,
        role: p.role,
        action: 'forecast.put',
        fromVersion: before ? 1 : 0,
        toVersion: 1,
        summary: { added: before ? [] : [`${fc.center}:${fc.date}`], removed: [], changed: before ? [`${fc.center}:${fc.date}`] : [] },
        old: before,
        new: fc,
      },
      now,
    );
    return { stored: { center: fc.center, date: fc.date, series: fc.series.length } };
  });

  app.get('/forecast', { preHandler: app.requireRole('display') }, async (req, reply) => {
    const q = forecastQuery.parse(req.query);
    const fc = await svc.store.forecast(q.center, q.date);
    if (!fc) return reply.code(404).send({ error: 'not_found', message: 'no forecast for that center and date' });
    return fc;
  });
}

/** the same checks as the config file's alerts.rules (shared/contract/alerts.ts ruleSetIssues) */
function checkRules(rules: AlertRule[], app: FastifyInstance, svc: AlertService): void {
  const problems = ruleSetIssues(rules, {
    policies: svc.policyIds(),
    metrics: knownAlertMetrics(),
    centers: app.config.centers.map((c) => c.id),
  }).map((p) => `rules.${p.path.join('.')}: ${p.message}`);
  if (problems.length > 0) throw new BadRequestError(problems.join('; '));
}

export function diffRules(before: AlertRule[], after: AlertRule[]): AuditRecord['summary'] {
  const old = new Map(before.map((r) => [r.id, JSON.stringify(r)]));
  const now = new Map(after.map((r) => [r.id, JSON.stringify(r)]));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changed: [...now.keys()].filter((id) => old.has(id) && old.get(id) !== now.get(id)),
  };
}

const csvColumns = [
  'at', 'type', 'id', 'rule', 'severity', 'state', 'center', 'queue', 'channel', 'group', 'team', 'agent', 'reason',
  'metric', 'value', 'threshold', 'startedAt', 'acknowledgedBy', 'acknowledgedAt', 'note', 'resolvedAt',
  'escalationLevel', 'message_zh', 'message_en',
] as const;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  // a leading = + - @ (or a tab or CR before one) would run as a formula in a spreadsheet:
  // neutralise it, except for a plain number such as -3 or -0.5
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function historyCsv(entries: HistoryEntry[]): string {
  const lines = [csvColumns.join(',')];
  for (const e of entries) {
    const a = e.alert;
    const row: Record<(typeof csvColumns)[number], unknown> = {
      at: e.at, type: e.type, id: a.id, rule: a.rule, severity: a.severity, state: a.state,
      center: a.scope.center, queue: a.scope.queue, channel: a.scope.channel, group: a.scope.group, team: a.scope.team,
      agent: a.scope.agent, reason: a.scope.reason, metric: a.metric, value: a.value, threshold: a.threshold,
      startedAt: a.startedAt, acknowledgedBy: a.acknowledgedBy, acknowledgedAt: a.acknowledgedAt, note: a.note,
      resolvedAt: a.resolvedAt, escalationLevel: a.escalationLevel, message_zh: a.message.zh, message_en: a.message.en,
    };
    lines.push(csvColumns.map((c) => csvCell(row[c])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
