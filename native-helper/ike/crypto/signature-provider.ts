/**
 * What the sans-I/O core needs from a public-key implementation it does not have itself (RSA
 * for sure; noble lacks it). The node:crypto implementation lives outside ike/, in
 * native-helper/platform/crypto/node-signature-provider.ts; tests may inject their own.
 *
 * The provider does the raw mathematics and the padding checks (PKCS#1 v1.5 and PSS are
 * verified by OpenSSL, never hand-parsed: strongSwan CVE-2018-16151/16152); the core decides
 * which scheme is acceptable for which key and method.
 */

export type HashAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

export type PublicKeyDescription =
  | { kind: 'rsa'; bits: number }
  /** An id-RSASSA-PSS key: may only be used with PSS. */
  | { kind: 'rsa-pss'; bits: number }
  | { kind: 'ec'; curve: EcCurve; bits: number }
  | { kind: 'ed25519'; bits: 256 }
  | { kind: 'unsupported'; description: string };

export type SignatureScheme =
  | { kind: 'rsa-pkcs1'; hash: HashAlgorithm }
  | { kind: 'rsa-pss'; hash: HashAlgorithm; saltLength: number }
  /** `der`: ECDSA-Sig-Value (RFC 7427); `ieee-p1363`: r‖s fixed width (RFC 4754). */
  | { kind: 'ecdsa'; hash: HashAlgorithm; encoding: 'der' | 'ieee-p1363' }
  | { kind: 'ed25519' };

export interface SignatureProvider {
  /** Describes a DER SubjectPublicKeyInfo; `unsupported` for anything else (never throws). */
  describePublicKey(spki: Uint8Array): PublicKeyDescription;
  /** Describes the public half of a PEM private key (PKCS#8 or traditional); undefined if unreadable. */
  describePrivateKey(
    privateKeyPem: string,
  ): { key: PublicKeyDescription; spki: Uint8Array } | undefined;
  /** Signs `data` (the hash is applied by the scheme; Ed25519 signs the data itself). Throws on failure. */
  sign(privateKeyPem: string, scheme: SignatureScheme, data: Uint8Array): Uint8Array;
  /** Verifies; false on any mismatch or malformed input (never throws). */
  verify(
    spki: Uint8Array,
    scheme: SignatureScheme,
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean;
}
