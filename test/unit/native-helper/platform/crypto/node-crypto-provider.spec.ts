import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyExchange } from '../../../../../native-helper/ike/crypto/ke.js';
import type { Random } from '../../../../../native-helper/ike/crypto/random.js';
import {
  nodeEcdhProvider,
  nodeModpProvider,
  nodeRandom,
} from '../../../../../native-helper/platform/crypto/node-crypto-provider.js';
import { hex, toHex } from '../../../../support/hex.js';
import { loadVectors } from '../../../../support/vectors.js';

const big = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + toHex(b)));
function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

describe('nodeRandom', () => {
  it('returns n fresh bytes as a plain Uint8Array', () => {
    const a = nodeRandom.bytes(32);
    const b = nodeRandom.bytes(32);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.length).toBe(32);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(nodeRandom.bytes(0).length).toBe(0);
  });
});

describe('nodeModpProvider', () => {
  it('primes are the RFC 3526 groups 14/15/16 (2048/3072/4096 bits, known prefix/suffix)', () => {
    for (const [g, bits] of [
      [14, 2048],
      [15, 3072],
      [16, 4096],
    ] as const) {
      const p = nodeModpProvider.prime(g);
      expect(p.length * 8).toBe(bits);
      expect(toHex(p.subarray(0, 8))).toBe('ffffffffffffffff');
      expect(toHex(p.subarray(p.length - 8))).toBe('ffffffffffffffff');
      expect(toHex(p.subarray(8, 16))).toBe('c90fdaa22168c234');
    }
    expect(toHex(nodeModpProvider.prime(14))).toBe(getDiffieHellman('modp14').getPrime('hex'));
  });

  it('group 14 vector (strongSwan modp.c): g^x and y^x, padded to 256 bytes', () => {
    const { vectors } = loadVectors<{
      vectors: { seed: string; pub_i: string; pub_r: string; shared: string }[];
    }>('modp2048_group14.json');
    const v = vectors[0]!;
    const seed = hex(v.seed);
    expect(toHex(nodeModpProvider.publicValue(14, seed.subarray(0, 48)))).toBe(v.pub_i);
    expect(toHex(nodeModpProvider.publicValue(14, seed.subarray(48)))).toBe(v.pub_r);
    expect(toHex(nodeModpProvider.sharedSecret(14, seed.subarray(0, 48), hex(v.pub_r)))).toBe(
      v.shared,
    );
  });

  it('agrees with BigInt modular exponentiation, including results with leading zero octets', () => {
    const p = nodeModpProvider.prime(14);
    const P = big(p);
    for (let n = 0; n < 5; n++) {
      const x = nodeRandom.bytes(48);
      const pub = nodeModpProvider.publicValue(14, x);
      expect(pub.length).toBe(256);
      expect(big(pub)).toBe(modPow(2n, big(x), P));
    }
    // y = 2, x = 8: 2^8 = 256 → 254 leading zero octets must be kept
    const y = new Uint8Array(256);
    y[255] = 2;
    const s = nodeModpProvider.sharedSecret(14, hex('08'), y);
    expect(s.length).toBe(256);
    expect(big(s)).toBe(256n);
  });
});

/** Hands out the same random bytes to every KeyExchange made from one recording. */
function replaying(): { record: Random; replay: () => Random } {
  const drawn: Uint8Array[] = [];
  return {
    record: { bytes: (n) => (drawn.push(nodeRandom.bytes(n)), drawn.at(-1)!.slice()) },
    replay: () => {
      const queue = drawn.map((b) => b.slice());
      return { bytes: () => queue.shift()! };
    },
  };
}

describe('nodeEcdhProvider against @noble/curves (differential)', () => {
  for (const group of [19, 20, 21, 31, 32]) {
    it(`group ${group}: the same private key gives the same KE data, and each side agrees with the other`, () => {
      for (let n = 0; n < 20; n++) {
        const keys = replaying();
        const noble = createKeyExchange(group, { random: keys.record });
        const node = createKeyExchange(group, { random: keys.replay(), ecdh: nodeEcdhProvider });
        expect(toHex(node.publicValue)).toBe(toHex(noble.publicValue));
        const peerNoble = createKeyExchange(group, { random: nodeRandom });
        const peerNode = createKeyExchange(group, { random: nodeRandom, ecdh: nodeEcdhProvider });
        for (const peer of [peerNoble, peerNode]) {
          const a = noble.computeSharedSecret(peer.publicValue);
          const b = node.computeSharedSecret(peer.publicValue);
          const c = peer.computeSharedSecret(node.publicValue);
          expect(a.ok && b.ok && c.ok).toBe(true);
          if (a.ok && b.ok && c.ok) {
            expect(toHex(b.sharedSecret)).toBe(toHex(a.sharedSecret));
            expect(toHex(c.sharedSecret)).toBe(toHex(a.sharedSecret));
          }
        }
      }
    });
  }

  it('refuses what noble refuses: an all-zero X25519 result, an ECP scalar out of range', () => {
    expect(() =>
      nodeEcdhProvider.sharedSecret(31, nodeRandom.bytes(32), new Uint8Array(32)),
    ).toThrow();
    expect(() => nodeEcdhProvider.publicValue(19, new Uint8Array(32))).toThrow();
    expect(() => nodeEcdhProvider.publicValue(19, new Uint8Array(32).fill(0xff))).toThrow();
    expect(() => nodeEcdhProvider.publicValue(31, new Uint8Array(31))).toThrow(RangeError);
  });

  it('is much faster than noble per X25519 key pair and agreement', () => {
    const time = (ecdh?: typeof nodeEcdhProvider) => {
      const peer = createKeyExchange(31, { random: nodeRandom }).publicValue;
      const t = performance.now();
      for (let i = 0; i < 20; i++)
        createKeyExchange(31, { random: nodeRandom, ecdh }).computeSharedSecret(peer);
      return performance.now() - t;
    };
    time(nodeEcdhProvider); // warm both up
    time();
    expect(time(nodeEcdhProvider)).toBeLessThan(time());
  });
});
