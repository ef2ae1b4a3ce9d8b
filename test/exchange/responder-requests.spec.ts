/**
 * Requests the gateway sends on an established IKE SA, and our answers (RFC 7296 §1.4, §1.3.3,
 * §2.2): liveness checks, DELETE of the Child SA or the IKE SA, and Child SA rekeys.
 */
import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../native-helper/ike/message/exchange-type.js';
import { NotifyErrorType, NotifyStatusType } from '../../native-helper/ike/message/notify-types.js';
import { PayloadType, ProtocolId } from '../../native-helper/ike/message/payload-type.js';
import { payloadsOf, type Payload } from '../../native-helper/ike/message/payload.js';
import { TransformType, type Transform } from '../../native-helper/ike/message/sa-payload.js';
import { createKeyExchange } from '../../native-helper/ike/crypto/ke.js';
import { cidrToRange, rangeToSelector } from '../../native-helper/ike/traffic-selectors.js';
import { be32, notify } from '../support/scripted-responder.js';
import { SeededRandom } from '../support/fixed-random.js';
import { armed, closedReason, establish, of, onlySent, sends, timelineEvents } from './harness.js';

describe('liveness checks from the gateway', () => {
  it('answers an empty INFORMATIONAL with an empty response under its message ID', () => {
    const x = establish();
    //             <-- INFORMATIONAL SK{}  (message ID 0: the gateway's own counter)
    const out = x.deliver(x.gw.liveness());
    // INFORMATIONAL SK{} -->  (response, I flag: we are the IKE SA's original initiator)
    const [send] = sends(out);
    expect(send).toMatchObject({ nonEspMarker: true });
    const res = x.gw.open(onlySent(out));
    expect(res).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      messageId: 0,
      response: true,
      initiator: true,
      payloads: [],
    });
    expect(armed(out, 'dpd')).toHaveLength(1);
    // The next one uses ID 1.
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness()))).messageId).toBe(1);
  });

  it('resends the byte-identical cached response to a retransmitted request', () => {
    const x = establish();
    const req = x.gw.liveness();
    const first = onlySent(x.deliver(req));
    //             <-- INFORMATIONAL SK{}  (the same request again)
    const again = x.deliver(req);
    expect(onlySent(again)).toEqual(first);
  });

  it('drops a request with an unexpected message ID', () => {
    const x = establish();
    //             <-- INFORMATIONAL SK{}  (message ID 5, expected 0)
    const out = x.deliver(x.gw.liveness(5));
    expect(sends(out)).toHaveLength(0);
    expect(timelineEvents(out)).toEqual([
      { kind: 'dropped', reason: 'peer request with message ID 5, expected 0' },
    ]);
    // Nothing moved: ID 0 is still the one expected.
    x.gw.nextRequestId = 0;
    expect(x.gw.open(onlySent(x.deliver(x.gw.liveness()))).messageId).toBe(0);
  });
});

describe('DELETE from the gateway', () => {
  it('deletes the Child SA: our response names our inbound SPI; we re-create it after 2 s', () => {
    const x = establish();
    const child = of(x.log, 'install-child-sa')[0]!.sa;
    const gwChild = x.gw.childSas[0]!;
    //             <-- INFORMATIONAL SK{ D(ESP, SPI the gateway receives on) }
    const out = x.deliver(x.gw.deleteChild(gwChild.spiResponder));
    // INFORMATIONAL SK{ D(ESP, our inbound SPI) } -->   (response)
    const res = x.gw.open(onlySent(out));
    expect(res).toMatchObject({ response: true, messageId: 0 });
    expect(res.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(child.spiIn)] },
    ]);
    expect(of(out, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: child.spiIn, spiOut: child.spiOut },
    ]);
    expect(timelineEvents(out)).toContainEqual({ kind: 'peer-delete', what: 'child' });
    expect(x.session.state).toBe('established');
    expect(armed(out, 'rekey-child')).toEqual([x.now + 2_000]);

    // (2 s later, the gateway did not re-create it)
    // CREATE_CHILD_SA SK{ SA, Ni, TSi, TSr } -->   (a new Child SA: no REKEY_SA)
    const again = x.fire('rekey-child', x.now + 2_000);
    const { response, child: fresh, request } = x.gw.answerCreateChild(onlySent(again));
    expect(request.messageId).toBe(2);
    expect(request.payloads.map((p) => p.type)).toEqual([
      PayloadType.SA,
      PayloadType.NONCE,
      PayloadType.TSI,
      PayloadType.TSR,
    ]);
    //             <-- CREATE_CHILD_SA SK{ SA, Nr, TSi, TSr }
    const done = x.deliver(response);
    const [install] = of(done, 'install-child-sa');
    expect(install!.sa).toMatchObject({ spiIn: fresh.spiInitiator, spiOut: fresh.spiResponder });
    expect(install!.sa.encrKeyOut).toEqual(fresh.keys.encrI);
    expect(install!.sa.encrKeyIn).toEqual(fresh.keys.encrR);
    expect(install!.sa.tsLocal).toEqual(child.tsLocal);
    expect(install!.sa.tsRemote).toEqual(child.tsRemote);
  });

  it('deletes the IKE SA: an empty response, then closed deleted-by-peer', () => {
    const x = establish();
    //             <-- INFORMATIONAL SK{ D(IKE) }
    const out = x.deliver(x.gw.deleteIke());
    // INFORMATIONAL SK{} -->
    const res = x.gw.open(onlySent(out));
    expect(res).toMatchObject({ response: true, messageId: 0, payloads: [] });
    expect(timelineEvents(out)).toContainEqual({ kind: 'peer-delete', what: 'ike' });
    expect(of(out, 'remove-child-sa')).toHaveLength(1);
    expect(closedReason(out)).toEqual({ kind: 'deleted-by-peer' });
    expect(x.session.state).toBe('closed');
  });

  it('ignores a DELETE for a Child SA it does not have, and answers it empty', () => {
    const x = establish();
    const out = x.deliver(x.gw.deleteChild(0x0bad0bad));
    expect(x.gw.open(onlySent(out)).payloads).toEqual([]);
    expect(of(out, 'remove-child-sa')).toHaveLength(0);
    expect(x.session.state).toBe('established');
  });
});

