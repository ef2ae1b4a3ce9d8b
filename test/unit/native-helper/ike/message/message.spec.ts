import { describe, expect, it } from 'vitest';
import { ExchangeType } from '../../../../../native-helper/ike/message/exchange-type.js';
import { encodeIkeHeader } from '../../../../../native-helper/ike/message/ike-header.js';
import {
  decodeHeader,
  decodeMessage,
  encodeMessage,
  type IkeMessage,
} from '../../../../../native-helper/ike/message/message.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex } from '../../../../support/hex.js';
import { TestSkCipher } from '../../../../support/test-sk-cipher.js';
import { expectSyntaxError } from './helpers.js';

const KEY = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f a0a1a2a3');
const SPI_I = hex('1111111111111111');
const SPI_R = hex('2222222222222222');

const informational = (payloads: IkeMessage['payloads']): IkeMessage => ({
  spiI: SPI_I,
  spiR: SPI_R,
  exchangeType: ExchangeType.INFORMATIONAL,
  initiator: true,
  response: false,
  higherVersion: false,
  messageId: 7,
  payloads,
  encrypted: true,
});

/** A hand-built encrypted message: header ‖ outer chain ‖ SK(inner), AAD up to the SK header. */
function sealRaw(opts: {
  exchangeType?: number;
  response?: boolean;
  firstInner: number;
  inner: Uint8Array;
  outer?: { first: number; bytes: Uint8Array };
}): Uint8Array {
  const cipher = new TestSkCipher(KEY);
  const outer = opts.outer?.bytes ?? new Uint8Array(0);
  const sealedLength = cipher.sealedLength(opts.inner.length);
  const header = encodeIkeHeader({
    spiI: SPI_I,
    spiR: SPI_R,
    nextPayload: opts.outer ? opts.outer.first : PayloadType.SK,
    exchangeType: opts.exchangeType ?? ExchangeType.INFORMATIONAL,
    initiator: true,
    higherVersion: false,
    response: opts.response ?? false,
    messageId: 7,
    length: 28 + outer.length + 4 + sealedLength,
  });
  const skHeader = hex('00 00 0000');
  skHeader[0] = opts.firstInner;
  skHeader[2] = (4 + sealedLength) >> 8;
  skHeader[3] = (4 + sealedLength) & 0xff;
  const aad = Buffer.concat([header, outer, skHeader]);
  return new Uint8Array(Buffer.concat([aad, cipher.seal(aad, opts.inner)]));
}

const N_FRAG = hex('00 00 0008 0000402e'); // N(FRAGMENTATION_SUPPORTED), last

