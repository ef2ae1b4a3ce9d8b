/**
 * Signature AUTH payload data (RFC 7296 §3.8): building ours and verifying the server's.
 *
 * - Method 14, Digital Signature (RFC 7427 §3): AUTH data = ASN.1 length(1) ‖ DER
 *   AlgorithmIdentifier ‖ signature. Algorithms: sha256/384/512WithRSAEncryption, RSASSA-PSS
 *   (RFC 4055 parameters, MGF1 with the same hash, bounded salt), ecdsa-with-SHA256/384/512
 *   (DER ECDSA-Sig-Value), Ed25519 (RFC 8420). SHA-1 is refused here (RFC 8247 §3.2).
 * - Methods 9/10/11, ECDSA (RFC 4754 §7): r‖s at fixed width, hash bound to the curve.
 * - Method 1, RSA Digital Signature: PKCS#1 v1.5 with SHA-1; verified for old servers, never sent.
 *
 * Strictness: the algorithm must fit the key (type, curve, size); unknown or garbled
 * AlgorithmIdentifiers are typed errors; padding is checked by the provider (OpenSSL), never
 * here.
 */
import {
  DerError,
  TAG_INTEGER,
  TAG_NULL,
  TAG_OID,
  TAG_SEQUENCE,
  decodeOidNode,
  decodeSmallInteger,
  derChildren,
  derEncode,
  derNull,
  derSequence,
  derSmallInteger,
  encodeOid,
  readDerExact,
} from './certificate-der.js';
import type {
  EcCurve,
  HashAlgorithm,
  PublicKeyDescription,
  SignatureProvider,
  SignatureScheme,
} from './signature-provider.js';

export const AUTH_RSA_DIGITAL_SIGNATURE = 1;
export const AUTH_ECDSA_SHA256_P256 = 9;
export const AUTH_ECDSA_SHA384_P384 = 10;
export const AUTH_ECDSA_SHA512_P521 = 11;
export const AUTH_DIGITAL_SIGNATURE = 14;

export type SignatureAuthMethod =
  | typeof AUTH_RSA_DIGITAL_SIGNATURE
  | typeof AUTH_ECDSA_SHA256_P256
  | typeof AUTH_ECDSA_SHA384_P384
  | typeof AUTH_ECDSA_SHA512_P521
  | typeof AUTH_DIGITAL_SIGNATURE;

/** SIGNATURE_HASH_ALGORITHMS values (RFC 7427 §7.2, RFC 8420). */
export const SIG_HASH_SHA1 = 1;
export const SIG_HASH_SHA256 = 2;
export const SIG_HASH_SHA384 = 3;
export const SIG_HASH_SHA512 = 4;
export const SIG_HASH_IDENTITY = 5;

/** What we announce in SIGNATURE_HASH_ALGORITHMS: everything we verify in method 14. */
export const SUPPORTED_SIGNATURE_HASHES: readonly number[] = [
  SIG_HASH_SHA256,
  SIG_HASH_SHA384,
  SIG_HASH_SHA512,
  SIG_HASH_IDENTITY,
];

/** Smallest RSA modulus we sign with or accept (RFC 8247 §3.2; NIST SP 800-131A). */
export const MIN_RSA_BITS = 2048;
/** Largest RSA modulus we accept (bounds the provider's work on hostile keys). */
export const MAX_RSA_BITS = 16384;

const OID_RSA_SHA1 = '1.2.840.113549.1.1.5';
const OID_RSA_SHA256 = '1.2.840.113549.1.1.11';
const OID_RSA_SHA384 = '1.2.840.113549.1.1.12';
const OID_RSA_SHA512 = '1.2.840.113549.1.1.13';
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_MGF1 = '1.2.840.113549.1.1.8';
const OID_ECDSA_SHA1 = '1.2.840.10045.4.1';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const OID_ECDSA_SHA384 = '1.2.840.10045.4.3.3';
const OID_ECDSA_SHA512 = '1.2.840.10045.4.3.4';
const OID_ED25519 = '1.3.101.112';
const OID_ED448 = '1.3.101.113';
const OID_SHA1 = '1.3.14.3.2.26';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const OID_SHA384 = '2.16.840.1.101.3.4.2.2';
const OID_SHA512 = '2.16.840.1.101.3.4.2.3';

