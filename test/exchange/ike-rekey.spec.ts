/**
 * IKE SA rekeys both ways (RFC 7296 §1.3.2, §2.18). The new SA's keys come from the old SK_d, and
 * whoever started the rekey is the new SA's initiator: after the gateway's rekey we send without
 * the I flag (with SK_er); after ours we keep it. The old SA ends with a DELETE on the old SA.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { PayloadType } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../native-helper/ike/message/payload.js';
import { armed, establish, of, onlySent, sends, timelineEvents } from './harness.js';

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

describe('IKE SA rekey by us', () => {
  it('rekeys on its lifetime, stays the initiator, and deletes the old SA on the old SA', () => {
    const HOUR = 3_600_000;
    const x = establish({ ikeLifetimeMs: 4 * HOUR });
    const oldSpiI = x.gw.ike!.spiI;
    const [at] = armed(x.log, 'rekey-ike');
    expect(at).toBeGreaterThanOrEqual(x.now + 0.8 * 4 * HOUR);
    expect(at).toBeLessThanOrEqual(x.now + 0.9 * 4 * HOUR);
    // CREATE_CHILD_SA SK{ SA(IKE, SPIi'), Ni, KEi } -->
    const out = x.fire('rekey-ike', at);
    const reqBytes = onlySent(out);
    expect(x.gw.open(reqBytes)).toMatchObject({ messageId: 2, initiator: true });
    //             <-- CREATE_CHILD_SA SK{ SA(IKE, SPIr'), Nr, KEr }
    // INFORMATIONAL SK{ D(IKE) } -->   (on the old SA)
    const done = x.deliver(x.gw.answerIkeRekey(reqBytes));
    expect(timelineEvents(done)).toContainEqual({ kind: 'ike-rekeyed', initiator: 'us' });
    const delBytes = onlySent(done);
    expect(delBytes.subarray(0, 8)).toEqual(oldSpiI);
    const del = x.gw.openOld(delBytes);
    expect(del).toMatchObject({ messageId: 3, initiator: true });
    expect(del.payloads).toEqual([{ type: PayloadType.DELETE, protocolId: 1, spis: [] }]);
    //             <-- INFORMATIONAL SK{}   (old SA)
    const gone = x.deliver(x.gw.respond(del, [], true));
    expect(gone.find((o) => o.type === 'closed')).toBeUndefined();
    expect(of(gone, 'remove-child-sa')).toHaveLength(0);
    expect(armed(done, 'rekey-ike')).toHaveLength(1);

    // The new SA: we are still its initiator (I flag, SK_ei); message IDs restart at 0.
    const dpd = x.fire('dpd', x.now + 60_000);
    const ping = x.gw.open(onlySent(dpd));
    expect(ping).toMatchObject({ initiator: true, messageId: 0, response: false });
    expect(onlySent(dpd).subarray(0, 8)).not.toEqual(oldSpiI);
    x.deliver(x.gw.respond(ping));
    //             <-- INFORMATIONAL SK{}   (the gateway's first request on the new SA)
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness())))).toMatchObject({
      response: true,
      messageId: 0,
    });
  });
});
