import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aeadOpen,
  aeadSeal,
  aesCbcDecrypt,
  aesCbcEncrypt,
  createSkCipher,
  integIcv,
} from '../../../../../native-helper/ike/crypto/sk-ciphers.js';
import type { Random } from '../../../../../native-helper/ike/crypto/random.js';
import { IkeCryptoError } from '../../../../../native-helper/ike/crypto/errors.js';
import { hex, toHex } from '../../../../support/hex.js';
import { loadVectors } from '../../../../support/vectors.js';

/** Returns the queued byte strings in order, then a deterministic counter pattern. */
function fixedRandom(...queue: Uint8Array[]): Random {
  let c = 1;
  return {
    bytes(n) {
      const next = queue.shift();
      if (next) {
        expect(next.length).toBe(n);
        return next.slice();
      }
      return Uint8Array.from({ length: n }, () => c++ & 0xff);
    },
  };
}

interface CbcVec {
  name: string;
  key: string;
  iv: string;
  plain: string;
  cipher: string;
}
interface AeadVec {
  name: string;
  alg: string;
  key: string;
  iv: string;
  adata?: string;
  plain: string;
  cipher: string;
}

describe('AES-CBC (RFC 3602 / SP 800-38A vectors)', () => {
  const { vectors } = loadVectors<{ vectors: CbcVec[] }>('aes_cbc_rfc3602.json');
  it('has the 6 vectors (128/192/256-bit keys)', () => expect(vectors).toHaveLength(6));
  for (const v of vectors) {
    it(`${v.name}: raw encrypt/decrypt`, () => {
      expect(toHex(aesCbcEncrypt(hex(v.key), hex(v.iv), hex(v.plain)))).toBe(v.cipher);
      expect(toHex(aesCbcDecrypt(hex(v.key), hex(v.iv), hex(v.cipher))!)).toBe(v.plain);
    });
    it(`${v.name}: through the SK cipher (seal and open)`, () => {
      // Padded plaintext = vector plain ‖ 15 zero octets ‖ Pad Length 15: the first blocks of the
      // ciphertext are the vector's, followed by one block we compute independently with node.
      const key = hex(v.key);
      const cipher = hex(v.cipher);
      const lastBlock = cipher.subarray(cipher.length - 16);
      const padBlock = new Uint8Array(16);
      padBlock[15] = 15;
      const enc = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
      const extra = enc.update(padBlock.map((b, i) => b ^ lastBlock[i]!));
      const integKey = hex('0b'.repeat(32));
      const aad = hex('00112233445566778899aabbccddeeff2e20230800000001000000502e0000' + '34');
      const sk = createSkCipher(12, key.length * 8, 12, key, integKey, fixedRandom(hex(v.iv)));
      const sealed = sk.seal(aad, hex(v.plain));
      expect(sealed.length).toBe(sk.sealedLength(hex(v.plain).length));
      const expectedCt = Uint8Array.from([...hex(v.iv), ...cipher, ...extra]);
      expect(toHex(sealed.subarray(0, expectedCt.length))).toBe(toHex(expectedCt));
      expect(toHex(sealed.subarray(expectedCt.length))).toBe(
        toHex(integIcv(12, integKey, [aad, expectedCt])),
      );
      expect(toHex(sk.open(aad, sealed)!)).toBe(v.plain);
    });
  }
});

describe('HMAC-SHA2 truncated ICVs (RFC 4868 vectors)', () => {
  const { vectors } = loadVectors<{
    vectors: { name: string; alg: string; key: string; data?: string; mac?: string }[];
  }>('hmac_sha2_rfc4868.json');
  const ids: Record<string, number> = {
    AUTH_HMAC_SHA2_256_128: 12,
    AUTH_HMAC_SHA2_384_192: 13,
    AUTH_HMAC_SHA2_512_256: 14,
  };
  const signers = vectors.filter((v) => v.alg.startsWith('AUTH_'));
  it('has 9 signer vectors', () => expect(signers).toHaveLength(9));
  for (const v of signers) {
    it(v.name, () => {
      const data = hex(v.data!);
      // split the data in two parts: the ICV covers their concatenation
      expect(
        toHex(integIcv(ids[v.alg]!, hex(v.key), [data.subarray(0, 3), data.subarray(3)])),
      ).toBe(v.mac);
    });
  }
  it('HMAC-SHA1-96 (RFC 2202 case 2, truncated)', () => {
    const icv = integIcv(2, new TextEncoder().encode('Jefe'), [
      new TextEncoder().encode('what do ya want for nothing?'),
    ]);
    expect(toHex(icv)).toBe('effcdf6ae5eb2fa2d27416d5');
  });
});

