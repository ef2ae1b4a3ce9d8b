/** The real driver's rekey bookkeeping: the last IKE and Child SA rekeys, by either side. */
import { describe, expect, it } from 'vitest';
import {
  connectionEvents,
  type LastRekeys,
} from '../../../../native-helper/daemon/tunnel-driver.js';
import { target } from '../tunnel/doubles.js';

describe('connectionEvents: rekey times for the statistics', () => {
  it('notes when the IKE SA and the Child SA were last rekeyed, by us or by the gateway', () => {
    const rekeyed: LastRekeys = { ike: null, child: null };
    const events = connectionEvents(
      target(),
      {
        up: () => undefined,
        redirect: () => Promise.resolve(),
        reconnecting: () => undefined,
        closed: () => undefined,
        log: () => undefined,
        timeline: () => undefined,
      },
      rekeyed,
    );
    events.timeline({ kind: 'dpd-sent' }, 1_000);
    expect(rekeyed).toEqual({ ike: null, child: null });
    events.timeline({ kind: 'child-rekeyed', initiator: 'us', spiIn: 7 }, 2_000);
    expect(rekeyed).toEqual({ ike: null, child: 2_000 });
    events.timeline({ kind: 'ike-rekeyed', initiator: 'peer' }, 3_000);
    events.timeline({ kind: 'child-rekeyed', initiator: 'peer', spiIn: 8 }, 4_000);
    expect(rekeyed).toEqual({ ike: 3_000, child: 4_000 });
  });
});
