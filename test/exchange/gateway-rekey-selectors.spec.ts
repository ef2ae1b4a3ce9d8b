/**
 * PENDING (session bug, not run): when the gateway rekeys the Child SA, IkeSession
 * answerCreateChildSa() installs the new Child SA with whatever TSi/TSr the request carries,
 * without checking them against what we proposed (config.remoteTs) or the SA being rekeyed. A
 * split-tunnel profile (routes 10.1.0.0/16) thus gets tsRemote 0.0.0.0/0 from a rekey, and the
 * runtime would route (and protect) everything through the tunnel. RFC 7296 §2.9: selectors are
 * only ever narrowed by the responder; a rekey keeps the old SA's selectors. Expected: answer
 * N(TS_UNACCEPTABLE) (or narrow to the old selectors) and install nothing wider.
 */
import { describe, expect, it } from 'vitest';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { cidrToRange, rangeToSelector } from '../../native-helper/ike/traffic-selectors.js';
import { establish, of, onlySent } from './harness.js';

describe('gateway Child rekey with wider selectors (pending)', () => {
  it('is refused with TS_UNACCEPTABLE and installs nothing', () => {
    const x = establish({ remoteTs: [cidrToRange('10.1.0.0/16')] });
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, TSi(0.0.0.0/0), TSr(10.10.0.5) }
    const out = x.deliver(
      x.gw.rekeyChild(x.gw.childSas[0]!, undefined, {
        tsi: [rangeToSelector(cidrToRange('0.0.0.0/0'))],
      }),
    );
    // CREATE_CHILD_SA SK{ N(TS_UNACCEPTABLE) } -->
    const res = x.gw.open(onlySent(out));
    expect(payloadsOf(res.payloads, PayloadType.NOTIFY)[0]?.notifyType).toBe(
      NotifyErrorType.TS_UNACCEPTABLE,
    );
    expect(of(out, 'install-child-sa')).toHaveLength(0);
  });
});