describe('AES-GCM (McGrew & Viega vectors, RFC 4106/5282 salt ‖ IV)', () => {
  const { vectors } = loadVectors<{ vectors: AeadVec[] }>('aes_gcm.json');
  const icvLen: Record<string, number> = {
    ENCR_AES_GCM_ICV8: 8,
    ENCR_AES_GCM_ICV12: 12,
    ENCR_AES_GCM_ICV16: 16,
  };
  it('covers 128/192/256-bit keys', () => {
    expect(new Set(vectors.map((v) => hex(v.key).length))).toEqual(new Set([20, 28, 36]));
  });
  for (const v of vectors) {
    it(`${v.name} (${v.alg})`, () => {
      const aad = hex(v.adata ?? '');
      const sealed = aeadSeal(20, hex(v.key), hex(v.iv), aad, hex(v.plain));
      const plainLen = hex(v.plain).length;
      const n = icvLen[v.alg]!;
      // truncated-ICV variants (ENCR 18/19) carry a prefix of the 16-byte tag
      expect(toHex(sealed.subarray(0, plainLen + n))).toBe(v.cipher);
      if (n === 16) {
        expect(toHex(aeadOpen(20, hex(v.key), hex(v.iv), aad, hex(v.cipher))!)).toBe(v.plain);
        const bad = hex(v.cipher);
        bad[bad.length - 1]! ^= 1;
        expect(aeadOpen(20, hex(v.key), hex(v.iv), aad, bad)).toBeUndefined();
      }
    });
  }
});

describe('ChaCha20-Poly1305 (RFC 8439, RFC 7634 appendices A and B)', () => {
  const { vectors } = loadVectors<{ vectors: AeadVec[] }>('chacha20poly1305.json');
  it('has 4 vectors', () => expect(vectors).toHaveLength(4));
  for (const v of vectors) {
    it(`${v.name}: raw`, () => {
      const aad = hex(v.adata ?? '');
      expect(toHex(aeadSeal(28, hex(v.key), hex(v.iv), aad, hex(v.plain)))).toBe(v.cipher);
      expect(toHex(aeadOpen(28, hex(v.key), hex(v.iv), aad, hex(v.cipher))!)).toBe(v.plain);
    });
  }
  it('chacha20poly1305_4 (RFC 7634 appendix B) through the SK cipher', () => {
    const v = vectors[3]!;
    const sk = createSkCipher(
      28,
      undefined,
      undefined,
      hex(v.key),
      undefined,
      fixedRandom(hex(v.iv)),
    );
    const body = Uint8Array.from([...hex(v.iv), ...hex(v.cipher)]);
    const inner = sk.open(hex(v.adata!), body);
    expect(toHex(inner!)).toBe('0000000c000040010000000a'); // plain minus the Pad Length octet 0
    expect(toHex(sk.seal(hex(v.adata!), inner!))).toBe(toHex(body));
  });
});

describe('RFC 7634 appendix B: the complete encrypted IKEv2 message', () => {
  const m = loadVectors<{
    key: string;
    iv: string;
    inner_plaintext_with_pad: string;
    message: string;
  }>('ikev2_message_chacha20poly1305_rfc7634.json');
  const message = hex(m.message);
  const aad = message.subarray(0, 32);
  const body = message.subarray(32);

  it('header and SK lengths are consistent', () => {
    expect(new DataView(message.buffer).getUint32(24)).toBe(message.length);
    expect(new DataView(message.buffer).getUint16(30)).toBe(message.length - 28);
  });
  it('decrypts to the Notify SET_WINDOW_SIZE payload and re-seals to the same bytes', () => {
    const sk = createSkCipher(
      28,
      undefined,
      undefined,
      hex(m.key),
      undefined,
      fixedRandom(hex(m.iv)),
    );
    expect(sk.sealedLength(12)).toBe(body.length);
    const inner = sk.open(aad, body)!;
    expect(toHex(inner)).toBe(m.inner_plaintext_with_pad.slice(0, -2));
    expect(toHex(sk.seal(aad, inner))).toBe(toHex(body));
  });
  it('rejects a modified header (AAD), IV, ciphertext or tag', () => {
    const sk = createSkCipher(28, 256, undefined, hex(m.key), undefined, fixedRandom());
    for (let i = 0; i < message.length; i++) {
      const copy = message.slice();
      copy[i]! ^= 0x80;
      expect(sk.open(copy.subarray(0, 32), copy.subarray(32))).toBeUndefined();
    }
  });
});

