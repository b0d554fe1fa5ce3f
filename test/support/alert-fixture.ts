import type { Alert } from '../../shared/contract/alerts.ts';

/** A firing waiting-time alert on queue `id` of `center`, for tests that move alerts around
 * rather than raise them (socket relay, the client's merge). */
export function alertFixture(id: string, center = 'default', over: Partial<Alert> = {}): Alert {
  return {
    id,
    rule: 'default.waiting',
    severity: 'warning',
    state: 'firing',
    scope: { center, queue: id },
    metric: 'waiting',
    value: 12,
    threshold: 10,
    startedAt: '2026-12-06T08:00:00.000Z',
    updatedAt: '2026-12-06T08:00:00.000Z',
    escalationLevel: 0,
    message: { zh: '排队', en: 'waiting' },
    ...over,
  };
}
