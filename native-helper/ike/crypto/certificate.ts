/**
 * Server certificate validation for IKE_AUTH (RFC 7296 §3.6, RFC 4945 §3.1 and §5, RFC 5280 §6
 * reduced to what a VPN client needs) and our CERTREQ data (RFC 7296 §3.7).
 *
 * The server is authenticated before anything it says is trusted (research/protocol.md §3.4):
 * the chain must reach a configured CA, every certificate on the path must be within its
 * validity period, intermediates must be CAs, the end entity's EKU (if any) must allow IKE
 * server use, keys must be strong enough, and the identity we expect must be in the SAN (or be
 * the subject DN exactly) — the CN alone is not enough. Signatures over certificates are checked
 * by the injected provider (OpenSSL); the fields are read here with a strict DER reader.
 * Revocation (CRL/OCSP) is not fetched (a DoS vector, strongSwan CVE-2022-40617).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import {
  DerError,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_SEQUENCE,
  decodeDerTime,
  decodeOidNode,
  decodeSmallInteger,
  derChildren,
  readDerExact,
} from './certificate-der.js';
import type { CertificateProvider } from './certificate-provider.js';
import {
  ID_DER_ASN1_DN,
  ID_FQDN,
  ID_IPV4_ADDR,
  ID_IPV6_ADDR,
  ID_KEY_ID,
  ID_RFC822_ADDR,
  dnEqual,
  formatDn,
  formatIPv4,
  formatIPv6,
  formatIdentity,
  type Identity,
} from './identity.js';
import { MIN_RSA_BITS, MAX_RSA_BITS, parseAlgorithmIdentifier } from './signature.js';
import type { PublicKeyDescription, SignatureProvider } from './signature-provider.js';

/** Longest chain (end entity + intermediates) we accept from CERT payloads. */
export const MAX_CHAIN_LENGTH = 8;
/** Largest single certificate we parse. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;
/** Most trust anchors one profile may configure. */
export const MAX_TRUSTED_CAS = 64;
/** CERTREQ / CERT encoding "X.509 Certificate - Signature" (RFC 7296 §3.6). */
export const CERT_ENCODING_X509_SIGNATURE = 4;

const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const OID_NAME_CONSTRAINTS = '2.5.29.30';
/** Extensions we understand well enough to accept when marked critical (or that need no processing). */
const UNDERSTOOD_EXTENSIONS = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXT_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.32', // certificatePolicies (no policy constraints are configured, so any policy is acceptable)
]);
const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const EKU_IPSEC_IKE = '1.3.6.1.5.5.7.3.17'; // RFC 4945 §5.1.3.12
const EKU_IKE_INTERMEDIATE = '1.3.6.1.5.5.8.2.2';
const ACCEPTED_EKUS = new Set([EKU_SERVER_AUTH, EKU_IPSEC_IKE, EKU_IKE_INTERMEDIATE]);

// ── Parsed certificate ─────────────────────────────────────────────────────────────────────────

export interface SubjectAltNames {
  dns: string[];
  ip: Uint8Array[];
  email: string[];
  /** directoryName entries (DER Names). */
  dn: Uint8Array[];
}

export interface ParsedCertificate {
  der: Uint8Array;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: number;
  notAfter: number;
  spki: Uint8Array;
  /** The outer signatureAlgorithm, DER. */
  signatureAlgorithm: Uint8Array;
  /** basicConstraints cA; false when absent. */
  isCa: boolean;
  pathLenConstraint: number | undefined;
  /** keyUsage bits (bit 0 = digitalSignature … bit 5 = keyCertSign); undefined when absent. */
  keyUsage: number | undefined;
  extKeyUsage: string[] | undefined;
  subjectAltNames: SubjectAltNames;
  hasNameConstraints: boolean;
  unknownCriticalExtensions: string[];
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

function parseKeyUsage(value: Uint8Array): number {
  const bits = readDerExact(value, TAG_BIT_STRING).contents;
  if (bits.length < 1 || (bits[0] ?? 0) > 7) throw new DerError('bad keyUsage');
  let usage = 0;
  for (let i = 1; i < bits.length && i < 3; i++) {
    const byte = bits[i] ?? 0;
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) usage |= 1 << ((i - 1) * 8 + b);
  }
  return usage;
}