const HASH_OIDS: Record<string, HashAlgorithm> = {
  [OID_SHA1]: 'sha1',
  [OID_SHA256]: 'sha256',
  [OID_SHA384]: 'sha384',
  [OID_SHA512]: 'sha512',
};
const HASH_OID_BY_NAME: Record<HashAlgorithm, string> = {
  sha1: OID_SHA1,
  sha256: OID_SHA256,
  sha384: OID_SHA384,
  sha512: OID_SHA512,
};
export const HASH_LENGTH: Record<HashAlgorithm, number> = {
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};
const SIG_HASH_BY_NAME: Record<HashAlgorithm, number> = {
  sha1: SIG_HASH_SHA1,
  sha256: SIG_HASH_SHA256,
  sha384: SIG_HASH_SHA384,
  sha512: SIG_HASH_SHA512,
};

const CURVE_OF_METHOD: Record<9 | 10 | 11, { curve: EcCurve; hash: HashAlgorithm; width: number }> =
  {
    9: { curve: 'P-256', hash: 'sha256', width: 32 },
    10: { curve: 'P-384', hash: 'sha384', width: 48 },
    11: { curve: 'P-521', hash: 'sha512', width: 66 },
  };
const CURVE_HASH: Record<EcCurve, HashAlgorithm> = {
  'P-256': 'sha256',
  'P-384': 'sha384',
  'P-521': 'sha512',
};

// ── Errors ─────────────────────────────────────────────────────────────────────────────────────

export type SignatureErrorCode =
  | 'malformed-auth-data'
  | 'unsupported-algorithm'
  | 'unsupported-method'
  | 'key-mismatch'
  | 'weak-key'
  | 'bad-signature'
  | 'no-common-algorithm'
  | 'bad-private-key';

export interface SignatureError {
  code: SignatureErrorCode;
  message: string;
}

const err = (code: SignatureErrorCode, message: string): { ok: false; error: SignatureError } => ({
  ok: false,
  error: { code, message },
});

// ── AlgorithmIdentifier codec ──────────────────────────────────────────────────────────────────

/** An RFC 7427 signature algorithm: the scheme plus the name we log. */
export interface SignatureAlgorithm {
  scheme: SignatureScheme;
  name: string;
}

function hashAlgId(hash: HashAlgorithm): Uint8Array {
  // RFC 4055 §2.1: the NULL parameter is present in RSASSA-PSS hash AlgorithmIdentifiers from
  // most implementations (OpenSSL, strongSwan); accepted either way when parsing.
  return derSequence(encodeOid(HASH_OID_BY_NAME[hash]), derNull());
}

/** DER AlgorithmIdentifier for a scheme (RFC 7427 Appendix A forms). */
export function encodeAlgorithmIdentifier(scheme: SignatureScheme): Uint8Array {
  switch (scheme.kind) {
    case 'rsa-pkcs1': {
      const oid = {
        sha1: OID_RSA_SHA1,
        sha256: OID_RSA_SHA256,
        sha384: OID_RSA_SHA384,
        sha512: OID_RSA_SHA512,
      }[scheme.hash];
      return derSequence(encodeOid(oid), derNull());
    }
    case 'rsa-pss':
      return derSequence(
        encodeOid(OID_RSASSA_PSS),
        derSequence(
          derEncode(0xa0, hashAlgId(scheme.hash)),
          derEncode(0xa1, derSequence(encodeOid(OID_MGF1), hashAlgId(scheme.hash))),
          derEncode(0xa2, derSmallInteger(scheme.saltLength)),
        ),
      );
    case 'ecdsa': {
      const oid = {
        sha1: OID_ECDSA_SHA1,
        sha256: OID_ECDSA_SHA256,
        sha384: OID_ECDSA_SHA384,
        sha512: OID_ECDSA_SHA512,
      }[scheme.hash];
      return derSequence(encodeOid(oid));
    }
    case 'ed25519':
      return derSequence(encodeOid(OID_ED25519));
  }
}

type AlgResult = { ok: true; algorithm: SignatureAlgorithm } | { ok: false; error: SignatureError };

/** Hash AlgorithmIdentifier inside PSS parameters: known hash OID, parameters absent or NULL. */
function parseHashAlgId(bytes: Uint8Array): HashAlgorithm {
  const seq = readDerExact(bytes, TAG_SEQUENCE);
  const [oid, params, extra] = derChildren(seq);
  const hash = HASH_OIDS[decodeOidNode(oid)];
  if (!hash) throw new DerError('unknown hash in RSASSA-PSS parameters');
  if (extra || (params && (params.tag !== TAG_NULL || params.contents.length !== 0))) {
    throw new DerError('bad hash parameters');
  }
  return hash;
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). The defaults (SHA-1, MGF1-SHA-1, salt 20) are SHA-1 and
 * refused. MGF1 must use the signature hash; the salt is bounded here (strongSwan CVE-2021-41990)
 * and again against the modulus at verification.
 */
