/**
 * IANA IKEv2 transform identifiers (RFC 7296 §3.3.2, IANA "IKEv2 Parameters") for the algorithms
 * Tsunagi implements, with every size the key derivation and the SK payload need in one table.
 */
import { IkeCryptoError } from './errors.js';

export const TransformType = { ENCR: 1, PRF: 2, INTEG: 3, KE: 4, ESN: 5 } as const;
export type TransformType = (typeof TransformType)[keyof typeof TransformType];

export const EncrId = { AES_CBC: 12, AES_GCM_16: 20, CHACHA20_POLY1305: 28 } as const;
export type EncrId = (typeof EncrId)[keyof typeof EncrId];

export const PrfId = {
  HMAC_SHA1: 2,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
} as const;
export type PrfId = (typeof PrfId)[keyof typeof PrfId];

export const IntegId = {
  HMAC_SHA1_96: 2,
  HMAC_SHA2_256_128: 12,
  HMAC_SHA2_384_192: 13,
  HMAC_SHA2_512_256: 14,
} as const;
export type IntegId = (typeof IntegId)[keyof typeof IntegId];

/** Key exchange methods (Transform Type 4). NONE (0) only appears in ESP proposals (no PFS). */
export const KeGroup = {
  NONE: 0,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  CURVE25519: 31,
  CURVE448: 32,
} as const;
export type KeGroup = (typeof KeGroup)[keyof typeof KeGroup];

export const EsnId = { NO_ESN: 0, ESN: 1 } as const;
export type EsnId = (typeof EsnId)[keyof typeof EsnId];

/** Transform attribute Key Length (RFC 7296 §3.3.5), sent in TV format as 0x800E. */
export const KEY_LENGTH_ATTRIBUTE = 14;

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface EncrDescriptor {
  readonly id: EncrId;
  readonly name: string;
  readonly aead: boolean;
  /** Allowed key sizes in bits; the first one is the default. */
  readonly keyBits: readonly number[];
  /** Whether the Key Length attribute is sent (AES: yes; ChaCha20-Poly1305: must not, RFC 7634 §3). */
  readonly keyLengthAttribute: boolean;
  /** Block size for padding of the SK payload (1 = stream/AEAD, no alignment needed). */
  readonly blockBytes: number;
  readonly ivBytes: number;
  /** Salt bytes appended to the key in KEYMAT (RFC 4106 §8.1, RFC 5282 §7.1, RFC 7634 §2). */
  readonly saltBytes: number;
  /** AEAD tag length; 0 for normal-mode ciphers (their ICV comes from INTEG). */
  readonly icvBytes: number;
}

export interface PrfDescriptor {
  readonly id: PrfId;
  readonly name: string;
  readonly hash: HashName;
  /** Output length = preferred key length for SK_d, SK_pi, SK_pr (RFC 7296 §2.14). */
  readonly outputBytes: number;
}

export interface IntegDescriptor {
  readonly id: IntegId;
  readonly name: string;
  readonly hash: HashName;
  readonly keyBytes: number;
  readonly icvBytes: number;
}

export type KeKind = 'modp' | 'ecp' | 'x25519' | 'x448';

export interface KeDescriptor {
  readonly id: Exclude<KeGroup, 0>;
  readonly name: string;
  readonly kind: KeKind;
  /** KE payload data length (RFC 7296 §3.4; RFC 5903 §7: x‖y; RFC 8031 §3). */
  readonly publicBytes: number;
  /** Length of g^ir (RFC 5903 §9: x only; MODP: modulus length). */
  readonly sharedBytes: number;
}

const ENCR: readonly EncrDescriptor[] = [
  {
    id: EncrId.AES_CBC,
    name: 'ENCR_AES_CBC',
    aead: false,
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    blockBytes: 16,
    ivBytes: 16,
    saltBytes: 0,
    icvBytes: 0,
  },
  {
    id: EncrId.AES_GCM_16,
    name: 'ENCR_AES_GCM_16',
    aead: true,
    keyBits: [128, 192, 256],
    keyLengthAttribute: true,
    blockBytes: 1,
    ivBytes: 8,
    saltBytes: 4,
    icvBytes: 16,
  },
  {
    id: EncrId.CHACHA20_POLY1305,
    name: 'ENCR_CHACHA20_POLY1305',
    aead: true,
    keyBits: [256],
    keyLengthAttribute: false,
    blockBytes: 1,
    ivBytes: 8,
    saltBytes: 4,
    icvBytes: 16,
  },
];

const PRF: readonly PrfDescriptor[] = [
  { id: PrfId.HMAC_SHA1, name: 'PRF_HMAC_SHA1', hash: 'sha1', outputBytes: 20 },
  { id: PrfId.HMAC_SHA2_256, name: 'PRF_HMAC_SHA2_256', hash: 'sha256', outputBytes: 32 },
  { id: PrfId.HMAC_SHA2_384, name: 'PRF_HMAC_SHA2_384', hash: 'sha384', outputBytes: 48 },
  { id: PrfId.HMAC_SHA2_512, name: 'PRF_HMAC_SHA2_512', hash: 'sha512', outputBytes: 64 },
];

