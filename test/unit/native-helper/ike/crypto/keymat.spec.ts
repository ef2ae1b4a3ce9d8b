import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  childSaKeymatLength,
  deriveChildSaKeys,
  deriveIkeSaKeys,
  rekeyedSkeyseed,
  skeyseed,
} from '../../../../../native-helper/ike/crypto/keymat.js';
import { prfPlus } from '../../../../../native-helper/ike/crypto/prf.js';
import { hex, toHex } from '../../../../support/hex.js';
import { loadVectors } from '../../../../support/vectors.js';

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

describe('SKEYSEED = prf(Ni | Nr, g^ir) (NIST CAVP SP 800-135 vectors)', () => {
  const file = loadVectors<{ vectors: KdfVec[] }>('ikev2_skeyseed_prf.json');
  it('has all 6 vectors', () => expect(file.vectors).toHaveLength(6));
  for (const v of file.vectors) {
    it(v.name, () => {
      // salt = Ni | Nr (the HMAC key); split anywhere, the concatenation is the key
      const nonces = hex(v.salt);
      const half = nonces.length >> 1;
      const out = skeyseed(
        PRF_IDS[v['arg.prf']]!,
        nonces.subarray(0, half),
        nonces.subarray(half),
        hex(v.key),
      );
      expect(toHex(out)).toBe(v.out);
    });
  }
  it('uses the nonces as the key (swapping key and data changes the result)', () => {
    const v = file.vectors[0]!;
    const wrong = createHmac('sha256', hex(v.key)).update(hex(v.salt)).digest('hex');
    expect(wrong).not.toBe(v.out);
  });
});

const ni = hex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff');
const nr = hex('ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100');
const spiI = hex('0102030405060708');
const spiR = hex('1112131415161718');
const seedKey = hex('5a'.repeat(32));

describe('deriveIkeSaKeys', () => {
  it('AES-GCM-256 + PRF-SHA256: SK_e = 32+4 bytes, no SK_a, keys are consecutive prf+ output', () => {
    const k = deriveIkeSaKeys({ encr: 20, encrKeyBits: 256, prf: 5 }, seedKey, {
      nonceI: ni,
      nonceR: nr,
      spiI,
      spiR,
    });
    const stream = prfPlus(
      5,
      seedKey,
      Uint8Array.from([...ni, ...nr, ...spiI, ...spiR]),
      32 * 3 + 36 * 2,
    );
    expect(k.skAi.length).toBe(0);
    expect(k.skAr.length).toBe(0);
    expect(toHex(k.skD)).toBe(toHex(stream.subarray(0, 32)));
    expect(toHex(k.skEi)).toBe(toHex(stream.subarray(32, 68)));
    expect(toHex(k.skEr)).toBe(toHex(stream.subarray(68, 104)));
    expect(toHex(k.skPi)).toBe(toHex(stream.subarray(104, 136)));
    expect(toHex(k.skPr)).toBe(toHex(stream.subarray(136, 168)));
  });

  it('AES-CBC-128 + HMAC-SHA2-384-192 + PRF-SHA512 sizes and order', () => {
    const k = deriveIkeSaKeys({ encr: 12, encrKeyBits: 128, prf: 7, integ: 13 }, seedKey, {
      nonceI: ni,
      nonceR: nr,
      spiI,
      spiR,
    });
    const lens = [64, 48, 48, 16, 16, 64, 64];
    const stream = prfPlus(7, seedKey, Uint8Array.from([...ni, ...nr, ...spiI, ...spiR]), 320);
    const got = [k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr];
    let off = 0;
    got.forEach((key, i) => {
      expect(key.length).toBe(lens[i]);
      expect(toHex(key)).toBe(toHex(stream.subarray(off, off + lens[i]!)));
      off += lens[i]!;
    });
  });

  it('ChaCha20-Poly1305 takes 36-byte SK_e', () => {
    const k = deriveIkeSaKeys({ encr: 28, prf: 6 }, seedKey, {
      nonceI: ni,
      nonceR: nr,
      spiI,
      spiR,
    });
    expect(k.skEi.length).toBe(36);
    expect(k.skD.length).toBe(48);
  });

  it('rejects AEAD + INTEG, CBC without INTEG, bad key lengths and unknown transforms', () => {
    const inputs = { nonceI: ni, nonceR: nr, spiI, spiR };
    expect(() =>
      deriveIkeSaKeys({ encr: 20, encrKeyBits: 256, prf: 5, integ: 12 }, seedKey, inputs),
    ).toThrow(/AEAD/);
    expect(() => deriveIkeSaKeys({ encr: 12, encrKeyBits: 256, prf: 5 }, seedKey, inputs)).toThrow(
      /integrity/,
    );
    expect(() =>
      deriveIkeSaKeys({ encr: 12, encrKeyBits: 100, prf: 5, integ: 12 }, seedKey, inputs),
    ).toThrow(/key length/);
    expect(() => deriveIkeSaKeys({ encr: 20, prf: 5 }, seedKey, inputs)).toThrow(/key length/);
    expect(() =>
      deriveIkeSaKeys({ encr: 3, encrKeyBits: 192, prf: 5, integ: 12 }, seedKey, inputs),
    ).toThrow(/unsupported encryption/);
  });
});

describe('rekeyedSkeyseed (RFC 7296 §2.18)', () => {
  it('= prf_old(SK_d_old, g^ir(new) | Ni | Nr)', () => {
    const skD = hex('aa'.repeat(48));
    const g = hex('cc'.repeat(32));
    const expected = createHmac('sha384', skD).update(g).update(ni).update(nr).digest('hex');
    expect(toHex(rekeyedSkeyseed(6, skD, g, ni, nr))).toBe(expected);
  });
});

describe('deriveChildSaKeys (RFC 7296 §2.17)', () => {
  const skD = hex('42'.repeat(32));
  it('KEYMAT order encr_i, integ_i, encr_r, integ_r for AES-CBC-256/SHA2-256', () => {
    const t = { encr: 12, encrKeyBits: 256, integ: 12 };
    expect(childSaKeymatLength(t)).toBe(2 * (32 + 32));
    const k = deriveChildSaKeys(5, skD, { nonceI: ni, nonceR: nr }, t);
    const stream = prfPlus(5, skD, Uint8Array.from([...ni, ...nr]), 128);
    expect(toHex(k.encrI)).toBe(toHex(stream.subarray(0, 32)));
    expect(toHex(k.integI)).toBe(toHex(stream.subarray(32, 64)));
    expect(toHex(k.encrR)).toBe(toHex(stream.subarray(64, 96)));
    expect(toHex(k.integR)).toBe(toHex(stream.subarray(96, 128)));
  });
  it('with PFS the new g^ir comes first in the seed; AEAD has empty integ keys', () => {
    const g = hex('77'.repeat(56));
    const k = deriveChildSaKeys(
      5,
      skD,
      { sharedSecret: g, nonceI: ni, nonceR: nr },
      { encr: 20, encrKeyBits: 128 },
    );
    const stream = prfPlus(5, skD, Uint8Array.from([...g, ...ni, ...nr]), 40);
    expect(toHex(k.encrI)).toBe(toHex(stream.subarray(0, 20)));
    expect(toHex(k.encrR)).toBe(toHex(stream.subarray(20, 40)));
    expect(k.integI.length).toBe(0);
    expect(k.integR.length).toBe(0);
  });
});
