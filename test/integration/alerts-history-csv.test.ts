import { describe, expect, it } from 'vitest';
import { historyCsv } from '../../server/alerts/routes.ts';
import type { HistoryEntry } from '../../server/alerts/store.ts';

function entry(over: { note?: string; agent?: string }): HistoryEntry {
  return {
    at: '2026-11-24T01:00:00.000Z',
    type: 'updated',
    alert: {
      id: 'a1',
      rule: 'r1',
      severity: 'warning',
      state: 'acknowledged',
      scope: { center: 'default', ...(over.agent ? { agent: over.agent } : {}) },
      metric: 'serviceLevel',
      value: 0.5,
      threshold: 0.8,
      startedAt: '2026-11-24T00:45:00.000Z',
      updatedAt: '2026-11-24T01:00:00.000Z',
      acknowledgedBy: 'lead',
      acknowledgedAt: '2026-11-24T01:00:00.000Z',
      ...(over.note !== undefined ? { note: over.note } : {}),
      escalationLevel: 0,
      message: { zh: '【预警】x', en: '[Warning] x' },
    },
  } as HistoryEntry;
}

/** the cells of the first data row, unquoted (no commas inside the values used here) */
function noteCell(csv: string): string {
  const lines = csv.split('\r\n');
  const header = lines[0]!.split(',');
  const cells = lines[1]!.split(',');
  return cells[header.indexOf('note')]!;
}

// Found in review (2026-12-07): a cell beginning with a minus and a digit ("-2+cmd|...") passed as
// a number and ran as a formula in Excel.
describe('alert history CSV neutralises spreadsheet formulas', () => {
  it('neutralises a note like =1+1 (control: passes today)', () => {
    expect(noteCell(historyCsv([entry({ note: '=1+1' })]))).toBe("'=1+1");
  });

  // POST /api/v1/alerts/:id/ack {note} is free text (≤ 500 chars) from any lead token; Excel
  // evaluates a CSV cell "-1+1" (or "-1+cmd|' /C calc'!A0", "-2+HYPERLINK(...)") as a formula.
  it('neutralises a note beginning with "-<digit>" that is not a plain number', () => {
    const cell = noteCell(historyCsv([entry({ note: '-1+1' })]));
    expect(cell.startsWith("'")).toBe(true);
  });
  it('neutralises a note beginning with "+<digit>…" / "-<digit>…" DDE payload', () => {
    const cell = noteCell(historyCsv([entry({ note: "-2+cmd|' /C calc'!A0" })]));
    expect(cell.replace(/^"/, '').startsWith("'")).toBe(true);
  });
});
