/**
 * node:crypto-backed implementations of what the sans-I/O IKE core gets injected: randomness and
 * the MODP groups (RFC 3526) that @noble/curves does not provide.
 */
import { createDiffieHellman, getDiffieHellman, randomBytes } from 'node:crypto';
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