function parseSubjectAltNames(value: Uint8Array, into: SubjectAltNames): void {
  const names = derChildren(readDerExact(value, TAG_SEQUENCE));
  if (names.length === 0) throw new DerError('empty subjectAltName');
  for (const n of names) {
    switch (n.tag) {
      case 0x81:
        into.email.push(latin1(n.contents));
        break;
      case 0x82:
        into.dns.push(latin1(n.contents));
        break;
      case 0x87:
        if (n.contents.length !== 4 && n.contents.length !== 16)
          throw new DerError('bad iPAddress SAN');
        into.ip.push(n.contents.slice());
        break;
      case 0xa4:
        into.dn.push(readDerExact(n.contents, TAG_SEQUENCE).raw.slice());
        break;
      default:
        break; // otherName, URI, registeredID…: never matched against an IKE identity
    }
  }
}

/** Parses the fields of an X.509 v1/v3 certificate we check; throws DerError on anything malformed. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  if (der.length > MAX_CERTIFICATE_BYTES)
    throw new DerError(`certificate larger than ${MAX_CERTIFICATE_BYTES} bytes`);
  const [tbs, sigAlg, sigValue, extra] = derChildren(readDerExact(der, TAG_SEQUENCE));
  if (
    !tbs ||
    tbs.tag !== TAG_SEQUENCE ||
    !sigAlg ||
    sigAlg.tag !== TAG_SEQUENCE ||
    sigValue?.tag !== TAG_BIT_STRING ||
    extra
  ) {
    throw new DerError('not an X.509 certificate');
  }
  const fields = derChildren(tbs);
  let i = 0;
  let version = 0;
  if (fields[0]?.tag === 0xa0) {
    version = decodeSmallInteger(readDerExact(fields[0].contents, TAG_INTEGER), 2);
    i++;
  }
  const serial = fields[i++];
  const innerSigAlg = fields[i++];
  const issuer = fields[i++];
  const validity = fields[i++];
  const subject = fields[i++];
  const spki = fields[i++];
  if (serial?.tag !== TAG_INTEGER || !innerSigAlg || !issuer || !validity || !subject || !spki) {
    throw new DerError('incomplete TBSCertificate');
  }
  if (latin1(innerSigAlg.raw) !== latin1(sigAlg.raw))
    throw new DerError('signature algorithms inside and outside differ');
  for (const name of [issuer, subject])
    if (name.tag !== TAG_SEQUENCE) throw new DerError('bad Name');
  if (spki.tag !== TAG_SEQUENCE) throw new DerError('bad SubjectPublicKeyInfo');
  const [notBefore, notAfter, extraTime] = derChildren(validity);
  if (extraTime) throw new DerError('bad Validity');

  const cert: ParsedCertificate = {
    der,
    issuer: issuer.raw.slice(),
    subject: subject.raw.slice(),
    notBefore: decodeDerTime(notBefore),
    notAfter: decodeDerTime(notAfter),
    spki: spki.raw.slice(),
    signatureAlgorithm: sigAlg.raw.slice(),
    isCa: false,
    pathLenConstraint: undefined,
    keyUsage: undefined,
    extKeyUsage: undefined,
    subjectAltNames: { dns: [], ip: [], email: [], dn: [] },
    hasNameConstraints: false,
    unknownCriticalExtensions: [],
  };
  // issuerUniqueID [1] / subjectUniqueID [2] are skipped; extensions [3] only in v3.
  while (i < fields.length && (fields[i]?.tag === 0x81 || fields[i]?.tag === 0x82)) i++;
  const extsWrapper = fields[i];
  if (extsWrapper) {
    if (extsWrapper.tag !== 0xa3 || version !== 2 || i + 1 !== fields.length)
      throw new DerError('bad TBSCertificate tail');
    const seen = new Set<string>();
    for (const ext of derChildren(readDerExact(extsWrapper.contents, TAG_SEQUENCE))) {
      const parts = derChildren(ext);
      const oid = decodeOidNode(parts[0]);
      if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
      seen.add(oid);
      let critical = false;
      let valueNode = parts[1];
      if (valueNode?.tag === TAG_BOOLEAN) {
        critical = valueNode.contents.length === 1 && valueNode.contents[0] === 0xff;
        valueNode = parts[2];
        if (parts.length !== 3) throw new DerError('bad Extension');
      } else if (parts.length !== 2) {
        throw new DerError('bad Extension');
      }
      if (valueNode?.tag !== TAG_OCTET_STRING) throw new DerError('bad extnValue');
      const value = valueNode.contents;
      switch (oid) {
        case OID_BASIC_CONSTRAINTS: {
          const bc = derChildren(readDerExact(value, TAG_SEQUENCE));
          let j = 0;
          if (bc[0]?.tag === TAG_BOOLEAN) {
            cert.isCa = bc[0].contents[0] === 0xff;
            j++;
          }
          if (bc[j]) cert.pathLenConstraint = decodeSmallInteger(bc[j], 255);
          break;
        }
        case OID_KEY_USAGE:
          cert.keyUsage = parseKeyUsage(value);
          break;
        case OID_EXT_KEY_USAGE:
          cert.extKeyUsage = derChildren(readDerExact(value, TAG_SEQUENCE)).map((n) =>
            decodeOidNode(n),
          );
          break;
        case OID_SUBJECT_ALT_NAME:
          parseSubjectAltNames(value, cert.subjectAltNames);
          break;
        case OID_NAME_CONSTRAINTS:
          cert.hasNameConstraints = true;
          break;
        default:
          if (critical && !UNDERSTOOD_EXTENSIONS.has(oid)) cert.unknownCriticalExtensions.push(oid);
      }
    }
  }
  return cert;
}

// ── PEM and CERTREQ ────────────────────────────────────────────────────────────────────────────

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64Decode(s: string): Uint8Array | undefined {
  const clean = s.replace(/\s+/g, '').replace(/=+$/, '');
  if (/[^A-Za-z0-9+/]/.test(clean) || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (const c of clean) {
    acc = (acc << 6) | B64.indexOf(c);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** Every CERTIFICATE block of a PEM text, as DER (a lone DER input is returned as is). */
