import { describe, expect, it } from 'vitest';
import {
  AuthMethod,
  decodeAuthPayload,
  encodeAuthPayload,
} from '../../../../../native-helper/ike/message/auth-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// AUTH body of frame 3: Shared Key MIC, 32 bytes (PRF_HMAC_SHA2_256).
const AUTH = hex('02 000000 70b2f41866003b7eb3b942a715b323e5b680093bea8dbeba6c4b1607ce24e6d7');

describe('AUTH payload', () => {
  it('decodes and re-encodes the capture', () => {
    const a = decodeAuthPayload(AUTH);
    expect(a.method).toBe(AuthMethod.SHARED_KEY_MIC);
    expect(a.data).toHaveLength(32);
    expect(toHex(encodeAuthPayload(a))).toBe(toHex(AUTH));
  });

  it('rejects truncations, method 0 and empty data', () => {
    expectAllPrefixesRejected(AUTH.subarray(0, 5), decodeAuthPayload);
    expectSyntaxError(() => decodeAuthPayload(hex('00 000000 aa')), 'invalid-value', 'auth method');
  });

  it('checks the AlgorithmIdentifier length of Digital Signature (RFC 7427)', () => {
    expect(decodeAuthPayload(hex('0e 000000 02 0500 aabb')).method).toBe(14);
    expectSyntaxError(
      () => decodeAuthPayload(hex('0e 000000 04 0500 aa')),
      'invalid-value',
      'AlgorithmIdentifier length',
    );
    expectSyntaxError(
      () => decodeAuthPayload(hex('0e 000000 00 aa')),
      'invalid-value',
      'AlgorithmIdentifier length',
    );
  });
});
