import { describe, expect, it } from 'vitest';
import {
  createKeyExchange,
  isSupportedKeGroup,
  tryCreateKeyExchange,
} from '../../../../../native-helper/ike/crypto/ke.js';
import type { KeyExchange } from '../../../../../native-helper/ike/crypto/ke.js';
import { IkeCryptoError } from '../../../../../native-helper/ike/crypto/errors.js';
import type { Random } from '../../../../../native-helper/ike/crypto/random.js';
import {
  nodeEcdhProvider,
  nodeModpProvider,
  nodeRandom,
} from '../../../../../native-helper/platform/crypto/node-crypto-provider.js';
import { hex, toHex } from '../../../../support/hex.js';
import { loadVectors } from '../../../../support/vectors.js';

/** A Random that hands out the given byte strings in order, and fails loudly when exhausted. */
function scripted(...queue: Uint8Array[]): Random {
  return {
    bytes(n) {
      const next = queue.shift();
      if (!next) throw new Error('scripted Random exhausted');
      expect(next.length).toBe(n);
      return next.slice();
    },
  };
}

function shared(ke: KeyExchange, peer: Uint8Array): Uint8Array {
  const r = ke.computeSharedSecret(peer);
  if (!r.ok) throw new Error(`${r.error}: ${r.message}`);
  return r.sharedSecret;
}

