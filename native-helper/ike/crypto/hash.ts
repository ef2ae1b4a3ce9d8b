/** Hash and HMAC primitives (noble) shared by the PRF, INTEG and NAT-D code. */
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { HashName } from './transforms.js';

const HASHES = { sha1, sha256, sha384, sha512 } as const;

export function hash(name: HashName, data: Uint8Array): Uint8Array {
  return HASHES[name](data);
}

export function hmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(HASHES[name], key, data);
}

/** A keyed HMAC instance that can be fed several parts without concatenating them. */
export function hmacParts(
  name: HashName,
  key: Uint8Array,
  parts: readonly Uint8Array[],
): Uint8Array {
  const h = nobleHmac.create(HASHES[name], key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Constant-time equality for secrets (ICVs, AUTH values): time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Overwrites secrets this module owns (best effort in a GC'd runtime). */
export function zeroise(...arrays: readonly (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}
