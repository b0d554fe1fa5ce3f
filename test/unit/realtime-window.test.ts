import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ViewHub, type IO } from '../../server/realtime/hub.ts';
import { leadViewSpec } from '../../shared/realtime/events.ts';

/** The hub only reads app.config.realtime for the window; a lead view needs no Redis to exist. */
function hubWith(coalesceMs: number): ViewHub {
  const app = { config: { realtime: { coalesceMs, allowedOrigins: [] } } } as unknown as FastifyInstance;
  return new ViewHub(app, {} as IO);
}

describe('realtime coalescing window', () => {
  const spec = leadViewSpec.parse({ kind: 'lead', center: 'default' });

  it('is realtime.coalesceMs while fan-outs are cheap', () => {
    const view = hubWith(100).view('v', spec);
    expect(view.window()).toBe(100);
    view.lastCostMs = 40; // 1,000 screens on this box
    expect(view.window()).toBe(100);
  });

  it('stretches to twice the last fan-out, never beyond 250 ms', () => {
    const view = hubWith(100).view('v', spec);
    view.lastCostMs = 90;
    expect(view.window()).toBe(180);
    view.lastCostMs = 400;
    expect(view.window()).toBe(250);
  });

  it('keeps a configured window longer than twice the cost', () => {
    const view = hubWith(250).view('v', spec);
    view.lastCostMs = 60;
    expect(view.window()).toBe(250);
  });
});
