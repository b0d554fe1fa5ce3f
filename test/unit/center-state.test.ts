import { describe, expect, it } from 'vitest';
import { CenterState, closedGrace } from '../../server/metrics/write/center-state.ts';

const held = (c: number) => ({ h: new Map([['s', 'x']]), expiresAt: Date.now() + 3_600_000, c });

describe('CenterState: records closed by a confirmed batch', () => {
  it(`are let go ${closedGrace} confirmed batches later, unless a later batch wrote them again`, () => {
    const st = new CenterState();
    st.contacts.set('closed', held(1));
    st.contacts.set('reopened', held(1));
    st.closedConfirmed(1, [
      [st.contacts, 'closed'],
      [st.contacts, 'reopened'],
    ]);
    // batch 2 wrote 'reopened' again (and left it open)
    st.contacts.set('reopened', held(2));
    for (let c = 2; c < 1 + closedGrace; c++) st.closedConfirmed(c, []);
    expect(st.contacts.get('closed')).toBeDefined();
    st.closedConfirmed(1 + closedGrace, []);
    expect(st.contacts.get('closed')).toBeUndefined();
    expect(st.contacts.get('reopened')?.c).toBe(2);
  });

});