/** Every ECP and Curve25519/448 vector and check runs on noble and on the node:crypto provider. */
describe.each([
  ['@noble/curves', {}],
  ['node:crypto (injected EcdhProvider)', { ecdh: nodeEcdhProvider }],
] as const)('%s', (_name, impl) => {
  describe('ECP groups 19/20/21: RFC 5903 §8 vectors', () => {
    const { vectors } = loadVectors<{
      vectors: {
        ike_group: number;
        i: string;
        r: string;
        ke_data_i_gix_giy: string;
        ke_data_r_grx_gry: string;
        shared_girx: string;
      }[];
    }>('ecdh_ecp_rfc5903.json');
    it('has groups 19, 20, 21', () =>
      expect(vectors.map((v) => v.ike_group)).toEqual([19, 20, 21]));
    for (const v of vectors) {
      it(`group ${v.ike_group}: KE data x‖y and g^ir = x both ways`, () => {
        const i = createKeyExchange(v.ike_group, { ...impl, random: scripted(hex(v.i)) });
        const r = createKeyExchange(v.ike_group, { ...impl, random: scripted(hex(v.r)) });
        expect(toHex(i.publicValue)).toBe(v.ke_data_i_gix_giy);
        expect(toHex(r.publicValue)).toBe(v.ke_data_r_grx_gry);
        expect(toHex(shared(i, hex(v.ke_data_r_grx_gry)))).toBe(v.shared_girx);
        expect(toHex(shared(r, hex(v.ke_data_i_gix_giy)))).toBe(v.shared_girx);
      });
    }
  });

  describe('ECP: RFC 5114 vectors (strongSwan test_vectors/ecp.c)', () => {
    const { vectors } = loadVectors<{
      vectors: { name: string; seed: string; pub_i: string; pub_r: string; shared: string }[];
    }>('ecdh_ecp_rfc5114.json');
    const groups: Record<string, number> = { ecp256: 19, ecp384: 20, ecp521: 21 };
    for (const v of vectors) {
      const group = groups[v.name];
      if (group === undefined) {
        it(`${v.name}: group not supported (192/224-bit curves are too weak) → typed error`, () => {
          const id = v.name === 'ecp192' ? 25 : 26;
          expect(() => createKeyExchange(id, { ...impl, random: nodeRandom })).toThrow(
            IkeCryptoError,
          );
        });
        continue;
      }
      it(`${v.name} (group ${group})`, () => {
        const seed = hex(v.seed);
        const half = seed.length / 2;
        const i = createKeyExchange(group, { ...impl, random: scripted(seed.slice(0, half)) });
        const r = createKeyExchange(group, { ...impl, random: scripted(seed.slice(half)) });
        expect(toHex(i.publicValue)).toBe(v.pub_i);
        expect(toHex(r.publicValue)).toBe(v.pub_r);
        expect(toHex(shared(i, r.publicValue))).toBe(v.shared);
        expect(toHex(shared(r, i.publicValue))).toBe(v.shared);
      });
    }
  });

  describe('Curve25519 / Curve448 (RFC 7748 §6, RFC 8031)', () => {
    const { vectors } = loadVectors<{
      vectors: {
        name: string;
        method: string;
        seed: string;
        pub_i: string;
        pub_r: string;
        shared: string;
      }[];
    }>('x25519_x448.json');
    it('has 25519 and 448 vectors', () =>
      expect(new Set(vectors.map((v) => v.method))).toEqual(new Set(['CURVE_25519', 'CURVE_448'])));
    for (const v of vectors) {
      it(v.name, () => {
        const group = v.method === 'CURVE_25519' ? 31 : 32;
        const seed = hex(v.seed);
        const half = seed.length / 2;
        const i = createKeyExchange(group, { ...impl, random: scripted(seed.slice(0, half)) });
        const r = createKeyExchange(group, { ...impl, random: scripted(seed.slice(half)) });
        expect(toHex(i.publicValue)).toBe(v.pub_i);
        expect(toHex(r.publicValue)).toBe(v.pub_r);
        expect(toHex(shared(i, r.publicValue))).toBe(v.shared);
        expect(toHex(shared(r, i.publicValue))).toBe(v.shared);
      });
    }
  });

  describe('MODP group 14 (strongSwan test_vectors/modp.c) through the node provider', () => {
    const { vectors } = loadVectors<{
      vectors: { seed: string; pub_i: string; pub_r: string; shared: string }[];
    }>('modp2048_group14.json');
    const v = vectors[0]!;
    it('public values and the 256-byte shared secret', () => {
      const seed = hex(v.seed);
      const i = createKeyExchange(14, {
        ...impl,
        random: scripted(seed.slice(0, 48)),
        modp: nodeModpProvider,
      });
      const r = createKeyExchange(14, {
        ...impl,
        random: scripted(seed.slice(48)),
        modp: nodeModpProvider,
      });
      expect(i.publicValue.length).toBe(256);
      expect(toHex(i.publicValue)).toBe(v.pub_i);
      expect(toHex(r.publicValue)).toBe(v.pub_r);
      expect(toHex(shared(i, hex(v.pub_r)))).toBe(v.shared);
      expect(toHex(shared(r, hex(v.pub_i)))).toBe(v.shared);
    });
  });

  describe('every supported group: two fresh KeyExchange objects agree', () => {
    for (const group of [14, 15, 16, 19, 20, 21, 31, 32]) {
      it(`group ${group}`, () => {
        const sizes: Record<number, [number, number]> = {
          14: [256, 256],
          15: [384, 384],
          16: [512, 512],
          19: [64, 32],
          20: [96, 48],
          21: [132, 66],
          31: [32, 32],
          32: [56, 56],
        };
        const runs = group <= 16 ? 3 : 10;
        for (let n = 0; n < runs; n++) {
          const a = createKeyExchange(group, {
            ...impl,
            random: nodeRandom,
            modp: nodeModpProvider,
          });
          const b = createKeyExchange(group, {
            ...impl,
            random: nodeRandom,
            modp: nodeModpProvider,
          });
          expect(a.group).toBe(group);
          expect(a.publicValue.length).toBe(sizes[group]![0]);
          const s1 = shared(a, b.publicValue);
          expect(s1.length).toBe(sizes[group]![1]);
          expect(toHex(s1)).toBe(toHex(shared(b, a.publicValue)));
          expect(toHex(a.publicValue)).not.toBe(toHex(b.publicValue));
        }
      });
    }
  });

  describe('peer value validation (typed results, never a throw)', () => {
    it('wrong lengths for every group', () => {
      for (const group of [14, 15, 16, 19, 20, 21, 31, 32]) {
        const ke = createKeyExchange(group, {
          ...impl,
          random: nodeRandom,
          modp: nodeModpProvider,
        });
        for (const delta of [-1, 1]) {
          const r = ke.computeSharedSecret(new Uint8Array(ke.publicValue.length + delta).fill(2));
          expect(r).toMatchObject({ ok: false, error: 'bad-length' });
        }
        expect(ke.computeSharedSecret(new Uint8Array(0))).toMatchObject({
          ok: false,
          error: 'bad-length',
        });
      }
    });

    it('ECP: points off the curve, (0,0), coordinates ≥ p, and a flipped coordinate bit', () => {
      for (const group of [19, 20, 21]) {
        const a = createKeyExchange(group, { ...impl, random: nodeRandom });
        const b = createKeyExchange(group, { ...impl, random: nodeRandom });
        const len = a.publicValue.length;
        const bad: Uint8Array[] = [new Uint8Array(len), new Uint8Array(len).fill(0xff)];
        const flipped = b.publicValue.slice();
        flipped[len - 1]! ^= 1;
        bad.push(flipped);
        for (const peer of bad) {
          const r = a.computeSharedSecret(peer);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error).toBe('not-on-curve');
        }
      }
    });

    it('X25519 / X448: low-order peer values give all-zero-secret', () => {
      const lowOrder25519 = [
        new Uint8Array(32),
        hex('0100000000000000000000000000000000000000000000000000000000000000'),
        hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'),
        hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
      ];
      const a = createKeyExchange(31, { ...impl, random: nodeRandom });
      for (const p of lowOrder25519)
        expect(a.computeSharedSecret(p)).toMatchObject({ ok: false, error: 'all-zero-secret' });
      const b = createKeyExchange(32, { ...impl, random: nodeRandom });
      const one448 = new Uint8Array(56);
      one448[0] = 1;
      for (const p of [new Uint8Array(56), one448]) {
        expect(b.computeSharedSecret(p)).toMatchObject({ ok: false, error: 'all-zero-secret' });
      }
    });

    it('MODP: y ∈ {0, 1, p−1, p, 2^2048−1} is out of range; y = 2 is accepted', () => {
      const ke = createKeyExchange(14, { ...impl, random: nodeRandom, modp: nodeModpProvider });
      const p = nodeModpProvider.prime(14);
      const pMinus1 = p.slice();
      pMinus1[255]! -= 1; // p is odd
      const one = new Uint8Array(256);
      one[255] = 1;
      const two = new Uint8Array(256);
      two[255] = 2;
      for (const y of [new Uint8Array(256), one, pMinus1, p, new Uint8Array(256).fill(0xff)]) {
        expect(ke.computeSharedSecret(y)).toMatchObject({ ok: false, error: 'out-of-range' });
      }
      expect(ke.computeSharedSecret(two).ok).toBe(true);
    });

    it('the shared secret is left-padded to the modulus length for MODP', () => {
      // g^x with x = 1 is 2; a tiny peer value yields short numbers that must be padded
      const ke = createKeyExchange(14, { ...impl, random: nodeRandom, modp: nodeModpProvider });
      const two = new Uint8Array(256);
      two[255] = 2;
      const r = ke.computeSharedSecret(two);
      expect(r.ok && r.sharedSecret.length).toBe(256);
    });
  });
});