function parsePssParams(node: ReturnType<typeof readDerExact> | undefined): AlgResult {
  if (!node || node.tag !== TAG_SEQUENCE)
    return err('malformed-auth-data', 'RSASSA-PSS without parameters');
  let hash: HashAlgorithm = 'sha1';
  let mgfHash: HashAlgorithm = 'sha1';
  let saltLength = 20;
  let lastTag = 0x9f;
  for (const field of derChildren(node)) {
    if (field.tag <= lastTag && lastTag !== 0x9f)
      throw new DerError('RSASSA-PSS parameters out of order');
    lastTag = field.tag;
    switch (field.tag) {
      case 0xa0:
        hash = parseHashAlgId(field.contents);
        break;
      case 0xa1: {
        const mgf = readDerExact(field.contents, TAG_SEQUENCE);
        const [oid, params, extra] = derChildren(mgf);
        if (decodeOidNode(oid) !== OID_MGF1 || !params || extra) {
          return err(
            'unsupported-algorithm',
            'RSASSA-PSS with a mask generation function other than MGF1',
          );
        }
        mgfHash = parseHashAlgId(params.raw);
        break;
      }
      case 0xa2:
        saltLength = decodeSmallInteger(readDerExact(field.contents, TAG_INTEGER), 1024);
        break;
      case 0xa3:
        if (decodeSmallInteger(readDerExact(field.contents, TAG_INTEGER), 1) !== 1) {
          throw new DerError('RSASSA-PSS trailerField must be 1');
        }
        break;
      default:
        throw new DerError('unknown RSASSA-PSS parameter');
    }
  }
  if (hash === 'sha1' || mgfHash === 'sha1')
    return err('unsupported-algorithm', 'RSASSA-PSS with SHA-1 is not accepted');
  if (hash !== mgfHash)
    return err(
      'unsupported-algorithm',
      'RSASSA-PSS with an MGF1 hash different from the signature hash',
    );
  return {
    ok: true,
    algorithm: {
      scheme: { kind: 'rsa-pss', hash, saltLength },
      name: `RSASSA-PSS-${hash.toUpperCase()}`,
    },
  };
}

/** Parses a DER AlgorithmIdentifier from a method-14 AUTH payload. */
export function parseAlgorithmIdentifier(der: Uint8Array): AlgResult {
  try {
    const seq = readDerExact(der, TAG_SEQUENCE);
    const [oidNode, params, extra] = derChildren(seq);
    if (!oidNode || oidNode.tag !== TAG_OID || extra)
      return err('malformed-auth-data', 'malformed AlgorithmIdentifier');
    const oid = decodeOidNode(oidNode);
    const nullOrAbsent = !params || (params.tag === TAG_NULL && params.contents.length === 0);
    const rsa: Record<string, HashAlgorithm> = {
      [OID_RSA_SHA256]: 'sha256',
      [OID_RSA_SHA384]: 'sha384',
      [OID_RSA_SHA512]: 'sha512',
    };
    const ecdsa: Record<string, HashAlgorithm> = {
      [OID_ECDSA_SHA256]: 'sha256',
      [OID_ECDSA_SHA384]: 'sha384',
      [OID_ECDSA_SHA512]: 'sha512',
    };
    const rsaHash = rsa[oid];
    if (rsaHash) {
      if (!nullOrAbsent)
        return err('malformed-auth-data', 'RSA AlgorithmIdentifier with non-NULL parameters');
      return {
        ok: true,
        algorithm: {
          scheme: { kind: 'rsa-pkcs1', hash: rsaHash },
          name: `${rsaHash}WithRSAEncryption`,
        },
      };
    }
    const ecHash = ecdsa[oid];
    if (ecHash) {
      if (params) return err('malformed-auth-data', 'ECDSA AlgorithmIdentifier with parameters');
      return {
        ok: true,
        algorithm: {
          scheme: { kind: 'ecdsa', hash: ecHash, encoding: 'der' },
          name: `ecdsa-with-${ecHash.toUpperCase()}`,
        },
      };
    }
    if (oid === OID_ED25519) {
      if (params) return err('malformed-auth-data', 'Ed25519 AlgorithmIdentifier with parameters');
      return { ok: true, algorithm: { scheme: { kind: 'ed25519' }, name: 'Ed25519' } };
    }
    if (oid === OID_RSASSA_PSS) return parsePssParams(params);
    if (oid === OID_RSA_SHA1 || oid === OID_ECDSA_SHA1) {
      return err('unsupported-algorithm', 'SHA-1 signatures are not accepted (RFC 8247)');
    }
    if (oid === OID_ED448)
      return err('unsupported-algorithm', 'Ed448 signatures are not supported');
    return err('unsupported-algorithm', `unknown signature algorithm ${oid}`);
  } catch (e) {
    return err('malformed-auth-data', `malformed AlgorithmIdentifier (${(e as Error).message})`);
  }
}

