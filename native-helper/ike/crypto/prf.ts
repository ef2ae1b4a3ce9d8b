/** IKEv2 PRF and prf+ (RFC 7296 §2.13). Only HMAC PRFs are implemented (IDs 2, 5, 6, 7). */
import { IkeCryptoError } from './errors.js';
import { hmac, hmacParts, zeroise } from './hash.js';
import { requirePrf } from './transforms.js';

/** prf(key, data) for the negotiated PRF transform `alg`. */
export function prf(alg: number, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(requirePrf(alg).hash, key, data);
}

/** Output length of the PRF in bytes (also its preferred key length, RFC 7296 §2.14). */
export function prfOutputBytes(alg: number): number {
  return requirePrf(alg).outputBytes;
}

/** The most prf+ can produce: the counter is one octet, so at most 255 blocks. */
export function prfPlusMaxLength(alg: number): number {
  return 255 * requirePrf(alg).outputBytes;
}

/**
 * prf+(K, S) = T1 | T2 | …, T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n); returns the first
 * `length` bytes. Throws when more than 255 blocks would be needed.
 */
export function prfPlus(
  alg: number,
  key: Uint8Array,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  const d = requirePrf(alg);
  if (!Number.isInteger(length) || length < 0) {
    throw new IkeCryptoError(
      'bad-argument',
      `prf+ length must be a non-negative integer, got ${length}`,
    );
  }
  const blocks = Math.ceil(length / d.outputBytes);
  if (blocks > 255) {
    throw new IkeCryptoError(
      'prf-plus-too-long',
      `prf+ with ${d.name} can produce at most ${255 * d.outputBytes} bytes, ${length} requested`,
    );
  }
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  const counter = new Uint8Array(1);
  for (let n = 1; n <= blocks; n++) {
    counter[0] = n;
    const t = hmacParts(d.hash, key, [prev, seed, counter]);
    const off = (n - 1) * d.outputBytes;
    out.set(t.subarray(0, Math.min(t.length, length - off)), off);
    zeroise(prev);
    prev = t;
  }
  zeroise(prev);
  return out;
}