describe('unsupported groups are typed errors', () => {
  for (const group of [0, 1, 2, 5, 22, 25, 26, 27, 30, 36, 1024, 1025, 65535, -1, 14.5]) {
    it(`group ${group}`, () => {
      expect(isSupportedKeGroup(group)).toBe(false);
      let caught: unknown;
      try {
        createKeyExchange(group, { random: nodeRandom, modp: nodeModpProvider });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IkeCryptoError);
      expect((caught as IkeCryptoError).code).toBe('unsupported-group');
      const r = tryCreateKeyExchange(group, { random: nodeRandom, modp: nodeModpProvider });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('unsupported-group');
    });
  }
  it('tryCreateKeyExchange succeeds for a supported group', () => {
    const r = tryCreateKeyExchange(19, { random: nodeRandom });
    expect(r.ok && r.ke.publicValue.length).toBe(64);
  });
  it('MODP without a provider', () => {
    expect(() => createKeyExchange(14, { random: nodeRandom })).toThrow(/MODP provider/);
  });
  it('dispose zeroises the private key and later use throws', () => {
    const ke = createKeyExchange(31, { random: nodeRandom });
    const peer = createKeyExchange(31, { random: nodeRandom });
    ke.dispose();
    expect(() => ke.computeSharedSecret(peer.publicValue)).toThrow(IkeCryptoError);
  });
});