describe('encrypted messages', () => {
  it('round-trips through SK', () => {
    const m = informational([
      { type: PayloadType.DELETE, protocolId: 3, spis: [hex('01020304')] },
      {
        type: PayloadType.NOTIFY,
        protocolId: 0,
        spi: new Uint8Array(0),
        notifyType: 16400,
        data: new Uint8Array(0),
      },
    ]);
    const bytes = encodeMessage(m, new TestSkCipher(KEY));
    expect(bytes[16]).toBe(PayloadType.SK);
    expect(bytes[28]).toBe(PayloadType.DELETE);
    expect(decodeMessage(bytes, new TestSkCipher(KEY))).toEqual({ ok: true, message: m });
    const h = decodeHeader(bytes);
    expect(h.ok && h.header.length).toBe(bytes.length);
  });

  it('an empty INFORMATIONAL (liveness) round-trips', () => {
    const bytes = encodeMessage(informational([]), new TestSkCipher(KEY));
    expect(bytes[28]).toBe(0);
    expect(decodeMessage(bytes, new TestSkCipher(KEY))).toMatchObject({
      ok: true,
      message: { payloads: [] },
    });
  });

  it('a modified ciphertext, ICV or header fails authentication (unprotected)', () => {
    const bytes = encodeMessage(informational([]), new TestSkCipher(KEY));
    for (const at of [bytes.length - 1, bytes.length - 17, 40, 20, 22, 29]) {
      const b = bytes.slice();
      b[at]! ^= 1;
      const r = decodeMessage(b, new TestSkCipher(KEY));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.protected).toBe(false);
    }
    expect(decodeMessage(bytes)).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'authentication-failed' },
    });
  });

  it('a payload next to SK is an unprotected error, even when SK authenticates', () => {
    const raw = sealRaw({
      firstInner: 0,
      inner: new Uint8Array(0),
      outer: { first: PayloadType.NOTIFY, bytes: hex('2e 00 0008 0000402e') },
    });
    expect(decodeMessage(raw, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'rule-violation' },
    });
    const unknownBefore = sealRaw({
      firstInner: 0,
      inner: new Uint8Array(0),
      outer: { first: 60, bytes: hex('2e 00 0004') },
    });
    expect(decodeMessage(unknownBefore, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: false,
    });
  });

  it('errors inside an authenticated SK are protected', () => {
    const badNonce = sealRaw({
      exchangeType: ExchangeType.CREATE_CHILD_SA,
      firstInner: PayloadType.NONCE,
      inner: hex('00 00 0013 000102030405060708090a0b0c0d0e'),
    });
    expect(decodeMessage(badNonce, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: true,
      error: { code: 'invalid-value', payloadType: PayloadType.NONCE, field: 'nonce length' },
    });
    const critical = sealRaw({ firstInner: 60, inner: hex('29 80 0004') });
    const rc = decodeMessage(critical, new TestSkCipher(KEY));
    expect(rc).toMatchObject({
      ok: false,
      protected: true,
      error: { code: 'unsupported-critical-payload', payloadType: 60 },
    });
    const rule = sealRaw({
      firstInner: PayloadType.NONCE,
      inner: hex('00 00 0014 000102030405060708090a0b0c0d0e0f'),
    });
    expect(decodeMessage(rule, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: true,
      error: { code: 'rule-violation', payloadType: PayloadType.NONCE },
    });
    const badLength = sealRaw({
      firstInner: PayloadType.NOTIFY,
      inner: hex('00 00 0009 0000402e'),
    });
    expect(decodeMessage(badLength, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: true,
      error: { code: 'bad-length' },
    });
    const skInSk = sealRaw({ firstInner: PayloadType.SK, inner: hex('00 00 0005 00') });
    expect(decodeMessage(skInSk, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: true,
    });
  });

  it('the non-critical unknown inner payload is kept', () => {
    const raw = sealRaw({ firstInner: 60, inner: Buffer.concat([hex('29 00 0005 ff'), N_FRAG]) });
    const r = decodeMessage(raw, new TestSkCipher(KEY));
    expect(r.ok && r.message.payloads.map((p) => p.type)).toEqual(['unknown', PayloadType.NOTIFY]);
  });

  it('unencrypted payloads in an encrypted exchange, and SK in IKE_SA_INIT, are unprotected errors', () => {
    const plain = new Uint8Array(
      Buffer.concat([
        hex('1111111111111111 2222222222222222 29 20 25 08 00000007 00000024'),
        N_FRAG,
      ]),
    );
    expect(decodeMessage(plain, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'rule-violation' },
    });
    const init = sealRaw({
      exchangeType: ExchangeType.IKE_SA_INIT,
      firstInner: 0,
      inner: new Uint8Array(0),
    });
    expect(decodeMessage(init, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'rule-violation' },
    });
  });

  it('an SKF fragment is not a whole message', () => {
    const frag = new Uint8Array(
      Buffer.concat([
        hex('1111111111111111 2222222222222222 35 20 25 08 00000007 00000029'),
        hex('00 00 000d 0001 0001 00 00000000'),
      ]),
    );
    expect(decodeMessage(frag, new TestSkCipher(KEY))).toMatchObject({
      ok: false,
      protected: false,
      error: { code: 'invalid-value', payloadType: PayloadType.SKF },
    });
  });

  it('encodeMessage refuses plaintext for encrypted exchanges and SK for IKE_SA_INIT', () => {
    expectSyntaxError(() => encodeMessage(informational([])), 'rule-violation');
    const init: IkeMessage = { ...informational([]), exchangeType: ExchangeType.IKE_SA_INIT };
    expectSyntaxError(() => encodeMessage(init, new TestSkCipher(KEY)), 'rule-violation');
    expectSyntaxError(() => encodeMessage({ ...init, exchangeType: 99 }), 'rule-violation');
  });

  it('decodeHeader returns typed errors', () => {
    expect(decodeHeader(new Uint8Array(10))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
  });
});
