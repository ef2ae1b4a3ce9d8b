/**
 * Differential tests: the noble-based control-plane crypto against node:crypto (OpenSSL) on
 * random inputs, at least 200 cases each.
 */
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
} from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createKeyExchange } from '../../../../../native-helper/ike/crypto/ke.js';
import type { KeyExchange } from '../../../../../native-helper/ike/crypto/ke.js';
import { prf } from '../../../../../native-helper/ike/crypto/prf.js';
import type { Random } from '../../../../../native-helper/ike/crypto/random.js';
import {
  aeadOpen,
  aeadSeal,
  aesCbcDecrypt,
  aesCbcEncrypt,
  createSkCipher,
  integIcv,
} from '../../../../../native-helper/ike/crypto/sk-ciphers.js';
import { nodeRandom } from '../../../../../native-helper/platform/crypto/node-crypto-provider.js';
import { toHex } from '../../../../support/hex.js';

const RUNS = { numRuns: 200 };

function firstThen(first: Uint8Array): Random {
  let used = false;
  return {
    bytes(n) {
      if (!used && n === first.length) {
        used = true;
        return first.slice();
      }
      return nodeRandom.bytes(n);
    },
  };
}

function shared(ke: KeyExchange, peer: Uint8Array): Uint8Array {
  const r = ke.computeSharedSecret(peer);
  if (!r.ok) throw new Error(r.message);
  return r.sharedSecret;
}

describe('AEAD: noble ⇄ node:crypto', () => {
  it('AES-GCM-16 (128/192/256): same ciphertext and tag, and each opens the other', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 36, maxLength: 36 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 300 }),
        (klen, keyMat, iv, aad, plain) => {
          const keyWithSalt = keyMat.slice(0, klen + 4);
          const key = keyWithSalt.subarray(0, klen);
          const nonce = Buffer.concat([keyWithSalt.subarray(klen), iv]);
          const c = createCipheriv(`aes-${klen * 8}-gcm` as CipherGCMTypes, key, nonce);
          c.setAAD(aad);
          const node = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
          const ours = aeadSeal(20, keyWithSalt, iv, aad, plain);
          expect(toHex(ours)).toBe(node.toString('hex'));
          expect(toHex(aeadOpen(20, keyWithSalt, iv, aad, node)!)).toBe(toHex(plain));
          const d = createDecipheriv(`aes-${klen * 8}-gcm` as CipherGCMTypes, key, nonce);
          d.setAAD(aad);
          d.setAuthTag(ours.subarray(ours.length - 16));
          expect(
            Buffer.concat([d.update(ours.subarray(0, ours.length - 16)), d.final()]).toString(
              'hex',
            ),
          ).toBe(toHex(plain));
        },
      ),
      RUNS,
    );
  });

  it('ChaCha20-Poly1305: same ciphertext and tag', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 36, maxLength: 36 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 300 }),
        (keyWithSalt, iv, aad, plain) => {
          const nonce = Buffer.concat([keyWithSalt.subarray(32), iv]);
          const c = createCipheriv('chacha20-poly1305', keyWithSalt.subarray(0, 32), nonce, {
            authTagLength: 16,
          });
          c.setAAD(aad, { plaintextLength: plain.length });
          const node = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
          expect(toHex(aeadSeal(28, keyWithSalt, iv, aad, plain))).toBe(node.toString('hex'));
          expect(toHex(aeadOpen(28, keyWithSalt, iv, aad, node)!)).toBe(toHex(plain));
        },
      ),
      RUNS,
    );
  });

  it('SK payload: a body sealed by our GCM/ChaCha SkCipher decrypts with node to inner ‖ Pad Length', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(20, 28),
        fc.uint8Array({ minLength: 36, maxLength: 36 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        (encr, keyWithSalt, aad, inner) => {
          const sk = createSkCipher(
            encr,
            encr === 20 ? 256 : undefined,
            undefined,
            keyWithSalt,
            undefined,
            nodeRandom,
          );
          const body = sk.seal(aad, inner);
          const iv = body.subarray(0, 8);
          const nonce = Buffer.concat([keyWithSalt.subarray(32), iv]);
          const alg = encr === 20 ? 'aes-256-gcm' : 'chacha20-poly1305';
          const d = createDecipheriv(alg as 'aes-256-gcm', keyWithSalt.subarray(0, 32), nonce, {
            authTagLength: 16,
          });
          d.setAAD(aad);
          d.setAuthTag(body.subarray(body.length - 16));
          const plain = Buffer.concat([d.update(body.subarray(8, body.length - 16)), d.final()]);
          expect(plain.toString('hex')).toBe(toHex(inner) + '00');
        },
      ),
      RUNS,
    );
  });
});

