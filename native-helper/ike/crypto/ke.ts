/**
 * Key exchange for IKE_SA_INIT / CREATE_CHILD_SA (RFC 7296 §1.2, §3.4): ECP groups 19/20/21
 * (RFC 5903: KE data x‖y, shared secret x), Curve25519/Curve448 (RFC 8031) with @noble/curves or
 * an injected EcdhProvider, and MODP 14/15/16 (RFC 3526) through an injected ModpProvider. Private keys come from the injected
 * Random. Peer values are untrusted: computeSharedSecret returns a typed result, never throws.
 */
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { IkeCryptoError } from './errors.js';
import { zeroise } from './hash.js';
import type { EcdhGroupId, EcdhProvider } from './ecdh-provider.js';
import type { ModpGroupId, ModpProvider } from './modp-provider.js';
import type { Random } from './random.js';
import { keDescriptor } from './transforms.js';
import type { KeDescriptor } from './transforms.js';

export type KeFailure =
  /** KE data of the wrong length for the group. */
  | 'bad-length'
  /** ECP: not a point on the curve (or coordinates ≥ p). */
  | 'not-on-curve'
  /** ECP: the point at infinity / a zero result. */
  | 'infinity'
  /** MODP: y ∉ (1, p − 1). */
  | 'out-of-range'
  /** X25519/X448 (RFC 8031 §2.3): the shared secret is all zero (low-order peer point). */
  | 'all-zero-secret';

export type KeResult =
  | { readonly ok: true; readonly sharedSecret: Uint8Array }
  | { readonly ok: false; readonly error: KeFailure; readonly message: string };

export interface KeyExchange {
  /** The KE transform ID (Diffie-Hellman Group Num in the KE payload). */
  readonly group: number;
  /** Our KE payload data. */
  readonly publicValue: Uint8Array;
  /** g^ir from the peer's KE payload data (validated first). */
  computeSharedSecret(peerValue: Uint8Array): KeResult;
  /** Zeroises the private key; the object is unusable afterwards. */
  dispose(): void;
}

export interface KeDependencies {
  readonly random: Random;
  /** Needed only for MODP groups 14/15/16. */
  readonly modp?: ModpProvider | undefined;
  /** ECP and Curve25519/448 scalar multiplications; @noble/curves without it. */
  readonly ecdh?: EcdhProvider | undefined;
}

/** Groups this module can create (14, 15, 16 only with a ModpProvider). */
export const SUPPORTED_KE_GROUPS: readonly number[] = [14, 15, 16, 19, 20, 21, 31, 32];

export function isSupportedKeGroup(group: number): boolean {
  return SUPPORTED_KE_GROUPS.includes(group);
}

/**
 * Creates a fresh key pair for `group`. Throws IkeCryptoError('unsupported-group') for any group
 * we do not implement (e.g. 2, 1025) or for MODP without a provider.
 */
export function createKeyExchange(group: number, deps: KeDependencies): KeyExchange {
  const d = keDescriptor(group);
  if (!d) throw new IkeCryptoError('unsupported-group', `unsupported key exchange method ${group}`);
  switch (d.kind) {
    case 'ecp':
      return new EcpKeyExchange(d, deps.random, deps.ecdh);
    case 'x25519':
      return new MontgomeryKeyExchange(d, montgomery(d, x25519, deps.ecdh), deps.random);
    case 'x448':
      return new MontgomeryKeyExchange(d, montgomery(d, x448, deps.ecdh), deps.random);
    case 'modp':
      if (!deps.modp) {
        throw new IkeCryptoError(
          'unsupported-group',
          `key exchange method ${group} (${d.name}) needs a MODP provider`,
        );
      }
      return new ModpKeyExchange(d, deps.modp, deps.random);
  }
}

/** Non-throwing variant of createKeyExchange for group IDs that come from the network. */
export function tryCreateKeyExchange(
  group: number,
  deps: KeDependencies,
):
  | { readonly ok: true; readonly ke: KeyExchange }
  | { readonly ok: false; readonly error: IkeCryptoError } {
  try {
    return { ok: true, ke: createKeyExchange(group, deps) };
  } catch (e) {
    if (e instanceof IkeCryptoError) return { ok: false, error: e };
    throw e;
  }
}

