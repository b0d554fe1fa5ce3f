import { describe, expect, it } from 'vitest';
import type { Alert, AlertChange } from '../../shared/contract/alerts.ts';
import { mergeAlertChanges } from '../../client/src/lib/alerts/merge.ts';
import { alertFixture } from '../support/alert-fixture.ts';

const alert = (id: string, over: Partial<Alert> = {}): Alert => alertFixture(id, 'default', over);

describe('an alert:changed message applied to a center’s list (client)', () => {
  it('adds raised alerts, replaces updated ones with their latest state, and names the resolved', () => {
    const kept = alert('kept');
    const old = alert('up');
    const changes: AlertChange[] = [
      { type: 'raised', alert: alert('new') },
      { type: 'updated', alert: alert('up', { severity: 'critical', value: 30 }) },
      { type: 'updated', alert: alert('up', { severity: 'critical', value: 31 }) },
      { type: 'resolved', alert: alert('kept', { state: 'resolved' }) },
    ];
    const merged = mergeAlertChanges([kept, old], changes, 'default')!;
    expect(merged.alerts.map((a) => [a.id, a.state, a.value])).toEqual([
      ['up', 'firing', 31],
      ['new', 'firing', 12],
      ['kept', 'resolved', 12],
    ]);
    expect(merged.resolved).toEqual(['kept']);
  });

  it('a change raised and resolved in one message ends resolved', () => {
    const merged = mergeAlertChanges(
      [],
      [
        { type: 'raised', alert: alert('x') },
        { type: 'resolved', alert: alert('x', { state: 'resolved' }) },
      ],
      'default',
    )!;
    expect(merged.alerts.map((a) => a.state)).toEqual(['resolved']);
    expect(merged.resolved).toEqual(['x']);
  });

  it('ignores other centers’ changes (null when none is of this center)', () => {
    const other = alert('o', { scope: { center: 'shanghai' } });
    expect(mergeAlertChanges([alert('a')], [{ type: 'raised', alert: other }], 'default')).toBeNull();
    const merged = mergeAlertChanges([], [{ type: 'raised', alert: other }, { type: 'raised', alert: alert('d') }], 'default')!;
    expect(merged.alerts.map((a) => a.id)).toEqual(['d']);
  });
});