type Config = {
  name: string;
  encr: number;
  bits: number | undefined;
  integ?: number;
  keyLen: number;
  integLen: number;
};
const CONFIGS: Config[] = [
  { name: 'AES-CBC-128/SHA2-256', encr: 12, bits: 128, integ: 12, keyLen: 16, integLen: 32 },
  { name: 'AES-CBC-192/SHA2-384', encr: 12, bits: 192, integ: 13, keyLen: 24, integLen: 48 },
  { name: 'AES-CBC-256/SHA2-512', encr: 12, bits: 256, integ: 14, keyLen: 32, integLen: 64 },
  { name: 'AES-CBC-256/SHA1-96', encr: 12, bits: 256, integ: 2, keyLen: 32, integLen: 20 },
  { name: 'AES-GCM-16-128', encr: 20, bits: 128, keyLen: 20, integLen: 0 },
  { name: 'AES-GCM-16-192', encr: 20, bits: 192, keyLen: 28, integLen: 0 },
  { name: 'AES-GCM-16-256', encr: 20, bits: 256, keyLen: 36, integLen: 0 },
  { name: 'ChaCha20-Poly1305', encr: 28, bits: undefined, keyLen: 36, integLen: 0 },
];

function make(c: Config, seed: number) {
  const key = Uint8Array.from({ length: c.keyLen }, (_, i) => (i * 7 + seed) & 0xff);
  const ik = c.integ
    ? Uint8Array.from({ length: c.integLen }, (_, i) => (i * 13 + seed) & 0xff)
    : undefined;
  return createSkCipher(c.encr, c.bits, c.integ, key, ik, fixedRandom());
}

