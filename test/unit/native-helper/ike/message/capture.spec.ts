/**
 * The real strongSwan 5.9.8 session (test/fixtures/captures): decode every IKE datagram, check the
 * fields against tshark's decoding, re-encode byte for byte, and decrypt IKE_AUTH and the
 * INFORMATIONAL delete with the logged keys.
 */
import { describe, expect, it } from 'vitest';
import { keyLogEntry, readCapture } from '../../../../support/capture.js';
import { hex, toHex } from '../../../../support/hex.js';
import { TestSkCipher } from '../../../../support/test-sk-cipher.js';
import { AuthMethod } from '../../../../../native-helper/ike/message/auth-payload.js';
import { CfgType, CpAttributeType } from '../../../../../native-helper/ike/message/cp-payload.js';
import { ExchangeType } from '../../../../../native-helper/ike/message/exchange-type.js';
import { IdType } from '../../../../../native-helper/ike/message/id-payload.js';
import {
  decodeHeader,
  decodeMessage,
  encodeMessage,
  type IkeMessage,
} from '../../../../../native-helper/ike/message/message.js';
import { NotifyType } from '../../../../../native-helper/ike/message/notify-types.js';
import { PayloadType, ProtocolId } from '../../../../../native-helper/ike/message/payload-type.js';
import { payloadsOf } from '../../../../../native-helper/ike/message/payload.js';
import {
  TransformType,
  transformKeyLength,
} from '../../../../../native-helper/ike/message/sa-payload.js';
import { TsType } from '../../../../../native-helper/ike/message/ts-payload.js';

const frames = readCapture();
const frame = (n: number): Uint8Array => frames[n - 1]!.payload;
/** Port 4500 datagrams start with the 4-byte non-ESP marker. */
const ike4500 = (n: number): Uint8Array => {
  const p = frame(n);
  expect(toHex(p.subarray(0, 4))).toBe('00000000');
  return p.subarray(4);
};
// SK_ei / SK_er (key ‖ salt). The log's 'encryption initiator/responder key' lines are the
// Child SA's ESP keys ([CHD]), not the IKE SA's.
const initiatorKey = (): Uint8Array => keyLogEntry('Sk_ei secret');
const responderKey = (): Uint8Array => keyLogEntry('Sk_er secret');

function decoded(bytes: Uint8Array, cipher?: TestSkCipher): IkeMessage {
  const r = decodeMessage(bytes, cipher);
  if (!r.ok) throw new Error(`decode failed: ${r.error.code} ${r.error.message}`);
  return r.message;
}

const ascii = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const ip = (b: Uint8Array): string => Array.from(b).join('.');