describe('Child SA rekey by the gateway', () => {
  function rekey(pfsGroup: number | undefined, esp: string) {
    const x = establish({ esp });
    const old = of(x.log, 'install-child-sa')[0]!.sa;
    const oldGw = x.gw.childSas[0]!;
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA), SA, Ni, [KEi], TSi, TSr }
    const out = x.deliver(x.gw.rekeyChild(oldGw, pfsGroup));
    // CREATE_CHILD_SA SK{ SA, Nr, [KEr], TSi, TSr } -->
    const resBytes = onlySent(out);
    const res = x.gw.open(resBytes);
    expect(res).toMatchObject({ exchangeType: ExchangeType.CREATE_CHILD_SA, response: true });
    expect(payloadsOf(res.payloads, PayloadType.KE)).toHaveLength(pfsGroup === undefined ? 0 : 1);
    const fresh = x.gw.completeRekey(resBytes);
    const [install] = of(out, 'install-child-sa');
    expect(of(out, 'remove-child-sa')).toHaveLength(0); // the old one lives until its DELETE
    expect(timelineEvents(out)).toContainEqual({
      kind: 'child-rekeyed',
      initiator: 'peer',
      spiIn: fresh.spiInitiator,
    });
    // The gateway started this exchange: its "i" keys protect gateway → us.
    expect(install!.sa).toMatchObject({ spiIn: fresh.spiInitiator, spiOut: fresh.spiResponder });
    expect(install!.sa.encrKeyIn).toEqual(fresh.keys.encrI);
    expect(install!.sa.encrKeyOut).toEqual(fresh.keys.encrR);
    expect(install!.sa.integKeyIn).toEqual(fresh.keys.integI);
    expect(install!.sa.integKeyOut).toEqual(fresh.keys.integR);
    expect(install!.sa.encrKeyIn).not.toEqual(old.encrKeyIn);
    expect(install!.sa.tsLocal).toEqual([cidrToRange('10.10.0.5/32')]);
    expect(install!.sa.tsRemote).toEqual([cidrToRange('10.1.0.0/16')]);

    //             <-- INFORMATIONAL SK{ D(ESP, old SPI) }
    const del = x.deliver(x.gw.deleteChild(oldGw.spiResponder));
    // INFORMATIONAL SK{ D(ESP, our old inbound SPI) } -->
    expect(x.gw.open(onlySent(del)).payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: 3, spis: [be32(old.spiIn)] },
    ]);
    expect(of(del, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: old.spiIn, spiOut: old.spiOut },
    ]);
    expect(x.session.state).toBe('established');
    // The new one is what a later close removes.
    const bye = x.input({ type: 'close' });
    const done = x.deliver(x.gw.respond(x.gw.open(onlySent(bye))));
    expect(of(done, 'remove-child-sa')).toEqual([
      { type: 'remove-child-sa', spiIn: fresh.spiInitiator, spiOut: fresh.spiResponder },
    ]);
  }

  it('without PFS', () => rekey(undefined, 'aes256gcm16'));
  it('without PFS, AES-CBC + HMAC (integrity keys too)', () => rekey(undefined, 'aes128-sha256'));
  it('with PFS (ecp256), AES-CBC + HMAC', () => rekey(19, 'aes128-sha256-ecp256'));
  it('with PFS (x25519)', () => rekey(31, 'aes256gcm16-x25519'));
  it('without PFS when PFS is configured but the gateway offers none', () =>
    rekey(undefined, 'aes256gcm16-x25519'));

  it('refuses a PFS group it does not accept with NO_PROPOSAL_CHOSEN', () => {
    const x = establish({ esp: 'aes256gcm16' });
    const out = x.deliver(x.gw.rekeyChild(x.gw.childSas[0]!, 19));
    const res = x.gw.open(onlySent(out));
    expect(payloadsOf(res.payloads, PayloadType.NOTIFY)[0]?.notifyType).toBe(
      NotifyErrorType.NO_PROPOSAL_CHOSEN,
    );
    expect(of(out, 'install-child-sa')).toHaveLength(0);
  });

  /**
   * CREATE_CHILD_SA { N(REKEY_SA, protocol, SPI), SA(ESP[, KE group]), Ni, [KEi(group)], TSi, TSr }
   * as the gateway would send it, with the given fields changed.
   */
  function rekeyRequest(
    x: ReturnType<typeof establish>,
    o: { protocol?: number; spi?: Uint8Array; saGroup?: number; keGroup?: number } = {},
  ): Uint8Array {
    const old = x.gw.childSas[0]!;
    const transforms: Transform[] = x.gw.childChoice!.transforms.filter(
      (t) => t.transformType !== TransformType.KE,
    );
    if (o.saGroup !== undefined)
      transforms.push({ transformType: TransformType.KE, transformId: o.saGroup, attributes: [] });
    const protocol = o.protocol ?? ProtocolId.ESP;
    const payloads: Payload[] = [
      notify(
        NotifyStatusType.REKEY_SA,
        new Uint8Array(0),
        protocol,
        o.spi ?? (protocol === 0 ? new Uint8Array(0) : be32(old.spiResponder)),
      ),
      {
        type: PayloadType.SA,
        proposals: [{ number: 1, protocolId: ProtocolId.ESP, spi: be32(0x5eed0001), transforms }],
      },
      { type: PayloadType.NONCE, nonce: new Uint8Array(32).fill(0x42) },
    ];
    if (o.keGroup !== undefined)
      payloads.push({
        type: PayloadType.KE,
        group: o.keGroup,
        data: createKeyExchange(o.keGroup, { random: new SeededRandom('gw-pfs') }).publicValue,
      });
    payloads.push(
      { type: PayloadType.TSI, selectors: [rangeToSelector(cidrToRange('10.1.0.0/16'))] },
      { type: PayloadType.TSR, selectors: [rangeToSelector(cidrToRange('10.10.0.5/32'))] },
    );
    return x.gw.request(ExchangeType.CREATE_CHILD_SA, payloads);
  }

  /** Our answer's notifies; nothing installed, nothing removed, still established. */
  function refused(x: ReturnType<typeof establish>, request: Uint8Array) {
    const out = x.deliver(request);
    const res = x.gw.open(onlySent(out));
    expect(res).toMatchObject({ exchangeType: ExchangeType.CREATE_CHILD_SA, response: true });
    expect(of(out, 'install-child-sa')).toHaveLength(0);
    expect(of(out, 'remove-child-sa')).toHaveLength(0);
    expect(x.session.state).toBe('established');
    return payloadsOf(res.payloads, PayloadType.NOTIFY);
  }

  it('the well-formed request this helper builds is accepted (so the refusals below are real)', () => {
    const x = establish({ esp: 'aes256gcm16-x25519' });
    const out = x.deliver(rekeyRequest(x, { saGroup: 31, keGroup: 31 }));
    expect(of(out, 'install-child-sa')).toHaveLength(1);
  });

  it('REKEY_SA for an SPI we do not have → CHILD_SA_NOT_FOUND naming it', () => {
    const x = establish();
    const unknown = be32(0x0badf00d);
    const [n] = refused(x, rekeyRequest(x, { spi: unknown }));
    expect(n).toMatchObject({
      notifyType: NotifyErrorType.CHILD_SA_NOT_FOUND,
      protocolId: ProtocolId.ESP,
      spi: unknown,
    });
  });

  it.each([
    [0, 'no protocol'],
    [ProtocolId.IKE, 'IKE'],
  ])('REKEY_SA with protocol %i (%s) → INVALID_SYNTAX', (protocol) => {
    const x = establish();
    const [n] = refused(x, rekeyRequest(x, { protocol }));
    expect(n).toMatchObject({ notifyType: NotifyErrorType.INVALID_SYNTAX });
  });

  it('PFS: KEi for another group than the SA offers → INVALID_KE_PAYLOAD naming the group', () => {
    const x = establish({ esp: 'aes256gcm16-x25519-ecp256' });
    //             <-- CREATE_CHILD_SA SK{ N(REKEY_SA), SA(… ecp256), Ni, KEi(x25519), TSi, TSr }
    const [n] = refused(x, rekeyRequest(x, { saGroup: 19, keGroup: 31 }));
    expect(n).toMatchObject({
      notifyType: NotifyErrorType.INVALID_KE_PAYLOAD,
      data: Uint8Array.of(0, 19),
    });
  });

  it('PFS: an SA with a group and no KEi at all → INVALID_KE_PAYLOAD', () => {
    const x = establish({ esp: 'aes256gcm16-ecp256' });
    const [n] = refused(x, rekeyRequest(x, { saGroup: 19 }));
    expect(n).toMatchObject({
      notifyType: NotifyErrorType.INVALID_KE_PAYLOAD,
      data: Uint8Array.of(0, 19),
    });
  });
});
