/**
 * Protection of the Encrypted (SK, RFC 7296 §3.14) and Encrypted Fragment (SKF, RFC 7383 §2.5)
 * payload bodies for one direction of an IKE SA. The message codec builds the associated data
 * (IKE header ‖ SK/SKF generic header ‖ for SKF the fragment number and total) with the final
 * lengths, which it computes with `sealedLength`; the cipher does IV, padding, encryption and ICV.
 *
 *   body = IV ‖ E(inner payloads ‖ padding ‖ Pad Length) ‖ ICV
 *
 * AEAD (AES-GCM-16, RFC 5282 §5; ChaCha20-Poly1305, RFC 7634 §4): AAD = the associated data,
 * nonce = salt(4) ‖ IV(8). Normal mode (AES-CBC + HMAC-SHA2, RFC 7296 §3.14): the ICV is the
 * truncated HMAC over associated data ‖ IV ‖ ciphertext, and is verified before decrypting.
 */
export interface SkCipher {
  /** Length of the body (IV + ciphertext with padding + ICV) for `innerLength` plaintext bytes. */
  sealedLength(innerLength: number): number;
  /** Encrypts and authenticates; returns exactly `sealedLength(inner.length)` bytes. */
  seal(associatedData: Uint8Array, inner: Uint8Array): Uint8Array;
  /**
   * Verifies the ICV first, then decrypts and strips the padding. Returns the inner payload bytes,
   * or undefined when the body is malformed or does not authenticate (never throws for bad input).
   */
  open(associatedData: Uint8Array, body: Uint8Array): Uint8Array | undefined;
}