describe('AES-CBC and HMAC-SHA2: noble ⇄ node:crypto', () => {
  it('AES-CBC 128/192/256 without padding', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 20 }),
        fc.uint8Array({ minLength: 320, maxLength: 320 }),
        (klen, keyMat, iv, blocks, data) => {
          const key = keyMat.subarray(0, klen);
          const plain = data.subarray(0, blocks * 16);
          const c = createCipheriv(`aes-${klen * 8}-cbc`, key, iv).setAutoPadding(false);
          const node = Buffer.concat([c.update(plain), c.final()]);
          expect(toHex(aesCbcEncrypt(key, iv, plain))).toBe(node.toString('hex'));
          expect(toHex(aesCbcDecrypt(key, iv, node)!)).toBe(toHex(plain));
        },
      ),
      RUNS,
    );
  });

  it('SK payload AES-CBC + HMAC: node verifies our ICV and decrypts our body', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([12, 'sha256', 32, 16], [13, 'sha384', 48, 24], [14, 'sha512', 64, 32]),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        ([integ, hash, klen, icvLen], key, integMat, aad, inner) => {
          const ik = integMat.subarray(0, klen as number);
          const sk = createSkCipher(12, 256, integ as number, key, ik, nodeRandom);
          const body = sk.seal(aad, inner);
          const icv = body.subarray(body.length - (icvLen as number));
          const mac = createHmac(hash as string, ik)
            .update(aad)
            .update(body.subarray(0, body.length - (icvLen as number)))
            .digest()
            .subarray(0, icvLen as number);
          expect(toHex(icv)).toBe(mac.toString('hex'));
          const d = createDecipheriv('aes-256-cbc', key, body.subarray(0, 16)).setAutoPadding(
            false,
          );
          const plain = Buffer.concat([
            d.update(body.subarray(16, body.length - (icvLen as number))),
            d.final(),
          ]);
          const padLen = plain[plain.length - 1]!;
          expect(padLen).toBeLessThan(16);
          expect(plain.subarray(0, plain.length - 1 - padLen).toString('hex')).toBe(toHex(inner));
        },
      ),
      RUNS,
    );
  });

  it('HMAC-SHA1/256/384/512 as PRF and truncated ICV', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          [2, 2, 'sha1', 12],
          [5, 12, 'sha256', 16],
          [6, 13, 'sha384', 24],
          [7, 14, 'sha512', 32],
        ),
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 300 }),
        ([prfId, integId, hash, icvLen], key, data) => {
          const node = createHmac(hash as string, key)
            .update(data)
            .digest();
          expect(toHex(prf(prfId as number, key, data))).toBe(node.toString('hex'));
          expect(toHex(integIcv(integId as number, key, [data]))).toBe(
            node.subarray(0, icvLen as number).toString('hex'),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('key exchange: noble ⇄ node:crypto', () => {
  // RFC 8031: X25519 (group 31, 32-byte values) and X448 (group 32, 56-byte values)
  for (const [group, crv, type, len] of [
    [31, 'X25519', 'x25519', 32],
    [32, 'X448', 'x448', 56],
  ] as const) {
    it(`${crv} (group ${group}): node KeyObjects and our KeyExchange derive the same secret`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: len, maxLength: len }), (priv) => {
          const ours = createKeyExchange(group, { random: firstThen(priv) });
          expect(ours.publicValue).toHaveLength(len);
          const theirs =
            type === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('x448');
          const theirPub = Buffer.from(theirs.publicKey.export({ format: 'jwk' }).x!, 'base64url');
          const ourPubKey = createPublicKey({
            key: { kty: 'OKP', crv, x: Buffer.from(ours.publicValue).toString('base64url') },
            format: 'jwk',
          });
          const nodeSecret = diffieHellman({ privateKey: theirs.privateKey, publicKey: ourPubKey });
          expect(nodeSecret).toHaveLength(len);
          expect(toHex(shared(ours, theirPub))).toBe(nodeSecret.toString('hex'));
          // our public value equals what node computes for the same private key
          const ourPrivKey = createPrivateKey({
            key: {
              kty: 'OKP',
              crv,
              d: Buffer.from(priv).toString('base64url'),
              x: Buffer.from(ours.publicValue).toString('base64url'),
            },
            format: 'jwk',
          });
          expect(createPublicKey(ourPrivKey).export({ format: 'jwk' }).x).toBe(
            Buffer.from(ours.publicValue).toString('base64url'),
          );
        }),
        RUNS,
      );
    });
  }

  for (const [group, curve, len] of [
    [19, 'prime256v1', 32],
    [20, 'secp384r1', 48],
    [21, 'secp521r1', 66],
  ] as const) {
    it(`ECDH group ${group} (${curve}): createECDH agrees on public value and shared x`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: len, maxLength: len }), (seed) => {
          const priv = seed.slice();
          priv[0] = group === 21 ? priv[0]! & 1 : priv[0]! & 0x7f; // keep it below the order
          if (priv.every((b) => b === 0)) priv[len - 1] = 1;
          const ours = createKeyExchange(group, { random: firstThen(priv) });
          const mine = createECDH(curve);
          mine.setPrivateKey(Buffer.from(priv));
          expect('04' + toHex(ours.publicValue)).toBe(mine.getPublicKey('hex', 'uncompressed'));
          const peer = createECDH(curve);
          peer.generateKeys();
          const peerPub = peer.getPublicKey(null, 'uncompressed').subarray(1);
          const nodeSecret = peer.computeSecret(
            Buffer.concat([Buffer.from([4]), ours.publicValue]),
          );
          expect(toHex(shared(ours, peerPub))).toBe(nodeSecret.toString('hex'));
        }),
        { numRuns: group === 21 ? 100 : 200 },
      );
    });
  }
});