export function certificatesFromPemOrDer(input: string | Uint8Array): Uint8Array[] {
  if (typeof input !== 'string') return [input];
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    const der = base64Decode(m[1] ?? '');
    if (der) out.push(der);
  }
  return out;
}

/**
 * CERTREQ Certification Authority data (RFC 7296 §3.7): the SHA-1 of each trusted CA's
 * SubjectPublicKeyInfo, concatenated (encoding 4). Unreadable CAs are skipped; duplicates once.
 */
export function certificateRequestData(trustedCas: readonly (string | Uint8Array)[]): Uint8Array {
  const hashes: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const input of trustedCas) {
    for (const der of certificatesFromPemOrDer(input)) {
      let cert: ParsedCertificate;
      try {
        cert = parseCertificate(der);
      } catch {
        continue;
      }
      const h = sha1(cert.spki);
      const key = latin1(h);
      if (!seen.has(key)) {
        seen.add(key);
        hashes.push(h);
      }
    }
  }
  const out = new Uint8Array(hashes.length * 20);
  hashes.forEach((h, i) => out.set(h, i * 20));
  return out;
}

// ── Validation ─────────────────────────────────────────────────────────────────────────────────

export type CertificateErrorCode =
  | 'certificate-untrusted'
  | 'certificate-expired'
  | 'certificate-not-yet-valid'
  | 'identity-mismatch'
  | 'certificate-invalid';

export interface CertificateError {
  code: CertificateErrorCode;
  /** One line for the user. */
  message: string;
  /** The likely fix. */
  fix: string;
  /** The subject of the certificate concerned. */
  certificate?: string;
  notBefore?: number;
  notAfter?: number;
  /** identity-mismatch: what we expected, and the names the certificate has. */
  expected?: string;
  found?: string[];
}

export type CertificateValidationResult =
  | {
      ok: true;
      /** The end entity's SubjectPublicKeyInfo: verify the AUTH payload with it. */
      publicKeySpki: Uint8Array;
      publicKey: PublicKeyDescription;
      subject: string;
      /** Subjects from the end entity up to the trust anchor. */
      path: string[];
    }
  | { ok: false; error: CertificateError };

export interface ValidateServerCertificateInput {
  /** CERT payload data (encoding 4), end entity first. */
  chain: readonly Uint8Array[];
  /** The profile's CA certificates (PEM text, possibly several per string, or DER). */
  trustedCas: readonly (string | Uint8Array)[];
  /** The configured remote identity. */
  expectedIdentity: Identity;
  /** Current time, ms since the epoch. */
  now: number;
}

const failure = (error: CertificateError): { ok: false; error: CertificateError } => ({
  ok: false,
  error,
});

