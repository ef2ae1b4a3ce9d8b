/**
 * ESP transforms (IANA "IKEv2 Parameters", Transform Types 1 and 3) with every size the data plane
 * needs, and the node:crypto primitives behind them (PLATFORM.md: node:crypto is 6–50× faster per
 * packet than a pure implementation, so the data plane uses it; the control plane uses noble).
 *
 *   AEAD (RFC 4106 AES-GCM, RFC 7634 ChaCha20-Poly1305): KEYMAT = key ‖ salt(4);
 *     nonce = salt ‖ IV(8); AAD = SPI ‖ Seq (no ESN); ICV = the tag.
 *   AES-CBC (RFC 3602) + HMAC-SHA2 (RFC 4868): IV(16) random per packet; ICV = HMAC over
 *     SPI ‖ Seq ‖ IV ‖ ciphertext, truncated to half the hash length.
 *
 * The primitives write into caller-supplied buffers and read from views, so one ESP packet costs
 * one output allocation plus what node:crypto allocates itself.
 */
import type { Cipher, CipherGCMTypes, KeyObject } from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  timingSafeEqual,
} from 'node:crypto';
import { EncrId, IntegId } from '../ike/crypto/transforms.js';

// Transform Type 1 (Encryption Algorithm) IDs usable for ESP: the IKE table's, plus the AES-GCM
// variants with shorter ICVs that only ESP may negotiate.
export const ENCR_AES_CBC = EncrId.AES_CBC;
export const ENCR_AES_GCM_8 = 18;
export const ENCR_AES_GCM_12 = 19;
export const ENCR_AES_GCM_16 = EncrId.AES_GCM_16;
export const ENCR_CHACHA20_POLY1305 = EncrId.CHACHA20_POLY1305;

// Transform Type 3 (Integrity Algorithm) IDs (HMAC-SHA1-96 is not offered for ESP).
export const AUTH_HMAC_SHA2_256_128 = IntegId.HMAC_SHA2_256_128;
export const AUTH_HMAC_SHA2_384_192 = IntegId.HMAC_SHA2_384_192;
export const AUTH_HMAC_SHA2_512_256 = IntegId.HMAC_SHA2_512_256;

export type EspEncrId =
  | typeof ENCR_AES_CBC
  | typeof ENCR_AES_GCM_8
  | typeof ENCR_AES_GCM_12
  | typeof ENCR_AES_GCM_16
  | typeof ENCR_CHACHA20_POLY1305;
export type EspIntegId =
  typeof AUTH_HMAC_SHA2_256_128 | typeof AUTH_HMAC_SHA2_384_192 | typeof AUTH_HMAC_SHA2_512_256;

/** An AEAD transform: integrity is part of it (no separate INTEG transform may be negotiated). */
export interface EspAeadTransform {
  readonly kind: 'aead';
  readonly id: EspEncrId;
  readonly name: string;
  /** Key length in bits (the Key Length attribute; fixed 256 for ChaCha20-Poly1305). */
  readonly keyBits: number;
  readonly keyLength: number;
  readonly saltLength: 4;
  /** KEYMAT taken for this transform: key ‖ salt. */
  readonly keymatLength: number;
  readonly ivLength: 8;
  readonly icvLength: number;
  /** Alignment of payload ‖ padding ‖ PadLen ‖ NextHeader (RFC 4303 §2.4: 4 for stream modes). */
  readonly blockSize: 4;
  readonly cipherName: CipherGCMTypes | 'chacha20-poly1305';
}

export interface EspCbcTransform {
  readonly kind: 'cbc';
  readonly id: typeof ENCR_AES_CBC;
  readonly name: string;
  readonly keyBits: number;
  readonly keyLength: number;
  readonly saltLength: 0;
  readonly keymatLength: number;
  readonly ivLength: 16;
  readonly blockSize: 16;
  readonly cipherName: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';
}

export type EspEncrTransform = EspAeadTransform | EspCbcTransform;

export interface EspIntegTransform {
  readonly id: EspIntegId;
  readonly name: string;
  /** Key length in bytes (RFC 4868 §2.1.1: the hash output length). */
  readonly keyLength: number;
  /** Truncated ICV length in bytes (RFC 4868 §2.6: half the hash output). */
  readonly icvLength: number;
  readonly hash: 'sha256' | 'sha384' | 'sha512';
}

