/**
 * IKE SA and Child SA key derivation (RFC 7296 §2.13, §2.14, §2.17, §2.18).
 *
 *   SKEYSEED = prf(Ni | Nr, g^ir)                                      (nonces are the key)
 *   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 *   rekey:   SKEYSEED = prf_old(SK_d_old, g^ir(new) | Ni | Nr)
 *   Child:   KEYMAT = prf+(SK_d, [g^ir(new) |] Ni | Nr) → encr_i, integ_i, encr_r, integ_r
 *
 * AEAD transforms take key + salt for SK_e* and have no SK_a*. Only HMAC PRFs are supported, so
 * the full nonces are the SKEYSEED key (the AES-XCBC/CMAC truncation of §2.14 does not apply).
 */
import { IkeCryptoError } from './errors.js';
import { concat, zeroise } from './hash.js';
import { prf, prfPlus } from './prf.js';
import { encrKeymatBytes, requireEncr, requireInteg, requirePrf } from './transforms.js';

/** The negotiated IKE SA transforms (integ is absent for AEAD ciphers). */
export interface IkeSaTransforms {
  readonly encr: number;
  /** Key Length attribute in bits (AES); omitted for ChaCha20-Poly1305. */
  readonly encrKeyBits?: number | undefined;
  readonly prf: number;
  readonly integ?: number | undefined;
}

/** The negotiated ESP transforms of a Child SA. */
export interface ChildSaTransforms {
  readonly encr: number;
  readonly encrKeyBits?: number | undefined;
  readonly integ?: number | undefined;
}

export interface IkeSaKeys {
  readonly skD: Uint8Array;
  /** Empty for AEAD. */
  readonly skAi: Uint8Array;
  readonly skAr: Uint8Array;
  /** Encryption key ‖ salt for AEAD. */
  readonly skEi: Uint8Array;
  readonly skEr: Uint8Array;
  readonly skPi: Uint8Array;
  readonly skPr: Uint8Array;
}

export interface ChildSaKeys {
  /** Initiator → responder encryption key (‖ salt for AEAD). */
  readonly encrI: Uint8Array;
  /** Initiator → responder integrity key; empty for AEAD. */
  readonly integI: Uint8Array;
  readonly encrR: Uint8Array;
  readonly integR: Uint8Array;
}

export interface IkeSaKeyInputs {
  readonly nonceI: Uint8Array;
  readonly nonceR: Uint8Array;
  readonly spiI: Uint8Array;
  readonly spiR: Uint8Array;
}

export interface ChildSaKeyInputs {
  /** g^ir of the optional PFS key exchange (CREATE_CHILD_SA). */
  readonly sharedSecret?: Uint8Array | undefined;
  readonly nonceI: Uint8Array;
  readonly nonceR: Uint8Array;
}

/** SKEYSEED = prf(Ni | Nr, g^ir): the nonces are the HMAC key, g^ir the data. */
export function skeyseed(
  prfAlg: number,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
  sharedSecret: Uint8Array,
): Uint8Array {
  const key = concat(nonceI, nonceR);
  try {
    return prf(prfAlg, key, sharedSecret);
  } finally {
    zeroise(key);
  }
}

/** SKEYSEED of a rekeyed IKE SA = prf_old(SK_d_old, g^ir(new) | Ni | Nr) with the OLD SA's PRF. */
export function rekeyedSkeyseed(
  oldPrfAlg: number,
  oldSkD: Uint8Array,
  newSharedSecret: Uint8Array,
  nonceI: Uint8Array,
  nonceR: Uint8Array,
): Uint8Array {
  const data = concat(newSharedSecret, nonceI, nonceR);
  try {
    return prf(oldPrfAlg, oldSkD, data);
  } finally {
    zeroise(data);
  }
}

/** Integrity key length for this cipher: 0 for AEAD (which must not have INTEG), else the INTEG key. */
function integKeyBytes(encrId: number, integ: number | undefined): number {
  const encr = requireEncr(encrId);
  if (encr.aead) {
    if (integ !== undefined && integ !== 0) {
      throw new IkeCryptoError(
        'bad-argument',
        `${encr.name} is an AEAD cipher: no integrity transform may be used`,
      );
    }
    return 0;
  }
  if (integ === undefined)
    throw new IkeCryptoError('bad-argument', `${encr.name} needs an integrity transform`);
  return requireInteg(integ).keyBytes;
}

function ikeKeyLengths(t: IkeSaTransforms): { prf: number; integ: number; encr: number } {
  const prfBytes = requirePrf(t.prf).outputBytes;
  const encrBytes = encrKeymatBytes(t.encr, t.encrKeyBits);
  const integBytes = integKeyBytes(t.encr, t.integ);
  return { prf: prfBytes, integ: integBytes, encr: encrBytes };
}

/** Splits prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) into the seven IKE SA keys. */
export function deriveIkeSaKeys(
  t: IkeSaTransforms,
  skeyseedValue: Uint8Array,
  inputs: IkeSaKeyInputs,
): IkeSaKeys {
  const len = ikeKeyLengths(t);
  const seed = concat(inputs.nonceI, inputs.nonceR, inputs.spiI, inputs.spiR);
  const total = 3 * len.prf + 2 * len.integ + 2 * len.encr;
  const stream = prfPlus(t.prf, skeyseedValue, seed, total);
  let off = 0;
  const take = (n: number): Uint8Array => {
    const k = stream.slice(off, off + n);
    off += n;
    return k;
  };
  const keys: IkeSaKeys = {
    skD: take(len.prf),
    skAi: take(len.integ),
    skAr: take(len.integ),
    skEi: take(len.encr),
    skEr: take(len.encr),
    skPi: take(len.prf),
    skPr: take(len.prf),
  };
  zeroise(stream, seed);
  return keys;
}

/** Length of KEYMAT a Child SA with these transforms consumes (both directions). */
export function childSaKeymatLength(t: ChildSaTransforms): number {
  const encrBytes = encrKeymatBytes(t.encr, t.encrKeyBits);
  const integBytes = integKeyBytes(t.encr, t.integ);
  return 2 * (encrBytes + integBytes);
}

/** KEYMAT = prf+(SK_d, [g^ir(new) |] Ni | Nr), taken in the order encr_i, integ_i, encr_r, integ_r. */
export function deriveChildSaKeys(
  prfAlg: number,
  skD: Uint8Array,
  inputs: ChildSaKeyInputs,
  t: ChildSaTransforms,
): ChildSaKeys {
  const total = childSaKeymatLength(t);
  const encrBytes = encrKeymatBytes(t.encr, t.encrKeyBits);
  const integBytes = total / 2 - encrBytes;
  const seed = inputs.sharedSecret
    ? concat(inputs.sharedSecret, inputs.nonceI, inputs.nonceR)
    : concat(inputs.nonceI, inputs.nonceR);
  const stream = prfPlus(prfAlg, skD, seed, total);
  let off = 0;
  const take = (n: number): Uint8Array => {
    const k = stream.slice(off, off + n);
    off += n;
    return k;
  };
  const keys: ChildSaKeys = {
    encrI: take(encrBytes),
    integI: take(integBytes),
    encrR: take(encrBytes),
    integR: take(integBytes),
  };
  zeroise(stream, seed);
  return keys;
}
