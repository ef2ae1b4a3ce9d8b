/**
 * The contract of a native ESP crypto backend (native-helper/native/src/esp_crypto_linux.c, loaded
 * by platform/crypto/esp-native-linux.ts): one cipher context per SA direction with the key set once,
 * and batches of packets per call. EspSa uses it when one is passed in its config and it accepts
 * the transform; otherwise EspSa does the crypto with node:crypto (esp-transforms.ts). Both paths
 * produce the same bytes (test/unit/native-helper/esp/esp-native.spec.ts checks them against each
 * other).
 *
 * The backend does crypto and framing only. The protocol decisions stay in EspSa: sequence
 * numbers and their exhaustion, Next Header, the replay window (checked before, committed after
 * authentication), trailer and inner-packet checks, counters.
 */
import type { EspEncrTransform, EspIntegTransform } from './esp-transforms.js';

/** `nextHeaders[i]` value that leaves inner packet i out of a sealed batch. */
export const NATIVE_SKIP = 256;

export interface EspNativeSaParams {
  spi: number;
  encr: EspEncrTransform;
  /** AEAD: key ‖ salt; AES-CBC: the key. */
  encrKey: Uint8Array;
  integ?: EspIntegTransform;
  integKey?: Uint8Array;
  /** 8 bytes XORed into AEAD IVs (IV = seq64 ⊕ mask). */
  ivMask: Uint8Array;
}

export interface EspNativeSa {
  /**
   * Seals `inners[i]` for every i < count with `nextHeaders[i]` < NATIVE_SKIP, in order, with
   * sequence numbers firstSeq, firstSeq + 1, …, back to back into `out` (each packet exactly
   * `EspSa.sealedLength(inner.length)` bytes). AES-CBC takes 16 bytes of `ivs` per sealed packet.
   * Returns the bytes written.
   */
  seal(
    inners: readonly Uint8Array[],
    count: number,
    nextHeaders: Uint16Array,
    firstSeq: number,
    out: Uint8Array,
    ivs?: Uint8Array,
  ): number;
  /** One packet into `out` (at offset 0). */
  seal1(inner: Uint8Array, nextHeader: number, seq: number, out: Uint8Array, iv?: Uint8Array): void;
  /**
   * Authenticates `packets[i]` where `status[i]` is 1 (other entries are left alone) and decrypts
   * its ciphertext (the bytes between IV and ICV) into `out`, those packets' plaintexts back to
   * back in order; `status[i]` becomes 1 or 0. A failed packet's region holds nothing meaningful.
   * The packets are not written to. Returns how many were authentic.
   */
  open(packets: readonly Uint8Array[], count: number, status: Uint8Array, out: Uint8Array): number;
  /** One packet: true when authentic, its plaintext then at the start of `out`. */
  open1(packet: Uint8Array, out: Uint8Array): boolean;
}

export interface EspNativeBackend {
  /** For logs and the benchmark: e.g. "OpenSSL 3.0.19 (tsunagi_esp)". */
  readonly description: string;
  /** A context for this SA, or undefined when this transform stays on node:crypto. */
  createSa(params: EspNativeSaParams): EspNativeSa | undefined;
}
