import { describe, expect, it } from 'vitest';
import {
  AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_384_192,
  AUTH_HMAC_SHA2_512_256,
  ENCR_AES_CBC,
  ENCR_AES_GCM_12,
  ENCR_AES_GCM_16,
  ENCR_AES_GCM_8,
  ENCR_CHACHA20_POLY1305,
  EspAead,
  EspCbc,
  EspHmac,
  espEncrTransform,
  espIntegTransform,
  espKeymatLength,
} from '../../../../native-helper/esp/esp-transforms.js';
import type {
  EspAeadTransform,
  EspCbcTransform,
  EspIntegTransform,
} from '../../../../native-helper/esp/esp-transforms.js';
import { hex, toHex } from '../../../support/hex.js';
import { loadVectors } from '../../../support/vectors.js';

interface AeadVector {
  name: string;
  alg: string;
  key_size: number;
  key: string;
  iv: string;
  adata?: string;
  plain: string;
  cipher: string;
}
interface CbcVector {
  name: string;
  key_size: number;
  key: string;
  iv: string;
  plain: string;
  cipher: string;
}
interface HmacVector {
  name: string;
  alg: string;
  key: string;
  data?: string;
  mac?: string;
}

const AEAD_IDS: Record<string, number> = {
  ENCR_AES_GCM_ICV8: ENCR_AES_GCM_8,
  ENCR_AES_GCM_ICV12: ENCR_AES_GCM_12,
  ENCR_AES_GCM_ICV16: ENCR_AES_GCM_16,
  ENCR_CHACHA20_POLY1305: ENCR_CHACHA20_POLY1305,
};
const INTEG_IDS: Record<string, number> = {
  AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_384_192,
  AUTH_HMAC_SHA2_512_256,
};

function aeadFor(v: AeadVector): EspAead {
  const t = espEncrTransform(AEAD_IDS[v.alg]!, v.key_size * 8);
  if (t?.kind !== 'aead') throw new Error(`no AEAD transform for ${v.alg}/${v.key_size}`);
  return new EspAead(t, hex(v.key));
}

function checkAeadVectors(vectors: AeadVector[]) {
  for (const v of vectors) {
    const aead = aeadFor(v);
    const plain = hex(v.plain);
    const aad = hex(v.adata ?? '');
    const iv = hex(v.iv);
    const expected = hex(v.cipher);
    const icvLength = aead.transform.icvLength;
    expect(expected.length, v.name).toBe(plain.length + icvLength);

    const out = Buffer.alloc(plain.length + icvLength);
    aead.sealInto(iv, aad, plain, out, 0);
    expect(toHex(out), v.name).toBe(v.cipher);

    // In place, as the SA does it: the plaintext is a view of the output region.
    const inPlace = Buffer.alloc(3 + plain.length + icvLength);
    inPlace.set(plain, 3);
    aead.sealInto(iv, aad, inPlace.subarray(3, 3 + plain.length), inPlace, 3);
    expect(toHex(inPlace.subarray(3)), v.name).toBe(v.cipher);

    const ct = expected.subarray(0, plain.length);
    const icv = expected.subarray(plain.length);
    expect(toHex(aead.open(iv, aad, ct, icv)!), v.name).toBe(v.plain);

    // Any flipped bit in ciphertext, ICV, AAD or IV fails authentication.
    const badIcv = new Uint8Array(icv);
    badIcv[0] = badIcv[0]! ^ 0x01;
    expect(aead.open(iv, aad, ct, badIcv), v.name).toBeUndefined();
    if (ct.length > 0) {
      const badCt = new Uint8Array(ct);
      badCt[ct.length - 1] = badCt[ct.length - 1]! ^ 0x80;
      expect(aead.open(iv, aad, badCt, icv), v.name).toBeUndefined();
    }
    const badIv = new Uint8Array(iv);
    badIv[7] = badIv[7]! ^ 0x01;
    expect(aead.open(badIv, aad, ct, icv), v.name).toBeUndefined();
    expect(aead.open(iv, Uint8Array.of(...aad, 0), ct, icv), v.name).toBeUndefined();
    expect(aead.open(iv, aad, ct, icv.subarray(1)), v.name).toBeUndefined();
  }
}

