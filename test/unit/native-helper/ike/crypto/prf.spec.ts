import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  prf,
  prfOutputBytes,
  prfPlus,
  prfPlusMaxLength,
} from '../../../../../native-helper/ike/crypto/prf.js';
import { IkeCryptoError } from '../../../../../native-helper/ike/crypto/errors.js';
import { hex, toHex } from '../../../../support/hex.js';
import { loadVectors } from '../../../../support/vectors.js';

interface VecFile<T> {
  vectors: T[];
}
interface PrfVec {
  name: string;
  alg: string;
  key: string;
  seed?: string;
  data?: string;
  out?: string;
  mac?: string;
}
interface KdfVec {
  name: string;
  'arg.prf': string;
  key: string;
  salt: string;
  out: string;
}

const PRF_IDS: Record<string, number> = {
  PRF_HMAC_SHA2_256: 5,
  PRF_HMAC_SHA2_384: 6,
  PRF_HMAC_SHA2_512: 7,
};

describe('prf (RFC 4868 HMAC-SHA2 vectors)', () => {
  const file = loadVectors<VecFile<PrfVec>>('hmac_sha2_rfc4868.json');
  const prfVecs = file.vectors.filter((v) => v.alg.startsWith('PRF_'));
  it('has PRF vectors for all three hashes', () => {
    expect(prfVecs.length).toBeGreaterThanOrEqual(15);
  });
  for (const v of prfVecs) {
    it(v.name, () => {
      expect(toHex(prf(PRF_IDS[v.alg]!, hex(v.key), hex(v.seed!)))).toBe(v.out);
    });
  }
  it('HMAC-SHA1 PRF (ID 2) matches RFC 2202 test case 1', () => {
    expect(toHex(prf(2, hex('0b'.repeat(20)), new TextEncoder().encode('Hi There')))).toBe(
      'b617318655057264e28bc0b6fb378c8ef146be00',
    );
  });
  it('output lengths', () => {
    expect([2, 5, 6, 7].map(prfOutputBytes)).toEqual([20, 32, 48, 64]);
  });
  it('rejects unknown PRF IDs with a typed error', () => {
    expect(() => prf(4, new Uint8Array(16), new Uint8Array(1))).toThrow(IkeCryptoError);
  });
});

describe('prf+ (RFC 7296 §2.13)', () => {
  const file = loadVectors<VecFile<KdfVec>>('ikev2_prf_plus.json');
  it('has all 7 vectors', () => expect(file.vectors).toHaveLength(7));
  for (const v of file.vectors) {
    it(v.name, () => {
      const out = hex(v.out);
      expect(toHex(prfPlus(PRF_IDS[v['arg.prf']]!, hex(v.key), hex(v.salt), out.length))).toBe(
        v.out,
      );
    });
  }

  it('is a prefix-consistent stream and agrees with a direct node:crypto construction', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const seed = hex('a0a1a2a3');
    let t = Buffer.alloc(0);
    const chunks: Buffer[] = [];
    for (let n = 1; n <= 5; n++) {
      t = createHmac('sha384', key)
        .update(t)
        .update(seed)
        .update(Buffer.from([n]))
        .digest();
      chunks.push(t);
    }
    const expected = Buffer.concat(chunks);
    for (const len of [0, 1, 47, 48, 49, 200, 240]) {
      expect(toHex(prfPlus(6, key, seed, len))).toBe(expected.subarray(0, len).toString('hex'));
    }
  });

  it('allows exactly 255 blocks and refuses more', () => {
    expect(prfPlusMaxLength(5)).toBe(255 * 32);
    const max = prfPlus(5, hex('01'), hex('02'), 255 * 32);
    expect(max.length).toBe(8160);
    expect(() => prfPlus(5, hex('01'), hex('02'), 255 * 32 + 1)).toThrow(/at most 8160 bytes/);
    try {
      prfPlus(2, hex('01'), hex('02'), 255 * 20 + 1);
    } catch (e) {
      expect(e).toBeInstanceOf(IkeCryptoError);
      expect((e as IkeCryptoError).code).toBe('prf-plus-too-long');
    }
  });
});
