import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ViewPayload } from '../../shared/realtime/events.ts';
import { leadViewSpec } from '../../shared/realtime/events.ts';

/**
 * A view recompute whose Redis call never answers (a half-open connection) must not hold the view
 * for ever: after recomputeTimeoutMs it counts as failed and the next request computes again.
 */
const pending: ((p: ViewPayload) => void)[] = [];
let calls = 0;
vi.mock('../../server/realtime/compute.ts', () => ({
  computeView: () => {
    calls++;
    // the first call hangs; later ones answer at once
    return calls === 1 ? new Promise<ViewPayload>((resolve) => pending.push(resolve)) : Promise.resolve(payload(calls));
  },
}));

const { ViewHub, recomputeTimeoutMs } = await import('../../server/realtime/hub.ts');
type IO = ConstructorParameters<typeof ViewHub>[1];

function payload(n: number): ViewPayload {
  return { viewId: 'v', asOf: new Date(Date.UTC(2026, 11, 7, 12, 0, n)).toISOString(), seq: n, demo: false, window: '30m', rowKeys: [], rows: [] };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a view recompute that never settles', () => {
  it('is given up after recomputeTimeoutMs, and the next request computes again', async () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const app = { config: { realtime: { coalesceMs: 100, allowedOrigins: [] } }, log: { warn: (_o: unknown, m: string) => warnings.push(m) } } as unknown as FastifyInstance;
    const emitted: ViewPayload[] = [];
    const io = { local: { to: () => ({ emit: (_e: string, p: ViewPayload) => emitted.push(p) }) } } as unknown as IO;
    const view = new ViewHub(app, io).view('v', leadViewSpec.parse({ kind: 'lead', center: 'default' }));
    const first = view.run().catch((err: Error) => err);
    view.request(); // an ingest notice meanwhile: covered by the run after the in-flight one
    await vi.advanceTimersByTimeAsync(recomputeTimeoutMs - 1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(String(await first)).toMatch(/did not settle/);
    expect(warnings).toHaveLength(1);
    // the slot is free again: the pending request runs after the coalescing window
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(2);
    expect(emitted.map((p) => p.seq)).toEqual([2]);
    // the hung call answering late changes nothing
    pending[0]!(payload(99));
    await vi.advanceTimersByTimeAsync(0);
    expect(view.last?.seq).toBe(2);
  });
});