describe('ESP transforms', () => {
  it('has the IANA IDs and RFC sizes', () => {
    const row = (id: number, bits?: number) => {
      const t = espEncrTransform(id, bits)!;
      return [t.name, t.kind, t.keyLength, t.saltLength, t.keymatLength, t.ivLength, t.blockSize];
    };
    expect(row(ENCR_AES_CBC, 128)).toEqual(['aes128-cbc', 'cbc', 16, 0, 16, 16, 16]);
    expect(row(ENCR_AES_CBC, 192)).toEqual(['aes192-cbc', 'cbc', 24, 0, 24, 16, 16]);
    expect(row(ENCR_AES_CBC, 256)).toEqual(['aes256-cbc', 'cbc', 32, 0, 32, 16, 16]);
    expect(row(ENCR_AES_GCM_16, 128)).toEqual(['aes128gcm16', 'aead', 16, 4, 20, 8, 4]);
    expect(row(ENCR_AES_GCM_16, 192)).toEqual(['aes192gcm16', 'aead', 24, 4, 28, 8, 4]);
    expect(row(ENCR_AES_GCM_16, 256)).toEqual(['aes256gcm16', 'aead', 32, 4, 36, 8, 4]);
    expect(row(ENCR_CHACHA20_POLY1305)).toEqual(['chacha20poly1305', 'aead', 32, 4, 36, 8, 4]);
    expect(row(ENCR_CHACHA20_POLY1305, 256)[0]).toBe('chacha20poly1305');
    expect((espEncrTransform(ENCR_AES_GCM_16, 256) as EspAeadTransform).icvLength).toBe(16);
    expect((espEncrTransform(ENCR_AES_GCM_12, 256) as EspAeadTransform).icvLength).toBe(12);
    expect((espEncrTransform(ENCR_AES_GCM_8, 128) as EspAeadTransform).icvLength).toBe(8);
    expect([ENCR_AES_CBC, ENCR_AES_GCM_16, ENCR_CHACHA20_POLY1305]).toEqual([12, 20, 28]);

    expect(espEncrTransform(ENCR_AES_CBC)).toBeUndefined();
    expect(espEncrTransform(ENCR_AES_CBC, 512)).toBeUndefined();
    expect(espEncrTransform(ENCR_AES_GCM_16, 64)).toBeUndefined();
    expect(espEncrTransform(ENCR_CHACHA20_POLY1305, 128)).toBeUndefined();
    expect(espEncrTransform(3, 192)).toBeUndefined(); // 3DES: not offered

    const integ = (id: number) => {
      const t = espIntegTransform(id)!;
      return [t.name, t.keyLength, t.icvLength, t.hash];
    };
    expect(integ(12)).toEqual(['sha256_128', 32, 16, 'sha256']);
    expect(integ(13)).toEqual(['sha384_192', 48, 24, 'sha384']);
    expect(integ(14)).toEqual(['sha512_256', 64, 32, 'sha512']);
    expect(espIntegTransform(2)).toBeUndefined(); // HMAC-SHA1-96: not offered

    expect(espKeymatLength(espEncrTransform(ENCR_AES_GCM_16, 256)!)).toBe(36);
    expect(espKeymatLength(espEncrTransform(ENCR_AES_CBC, 128)!, espIntegTransform(12))).toBe(
      16 + 32,
    );
    expect(espKeymatLength(espEncrTransform(ENCR_AES_CBC, 256)!, espIntegTransform(14))).toBe(
      32 + 64,
    );
  });

  it('AES-GCM matches aes_gcm.json (key ‖ salt, ICV 8/12/16, 128/192/256)', () => {
    const { vectors } = loadVectors<{ vectors: AeadVector[] }>('aes_gcm.json');
    expect(vectors.length).toBeGreaterThanOrEqual(20);
    checkAeadVectors(vectors);
  });

  it('ChaCha20-Poly1305 matches chacha20poly1305.json (RFC 7539, RFC 7634 ESP and IKEv2)', () => {
    const { vectors } = loadVectors<{ vectors: AeadVector[] }>('chacha20poly1305.json');
    expect(vectors).toHaveLength(4);
    checkAeadVectors(vectors);
  });

  it('AES-CBC matches aes_cbc_rfc3602.json', () => {
    const { vectors } = loadVectors<{ vectors: CbcVector[] }>('aes_cbc_rfc3602.json');
    expect(vectors).toHaveLength(6);
    for (const v of vectors) {
      const t = espEncrTransform(ENCR_AES_CBC, v.key_size * 8) as EspCbcTransform;
      const cbc = new EspCbc(t, hex(v.key));
      const out = Buffer.alloc(v.plain.length / 2);
      cbc.encryptInto(hex(v.iv), hex(v.plain), out, 0);
      expect(toHex(out), v.name).toBe(v.cipher);
      expect(toHex(cbc.decrypt(hex(v.iv), hex(v.cipher))!), v.name).toBe(v.plain);
    }
    const cbc = new EspCbc(
      espEncrTransform(ENCR_AES_CBC, 128) as EspCbcTransform,
      new Uint8Array(16),
    );
    expect(cbc.decrypt(new Uint8Array(16), new Uint8Array(15))).toBeUndefined();
    expect(cbc.decrypt(new Uint8Array(16), new Uint8Array(0))).toBeUndefined();
    expect(() =>
      cbc.encryptInto(new Uint8Array(16), new Uint8Array(17), Buffer.alloc(32), 0),
    ).toThrow(RangeError);
  });

  it('truncated HMAC-SHA2 matches hmac_sha2_rfc4868.json (AUTH_HMAC_SHA2_*)', () => {
    const { vectors } = loadVectors<{ vectors: HmacVector[] }>('hmac_sha2_rfc4868.json');
    const integ = vectors.filter((v) => v.alg.startsWith('AUTH_'));
    expect(integ).toHaveLength(9);
    for (const v of integ) {
      const t = espIntegTransform(INTEG_IDS[v.alg]!) as EspIntegTransform;
      const h = new EspHmac(t, hex(v.key));
      expect(toHex(h.compute(hex(v.data!))), v.name).toBe(v.mac);
      const out = Buffer.alloc(t.icvLength + 2);
      h.computeInto(hex(v.data!), out, 1);
      expect(toHex(out.subarray(1, 1 + t.icvLength)), v.name).toBe(v.mac);
      expect(h.verify(hex(v.data!), hex(v.mac!)), v.name).toBe(true);
      const bad = hex(v.mac!);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      expect(h.verify(hex(v.data!), bad), v.name).toBe(false);
      expect(h.verify(hex(v.data!), hex(v.mac!).subarray(1)), v.name).toBe(false);
    }
  });

  it('rejects keys of the wrong length', () => {
    const gcm = espEncrTransform(ENCR_AES_GCM_16, 128) as EspAeadTransform;
    expect(() => new EspAead(gcm, new Uint8Array(16))).toThrow(/20 bytes/);
    const cbc = espEncrTransform(ENCR_AES_CBC, 256) as EspCbcTransform;
    expect(() => new EspCbc(cbc, new Uint8Array(16))).toThrow(/32-byte/);
    expect(() => new EspHmac(espIntegTransform(13)!, new Uint8Array(32))).toThrow(/48-byte/);
  });
});