/**
 * The encryption transform for an IANA ID and Key Length attribute (bits), or undefined when the
 * pair is not supported. ChaCha20-Poly1305 takes no Key Length attribute (RFC 7634 §2): pass
 * nothing or 256.
 */
export function espEncrTransform(id: number, keyBits?: number): EspEncrTransform | undefined {
  switch (id) {
    case ENCR_AES_CBC: {
      const bits = keyBits ?? 0;
      if (!isAesKeyBits(bits)) return undefined;
      return {
        kind: 'cbc',
        id,
        name: `aes${bits}-cbc`,
        keyBits: bits,
        keyLength: bits / 8,
        saltLength: 0,
        keymatLength: bits / 8,
        ivLength: 16,
        blockSize: 16,
        cipherName: `aes-${bits}-cbc`,
      };
    }
    case ENCR_AES_GCM_8:
    case ENCR_AES_GCM_12:
    case ENCR_AES_GCM_16: {
      const bits = keyBits ?? 0;
      if (!isAesKeyBits(bits)) return undefined;
      const icvLength = id === ENCR_AES_GCM_8 ? 8 : id === ENCR_AES_GCM_12 ? 12 : 16;
      return {
        kind: 'aead',
        id,
        name: `aes${bits}gcm${icvLength}`,
        keyBits: bits,
        keyLength: bits / 8,
        saltLength: 4,
        keymatLength: bits / 8 + 4,
        ivLength: 8,
        icvLength,
        blockSize: 4,
        cipherName: `aes-${bits}-gcm`,
      };
    }
    case ENCR_CHACHA20_POLY1305:
      if (keyBits !== undefined && keyBits !== 256) return undefined;
      return {
        kind: 'aead',
        id,
        name: 'chacha20poly1305',
        keyBits: 256,
        keyLength: 32,
        saltLength: 4,
        keymatLength: 36,
        ivLength: 8,
        icvLength: 16,
        blockSize: 4,
        cipherName: 'chacha20-poly1305',
      };
    default:
      return undefined;
  }
}

function isAesKeyBits(bits: number): bits is 128 | 192 | 256 {
  return bits === 128 || bits === 192 || bits === 256;
}

/** The integrity transform for an IANA ID, or undefined when not supported. */
export function espIntegTransform(id: number): EspIntegTransform | undefined {
  switch (id) {
    case AUTH_HMAC_SHA2_256_128:
      return { id, name: 'sha256_128', keyLength: 32, icvLength: 16, hash: 'sha256' };
    case AUTH_HMAC_SHA2_384_192:
      return { id, name: 'sha384_192', keyLength: 48, icvLength: 24, hash: 'sha384' };
    case AUTH_HMAC_SHA2_512_256:
      return { id, name: 'sha512_256', keyLength: 64, icvLength: 32, hash: 'sha512' };
    default:
      return undefined;
  }
}

/**
 * KEYMAT bytes one direction of a Child SA takes (RFC 7296 §2.17: encryption key first, then the
 * integrity key).
 */
export function espKeymatLength(encr: EspEncrTransform, integ?: EspIntegTransform): number {
  return encr.keymatLength + (encr.kind === 'cbc' && integ ? integ.keyLength : 0);
}

/**
 * AEAD with a fixed key: nonce = salt ‖ iv. A cipher context costs one createCipheriv per packet
 * (node:crypto binds the nonce at creation); the key is imported once and the nonce buffer reused.
 */
export class EspAead {
  readonly transform: EspAeadTransform;
  private readonly key: KeyObject;
  private readonly nonce: Buffer;
  private readonly options: { authTagLength: number };

  /** `keymat` = key ‖ salt, exactly `transform.keymatLength` bytes. */
  constructor(transform: EspAeadTransform, keymat: Uint8Array) {
    if (keymat.length !== transform.keymatLength) {
      throw new RangeError(
        `${transform.name}: expected ${transform.keymatLength} bytes of KEYMAT, got ${keymat.length}`,
      );
    }
    this.transform = transform;
    this.key = createSecretKey(keymat.subarray(0, transform.keyLength));
    this.nonce = Buffer.alloc(12);
    this.nonce.set(keymat.subarray(transform.keyLength), 0);
    this.options = { authTagLength: transform.icvLength };
  }