function subjectText(cert: ParsedCertificate): string {
  try {
    return formatDn(cert.subject) || '(empty subject)';
  } catch {
    return '(unreadable subject)';
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function keyProblem(key: PublicKeyDescription): string | undefined {
  switch (key.kind) {
    case 'rsa':
    case 'rsa-pss':
      if (key.bits < MIN_RSA_BITS)
        return `an RSA key of ${key.bits} bits (at least ${MIN_RSA_BITS} required)`;
      if (key.bits > MAX_RSA_BITS)
        return `an RSA key of ${key.bits} bits (more than ${MAX_RSA_BITS})`;
      return undefined;
    case 'ec':
    case 'ed25519':
      return undefined;
    case 'unsupported':
      return `an unsupported key (${key.description})`;
  }
}

function invalid(
  cert: ParsedCertificate,
  what: string,
  fix: string,
): { ok: false; error: CertificateError } {
  return failure({
    code: 'certificate-invalid',
    message: `the certificate "${subjectText(cert)}" ${what}`,
    fix,
    certificate: subjectText(cert),
  });
}

const ADMIN_FIX = 'the VPN server administrator must issue a suitable certificate';

/** Checks that apply to every certificate on the path (the anchor included). */
function checkCommon(
  cert: ParsedCertificate,
  provider: SignatureProvider,
): { ok: false; error: CertificateError } | undefined {
  if (cert.unknownCriticalExtensions.length > 0) {
    return invalid(
      cert,
      `has critical extensions Tsunagi does not understand (${cert.unknownCriticalExtensions.join(', ')})`,
      ADMIN_FIX,
    );
  }
  if (cert.hasNameConstraints) {
    // Not enforced here, so refused rather than ignored (strongSwan CVE-2026-35331).
    return invalid(cert, 'carries name constraints, which Tsunagi does not enforce', ADMIN_FIX);
  }
  const problem = keyProblem(provider.describePublicKey(cert.spki));
  if (problem) return invalid(cert, `has ${problem}`, ADMIN_FIX);
  return undefined;
}

function checkCa(
  cert: ParsedCertificate,
  role: string,
): { ok: false; error: CertificateError } | undefined {
  if (!cert.isCa) {
    return invalid(
      cert,
      `is used as ${role} but is not a CA certificate (basicConstraints cA is not set)`,
      ADMIN_FIX,
    );
  }
  if (cert.keyUsage !== undefined && (cert.keyUsage & (1 << 5)) === 0) {
    return invalid(
      cert,
      `is used as ${role} but its key usage does not allow signing certificates`,
      ADMIN_FIX,
    );
  }
  return undefined;
}

function checkValidity(
  cert: ParsedCertificate,
  now: number,
): { ok: false; error: CertificateError } | undefined {
  const subject = subjectText(cert);
  const dates = { certificate: subject, notBefore: cert.notBefore, notAfter: cert.notAfter };
  if (now < cert.notBefore) {
    return failure({
      code: 'certificate-not-yet-valid',
      message: `the certificate "${subject}" is not valid before ${isoDate(cert.notBefore)}`,
      fix: 'check this computer’s date and time; otherwise the server’s certificate was issued for the future',
      ...dates,
    });
  }
  if (now > cert.notAfter) {
    return failure({
      code: 'certificate-expired',
      message: `the certificate "${subject}" expired on ${isoDate(cert.notAfter)}`,
      fix: 'the VPN server administrator must renew the certificate (or check this computer’s date and time)',
      ...dates,
    });
  }
  return undefined;
}

function sanList(cert: ParsedCertificate): string[] {
  const s = cert.subjectAltNames;
  return [
    ...s.dns,
    ...s.ip.map((b) => (b.length === 4 ? formatIPv4(b) : formatIPv6(b))),
    ...s.email,
    ...s.dn.map((d) => {
      try {
        return formatDn(d);
      } catch {
        return '(unreadable directoryName)';
      }
    }),
  ].map((n) => n.replace(/[^\x20-\x7e]/g, '?'));
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** RFC 4945 §3.1: the identity must be in the SAN, or be the subject DN exactly. */
function checkIdentity(
  cert: ParsedCertificate,
  expected: Identity,
): { ok: false; error: CertificateError } | undefined {
  const san = cert.subjectAltNames;
  const name = latin1(expected.data).toLowerCase();
  let matched: boolean;
  let what: string;
  switch (expected.type) {
    case ID_FQDN:
      matched = san.dns.some((d) => d.toLowerCase() === name);
      what = 'the address you typed';
      break;
    case ID_RFC822_ADDR:
      matched = san.email.some((e) => e.toLowerCase() === name);
      what = 'the identity configured';
      break;
    case ID_IPV4_ADDR:
    case ID_IPV6_ADDR:
      matched = san.ip.some((ip) => bytesEqual(ip, expected.data));
      what = 'the address you typed';
      break;
    case ID_DER_ASN1_DN:
      matched = dnEqual(cert.subject, expected.data);
      what = 'the identity configured';
      break;
    case ID_KEY_ID:
      matched = false;
      what = 'a key ID, which no certificate can prove';
      break;
  }
  if (matched) return undefined;
  const expectedText = formatIdentity(expected);
  const subject = subjectText(cert);
  if (expected.type === ID_DER_ASN1_DN) {
    return failure({
      code: 'identity-mismatch',
      message: `the server certificate's subject is "${subject}", not "${expectedText}", ${what}`,
      fix: 'set the remote identity to the certificate’s exact subject, or ask the administrator which identity to use',
      certificate: subject,
      expected: expectedText,
      found: [subject],
    });
  }
  const found = sanList(cert);
  const cnOnly =
    found.length === 0 || !found.some((f) => f.toLowerCase() === expectedText.toLowerCase())
      ? subject.toLowerCase().includes(`cn=${expectedText.toLowerCase()}`)
      : false;
  return failure({
    code: 'identity-mismatch',
    message:
      `the server certificate's SubjectAltName does not contain ${expectedText}, ${what} ` +
      `(it has: ${found.length > 0 ? found.join(', ') : 'no SubjectAltName'})` +
      (cnOnly ? '; its CN matches, but the CN alone is not enough (RFC 4945 §3.1)' : ''),
    fix:
      found.length > 0
        ? `connect using one of the names in the certificate (${found.slice(0, 3).join(', ')}), or ask the administrator to add ${expectedText} to the certificate`
        : `the VPN server administrator must add ${expectedText} to the certificate's SubjectAltName`,
    certificate: subject,
    expected: expectedText,
    found,
  });
}

function checkEndEntity(
  cert: ParsedCertificate,
): { ok: false; error: CertificateError } | undefined {
  if (cert.extKeyUsage !== undefined && !cert.extKeyUsage.some((e) => ACCEPTED_EKUS.has(e))) {
    return invalid(
      cert,
      `is not meant for a VPN server: its extended key usage (${cert.extKeyUsage.join(', ')}) has neither serverAuth nor ikeIntermediate`,
      'the VPN server administrator must use a certificate with the serverAuth (or ikeIntermediate) extended key usage',
    );
  }
  // RFC 4945 §5.1.3.2: digitalSignature or nonRepudiation.
  if (cert.keyUsage !== undefined && (cert.keyUsage & 0b11) === 0) {
    return invalid(cert, 'has a key usage that does not allow signing', ADMIN_FIX);
  }
  return undefined;
}

function signatureAlgorithmProblem(
  cert: ParsedCertificate,
): { ok: false; error: CertificateError } | undefined {
  const alg = parseAlgorithmIdentifier(cert.signatureAlgorithm);
  if (!alg.ok)
    return invalid(
      cert,
      `is signed with an algorithm Tsunagi does not accept (${alg.error.message})`,
      ADMIN_FIX,
    );
  return undefined;
}

/**
 * Validates the server's certificate chain against the profile's CAs and identity. On success,
 * returns the key to verify the AUTH payload with; nothing from the server may be trusted
 * before this and that verification both succeed.
 */
export function validateServerCertificate(
  provider: SignatureProvider & CertificateProvider,
  input: ValidateServerCertificateInput,
): CertificateValidationResult {
  const { chain, now } = input;
  const untrustedFix =
    'import the CA certificate that issued the server’s certificate into this profile (and check the server address)';
  if (chain.length === 0) {
    return failure({
      code: 'certificate-untrusted',
      message: 'the server sent no certificate',
      fix: 'the VPN server must send its certificate (strongSwan: send_cert = always)',
    });
  }
  if (chain.length > MAX_CHAIN_LENGTH) {
    return failure({
      code: 'certificate-invalid',
      message: `the server sent ${chain.length} certificates (at most ${MAX_CHAIN_LENGTH} are accepted)`,
      fix: ADMIN_FIX,
    });
  }
  const parsed: ParsedCertificate[] = [];
  for (const [i, der] of chain.entries()) {
    try {
      parsed.push(parseCertificate(der));
    } catch (e) {
      return failure({
        code: 'certificate-invalid',
        message: `certificate ${i + 1} from the server cannot be parsed (${(e as Error).message})`,
        fix: ADMIN_FIX,
      });
    }
  }
  const anchors: ParsedCertificate[] = [];
  for (const input_ of input.trustedCas.slice(0, MAX_TRUSTED_CAS)) {
    for (const der of certificatesFromPemOrDer(input_)) {
      try {
        anchors.push(parseCertificate(der));
      } catch {
        // An unreadable CA file cannot anchor anything; if none is usable the chain is untrusted.
      }
    }
  }
  const ee = parsed[0]!;

  // Build the path: from the end entity, follow issuers through the server's certificates until
  // one is signed by (or is) a configured CA.
  const path: ParsedCertificate[] = [ee];
  const used = new Set<number>([0]);
  let anchor: ParsedCertificate | undefined;
  let badSignatureBy: ParsedCertificate | undefined;
  let current = ee;
  while (!anchor) {
    if (current !== ee) {
      const same = anchors.find((a) => bytesEqual(a.der, current.der));
      if (same) {
        // The server included the CA itself: the anchor is our copy, already on the path.
        path.pop();
        anchor = same;
        break;
      }
    }
    const trusted = anchors.filter((a) => dnEqual(a.subject, current.issuer));
    const signer = trusted.find((a) => provider.verifyCertificateSignature(current.der, a.spki));
    if (signer) {
      anchor = signer;
      break;
    }
    if (trusted.length > 0) badSignatureBy = trusted[0];
    if (path.length >= MAX_CHAIN_LENGTH) break;
    let next: ParsedCertificate | undefined;
    for (const [i, cand] of parsed.entries()) {
      if (used.has(i) || !dnEqual(cand.subject, current.issuer)) continue;
      if (provider.verifyCertificateSignature(current.der, cand.spki)) {
        used.add(i);
        next = cand;
        break;
      }
      badSignatureBy ??= cand;
    }
    if (!next) break;
    path.push(next);
    current = next;
  }
  if (!anchor) {
    if (badSignatureBy) {
      return invalid(
        current,
        `has a signature that does not verify with the key of its issuer "${subjectText(badSignatureBy)}"`,
        'the certificate was tampered with or issued by a different CA with the same name; do not trust this server',
      );
    }
    return failure({
      code: 'certificate-untrusted',
      message: `the server certificate "${subjectText(ee)}" was not issued by a CA configured in this profile (its issuer: "${(() => {
        try {
          return formatDn(current.issuer);
        } catch {
          return 'unreadable';
        }
      })()}")`,
      fix: untrustedFix,
      certificate: subjectText(ee),
    });
  }

  // Every certificate on the path: structure, key, validity; intermediates and anchor: CA rules.
  const full = [...path, anchor];
  for (const [i, cert] of full.entries()) {
    const common = checkCommon(cert, provider);
    if (common) return common;
    if (cert !== anchor) {
      const sig = signatureAlgorithmProblem(cert);
      if (sig) return sig;
    }
    if (i > 0) {
      const role = cert === anchor ? 'the trusted CA' : 'an intermediate CA';
      const ca = checkCa(cert, role);
      if (ca) return ca;
      // pathLenConstraint: how many intermediates may follow below this CA.
      const below = i - 1;
      if (cert.pathLenConstraint !== undefined && below > cert.pathLenConstraint) {
        return invalid(
          cert,
          `allows ${cert.pathLenConstraint} intermediate CAs below it, but the chain has ${below}`,
          ADMIN_FIX,
        );
      }
    }
  }
  for (const cert of full) {
    const validity = checkValidity(cert, now);
    if (validity) return validity;
  }
  const eeProblem = checkEndEntity(ee);
  if (eeProblem) return eeProblem;
  const idProblem = checkIdentity(ee, input.expectedIdentity);
  if (idProblem) return idProblem;

  return {
    ok: true,
    publicKeySpki: ee.spki,
    publicKey: provider.describePublicKey(ee.spki),
    subject: subjectText(ee),
    path: full.map(subjectText),
  };
}
