import { describe, it, expect } from 'vitest';
import { desEncryptBlock, expandDesKey } from '../../../../../native-helper/ike/crypto/des.js';
import { hex, toHex } from '../../../../support/hex.js';

describe('desEncryptBlock', () => {
  // Known-answer vectors: the classic worked example (Grabbe, "The DES Algorithm Illustrated"),
  // and FIPS 81 / NBS SP 500-20 style vectors.
  const vectors: [string, string, string][] = [
    ['133457799bbcdff1', '0123456789abcdef', '85e813540f0ab405'],
    ['0e329232ea6d0d73', '8787878787878787', '0000000000000000'],
    ['0123456789abcdef', '4e6f772069732074', '3fa40e8a984d4815'], // "Now is t" (FIPS 81 ECB example)
    ['0101010101010101', '95f8a5e5dd31d900', '8000000000000000'], // SP 500-20 variable plaintext
    ['8001010101010101', '0000000000000000', '95a8d72813daa94d'], // SP 500-20 variable key
  ];
  for (const [key, pt, ct] of vectors) {
    it(`E(${key}, ${pt}) = ${ct}`, () => {
      expect(toHex(desEncryptBlock(hex(key), hex(pt)))).toBe(ct);
    });
  }

  it('ignores the parity bits of the key', () => {
    const a = desEncryptBlock(hex('133457799bbcdff1'), hex('0123456789abcdef'));
    const b = desEncryptBlock(hex('123456789abcdef0'), hex('0123456789abcdef'));
    expect(toHex(a)).toBe(toHex(b));
  });

  it('rejects wrong sizes', () => {
    expect(() => desEncryptBlock(new Uint8Array(7), new Uint8Array(8))).toThrow(RangeError);
    expect(() => desEncryptBlock(new Uint8Array(8), new Uint8Array(9))).toThrow(RangeError);
  });
});

describe('expandDesKey', () => {
  it('spreads 56 bits over 8 bytes with odd parity', () => {
    expect(toHex(expandDesKey(hex('ffffffffffffff')))).toBe('fefefefefefefefe');
    expect(toHex(expandDesKey(hex('00000000000000')))).toBe('0101010101010101');
    const out = expandDesKey(hex('0123456789abcd'));
    for (const byte of out) {
      let ones = 0;
      for (let i = 0; i < 8; i++) ones += (byte >> i) & 1;
      expect(ones % 2).toBe(1);
    }
    // 0x01 23 45 67 89 ab cd = 0000000 1001000 1101000 1010110 0111100 0100110 1010111 1001101
    expect(toHex(expandDesKey(hex('0123456789abcd')))).toBe('0191d0ad794cae9b');
  });
});
