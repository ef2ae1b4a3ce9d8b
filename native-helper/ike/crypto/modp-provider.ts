/**
 * MODP Diffie-Hellman (RFC 3526 groups 14, 15, 16, generator 2) is not in noble; the runtime
 * injects this provider (native-helper/platform/crypto/node-crypto-provider.ts uses node:crypto).
 * All values are big-endian; outputs are left-padded to the modulus length.
 */
export type ModpGroupId = 14 | 15 | 16;

export interface ModpProvider {
  /** The group's prime p (big-endian, modulus length). */
  prime(group: ModpGroupId): Uint8Array;
  /** g^x mod p for the private exponent x. */
  publicValue(group: ModpGroupId, privateExponent: Uint8Array): Uint8Array;
  /** y^x mod p; the caller has already checked 1 < y < p − 1. */
  sharedSecret(group: ModpGroupId, privateExponent: Uint8Array, peerValue: Uint8Array): Uint8Array;
}