/** Method-14 AUTH data: length(1) ‖ AlgorithmIdentifier ‖ signature. */
export function encodeDigitalSignatureAuth(
  scheme: SignatureScheme,
  signature: Uint8Array,
): Uint8Array {
  const algId = encodeAlgorithmIdentifier(scheme);
  if (algId.length > 255) throw new RangeError('AlgorithmIdentifier longer than 255 bytes');
  const out = new Uint8Array(1 + algId.length + signature.length);
  out[0] = algId.length;
  out.set(algId, 1);
  out.set(signature, 1 + algId.length);
  return out;
}

export type ParsedDigitalSignatureAuth =
  | { ok: true; algorithm: SignatureAlgorithm; signature: Uint8Array }
  | { ok: false; error: SignatureError };

export function parseDigitalSignatureAuth(authData: Uint8Array): ParsedDigitalSignatureAuth {
  if (authData.length < 2)
    return err('malformed-auth-data', 'AUTH data too short for a method-14 signature');
  const len = authData[0] ?? 0;
  if (len === 0 || 1 + len >= authData.length) {
    return err('malformed-auth-data', 'AlgorithmIdentifier length does not fit the AUTH data');
  }
  const alg = parseAlgorithmIdentifier(authData.subarray(1, 1 + len));
  if (!alg.ok) return alg;
  return { ok: true, algorithm: alg.algorithm, signature: authData.slice(1 + len) };
}

// ── Key/algorithm compatibility ────────────────────────────────────────────────────────────────

