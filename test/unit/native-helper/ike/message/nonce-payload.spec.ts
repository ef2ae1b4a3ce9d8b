import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeNoncePayload,
  encodeNoncePayload,
} from '../../../../../native-helper/ike/message/nonce-payload.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

// Ni of frame 1.
const NONCE = hex('4903ac3f47e133437514bb6cd857b85dba662b830f87dba7304b31e73816a302');

describe('Nonce payload', () => {
  it('decodes and re-encodes the capture', () => {
    const n = decodeNoncePayload(NONCE);
    expect(toHex(n.nonce)).toBe(toHex(NONCE));
    expect(toHex(encodeNoncePayload(n))).toBe(toHex(NONCE));
  });

  it('accepts 16..256 bytes and rejects anything else, both ways', () => {
    expect(decodeNoncePayload(new Uint8Array(16)).nonce).toHaveLength(16);
    expect(decodeNoncePayload(new Uint8Array(256)).nonce).toHaveLength(256);
    for (const n of [0, 1, 15, 257, 1000]) {
      expectSyntaxError(
        () => decodeNoncePayload(new Uint8Array(n)),
        'invalid-value',
        'nonce length',
      );
      expectSyntaxError(
        () => encodeNoncePayload({ type: PayloadType.NONCE, nonce: new Uint8Array(n) }),
        'invalid-value',
        'nonce length',
      );
    }
  });

  it('round-trips arbitrary valid nonces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 256 }), (nonce) => {
        expect(
          decodeNoncePayload(encodeNoncePayload({ type: PayloadType.NONCE, nonce })).nonce,
        ).toEqual(nonce);
      }),
    );
  });
});