function fail(error: KeFailure, message: string): KeResult {
  return { ok: false, error, message };
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

function bytesToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

const CURVES = { 19: p256, 20: p384, 21: p521 } as const;

class EcpKeyExchange implements KeyExchange {
  readonly group: number;
  readonly publicValue: Uint8Array;
  private readonly curve: (typeof CURVES)[keyof typeof CURVES];
  private scalar: bigint;
  /** The scalar as the provider takes it (with a provider only). */
  private readonly scalarBytes: Uint8Array | undefined;
  private readonly fieldBytes: number;

  constructor(
    private readonly d: KeDescriptor,
    random: Random,
    private readonly provider: EcdhProvider | undefined,
  ) {
    this.group = d.id;
    this.curve = CURVES[d.id as keyof typeof CURVES];
    const Fn = this.curve.Point.Fn;
    this.fieldBytes = d.sharedBytes;
    // Uniform scalar in [1, n−1] by rejection sampling: draw ⌈log2 n⌉ bits (P-521: top byte masked
    // to one bit), retry when the value is 0 or ≥ n.
    const topBits = Fn.BITS % 8;
    const topMask = topBits === 0 ? 0xff : (1 << topBits) - 1;
    for (;;) {
      const raw = random.bytes(Fn.BYTES);
      raw[0]! &= topMask;
      const k = bytesToBigInt(raw);
      zeroise(raw);
      if (k > 0n && k < Fn.ORDER) {
        this.scalar = k;
        break;
      }
    }
    if (provider) {
      this.scalarBytes = bigIntToBytes(this.scalar, Fn.BYTES);
      this.publicValue = provider.publicValue(d.id as EcdhGroupId, this.scalarBytes);
      if (this.publicValue.length !== d.publicBytes)
        throw new IkeCryptoError(
          'bad-argument',
          `ECDH provider returned a ${this.publicValue.length}-byte ${d.name} public value`,
        );
      return;
    }
    const pub = this.curve.Point.BASE.multiply(this.scalar).toBytes(false);
    this.publicValue = pub.slice(1);
  }

  computeSharedSecret(peerValue: Uint8Array): KeResult {
    if (peerValue.length !== this.d.publicBytes) {
      return fail(
        'bad-length',
        `${this.d.name} KE data must be ${this.d.publicBytes} bytes, got ${peerValue.length}`,
      );
    }
    if (this.scalar === 0n)
      throw new IkeCryptoError('bad-argument', 'key exchange already disposed');
    const sec1 = new Uint8Array(1 + peerValue.length);
    sec1[0] = 0x04;
    sec1.set(peerValue, 1);
    let point;
    try {
      point = this.curve.Point.fromBytes(sec1); // checks coordinates < p and the curve equation
      point.assertValidity();
    } catch {
      return fail('not-on-curve', `${this.d.name} peer public value is not a point on the curve`);
    }
    if (point.is0())
      return fail('infinity', `${this.d.name} peer public value is the point at infinity`);
    if (this.provider && this.scalarBytes) {
      try {
        const x = this.provider.sharedSecret(this.d.id as EcdhGroupId, this.scalarBytes, peerValue);
        if (x.length === this.fieldBytes) return { ok: true, sharedSecret: x };
      } catch {
        // a valid point on a prime-order curve cannot give the point at infinity
      }
      return fail('infinity', `${this.d.name} shared point is the point at infinity`);
    }
    const shared = point.multiply(this.scalar);
    if (shared.is0())
      return fail('infinity', `${this.d.name} shared point is the point at infinity`);
    const x = shared.toBytes(false).slice(1, 1 + this.fieldBytes);
    return { ok: true, sharedSecret: x };
  }

  dispose(): void {
    this.scalar = 0n;
    if (this.scalarBytes) zeroise(this.scalarBytes);
  }
}

interface Montgomery {
  scalarMult(scalar: Uint8Array, u: Uint8Array): Uint8Array;
  getPublicKey(secretKey: Uint8Array): Uint8Array;
}

/** noble's curve, or the provider's operations in its shape. */
function montgomery(d: KeDescriptor, noble: Montgomery, provider?: EcdhProvider): Montgomery {
  if (!provider) return noble;
  const group = d.id as EcdhGroupId;
  return {
    getPublicKey: (secretKey) => provider.publicValue(group, secretKey),
    scalarMult: (scalar, u) => provider.sharedSecret(group, scalar, u),
  };
}

class MontgomeryKeyExchange implements KeyExchange {
  readonly group: number;
  readonly publicValue: Uint8Array;
  private readonly secret: Uint8Array;
  private disposed = false;

  constructor(
    private readonly d: KeDescriptor,
    private readonly impl: Montgomery,
    random: Random,
  ) {
    this.group = d.id;
    this.secret = random.bytes(d.publicBytes).slice(); // clamped by the curve implementation
    if (this.secret.length !== d.publicBytes)
      throw new IkeCryptoError('bad-argument', 'Random returned too few bytes');
    this.publicValue = impl.getPublicKey(this.secret);
  }

  computeSharedSecret(peerValue: Uint8Array): KeResult {
    if (peerValue.length !== this.d.publicBytes) {
      return fail(
        'bad-length',
        `${this.d.name} KE data must be ${this.d.publicBytes} bytes, got ${peerValue.length}`,
      );
    }
    if (this.disposed) throw new IkeCryptoError('bad-argument', 'key exchange already disposed');
    let shared: Uint8Array;
    try {
      shared = this.impl.scalarMult(this.secret, peerValue);
    } catch {
      // noble rejects an all-zero result itself
      return fail(
        'all-zero-secret',
        `${this.d.name} shared secret is all zero (low-order peer value)`,
      );
    }
    if (isAllZero(shared)) {
      return fail(
        'all-zero-secret',
        `${this.d.name} shared secret is all zero (low-order peer value)`,
      );
    }
    return { ok: true, sharedSecret: shared };
  }

  dispose(): void {
    this.disposed = true;
    zeroise(this.secret);
  }
}

/** Private exponent lengths: about twice the group's security strength (RFC 3526 §8), or more. */
const MODP_EXPONENT_BYTES: Record<ModpGroupId, number> = { 14: 48, 15: 64, 16: 96 };

class ModpKeyExchange implements KeyExchange {
  readonly group: number;
  readonly publicValue: Uint8Array;
  private readonly exponent: Uint8Array;
  private readonly pMinus1: bigint;
  private disposed = false;

  constructor(
    private readonly d: KeDescriptor,
    private readonly provider: ModpProvider,
    random: Random,
  ) {
    this.group = d.id;
    const g = d.id as ModpGroupId;
    const prime = provider.prime(g);
    if (prime.length !== d.publicBytes) {
      throw new IkeCryptoError(
        'bad-argument',
        `MODP provider returned a ${prime.length}-byte prime for ${d.name}`,
      );
    }
    this.pMinus1 = bytesToBigInt(prime) - 1n;
    for (;;) {
      this.exponent = random.bytes(MODP_EXPONENT_BYTES[g]).slice();
      if (!isAllZero(this.exponent)) break;
    }
    this.publicValue = leftPad(provider.publicValue(g, this.exponent), d.publicBytes);
  }

  computeSharedSecret(peerValue: Uint8Array): KeResult {
    if (peerValue.length !== this.d.publicBytes) {
      return fail(
        'bad-length',
        `${this.d.name} KE data must be ${this.d.publicBytes} bytes, got ${peerValue.length}`,
      );
    }
    if (this.disposed) throw new IkeCryptoError('bad-argument', 'key exchange already disposed');
    const y = bytesToBigInt(peerValue);
    if (y <= 1n || y >= this.pMinus1) {
      return fail('out-of-range', `${this.d.name} peer public value must satisfy 1 < y < p-1`);
    }
    let shared: Uint8Array;
    try {
      shared = leftPad(
        this.provider.sharedSecret(this.d.id as ModpGroupId, this.exponent, peerValue),
        this.d.sharedBytes,
      );
    } catch {
      return fail(
        'out-of-range',
        `${this.d.name} peer public value was refused by the MODP provider`,
      );
    }
    return { ok: true, sharedSecret: shared };
  }

  dispose(): void {
    this.disposed = true;
    zeroise(this.exponent);
  }
}

function leftPad(b: Uint8Array, length: number): Uint8Array {
  if (b.length === length) return b;
  if (b.length > length)
    throw new IkeCryptoError('bad-argument', `value longer than ${length} bytes`);
  const out = new Uint8Array(length);
  out.set(b, length - b.length);
  return out;
}