function checkKeyForScheme(
  key: PublicKeyDescription,
  scheme: SignatureScheme,
): SignatureError | undefined {
  if (key.kind === 'unsupported')
    return { code: 'unsupported-algorithm', message: `unsupported key: ${key.description}` };
  if (
    (key.kind === 'rsa' || key.kind === 'rsa-pss') &&
    (key.bits < MIN_RSA_BITS || key.bits > MAX_RSA_BITS)
  ) {
    return {
      code: 'weak-key',
      message: `RSA key of ${key.bits} bits (at least ${MIN_RSA_BITS} required)`,
    };
  }
  const mismatch = (what: string): SignatureError => ({
    code: 'key-mismatch',
    message: `${what} signature does not fit the ${key.kind === 'ec' ? `ECDSA ${key.curve}` : key.kind.toUpperCase()} key`,
  });
  switch (scheme.kind) {
    case 'rsa-pkcs1':
      return key.kind === 'rsa' ? undefined : mismatch('an RSA PKCS#1');
    case 'rsa-pss': {
      if (key.kind !== 'rsa' && key.kind !== 'rsa-pss') return mismatch('an RSASSA-PSS');
      // emLen − hLen − 2 is the largest salt that fits (RFC 8017 §9.1.1).
      const maxSalt = Math.ceil((key.bits - 1) / 8) - HASH_LENGTH[scheme.hash] - 2;
      if (scheme.saltLength > maxSalt) {
        return {
          code: 'malformed-auth-data',
          message: `RSASSA-PSS salt of ${scheme.saltLength} bytes does not fit the key`,
        };
      }
      return undefined;
    }
    case 'ecdsa':
      return key.kind === 'ec' ? undefined : mismatch('an ECDSA');
    case 'ed25519':
      return key.kind === 'ed25519' ? undefined : mismatch('an Ed25519');
  }
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, strict DER, positive, within the curve size. */
function checkEcdsaDer(sig: Uint8Array, width: number): boolean {
  try {
    const seq = readDerExact(sig, TAG_SEQUENCE);
    const parts = derChildren(seq);
    if (parts.length !== 2) return false;
    return parts.every((p) => {
      const c = p.contents;
      if (p.tag !== TAG_INTEGER || c.length === 0 || c.length > width + 1) return false;
      if (((c[0] ?? 0) & 0x80) !== 0) return false;
      if (c.length > 1 && c[0] === 0 && ((c[1] ?? 0) & 0x80) === 0) return false;
      return c.some((b) => b !== 0);
    });
  } catch {
    return false;
  }
}

const EC_WIDTH: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

// ── Verify ─────────────────────────────────────────────────────────────────────────────────────

export type VerifyAuthResult =
  { ok: true; algorithm: string } | { ok: false; error: SignatureError };

/**
 * Verifies the server's signature AUTH data over `octets` (its signed octets, RFC 7296 §2.15)
 * with the public key of its (already validated) certificate.
 */
export function verifyAuth(
  provider: SignatureProvider,
  publicKeySpki: Uint8Array,
  method: number,
  authData: Uint8Array,
  octets: Uint8Array,
): VerifyAuthResult {
  const key = provider.describePublicKey(publicKeySpki);
  let scheme: SignatureScheme;
  let name: string;
  let signature: Uint8Array;
  switch (method) {
    case AUTH_DIGITAL_SIGNATURE: {
      const parsed = parseDigitalSignatureAuth(authData);
      if (!parsed.ok) return parsed;
      ({ scheme } = parsed.algorithm);
      name = parsed.algorithm.name;
      signature = parsed.signature;
      break;
    }
    case AUTH_ECDSA_SHA256_P256:
    case AUTH_ECDSA_SHA384_P384:
    case AUTH_ECDSA_SHA512_P521: {
      const want = CURVE_OF_METHOD[method];
      if (key.kind !== 'ec' || key.curve !== want.curve) {
        return err('key-mismatch', `AUTH method ${method} needs an ECDSA ${want.curve} key`);
      }
      if (authData.length !== 2 * want.width) {
        return err(
          'malformed-auth-data',
          `ECDSA ${want.curve} signature must be ${2 * want.width} bytes (r‖s)`,
        );
      }
      scheme = { kind: 'ecdsa', hash: want.hash, encoding: 'ieee-p1363' };
      name = `ECDSA-${want.curve}-${want.hash.toUpperCase()}`;
      signature = authData;
      break;
    }
    case AUTH_RSA_DIGITAL_SIGNATURE:
      scheme = { kind: 'rsa-pkcs1', hash: 'sha1' };
      name = 'RSA-PKCS1-SHA1 (AUTH method 1)';
      signature = authData;
      break;
    default:
      return err('unsupported-method', `AUTH method ${method} is not a signature method we accept`);
  }
  const keyProblem = checkKeyForScheme(key, scheme);
  if (keyProblem) return { ok: false, error: keyProblem };
  if (
    scheme.kind === 'ecdsa' &&
    scheme.encoding === 'der' &&
    key.kind === 'ec' &&
    !checkEcdsaDer(signature, EC_WIDTH[key.curve])
  ) {
    return err('malformed-auth-data', 'ECDSA signature is not a valid DER ECDSA-Sig-Value');
  }
  if (
    (key.kind === 'rsa' || key.kind === 'rsa-pss') &&
    signature.length !== Math.ceil(key.bits / 8)
  ) {
    return err('bad-signature', 'RSA signature length does not match the key');
  }
  if (!provider.verify(publicKeySpki, scheme, octets, signature)) {
    return err(
      'bad-signature',
      `the server's ${name} signature does not verify with its certificate key`,
    );
  }
  return { ok: true, algorithm: name };
}

// ── Sign ───────────────────────────────────────────────────────────────────────────────────────

export interface SignAuthOptions {
  /** Use RSASSA-PSS rather than PKCS#1 v1.5 for plain RSA keys in method 14. */
  rsaPss?: boolean;
}

export type SignAuthResult =
  | { ok: true; method: SignatureAuthMethod; authData: Uint8Array; algorithm: string }
  | { ok: false; error: SignatureError };

/**
 * Signs our AUTH. `method` 'auto' uses method 14 when the peer sent SIGNATURE_HASH_ALGORITHMS
 * (`peerHashAlgorithms` non-empty; RFC 7427 §4), picking a hash it announced, and falls back to
 * methods 9/10/11 for ECDSA keys otherwise. Method 1 (RSA-SHA-1) is never produced.
 */
export function signAuth(
  provider: SignatureProvider,
  privateKeyPem: string,
  method: 'auto' | SignatureAuthMethod,
  octets: Uint8Array,
  peerHashAlgorithms: readonly number[],
  options: SignAuthOptions = {},
): SignAuthResult {
  const described = provider.describePrivateKey(privateKeyPem);
  if (!described)
    return err(
      'bad-private-key',
      'the private key could not be read (expected PEM, PKCS#8 or traditional)',
    );
  const key = described.key;
  if (key.kind === 'unsupported')
    return err('unsupported-algorithm', `unsupported private key: ${key.description}`);
  if ((key.kind === 'rsa' || key.kind === 'rsa-pss') && key.bits < MIN_RSA_BITS) {
    return err('weak-key', `RSA key of ${key.bits} bits (at least ${MIN_RSA_BITS} required)`);
  }

  const useMethod14 =
    method === AUTH_DIGITAL_SIGNATURE || (method === 'auto' && peerHashAlgorithms.length > 0);
  if (useMethod14) {
    const announced = (h: HashAlgorithm): boolean =>
      peerHashAlgorithms.includes(SIG_HASH_BY_NAME[h]);
    let scheme: SignatureScheme | undefined;
    if (key.kind === 'ed25519') {
      if (peerHashAlgorithms.includes(SIG_HASH_IDENTITY)) scheme = { kind: 'ed25519' };
    } else {
      const preferred: HashAlgorithm[] =
        key.kind === 'ec'
          ? [
              CURVE_HASH[key.curve],
              ...(['sha256', 'sha384', 'sha512'] as const).filter(
                (h) => h !== CURVE_HASH[key.curve],
              ),
            ]
          : ['sha256', 'sha384', 'sha512'];
      const hash = preferred.find(announced);
      if (hash) {
        if (key.kind === 'ec') scheme = { kind: 'ecdsa', hash, encoding: 'der' };
        else if (key.kind === 'rsa-pss' || options.rsaPss)
          scheme = { kind: 'rsa-pss', hash, saltLength: HASH_LENGTH[hash] };
        else scheme = { kind: 'rsa-pkcs1', hash };
      }
    }
    if (!scheme) {
      return err(
        'no-common-algorithm',
        `the server announced no signature hash usable with our ${key.kind} key (it offered: ${
          peerHashAlgorithms.join(', ') || 'none'
        })`,
      );
    }
    const signature = provider.sign(privateKeyPem, scheme, octets);
    return {
      ok: true,
      method: AUTH_DIGITAL_SIGNATURE,
      authData: encodeDigitalSignatureAuth(scheme, signature),
      algorithm: describeScheme(scheme),
    };
  }

  if (method === AUTH_RSA_DIGITAL_SIGNATURE) {
    return err('unsupported-method', 'AUTH method 1 (RSA with SHA-1) is only verified, never sent');
  }
  if (key.kind !== 'ec') {
    return err(
      'no-common-algorithm',
      `the server did not send SIGNATURE_HASH_ALGORITHMS, and a ${key.kind} key needs RFC 7427 signatures`,
    );
  }
  const classic = {
    'P-256': AUTH_ECDSA_SHA256_P256,
    'P-384': AUTH_ECDSA_SHA384_P384,
    'P-521': AUTH_ECDSA_SHA512_P521,
  }[key.curve] as 9 | 10 | 11;
  if (method !== 'auto' && method !== classic) {
    return err(
      'key-mismatch',
      `AUTH method ${method} does not fit the ECDSA ${key.curve} key (use ${classic})`,
    );
  }
  const scheme: SignatureScheme = {
    kind: 'ecdsa',
    hash: CURVE_OF_METHOD[classic].hash,
    encoding: 'ieee-p1363',
  };
  return {
    ok: true,
    method: classic,
    authData: provider.sign(privateKeyPem, scheme, octets),
    algorithm: describeScheme(scheme),
  };
}

export function describeScheme(scheme: SignatureScheme): string {
  switch (scheme.kind) {
    case 'rsa-pkcs1':
      return `${scheme.hash}WithRSAEncryption`;
    case 'rsa-pss':
      return `RSASSA-PSS-${scheme.hash.toUpperCase()}`;
    case 'ecdsa':
      return `ecdsa-with-${scheme.hash.toUpperCase()}${scheme.encoding === 'ieee-p1363' ? ' (r‖s)' : ''}`;
    case 'ed25519':
      return 'Ed25519';
  }
}
