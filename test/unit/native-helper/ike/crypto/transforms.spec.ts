import { describe, expect, it } from 'vitest';
import {
  EncrId,
  IntegId,
  KeGroup,
  PrfId,
  encrDescriptor,
  encrKeyBits,
  encrKeymatBytes,
  integDescriptor,
  keDescriptor,
  prfDescriptor,
} from '../../../../../native-helper/ike/crypto/transforms.js';
import { IkeCryptoError } from '../../../../../native-helper/ike/crypto/errors.js';

describe('transform table (IANA IKEv2 parameters)', () => {
  it('IDs', () => {
    expect(EncrId).toEqual({ AES_CBC: 12, AES_GCM_16: 20, CHACHA20_POLY1305: 28 });
    expect(PrfId).toEqual({ HMAC_SHA1: 2, HMAC_SHA2_256: 5, HMAC_SHA2_384: 6, HMAC_SHA2_512: 7 });
    expect(IntegId).toEqual({
      HMAC_SHA1_96: 2,
      HMAC_SHA2_256_128: 12,
      HMAC_SHA2_384_192: 13,
      HMAC_SHA2_512_256: 14,
    });
    expect(Object.values(KeGroup)).toEqual([0, 14, 15, 16, 19, 20, 21, 31, 32]);
  });
  it('sizes', () => {
    expect(encrDescriptor(12)).toMatchObject({
      aead: false,
      ivBytes: 16,
      blockBytes: 16,
      saltBytes: 0,
    });
    expect(encrDescriptor(20)).toMatchObject({
      aead: true,
      ivBytes: 8,
      saltBytes: 4,
      icvBytes: 16,
    });
    expect(encrDescriptor(28)).toMatchObject({
      aead: true,
      ivBytes: 8,
      saltBytes: 4,
      icvBytes: 16,
      keyLengthAttribute: false,
    });
    expect(
      [12, 13, 14, 2].map((i) => [integDescriptor(i)!.keyBytes, integDescriptor(i)!.icvBytes]),
    ).toEqual([
      [32, 16],
      [48, 24],
      [64, 32],
      [20, 12],
    ]);
    expect([2, 5, 6, 7].map((i) => prfDescriptor(i)!.outputBytes)).toEqual([20, 32, 48, 64]);
    expect([14, 15, 16, 19, 20, 21, 31, 32].map((g) => keDescriptor(g)!.publicBytes)).toEqual([
      256, 384, 512, 64, 96, 132, 32, 56,
    ]);
    expect(encrKeymatBytes(20, 256)).toBe(36);
    expect(encrKeymatBytes(12, 192)).toBe(24);
    expect(encrKeymatBytes(28, undefined)).toBe(36);
  });
  it('unknown IDs are undefined; key length errors are typed', () => {
    expect(encrDescriptor(3)).toBeUndefined();
    expect(keDescriptor(2)).toBeUndefined();
    expect(keDescriptor(1025)).toBeUndefined();
    expect(() => encrKeyBits(12, undefined)).toThrow(IkeCryptoError);
    expect(() => encrKeyBits(20, 64)).toThrow(/128\/192\/256/);
    expect(() => encrKeyBits(28, 128)).toThrow(/fixed 256-bit/);
    expect(encrKeyBits(28, 256)).toBe(256);
  });
});
