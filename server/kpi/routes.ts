import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { centerId } from '../../shared/contract/events.ts';
import { scorecardResult } from '../../shared/contract/kpi-api.ts';
import { UnavailableError } from '../errors.ts';
import { KpiMetricEngine } from './engine.ts';
import './alert-metrics.ts';

const scorecardQuery = z.strictObject({ center: centerId.default('default') });

/** `GET /api/v1/agents/scorecard` (role display): per agent and team, the local day so far. */
export const kpiRoutes: FastifyPluginAsync = async (app) => {
  app.get('/agents/scorecard', { preHandler: app.requireRole('display') }, async (req) => {
    const q = scorecardQuery.parse(req.query);
    if (!(app.engine instanceof KpiMetricEngine)) throw new UnavailableError('KPI pack not enabled');
    return scorecardResult.parse(await app.engine.scorecard(q.center, app.clock.now()));
  });
};
