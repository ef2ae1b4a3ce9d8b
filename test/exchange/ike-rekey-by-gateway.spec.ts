/**
 * The gateway rekeys the IKE SA (RFC 7296 §1.3.2, §2.18): we answer, the new SA's keys come from
 * the old SK_d, and the gateway — which started the rekey — is the new SA's initiator, so we send
 * without the I flag (and with SK_er) from then on; the old SA ends with the gateway's DELETE.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { establish, of, onlySent, sends, timelineEvents } from './harness.js';

describe('IKE SA rekey by the gateway', () => {
  it('switches to the new SA with the roles of the rekey', () => {
    const x = establish();
    const oldSpiI = x.gw.ike!.spiI;
    //             <-- CREATE_CHILD_SA SK{ SA(IKE, SPIi'), Ni, KEi }
    const out = x.deliver(x.gw.rekeyIke());
    // CREATE_CHILD_SA SK{ SA(IKE, SPIr'), Nr, KEr } -->   (on the old SA, I flag: its initiator)
    const resBytes = onlySent(out);
    const res = x.gw.open(resBytes);
    expect(res).toMatchObject({ response: true, initiator: true, messageId: 0 });
    expect(payloadsOf(res.payloads, PayloadType.SA)[0]!.proposals[0]!.spi).toHaveLength(8);
    expect(resBytes.subarray(0, 8)).toEqual(oldSpiI);
    expect(timelineEvents(out)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'peer' });
    x.gw.completeIkeRekey(resBytes);

    //             <-- INFORMATIONAL SK{}   (on the new SA, message ID 0, I flag set)
    const live = x.deliver(x.gw.liveness());
    // INFORMATIONAL SK{} -->   (opened with the new SA's SK_er: we are its responder)
    const liveRes = x.gw.open(onlySent(live));
    expect(liveRes).toMatchObject({ response: true, initiator: false, messageId: 0 });

    //             <-- INFORMATIONAL SK{ D(IKE) }   (on the old SA)
    const del = x.deliver(x.gw.deleteOldIke());
    // INFORMATIONAL SK{} -->   (old SA)
    expect(x.gw.openOld(onlySent(del))).toMatchObject({ response: true, payloads: [] });
    expect(del.find((o) => o.type === 'closed')).toBeUndefined();
    expect(of(del, 'remove-child-sa')).toHaveLength(0);
    expect(x.session.state).toBe('established');

    // DPD on the new SA: our first request there has message ID 0 and no I flag.
    const dpd = x.fire('dpd', x.now + 60_000);
    const req = x.gw.open(onlySent(dpd));
    expect(req).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      response: false,
      initiator: false,
      messageId: 0,
    });
    expect(onlySent(dpd).subarray(0, 8)).toEqual(x.gw.ike!.spiI);
    x.deliver(x.gw.respond(req));

    // A Child rekey on the new SA derives from the new SK_d.
    const rk = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!));
    const fresh = x.gw.completeRekey(onlySent(rk));
    expect(of(rk, 'install-child-sa')[0]!.sa.encrKeyIn).toEqual(fresh.keys.encrI);

    // Our close goes on the new SA.
    const bye = x.input({ type: 'close' });
    const d = x.gw.open(onlySent(bye));
    expect(d.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    expect(x.deliver(x.gw.respond(d)).find((o) => o.type === 'closed')).toMatchObject({
      reason: { kind: 'deleted-by-us' },
    });
  });

  it('a DELETE of the old SA does not close the session; one of the new SA does', () => {
    const x = establish();
    const out = x.deliver(x.gw.rekeyIke());
    x.gw.completeIkeRekey(onlySent(out));
    expect(sends(x.deliver(x.gw.deleteOldIke()))).toHaveLength(1);
    expect(x.session.state).toBe('established');
    const end = x.deliver(x.gw.deleteIke());
    expect(end.find((o) => o.type === 'closed')).toMatchObject({
      reason: { kind: 'deleted-by-peer' },
    });
  });
});
