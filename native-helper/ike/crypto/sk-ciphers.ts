/**
 * SkCipher implementations (see sk-cipher.ts) over @noble/ciphers:
 *  - AES-CBC 128/192/256 + HMAC-SHA2 (RFC 7296 §3.14, RFC 3602, RFC 4868): random 16-byte IV,
 *    ICV = truncated HMAC(SK_a, AAD ‖ IV ‖ ciphertext), checked in constant time before decrypting;
 *  - AES-GCM-16 (RFC 5282) and ChaCha20-Poly1305 (RFC 7634): nonce = salt(4) ‖ IV(8) where the
 *    8-byte IV is a per-key counter XORed with a random mask drawn once, so it never repeats under
 *    one key and does not reveal the message count; 16-byte tag.
 */
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { IkeCryptoError } from './errors.js';
import { constantTimeEqual, hmacParts } from './hash.js';
import type { Random } from './random.js';
import type { SkCipher } from './sk-cipher.js';
import { EncrId, encrKeyBits, requireEncr, requireInteg } from './transforms.js';
import type { IntegDescriptor } from './transforms.js';

/**
 * Creates the SK payload cipher for one direction of an IKE SA.
 * @param encr ENCR transform ID (12, 20 or 28)
 * @param keyBits Key Length attribute (AES: 128/192/256; ChaCha20-Poly1305: undefined or 256)
 * @param integ INTEG transform ID for AES-CBC; undefined (or 0) for AEAD ciphers
 * @param encKey SK_e (‖ 4-byte salt for AEAD), exactly the KEYMAT length
 * @param integKey SK_a for AES-CBC; ignored (pass undefined or an empty array) for AEAD
 */
export function createSkCipher(
  encr: number,
  keyBits: number | undefined,
  integ: number | undefined,
  encKey: Uint8Array,
  integKey: Uint8Array | undefined,
  random: Random,
): SkCipher {
  const d = requireEncr(encr);
  const bits = encrKeyBits(encr, keyBits);
  const expected = bits / 8 + d.saltBytes;
  if (encKey.length !== expected) {
    throw new IkeCryptoError(
      'bad-key-length',
      `${d.name}-${bits} needs a ${expected}-byte key, got ${encKey.length}`,
    );
  }
  if (d.aead) {
    if (integ !== undefined && integ !== 0) {
      throw new IkeCryptoError(
        'bad-argument',
        `${d.name} is an AEAD cipher: no integrity transform may be used`,
      );
    }
    return new AeadSkCipher(encr, encKey.slice(), new IvCounter(random.bytes(8)));
  }
  if (integ === undefined)
    throw new IkeCryptoError('bad-argument', `${d.name} needs an integrity transform`);
  const integD = requireInteg(integ);
  if (!integKey || integKey.length !== integD.keyBytes) {
    throw new IkeCryptoError(
      'bad-key-length',
      `${integD.name} needs a ${integD.keyBytes}-byte key, got ${integKey?.length ?? 0}`,
    );
  }
  return new CbcHmacSkCipher(encKey.slice(), integD, integKey.slice(), random);
}

/** 64-bit IV sequence: counter XOR a fixed random mask (a bijection, so values never repeat). */
class IvCounter {
  private hi = 0;
  private lo = 0;
  private readonly mask: Uint8Array;
  constructor(mask: Uint8Array) {
    if (mask.length !== 8)
      throw new IkeCryptoError('bad-argument', 'Random returned a short IV mask');
    this.mask = mask.slice();
  }

  next(): Uint8Array {
    if (this.hi > 0xffffffff)
      throw new IkeCryptoError('iv-exhausted', 'AEAD IV space exhausted: rekey the IKE SA');
    const iv = new Uint8Array(8);
    const view = new DataView(iv.buffer);
    view.setUint32(0, this.hi);
    view.setUint32(4, this.lo);
    for (let i = 0; i < 8; i++) iv[i]! ^= this.mask[i]!;
    this.lo++;
    if (this.lo > 0xffffffff) {
      this.lo = 0;
      this.hi++;
    }
    return iv;
  }
}

const AEAD_IV = 8;
const AEAD_ICV = 16;

function aeadFor(encr: number, keyWithSalt: Uint8Array, iv: Uint8Array, aad: Uint8Array) {
  const d = requireEncr(encr);
  if (!d.aead) throw new IkeCryptoError('unsupported-transform', `${d.name} is not an AEAD cipher`);
  if (iv.length !== AEAD_IV)
    throw new IkeCryptoError('bad-argument', `AEAD IV must be ${AEAD_IV} bytes`);
  const keyBytes = keyWithSalt.length - d.saltBytes;
  if (!d.keyBits.includes(keyBytes * 8)) {
    throw new IkeCryptoError(
      'bad-key-length',
      `${d.name}: bad key ‖ salt length ${keyWithSalt.length}`,
    );
  }
  const key = keyWithSalt.subarray(0, keyBytes);
  const nonce = new Uint8Array(d.saltBytes + AEAD_IV);
  nonce.set(keyWithSalt.subarray(keyBytes));
  nonce.set(iv, d.saltBytes);
  return encr === EncrId.AES_GCM_16 ? gcm(key, nonce, aad) : chacha20poly1305(key, nonce, aad);
}

/**
 * Raw AEAD (AES-GCM-16 or ChaCha20-Poly1305) as used by IKE and ESP: key ‖ salt from KEYMAT,
 * nonce = salt ‖ 8-byte IV (RFC 4106 §4, RFC 5282, RFC 7634 §2). Returns ciphertext ‖ 16-byte tag.
 */