describe('SK ciphers: round trip, lengths, tampering, hostile input', () => {
  for (const c of CONFIGS) {
    it(`${c.name}: seal/open round trip with exact sealedLength`, () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 300 }),
          fc.uint8Array({ minLength: 1, maxLength: 40 }),
          (inner, aad) => {
            const sk = make(c, 3);
            const body = sk.seal(aad, inner);
            expect(body.length).toBe(sk.sealedLength(inner.length));
            if (c.encr === 12)
              expect((body.length - 16 - (c.integ === 2 ? 12 : c.integLen / 2)) % 16).toBe(0);
            expect(toHex(sk.open(aad, body)!)).toBe(toHex(inner));
          },
        ),
        { numRuns: 60 },
      );
    });
    it(`${c.name}: any flipped bit in AAD or body is rejected`, () => {
      const sk = make(c, 5);
      const aad = hex('0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c2100002c');
      const body = sk.seal(aad, hex('2900000c01000000c0a80001'));
      for (let i = 0; i < aad.length + body.length; i++) {
        const a = aad.slice();
        const b = body.slice();
        if (i < a.length) a[i]! ^= 1 << (i % 8);
        else b[i - a.length]! ^= 1 << (i % 8);
        expect(sk.open(a, b)).toBeUndefined();
      }
    });
    it(`${c.name}: open never throws on random bodies and returns undefined`, () => {
      const sk = make(c, 9);
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 40 }),
          (body, aad) => {
            expect(sk.open(aad, body)).toBeUndefined();
          },
        ),
        { numRuns: 200 },
      );
    });
    it(`${c.name}: a different key does not open`, () => {
      const body = make(c, 1).seal(new Uint8Array(4), hex('00'));
      expect(make(c, 2).open(new Uint8Array(4), body)).toBeUndefined();
    });
  }

  it('AES-CBC: a Pad Length larger than the plaintext is rejected even with a valid ICV', () => {
    const key = hex('11'.repeat(16));
    const ik = hex('22'.repeat(32));
    const iv = hex('33'.repeat(16));
    const plain = new Uint8Array(16);
    plain[15] = 16; // claims 16 padding octets, only 15 available
    const ct = aesCbcEncrypt(key, iv, plain);
    const aad = hex('44'.repeat(32));
    const body = Uint8Array.from([...iv, ...ct, ...integIcv(12, ik, [aad, iv, ct])]);
    const sk = createSkCipher(12, 128, 12, key, ik, fixedRandom());
    expect(sk.open(aad, body)).toBeUndefined();
    plain[15] = 15;
    const ct2 = aesCbcEncrypt(key, iv, plain);
    const body2 = Uint8Array.from([...iv, ...ct2, ...integIcv(12, ik, [aad, iv, ct2])]);
    expect(sk.open(aad, body2)).toEqual(new Uint8Array(0));
  });

  it('AEAD: Pad Length beyond the plaintext is rejected', () => {
    const key = hex('55'.repeat(36));
    const iv = hex('0001020304050607');
    const aad = hex('66'.repeat(32));
    const ct = aeadSeal(20, key, iv, aad, hex('0102'));
    const sk = createSkCipher(20, 256, undefined, key, undefined, fixedRandom());
    expect(sk.open(aad, Uint8Array.from([...iv, ...ct]))).toBeUndefined();
    const ok = aeadSeal(20, key, iv, aad, hex('aabb0101'));
    expect(toHex(sk.open(aad, Uint8Array.from([...iv, ...ok]))!)).toBe('aabb');
  });

  it('AEAD IVs never repeat under one key: counter XOR a random mask', () => {
    const mask = hex('f0e1d2c3b4a59687');
    const sk = createSkCipher(
      20,
      128,
      undefined,
      hex('77'.repeat(20)),
      undefined,
      fixedRandom(mask),
    );
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const iv = sk.seal(new Uint8Array(0), new Uint8Array(0)).subarray(0, 8);
      seen.add(toHex(iv));
      if (i === 0) expect(toHex(iv)).toBe(toHex(mask));
      if (i === 1) expect(toHex(iv)).toBe('f0e1d2c3b4a59686');
    }
    expect(seen.size).toBe(2000);
  });

  it('AES-CBC draws a fresh random IV for every message', () => {
    const sk = make(CONFIGS[0]!, 1);
    const a = sk.seal(new Uint8Array(0), hex('00'));
    const b = sk.seal(new Uint8Array(0), hex('00'));
    expect(toHex(a.subarray(0, 16))).not.toBe(toHex(b.subarray(0, 16)));
  });

  it('configuration errors are typed', () => {
    const r = fixedRandom();
    const bad: [() => unknown, string][] = [
      [
        () => createSkCipher(20, 256, undefined, new Uint8Array(32), undefined, r),
        'bad-key-length',
      ],
      [
        () => createSkCipher(20, 256, 12, new Uint8Array(36), new Uint8Array(32), r),
        'bad-argument',
      ],
      [() => createSkCipher(12, 256, undefined, new Uint8Array(32), undefined, r), 'bad-argument'],
      [
        () => createSkCipher(12, 256, 12, new Uint8Array(32), new Uint8Array(20), r),
        'bad-key-length',
      ],
      [
        () => createSkCipher(12, 512, 12, new Uint8Array(64), new Uint8Array(32), r),
        'bad-key-length',
      ],
      [
        () => createSkCipher(28, 128, undefined, new Uint8Array(20), undefined, r),
        'bad-key-length',
      ],
      [
        () => createSkCipher(3, 192, 12, new Uint8Array(24), new Uint8Array(32), r),
        'unsupported-transform',
      ],
      [
        () => createSkCipher(12, 128, 99, new Uint8Array(16), new Uint8Array(32), r),
        'unsupported-transform',
      ],
    ];
    for (const [f, code] of bad) {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IkeCryptoError);
      expect((caught as IkeCryptoError).code).toBe(code);
    }
  });
});
