import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import {
  decodePayloadChain,
  encodePayloadChain,
  payloadsOf,
} from '../../../../../native-helper/ike/message/payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

const NONCE16 = '00112233445566778899aabbccddeeff';
/** Nonce → unknown type 60 (non-critical) → N(FRAGMENTATION_SUPPORTED). */
const CHAIN = hex(`3c 00 0014 ${NONCE16}  29 00 0007 aabbcc  00 00 0008 0000402e`);

describe('payload chain', () => {
  it('decodes known payloads and keeps a non-critical unknown one raw', () => {
    const { payloads, encrypted } = decodePayloadChain(CHAIN, 0, PayloadType.NONCE, true);
    expect(encrypted).toBeUndefined();
    expect(payloads.map((p) => p.type)).toEqual([PayloadType.NONCE, 'unknown', PayloadType.NOTIFY]);
    expect(payloads[1]).toEqual({ type: 'unknown', payloadType: 60, body: hex('aabbcc') });
    expect(payloadsOf(payloads, PayloadType.NOTIFY)[0]!.notifyType).toBe(16430);
  });

  it('re-encodes the chain, unknown payload included', () => {
    const { payloads } = decodePayloadChain(CHAIN, 0, PayloadType.NONCE, true);
    const enc = encodePayloadChain(payloads);
    expect(enc.firstPayload).toBe(PayloadType.NONCE);
    expect(toHex(enc.bytes)).toBe(toHex(CHAIN));
    expect(encodePayloadChain([])).toEqual({ firstPayload: 0, bytes: new Uint8Array(0) });
  });

  it('rejects an unknown payload with the critical bit, naming its type', () => {
    const b = CHAIN.slice();
    b[21] = 0x80;
    const e = expectSyntaxError(
      () => decodePayloadChain(b, 0, PayloadType.NONCE, true),
      'unsupported-critical-payload',
    );
    expect(e.payloadType).toBe(60);
  });

  it('treats IKEv1 payload types (1–13) and 49–52 as unknown', () => {
    for (const t of [1, 5, 13, 49, 52, 128, 255]) {
      const chain = hex('00 00 0005 ff');
      expect(decodePayloadChain(chain, 0, t, true).payloads).toEqual([
        { type: 'unknown', payloadType: t, body: hex('ff') },
      ]);
      const critical = hex('00 80 0005 ff');
      expect(
        expectSyntaxError(
          () => decodePayloadChain(critical, 0, t, true),
          'unsupported-critical-payload',
        ).payloadType,
      ).toBe(t);
    }
  });

  it('ignores the critical bit and RESERVED bits of known payloads', () => {
    const b = CHAIN.slice();
    b[1] = 0xff;
    expect(decodePayloadChain(b, 0, PayloadType.NONCE, true).payloads).toHaveLength(3);
  });

  it('rejects payload lengths below 4, past the end, and zero', () => {
    for (const len of [0, 1, 3]) {
      const b = CHAIN.slice();
      b[3] = len;
      expectSyntaxError(
        () => decodePayloadChain(b, 0, PayloadType.NONCE, true),
        'bad-length',
        'payload length',
      );
    }
    const past = CHAIN.slice();
    past[CHAIN.length - 5] = 0x09;
    expectSyntaxError(
      () => decodePayloadChain(past, 0, PayloadType.NONCE, true),
      'bad-length',
      'payload length',
    );
  });

  it('rejects trailing bytes and a chain that promises more than there is', () => {
    const trailing = new Uint8Array(CHAIN.length + 1);
    trailing.set(CHAIN);
    expectSyntaxError(
      () => decodePayloadChain(trailing, 0, PayloadType.NONCE, true),
      'bad-length',
      'payload chain',
    );
    const more = CHAIN.slice();
    more[CHAIN.length - 8] = PayloadType.NOTIFY;
    expectSyntaxError(
      () => decodePayloadChain(more, 0, PayloadType.NONCE, true),
      'truncated',
      'generic header',
    );
    expectSyntaxError(
      () => decodePayloadChain(CHAIN.subarray(0, 2), 0, PayloadType.NONCE, true),
      'truncated',
    );
  });

  it('ends the chain at SK, which must be last, and refuses SK inside SK', () => {
    const sk = hex(`2e 00 0008 0000402e  23 00 0008 aabbccdd`);
    const r = decodePayloadChain(sk, 0, PayloadType.NOTIFY, true);
    expect(r.payloads).toHaveLength(1);
    expect(r.encrypted).toMatchObject({ type: PayloadType.SK, firstPayload: 35, headerOffset: 8 });
    expect(toHex(r.encrypted!.body)).toBe('aabbccdd');
    const notLast = hex(`2e 00 0008 0000402e  29 00 0008 aabbccdd 00 00 0008 0000402e`);
    expectSyntaxError(
      () => decodePayloadChain(notLast, 0, PayloadType.NOTIFY, true),
      'rule-violation',
    );
    expectSyntaxError(() => decodePayloadChain(sk, 0, PayloadType.NOTIFY, false), 'invalid-value');
    expectSyntaxError(
      () => decodePayloadChain(hex('00 00 0008 00010001'), 0, PayloadType.SKF, false),
      'invalid-value',
    );
  });

  it('refuses to encode an "unknown" payload that carries a known type', () => {
    expectSyntaxError(
      () =>
        encodePayloadChain([
          { type: 'unknown', payloadType: PayloadType.NONCE, body: new Uint8Array(16) },
        ]),
      'invalid-value',
    );
  });
});
