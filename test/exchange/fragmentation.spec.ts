/**
 * IKE fragmentation (RFC 7383): our IKE_AUTH as SKF fragments the responder can reassemble, and
 * the responder's fragmented IKE_AUTH response reassembled by us.
 */
import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import {
  CLIENT,
  Exchange,
  armed,
  of,
  onlySent,
  responderFor,
  sends,
  sentBytes,
  sessionConfig,
  timelineEvents,
} from './harness.js';

const SMALL = 220; // whole IP datagram: 220 − 20 (IPv4) − 8 (UDP) − 4 (non-ESP marker) = 188

describe('fragmentation', () => {
  it('sends IKE_AUTH as SKF fragments when both sides support it and it is too large', () => {
    const x = new Exchange(
      sessionConfig({ fragmentation: true, fragmentSize: SMALL }),
      responderFor(),
    );
    // IKE_SA_INIT { ..., N(FRAGMENTATION_SUPPORTED), N(REDIRECT_SUPPORTED) } -->
    const init = onlySent(x.start());
    const offered = x.gw.readInit(init).payloads;
    expect(offered.at(-2)).toMatchObject({ type: PayloadType.NOTIFY, notifyType: 16430 });
    //             <-- IKE_SA_INIT { ..., N(FRAGMENTATION_SUPPORTED) }
    // IKE_AUTH SKF{1/n} --> ... IKE_AUTH SKF{n/n} -->
    const out = x.deliver(x.gw.answerInit(init, CLIENT, { fragmentation: true }));
    const frags = sentBytes(out);
    expect(frags.length).toBeGreaterThan(1);
    for (const f of frags) {
      expect(f.length).toBeLessThanOrEqual(SMALL - 20 - 8 - 4);
      expect(f[16]).toBe(PayloadType.SKF);
    }
    expect(sends(out).every((s) => s.nonEspMarker)).toBe(true);
    // A retransmission resends every fragment, byte for byte.
    expect(sentBytes(x.fire('retransmit', armed(out, 'retransmit')[0]))).toEqual(frags);
    //             <-- IKE_AUTH SK{ IDr, AUTH, CP, SA, TSi, TSr }   (reassembled and verified)
    const done = x.deliverAll(x.gw.answerAuth(frags));
    expect(x.gw.initiatorAuthVerified).toBe(true);
    expect(of(done, 'established')).toHaveLength(1);
  });

  it('does not fragment when the responder did not announce support', () => {
    const x = new Exchange(
      sessionConfig({ fragmentation: true, fragmentSize: SMALL }),
      responderFor(),
    );
    const init = onlySent(x.start());
    const auth = onlySent(x.deliver(x.gw.answerInit(init, CLIENT)));
    expect(auth[16]).toBe(PayloadType.SK);
    expect(auth.length).toBeGreaterThan(SMALL - 32);
  });

  it('does not fragment when it is off in the profile', () => {
    const x = new Exchange(
      sessionConfig({ fragmentation: false, fragmentSize: SMALL }),
      responderFor(),
    );
    const init = onlySent(x.start());
    expect(
      x.gw
        .readInit(init)
        .payloads.some((p) => p.type === PayloadType.NOTIFY && p.notifyType === 16430),
    ).toBe(false);
    const auth = onlySent(x.deliver(x.gw.answerInit(init, CLIENT, { fragmentation: true })));
    expect(auth[16]).toBe(PayloadType.SK);
  });

  it('reassembles a fragmented IKE_AUTH response, in any order, ignoring duplicates', () => {
    const x = new Exchange(sessionConfig({ fragmentation: true }), responderFor());
    const init = onlySent(x.start());
    const req = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT, { fragmentation: true })));
    expect(req).toHaveLength(1);
    //             <-- IKE_AUTH SKF{3/n}, SKF{1/n}, SKF{1/n} (again), ..., SKF{2/n}
    const frags = x.gw.answerAuth(req, { fragmentSize: 120 });
    expect(frags.length).toBeGreaterThanOrEqual(3);
    const order = [frags[2]!, frags[0]!, frags[0]!, ...frags.slice(3), frags[1]!];
    const outs = order.map((f) => x.deliver(f));
    for (const o of outs.slice(0, -1)) expect(of(o, 'established')).toHaveLength(0);
    expect(timelineEvents(outs[2]!)).toEqual([{ kind: 'dropped', reason: 'fragment duplicate' }]);
    const done = outs.at(-1)!;
    expect(of(done, 'established')).toHaveLength(1);
    expect(of(done, 'install-child-sa')[0]!.sa.encrKeyIn).toEqual(x.gw.childSas[0]!.keys.encrR);
  });

  it('drops a forged fragment without losing the genuine ones', () => {
    const x = new Exchange(sessionConfig({ fragmentation: true }), responderFor());
    const init = onlySent(x.start());
    const req = sentBytes(x.deliver(x.gw.answerInit(init, CLIENT, { fragmentation: true })));
    const frags = x.gw.answerAuth(req, { fragmentSize: 120 });
    const forged = frags[1]!.slice();
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
    x.deliver(frags[0]!);
    const bad = x.deliver(forged);
    expect(timelineEvents(bad).map((e) => e.kind)).toEqual(['dropped']);
    const done = x.deliverAll(frags.slice(1));
    expect(of(done, 'established')).toHaveLength(1);
  });
});