  /**
   * Encrypts `plaintext` and writes ciphertext ‖ ICV at `out[offset…]`. `plaintext` may be a view
   * of that same region (in-place): node:crypto reads it fully before anything is written back.
   */
  sealInto(
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Buffer,
    offset: number,
  ): void {
    this.nonce.set(iv, 4);
    // The union of cipher names defeats the createCipheriv overloads; both modes return a CipherGCM-
    // compatible object (setAAD, getAuthTag).
    const cipher = createCipheriv(
      this.transform.cipherName as CipherGCMTypes,
      this.key,
      this.nonce,
      this.options,
    );
    cipher.setAAD(aad);
    const ct = cipher.update(plaintext);
    ct.copy(out, offset);
    const tail = cipher.final();
    if (tail.length !== 0) tail.copy(out, offset + ct.length);
    cipher.getAuthTag().copy(out, offset + plaintext.length);
  }

  /** Verifies and decrypts; undefined when the ICV does not match. Never throws for bad input. */
  open(
    iv: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    icv: Uint8Array,
  ): Buffer | undefined {
    if (icv.length !== this.transform.icvLength) return undefined;
    this.nonce.set(iv, 4);
    const decipher = createDecipheriv(
      this.transform.cipherName as CipherGCMTypes,
      this.key,
      this.nonce,
      this.options,
    );
    decipher.setAuthTag(icv);
    decipher.setAAD(aad);
    const pt = decipher.update(ciphertext);
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return pt;
  }
}

/** AES-CBC without padding (ESP pads itself, RFC 4303 §2.4) and a fixed key. */
export class EspCbc {
  readonly transform: EspCbcTransform;
  private readonly key: KeyObject;

  constructor(transform: EspCbcTransform, key: Uint8Array) {
    if (key.length !== transform.keyLength) {
      throw new RangeError(
        `${transform.name}: expected a ${transform.keyLength}-byte key, got ${key.length}`,
      );
    }
    this.transform = transform;
    this.key = createSecretKey(key);
  }

  /** Encrypts whole blocks into `out[offset…]`; `plaintext` may be a view of that region. */
  encryptInto(iv: Uint8Array, plaintext: Uint8Array, out: Buffer, offset: number): void {
    if (plaintext.length % 16 !== 0) throw new RangeError('AES-CBC plaintext must be whole blocks');
    const cipher: Cipher = createCipheriv(this.transform.cipherName, this.key, iv);
    cipher.setAutoPadding(false);
    const ct = cipher.update(plaintext);
    ct.copy(out, offset);
    cipher.final().copy(out, offset + ct.length);
  }

  /** Decrypts whole blocks; undefined when the length is not a positive multiple of 16. */
  decrypt(iv: Uint8Array, ciphertext: Uint8Array): Buffer | undefined {
    if (ciphertext.length === 0 || ciphertext.length % 16 !== 0 || iv.length !== 16) {
      return undefined;
    }
    const decipher = createDecipheriv(this.transform.cipherName, this.key, iv);
    decipher.setAutoPadding(false);
    const pt = decipher.update(ciphertext);
    const tail = decipher.final();
    return tail.length === 0 ? pt : Buffer.concat([pt, tail]);
  }
}

/** Truncated HMAC-SHA2 (RFC 4868) with a fixed key. */
export class EspHmac {
  readonly transform: EspIntegTransform;
  private readonly key: KeyObject;

  constructor(transform: EspIntegTransform, key: Uint8Array) {
    if (key.length !== transform.keyLength) {
      throw new RangeError(
        `${transform.name}: expected a ${transform.keyLength}-byte key, got ${key.length}`,
      );
    }
    this.transform = transform;
    this.key = createSecretKey(key);
  }

  /** Writes the truncated ICV of `data` at `out[offset…]`. */
  computeInto(data: Uint8Array, out: Buffer, offset: number): void {
    createHmac(this.transform.hash, this.key)
      .update(data)
      .digest()
      .copy(out, offset, 0, this.transform.icvLength);
  }

  /** The truncated ICV of `data`. */
  compute(data: Uint8Array): Buffer {
    return createHmac(this.transform.hash, this.key)
      .update(data)
      .digest()
      .subarray(0, this.transform.icvLength);
  }

  /** Constant-time comparison of `icv` with the ICV of `data`. */
  verify(data: Uint8Array, icv: Uint8Array): boolean {
    if (icv.length !== this.transform.icvLength) return false;
    return timingSafeEqual(this.compute(data), icv);
  }
}
