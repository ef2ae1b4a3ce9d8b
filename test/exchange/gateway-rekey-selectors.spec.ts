/**
 * A gateway Child SA rekey may not widen the traffic selectors (RFC 7296 §2.9: the responder only
 * narrows; a rekey keeps the old SA's selectors): a split-tunnel profile (10.1.0.0/16) must not get
 * tsRemote 0.0.0.0/0 from a CREATE_CHILD_SA, which would route everything through the tunnel.
 */
import { describe, expect, it } from 'vitest';
import { NotifyErrorType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { cidrToRange, rangeToSelector } from '../../native-helper/ike/traffic-selectors.js';
import { establish, of, onlySent } from './harness.js';

describe('gateway Child rekey with wider selectors', () => {
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
