/**
 * node:crypto-backed implementations of what the sans-I/O IKE core gets injected: randomness, the
 * MODP groups (RFC 3526) that @noble/curves does not provide, and the elliptic-curve key
 * agreement (OpenSSL: X25519 ≈ 34 µs and P-256 ≈ 87 µs against noble's 1 ms and 2.6 ms).
 */
import {
  createDiffieHellman,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  getDiffieHellman,
  randomBytes,
} from 'node:crypto';
import type { EcdhGroupId, EcdhProvider } from '../../ike/crypto/ecdh-provider.js';
import type { ModpGroupId, ModpProvider } from '../../ike/crypto/modp-provider.js';
import type { Random } from '../../ike/crypto/random.js';

export const nodeRandom: Random = {
  bytes(n: number): Uint8Array {
    return new Uint8Array(randomBytes(n));
  },
};

const GROUP_NAMES: Record<ModpGroupId, string> = { 14: 'modp14', 15: 'modp15', 16: 'modp16' };
const primes = new Map<ModpGroupId, Buffer>();

function primeOf(group: ModpGroupId): Buffer {
  let p = primes.get(group);
  if (!p) {
    const name = GROUP_NAMES[group];
    if (!name) throw new RangeError(`unsupported MODP group ${String(group)}`);
    p = getDiffieHellman(name).getPrime();
    primes.set(group, p);
  }
  return p;
}

function withExponent(group: ModpGroupId, exponent: Uint8Array) {
  const dh = createDiffieHellman(primeOf(group), 2);
  dh.setPrivateKey(Buffer.from(exponent));
  return dh;
}

function pad(b: Buffer, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}

export const nodeModpProvider: ModpProvider = {
  prime(group) {
    return new Uint8Array(primeOf(group));
  },
  publicValue(group, privateExponent) {
    const dh = withExponent(group, privateExponent);
    return pad(dh.generateKeys(), primeOf(group).length);
  },
  sharedSecret(group, privateExponent, peerValue) {
    const dh = withExponent(group, privateExponent);
    return pad(dh.computeSecret(Buffer.from(peerValue)), primeOf(group).length);
  },
};

const ECP_CURVES: Partial<Record<EcdhGroupId, string>> = {
  19: 'prime256v1',
  20: 'secp384r1',
  21: 'secp521r1',
};

/**
 * Curve25519/448 keys enter node:crypto as JWK (RFC 8037 OKP): importing them that way costs
 * ~40 µs where the PKCS#8/SPKI DER forms cost ~350/75 µs (OpenSSL's decoders), which was the
 * largest single item in a warm connect's CPU profile. For a private key node:crypto derives the
 * public key from `d` and only requires `x` to be present: a zero placeholder is passed (the
 * differential tests against noble and the RFC 7748 vectors prove the results).
 */
const MONTGOMERY: Partial<Record<EcdhGroupId, { bytes: number; crv: 'X25519' | 'X448' }>> = {
  31: { bytes: 32, crv: 'X25519' },
  32: { bytes: 56, crv: 'X448' },
};

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

function montgomeryKey(group: EcdhGroupId, privateKey: Uint8Array) {
  const m = MONTGOMERY[group];
  if (!m || privateKey.length !== m.bytes)
    throw new RangeError(`not a Curve25519/448 private key for group ${group}`);
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: m.crv, d: b64url(privateKey), x: b64url(new Uint8Array(m.bytes)) },
    format: 'jwk',
  });
  return { m, key };
}

function ecdhFor(group: EcdhGroupId, privateKey: Uint8Array) {
  const curve = ECP_CURVES[group];
  if (!curve) throw new RangeError(`unsupported ECDH group ${group}`);
  const ecdh = createECDH(curve);
  ecdh.setPrivateKey(Buffer.from(privateKey)); // checks 1 ≤ k < n
  return ecdh;
}

export const nodeEcdhProvider: EcdhProvider = {
  publicValue(group, privateKey) {
    if (MONTGOMERY[group]) {
      const { key } = montgomeryKey(group, privateKey);
      const { x } = createPublicKey(key).export({ format: 'jwk' });
      return new Uint8Array(Buffer.from(x!, 'base64url'));
    }
    // uncompressed point 04‖x‖y: the KE data is x‖y (RFC 5903 §7)
    return new Uint8Array(ecdhFor(group, privateKey).getPublicKey().subarray(1));
  },
  sharedSecret(group, privateKey, peerValue) {
    if (MONTGOMERY[group]) {
      const { m, key } = montgomeryKey(group, privateKey);
      if (peerValue.length !== m.bytes)
        throw new RangeError(
          `a ${m.crv} public value has ${m.bytes} bytes, not ${peerValue.length}`,
        );
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: m.crv, x: b64url(peerValue) },
        format: 'jwk',
      });
      // OpenSSL refuses an all-zero result (a low-order peer value): this throws then
      return new Uint8Array(diffieHellman({ privateKey: key, publicKey }));
    }
    const point = Buffer.concat([Buffer.from([4]), peerValue]);
    return new Uint8Array(ecdhFor(group, privateKey).computeSecret(point));
  },
};
