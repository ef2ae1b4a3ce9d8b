import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { md4 } from '../../../../../native-helper/ike/crypto/md4.js';
import { toHex } from '../../../../support/hex.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('md4 (RFC 1320 §A.5 test suite)', () => {
  const suite: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    [
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
      '043f8582f241db351ce627e153e7f0e4',
    ],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    ],
  ];
  for (const [input, digest] of suite) {
    it(`MD4("${input}")`, () => {
      expect(toHex(md4(ascii(input)))).toBe(digest);
    });
  }

  it('handles every length around the 55/56/64-byte padding boundaries deterministically', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 50, maxLength: 130 }), (data) => {
        const a = md4(data);
        expect(a.length).toBe(16);
        expect(toHex(md4(data.slice()))).toBe(toHex(a));
        if (data.length > 0) {
          const flipped = data.slice();
          flipped[0] = flipped[0]! ^ 1;
          expect(toHex(md4(flipped))).not.toBe(toHex(a));
        }
      }),
      { numRuns: 100 },
    );
  });
});
