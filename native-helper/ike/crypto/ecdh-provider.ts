/**
 * Elliptic-curve key agreement: the ECP groups 19/20/21 (RFC 5903) and Curve25519/Curve448
 * (RFC 8031). ke.ts does it with @noble/curves unless the runtime injects this provider
 * (native-helper/platform/crypto/node-crypto-provider.ts: node:crypto, ~30× faster per
 * operation). ke.ts still draws the private keys from the injected Random, checks peer values
 * and types every failure, so both implementations give the same results (cross-checked in
 * tests).
 */
export type EcdhGroupId = 19 | 20 | 21 | 31 | 32;

export interface EcdhProvider {
  /**
   * Our KE payload data for `privateKey`: ECP x‖y for the scalar (big-endian, the group order's
   * length, in [1, n−1]); Curve25519/448 the u-coordinate for the raw private key (clamped here).
   */
  publicValue(group: EcdhGroupId, privateKey: Uint8Array): Uint8Array;
  /**
   * g^ir: ECP the x-coordinate (field length), Curve25519/448 the u-coordinate. Throws for a peer
   * value it refuses (e.g. an all-zero Montgomery result); the caller has checked the length and,
   * for ECP, that the point is on the curve.
   */
  sharedSecret(group: EcdhGroupId, privateKey: Uint8Array, peerValue: Uint8Array): Uint8Array;
}