describe('IKE_SA_INIT of the capture', () => {
  it('decodes the request (frame 1) as tshark does', () => {
    const m = decoded(frame(1));
    expect(toHex(m.spiI)).toBe('3a47689d5f8bcfa6');
    expect(toHex(m.spiR)).toBe('0000000000000000');
    expect(m).toMatchObject({
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: true,
      response: false,
      messageId: 0,
    });
    expect(m.encrypted).toBe(false);
    expect(m.payloads.map((p) => p.type)).toEqual([
      PayloadType.SA,
      PayloadType.KE,
      PayloadType.NONCE,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
      PayloadType.NOTIFY,
    ]);
    const [sa] = payloadsOf(m.payloads, PayloadType.SA);
    expect(sa!.proposals).toHaveLength(1);
    const prop = sa!.proposals[0]!;
    expect(prop).toMatchObject({ number: 1, protocolId: ProtocolId.IKE });
    expect(prop.spi).toHaveLength(0);
    expect(prop.transforms.map((t) => [t.transformType, t.transformId])).toEqual([
      [TransformType.ENCR, 20], // AES-GCM-16
      [TransformType.PRF, 5], // PRF_HMAC_SHA2_256
      [TransformType.KE, 19], // ECP_256
    ]);
    expect(transformKeyLength(prop.transforms[0]!)).toBe(256);
    const [ke] = payloadsOf(m.payloads, PayloadType.KE);
    expect(ke!.group).toBe(19);
    expect(ke!.data).toHaveLength(64);
    expect(
      toHex(ke!.data).startsWith(
        'fa4f13a5f25fdb9924ec7d4bc37ce07c95fc833719cc29be7ba623ff6898a1c987e445ec',
      ),
    ).toBe(true);
    const [nonce] = payloadsOf(m.payloads, PayloadType.NONCE);
    expect(toHex(nonce!.nonce)).toBe(
      '4903ac3f47e133437514bb6cd857b85dba662b830f87dba7304b31e73816a302',
    );
    const notifies = payloadsOf(m.payloads, PayloadType.NOTIFY);
    expect(notifies.map((n) => n.notifyType)).toEqual([
      NotifyType.NAT_DETECTION_SOURCE_IP,
      NotifyType.NAT_DETECTION_DESTINATION_IP,
      NotifyType.FRAGMENTATION_SUPPORTED,
      NotifyType.SIGNATURE_HASH_ALGORITHMS,
      NotifyType.REDIRECT_SUPPORTED,
    ]);
    expect(toHex(notifies[0]!.data)).toBe('c34341b172a99c827e8922c2aebbdfdd5ae8bc95');
    expect(toHex(notifies[1]!.data)).toBe('0639a9051d0bd67b3876ee50026464e949ab877c');
    expect(toHex(notifies[3]!.data)).toBe('0002000300040005');
    expect(notifies.every((n) => n.protocolId === 0 && n.spi.length === 0)).toBe(true);
  });

  it('decodes the response (frame 2) with its CERTREQ and notifies', () => {
    const m = decoded(frame(2));
    expect(toHex(m.spiI)).toBe('3a47689d5f8bcfa6');
    expect(toHex(m.spiR)).toBe('90ee0cdda77c7b4c');
    expect(m).toMatchObject({
      exchangeType: ExchangeType.IKE_SA_INIT,
      initiator: false,
      response: true,
      messageId: 0,
    });
    const [sa] = payloadsOf(m.payloads, PayloadType.SA);
    expect(sa!.proposals[0]!.transforms.map((t) => t.transformId)).toEqual([20, 5, 19]);
    const [ke] = payloadsOf(m.payloads, PayloadType.KE);
    expect(ke!.group).toBe(19);
    expect(
      toHex(ke!.data).startsWith(
        'fce8668c3075e0d8967e99ffbc4aa39ec2cf5aef46c56d58188f8da905415730d78c70de',
      ),
    ).toBe(true);
    expect(toHex(payloadsOf(m.payloads, PayloadType.NONCE)[0]!.nonce)).toBe(
      '53b6721f11076bcfc8a1369b71f5ae2fe1c85ca32b911785c1424b4838ea3b2b',
    );
    const [certreq] = payloadsOf(m.payloads, PayloadType.CERTREQ);
    expect(certreq!.encoding).toBe(4);
    expect(toHex(certreq!.authority)).toBe('fd96e76392eb001c6c0c4a673630a0fdd1a0e167');
    expect(payloadsOf(m.payloads, PayloadType.NOTIFY).map((n) => n.notifyType)).toEqual([
      NotifyType.NAT_DETECTION_SOURCE_IP,
      NotifyType.NAT_DETECTION_DESTINATION_IP,
      NotifyType.FRAGMENTATION_SUPPORTED,
      NotifyType.SIGNATURE_HASH_ALGORITHMS,
      NotifyType.CHILDLESS_IKEV2_SUPPORTED,
      NotifyType.MULTIPLE_AUTH_SUPPORTED,
    ]);
  });

  it.each([1, 2])('re-encodes frame %i byte for byte', (n) => {
    expect(toHex(encodeMessage(decoded(frame(n))))).toBe(toHex(frame(n)));
  });

  it('decodeHeader demultiplexes without decoding payloads', () => {
    const r = decodeHeader(ike4500(3));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.header).toMatchObject({
      nextPayload: PayloadType.SK,
      exchangeType: ExchangeType.IKE_AUTH,
      messageId: 1,
      length: 297,
      initiator: true,
      response: false,
    });
  });
});