export function aeadSeal(
  encr: number,
  keyWithSalt: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  plain: Uint8Array,
): Uint8Array {
  return aeadFor(encr, keyWithSalt, iv, aad).encrypt(plain);
}

/** Inverse of aeadSeal; undefined when the tag does not verify or the input is too short. */
export function aeadOpen(
  encr: number,
  keyWithSalt: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < AEAD_ICV) return undefined;
  try {
    return aeadFor(encr, keyWithSalt, iv, aad).decrypt(sealed);
  } catch {
    return undefined;
  }
}

/** Raw AES-CBC without padding (RFC 3602); the length must be a multiple of 16. */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plain: Uint8Array): Uint8Array {
  return cbc(key, iv, { disablePadding: true }).encrypt(plain);
}

/** Raw AES-CBC decryption without padding; undefined for a length that is not a block multiple. */
export function aesCbcDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ct: Uint8Array,
): Uint8Array | undefined {
  if (ct.length % 16 !== 0) return undefined;
  try {
    return cbc(key, iv, { disablePadding: true }).decrypt(ct);
  } catch {
    return undefined;
  }
}

class AeadSkCipher implements SkCipher {
  constructor(
    private readonly encr: number,
    private readonly keyWithSalt: Uint8Array,
    private readonly ivs: IvCounter,
  ) {}

  sealedLength(innerLength: number): number {
    // no block alignment for GCM / ChaCha20: only the Pad Length octet (0 padding bytes)
    return AEAD_IV + innerLength + 1 + AEAD_ICV;
  }

  seal(associatedData: Uint8Array, inner: Uint8Array): Uint8Array {
    const iv = this.ivs.next();
    const plain = new Uint8Array(inner.length + 1);
    plain.set(inner);
    plain[inner.length] = 0;
    const ct = aeadSeal(this.encr, this.keyWithSalt, iv, associatedData, plain);
    plain.fill(0);
    const out = new Uint8Array(AEAD_IV + ct.length);
    out.set(iv);
    out.set(ct, AEAD_IV);
    return out;
  }

  open(associatedData: Uint8Array, body: Uint8Array): Uint8Array | undefined {
    if (body.length < AEAD_IV + 1 + AEAD_ICV) return undefined;
    const plain = aeadOpen(
      this.encr,
      this.keyWithSalt,
      body.subarray(0, AEAD_IV),
      associatedData,
      body.subarray(AEAD_IV),
    );
    return plain && stripPadding(plain);
  }
}

/** Removes Padding ‖ Pad Length; undefined when the Pad Length exceeds what is there. */
function stripPadding(plain: Uint8Array): Uint8Array | undefined {
  if (plain.length < 1) return undefined;
  const padLength = plain[plain.length - 1]!;
  if (padLength > plain.length - 1) {
    plain.fill(0);
    return undefined;
  }
  const inner = plain.slice(0, plain.length - 1 - padLength);
  plain.fill(0);
  return inner;
}

const CBC_BLOCK = 16;

class CbcHmacSkCipher implements SkCipher {
  constructor(
    private readonly key: Uint8Array,
    private readonly integ: IntegDescriptor,
    private readonly integKey: Uint8Array,
    private readonly random: Random,
  ) {}

  sealedLength(innerLength: number): number {
    return CBC_BLOCK + paddedLength(innerLength) + this.integ.icvBytes;
  }

  seal(associatedData: Uint8Array, inner: Uint8Array): Uint8Array {
    const iv = this.random.bytes(CBC_BLOCK);
    if (iv.length !== CBC_BLOCK)
      throw new IkeCryptoError('bad-argument', 'Random returned a short IV');
    const plainLength = paddedLength(inner.length);
    const plain = new Uint8Array(plainLength); // padding octets are zero
    plain.set(inner);
    plain[plainLength - 1] = plainLength - 1 - inner.length;
    const ct = aesCbcEncrypt(this.key, iv, plain);
    plain.fill(0);
    const icv = this.icv(associatedData, iv, ct);
    const out = new Uint8Array(CBC_BLOCK + ct.length + icv.length);
    out.set(iv);
    out.set(ct, CBC_BLOCK);
    out.set(icv, CBC_BLOCK + ct.length);
    return out;
  }

  open(associatedData: Uint8Array, body: Uint8Array): Uint8Array | undefined {
    const icvBytes = this.integ.icvBytes;
    const ctLength = body.length - CBC_BLOCK - icvBytes;
    if (ctLength < CBC_BLOCK || ctLength % CBC_BLOCK !== 0) return undefined;
    const iv = body.subarray(0, CBC_BLOCK);
    const ct = body.subarray(CBC_BLOCK, CBC_BLOCK + ctLength);
    const expected = this.icv(associatedData, iv, ct);
    if (!constantTimeEqual(expected, body.subarray(CBC_BLOCK + ctLength))) return undefined;
    const plain = aesCbcDecrypt(this.key, iv, ct);
    return plain && stripPadding(plain);
  }

  private icv(associatedData: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array {
    return hmacParts(this.integ.hash, this.integKey, [associatedData, iv, ct]).slice(
      0,
      this.integ.icvBytes,
    );
  }
}

/** Integrity checksum: HMAC over the concatenated parts, truncated to the ICV length (RFC 4868). */
export function integIcv(integ: number, key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  const d = requireInteg(integ);
  return hmacParts(d.hash, key, parts).slice(0, d.icvBytes);
}

/** Inner payloads + Pad Length rounded up to the AES block (minimum padding). */
function paddedLength(innerLength: number): number {
  return Math.ceil((innerLength + 1) / CBC_BLOCK) * CBC_BLOCK;
}