const INTEG: readonly IntegDescriptor[] = [
  { id: IntegId.HMAC_SHA1_96, name: 'AUTH_HMAC_SHA1_96', hash: 'sha1', keyBytes: 20, icvBytes: 12 },
  {
    id: IntegId.HMAC_SHA2_256_128,
    name: 'AUTH_HMAC_SHA2_256_128',
    hash: 'sha256',
    keyBytes: 32,
    icvBytes: 16,
  },
  {
    id: IntegId.HMAC_SHA2_384_192,
    name: 'AUTH_HMAC_SHA2_384_192',
    hash: 'sha384',
    keyBytes: 48,
    icvBytes: 24,
  },
  {
    id: IntegId.HMAC_SHA2_512_256,
    name: 'AUTH_HMAC_SHA2_512_256',
    hash: 'sha512',
    keyBytes: 64,
    icvBytes: 32,
  },
];

const KE: readonly KeDescriptor[] = [
  { id: KeGroup.MODP_2048, name: 'MODP_2048', kind: 'modp', publicBytes: 256, sharedBytes: 256 },
  { id: KeGroup.MODP_3072, name: 'MODP_3072', kind: 'modp', publicBytes: 384, sharedBytes: 384 },
  { id: KeGroup.MODP_4096, name: 'MODP_4096', kind: 'modp', publicBytes: 512, sharedBytes: 512 },
  { id: KeGroup.ECP_256, name: 'ECP_256', kind: 'ecp', publicBytes: 64, sharedBytes: 32 },
  { id: KeGroup.ECP_384, name: 'ECP_384', kind: 'ecp', publicBytes: 96, sharedBytes: 48 },
  { id: KeGroup.ECP_521, name: 'ECP_521', kind: 'ecp', publicBytes: 132, sharedBytes: 66 },
  { id: KeGroup.CURVE25519, name: 'CURVE_25519', kind: 'x25519', publicBytes: 32, sharedBytes: 32 },
  { id: KeGroup.CURVE448, name: 'CURVE_448', kind: 'x448', publicBytes: 56, sharedBytes: 56 },
];

export const ENCR_TRANSFORMS = ENCR;
export const PRF_TRANSFORMS = PRF;
export const INTEG_TRANSFORMS = INTEG;
export const KE_TRANSFORMS = KE;

export function encrDescriptor(id: number): EncrDescriptor | undefined {
  return ENCR.find((d) => d.id === id);
}
export function prfDescriptor(id: number): PrfDescriptor | undefined {
  return PRF.find((d) => d.id === id);
}
export function integDescriptor(id: number): IntegDescriptor | undefined {
  return INTEG.find((d) => d.id === id);
}
export function keDescriptor(id: number): KeDescriptor | undefined {
  return KE.find((d) => d.id === id);
}

export function requireEncr(id: number): EncrDescriptor {
  const d = encrDescriptor(id);
  if (!d)
    throw new IkeCryptoError('unsupported-transform', `unsupported encryption transform ${id}`);
  return d;
}
export function requirePrf(id: number): PrfDescriptor {
  const d = prfDescriptor(id);
  if (!d) throw new IkeCryptoError('unsupported-transform', `unsupported PRF transform ${id}`);
  return d;
}
export function requireInteg(id: number): IntegDescriptor {
  const d = integDescriptor(id);
  if (!d)
    throw new IkeCryptoError('unsupported-transform', `unsupported integrity transform ${id}`);
  return d;
}

/**
 * Resolves the key size of an encryption transform: `keyBits` is the Key Length attribute (bits),
 * required for AES and forbidden for ChaCha20-Poly1305. Throws for anything else.
 */
export function encrKeyBits(id: number, keyBits: number | undefined): number {
  const d = requireEncr(id);
  if (d.keyLengthAttribute) {
    if (keyBits === undefined || !d.keyBits.includes(keyBits)) {
      throw new IkeCryptoError(
        'bad-key-length',
        `${d.name} needs a key length of ${d.keyBits.join('/')} bits, got ${keyBits ?? 'none'}`,
      );
    }
    return keyBits;
  }
  if (keyBits !== undefined && keyBits !== d.keyBits[0]) {
    throw new IkeCryptoError(
      'bad-key-length',
      `${d.name} has a fixed ${d.keyBits[0]}-bit key, got ${keyBits}`,
    );
  }
  return d.keyBits[0]!;
}

/** Bytes of KEYMAT taken for one encryption key: key + salt (SK_e*, RFC 7296 §2.14 / §2.17). */
export function encrKeymatBytes(id: number, keyBits: number | undefined): number {
  return encrKeyBits(id, keyBits) / 8 + requireEncr(id).saltBytes;
}