describe('IKE_AUTH of the capture, decrypted with the logged keys', () => {
  it('decrypts the request (frame 3): IDi, N(INITIAL_CONTACT), IDr, AUTH, CP request, SA, TSi, TSr', () => {
    const m = decoded(ike4500(3), new TestSkCipher(initiatorKey()));
    expect(m.encrypted).toBe(true);
    expect(m.payloads.map((p) => p.type).slice(0, 8)).toEqual([
      PayloadType.IDI,
      PayloadType.NOTIFY,
      PayloadType.IDR,
      PayloadType.AUTH,
      PayloadType.CP,
      PayloadType.SA,
      PayloadType.TSI,
      PayloadType.TSR,
    ]);
    const [idi] = payloadsOf(m.payloads, PayloadType.IDI);
    expect(idi!.idType).toBe(IdType.RFC822_ADDR);
    expect(ascii(idi!.data)).toBe('client1@psk.lab.test');
    const [idr] = payloadsOf(m.payloads, PayloadType.IDR);
    expect(idr!.idType).toBe(IdType.FQDN);
    expect(ascii(idr!.data)).toBe('vpn.lab.test');
    const [auth] = payloadsOf(m.payloads, PayloadType.AUTH);
    expect(auth!.method).toBe(AuthMethod.SHARED_KEY_MIC);
    expect(toHex(auth!.data)).toBe(
      '70b2f41866003b7eb3b942a715b323e5b680093bea8dbeba6c4b1607ce24e6d7',
    );
    const [cp] = payloadsOf(m.payloads, PayloadType.CP);
    expect(cp!.cfgType).toBe(CfgType.REQUEST);
    expect(cp!.attributes.map((a) => [a.attributeType, a.value.length])).toEqual([
      [CpAttributeType.INTERNAL_IP4_ADDRESS, 0],
      [CpAttributeType.INTERNAL_IP4_DNS, 0],
    ]);
    const [sa] = payloadsOf(m.payloads, PayloadType.SA);
    expect(sa!.proposals[0]).toMatchObject({ protocolId: ProtocolId.ESP });
    expect(toHex(sa!.proposals[0]!.spi)).toBe('feae5191');
    expect(sa!.proposals[0]!.transforms.map((t) => [t.transformType, t.transformId])).toEqual([
      [TransformType.ENCR, 20],
      [TransformType.ESN, 0],
    ]);
    const [tsi] = payloadsOf(m.payloads, PayloadType.TSI);
    expect(tsi!.selectors).toHaveLength(1);
    expect(tsi!.selectors[0]).toMatchObject({
      tsType: TsType.IPV4_ADDR_RANGE,
      ipProtocol: 0,
      startPort: 0,
      endPort: 65535,
    });
    expect(ip(tsi!.selectors[0]!.startAddress)).toBe('0.0.0.0');
    expect(ip(tsi!.selectors[0]!.endAddress)).toBe('255.255.255.255');
    const [tsr] = payloadsOf(m.payloads, PayloadType.TSR);
    expect(ip(tsr!.selectors[0]!.startAddress)).toBe('10.99.0.0');
    expect(ip(tsr!.selectors[0]!.endAddress)).toBe('10.99.0.255');
    expect(payloadsOf(m.payloads, PayloadType.NOTIFY).map((n) => n.notifyType)).toEqual([
      NotifyType.INITIAL_CONTACT,
      NotifyType.MOBIKE_SUPPORTED,
      NotifyType.ADDITIONAL_IP4_ADDRESS,
      NotifyType.MULTIPLE_AUTH_SUPPORTED,
      NotifyType.EAP_ONLY_AUTHENTICATION,
      NotifyType.IKEV2_MESSAGE_ID_SYNC_SUPPORTED,
    ]);
  });

  it('decrypts the response (frame 4): IDr, AUTH, CP reply 10.10.10.1 / DNS 10.99.0.53, SA, TSi, TSr', () => {
    const m = decoded(ike4500(4), new TestSkCipher(responderKey()));
    expect(m).toMatchObject({
      exchangeType: ExchangeType.IKE_AUTH,
      response: true,
      initiator: false,
      messageId: 1,
    });
    expect(ascii(payloadsOf(m.payloads, PayloadType.IDR)[0]!.data)).toBe('vpn.lab.test');
    expect(payloadsOf(m.payloads, PayloadType.AUTH)[0]!.method).toBe(2);
    const [cp] = payloadsOf(m.payloads, PayloadType.CP);
    expect(cp!.cfgType).toBe(CfgType.REPLY);
    expect(cp!.attributes.map((a) => [a.attributeType, ip(a.value)])).toEqual([
      [CpAttributeType.INTERNAL_IP4_ADDRESS, '10.10.10.1'],
      [CpAttributeType.INTERNAL_IP4_DNS, '10.99.0.53'],
    ]);
    expect(toHex(payloadsOf(m.payloads, PayloadType.SA)[0]!.proposals[0]!.spi)).toBe('3bf7fb33');
    const [tsi] = payloadsOf(m.payloads, PayloadType.TSI);
    expect([ip(tsi!.selectors[0]!.startAddress), ip(tsi!.selectors[0]!.endAddress)]).toEqual([
      '10.10.10.1',
      '10.10.10.1',
    ]);
    const [tsr] = payloadsOf(m.payloads, PayloadType.TSR);
    expect([ip(tsr!.selectors[0]!.startAddress), ip(tsr!.selectors[0]!.endAddress)]).toEqual([
      '10.99.0.0',
      '10.99.0.255',
    ]);
    const notifies = payloadsOf(m.payloads, PayloadType.NOTIFY);
    expect(notifies.map((n) => n.notifyType)).toEqual([
      NotifyType.MOBIKE_SUPPORTED,
      NotifyType.ADDITIONAL_IP4_ADDRESS,
    ]);
    expect(ip(notifies[1]!.data)).toBe('10.99.0.1');
  });

  it.each([
    [3, '2bbb4170c1c456ea', initiatorKey],
    [4, '00141b860ac03e4d', responderKey],
    [11, '2bbb4173c1c456ea', initiatorKey],
    [12, '00141b850ac03e4d', responderKey],
  ] as const)('re-encrypts frame %i byte for byte with its IV', (n, iv, key) => {
    const bytes = ike4500(n);
    const m = decoded(bytes, new TestSkCipher(key()));
    expect(toHex(encodeMessage(m, new TestSkCipher(key(), hex(iv))))).toBe(toHex(bytes));
  });

  it('a wrong key is an unprotected authentication failure', () => {
    const r = decodeMessage(ike4500(3), new TestSkCipher(responderKey()));
    expect(r).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'authentication-failed' },
    });
    expect(decodeMessage(ike4500(3))).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'authentication-failed' },
    });
  });
});

describe('INFORMATIONAL delete of the capture', () => {
  it('decrypts the request (frame 11): Delete of the IKE SA', () => {
    const m = decoded(ike4500(11), new TestSkCipher(initiatorKey()));
    expect(m).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      response: false,
      messageId: 2,
      encrypted: true,
    });
    expect(m.payloads).toEqual([
      { type: PayloadType.DELETE, protocolId: ProtocolId.IKE, spis: [] },
    ]);
  });

  it('decrypts the empty response (frame 12)', () => {
    const m = decoded(ike4500(12), new TestSkCipher(responderKey()));
    expect(m).toMatchObject({
      exchangeType: ExchangeType.INFORMATIONAL,
      response: true,
      messageId: 2,
      payloads: [],
    });
  });
});
