/**
 * IKEv2 identities (RFC 7296 §3.5): parsing strongSwan-like user text, the ID payload body
 * (ID Type ‖ RESERVED(3) ‖ data — also exactly what prf(SK_px, IDx') is computed over),
 * comparison and display. DNs are DER (RFC 7296 §3.5 ID_DER_ASN1_DN) and are compared
 * attribute by attribute, so "C=XX, O=Org, CN=vpn" matches a certificate subject whatever
 * string types the CA used.
 */
import {
  DerError,
  TAG_IA5_STRING,
  TAG_OID,
  TAG_PRINTABLE_STRING,
  TAG_SEQUENCE,
  TAG_SET,
  TAG_UTF8_STRING,
  decodeDerString,
  decodeOidNode,
  derChildren,
  derEncode,
  derSequence,
  derSet,
  encodeOid,
  readDerExact,
} from './certificate-der.js';

export const ID_IPV4_ADDR = 1;
export const ID_FQDN = 2;
export const ID_RFC822_ADDR = 3;
export const ID_IPV6_ADDR = 5;
export const ID_DER_ASN1_DN = 9;
export const ID_KEY_ID = 11;

export type IdType =
  | typeof ID_IPV4_ADDR
  | typeof ID_FQDN
  | typeof ID_RFC822_ADDR
  | typeof ID_IPV6_ADDR
  | typeof ID_DER_ASN1_DN
  | typeof ID_KEY_ID;

export interface Identity {
  type: IdType;
  /** The ID payload's Identification Data: 4/16 address bytes, ASCII name, DER Name, or key id. */
  data: Uint8Array;
}

export type IdentityResult = { ok: true; identity: Identity } | { ok: false; reason: string };

const MAX_NAME_LENGTH = 255;
const MAX_ID_DATA = 2048;

// ── Addresses ──────────────────────────────────────────────────────────────────────────────────

export function parseIPv4(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0'))))
    return undefined;
  return Uint8Array.from(parts);
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || text.length > 45) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsNeeded = tail4 ? 6 : 8;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parse(halves[0] ?? '');
  const right = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = groupsNeeded - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== groupsNeeded) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail4) out.set(tail4, 12);
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

/** RFC 5952 text: lower case, longest run (≥ 2) of zero groups as "::". */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hexes.join(':');
  return hexes.slice(0, bestStart).join(':') + '::' + hexes.slice(bestStart + bestLen).join(':');
}

// ── Distinguished names ────────────────────────────────────────────────────────────────────────

interface DnAttributeType {
  oid: string;
  names: string[];
  stringTag: number;
}

const DN_ATTRIBUTES: DnAttributeType[] = [
  { oid: '2.5.4.3', names: ['CN', 'commonName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.4', names: ['SN', 'surname'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.5', names: ['serialNumber'], stringTag: TAG_PRINTABLE_STRING },
  { oid: '2.5.4.6', names: ['C', 'countryName'], stringTag: TAG_PRINTABLE_STRING },
  { oid: '2.5.4.7', names: ['L', 'localityName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.8', names: ['ST', 'S', 'stateOrProvinceName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.9', names: ['street', 'streetAddress'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.10', names: ['O', 'organizationName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.11', names: ['OU', 'organizationalUnitName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.12', names: ['T', 'title'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.17', names: ['postalCode'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.42', names: ['G', 'GN', 'givenName'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.43', names: ['I', 'initials'], stringTag: TAG_UTF8_STRING },
  { oid: '2.5.4.46', names: ['dnQualifier'], stringTag: TAG_PRINTABLE_STRING },
  { oid: '0.9.2342.19200300.100.1.1', names: ['UID', 'userid'], stringTag: TAG_UTF8_STRING },
  {
    oid: '0.9.2342.19200300.100.1.25',
    names: ['DC', 'domainComponent'],
    stringTag: TAG_IA5_STRING,
  },
  { oid: '1.2.840.113549.1.9.1', names: ['E', 'emailAddress', 'Email'], stringTag: TAG_IA5_STRING },
];

function attributeByName(name: string): DnAttributeType | undefined {
  const lower = name.toLowerCase();
  return DN_ATTRIBUTES.find((a) => a.names.some((n) => n.toLowerCase() === lower));
}

export interface DnAttribute {
  oid: string;
  value: string;
}

/** A DER Name as its RDNs, each a list of attributes; DerError if it is not a Name. */
export function decodeDn(der: Uint8Array): DnAttribute[][] {
  const name = readDerExact(der, TAG_SEQUENCE);
  return derChildren(name).map((rdn) => {
    if (rdn.tag !== TAG_SET) throw new DerError('DN: RDN is not a SET');
    const attrs = derChildren(rdn).map((atv) => {
      if (atv.tag !== TAG_SEQUENCE) throw new DerError('DN: attribute is not a SEQUENCE');
      const [type, value, extra] = derChildren(atv);
      if (!type || type.tag !== TAG_OID || !value || extra) throw new DerError('DN: bad attribute');
      return { oid: decodeOidNode(type), value: decodeDerString(value) };
    });
    if (attrs.length === 0) throw new DerError('DN: empty RDN');
    return attrs;
  });
}

function escapeDnValue(v: string): string {
  return v.replace(/[,+=\\]/g, (c) => '\\' + c);
}

/** "C=XX, O=Org, CN=vpn" (strongSwan's order: as encoded). Throws DerError on a non-Name. */
export function formatDn(der: Uint8Array): string {
  return decodeDn(der)
    .map((rdn) =>
      rdn
        .map(
          (a) =>
            `${DN_ATTRIBUTES.find((t) => t.oid === a.oid)?.names[0] ?? a.oid}=${escapeDnValue(a.value)}`,
        )
        .join(' + '),
    )
    .join(', ');
}

/** Splits on unescaped separators. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

/** Encodes "C=XX, O=Org, CN=vpn" (',' or '/' separated, '\\' escapes) as a DER Name. */
export function encodeDn(
  text: string,
): { ok: true; der: Uint8Array } | { ok: false; reason: string } {
  const trimmed = text.trim().replace(/^\//, '');
  const sep = !trimmed.includes(',') && trimmed.includes('/') ? '/' : ',';
  const rdns: Uint8Array[] = [];
  for (const part of splitUnescaped(trimmed, sep)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `"${part.trim()}" is not of the form KEY=value` };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (value === '') return { ok: false, reason: `${key} has an empty value` };
    let oid: string;
    let tag: number;
    const known = attributeByName(key);
    if (known) {
      oid = known.oid;
      tag = known.stringTag;
    } else if (/^\d+(\.\d+)+$/.test(key)) {
      oid = key;
      tag = TAG_UTF8_STRING;
    } else {
      return { ok: false, reason: `unknown DN attribute "${key}"` };
    }
    if (tag === TAG_PRINTABLE_STRING && !/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value))
      tag = TAG_UTF8_STRING;
    if (tag === TAG_IA5_STRING && [...value].some((c) => c.charCodeAt(0) > 0x7f))
      tag = TAG_UTF8_STRING;
    rdns.push(derSet(derSequence(encodeOid(oid), derEncode(tag, new TextEncoder().encode(value)))));
  }
  return { ok: true, der: derSequence(...rdns) };
}

function normalizeDnValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toLowerCase();
}

/**
 * Same DN? Same RDNs in the same order with the same attribute types; values compared
 * case-insensitively with whitespace collapsed (RFC 5280 §7.1's spirit), whatever the string
 * type. Anything that is not a DER Name is unequal.
 */
export function dnEqual(a: Uint8Array, b: Uint8Array): boolean {
  let da: DnAttribute[][];
  let db: DnAttribute[][];
  try {
    da = decodeDn(a);
    db = decodeDn(b);
  } catch {
    return false;
  }
  if (da.length !== db.length) return false;
  return da.every((rdnA, i) => {
    const rdnB = db[i]!;
    if (rdnA.length !== rdnB.length) return false;
    const key = (x: DnAttribute): string => `${x.oid}=${normalizeDnValue(x.value)}`;
    const setB = rdnB.map(key).sort();
    return rdnA
      .map(key)
      .sort()
      .every((k, j) => k === setB[j]);
  });
}

// ── Text → identity ────────────────────────────────────────────────────────────────────────────

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function isPrintableAscii(s: string): boolean {
  return /^[\x21-\x7e]+$/.test(s);
}

/**
 * strongSwan-like identity text:
 * "198.51.100.10" → IPv4; "2001:db8::1" → IPv6; "C=XX, O=Org, CN=vpn" → DN;
 * "alice@example.com" → RFC822; "vpn.example.com" → FQDN; "@vpn.example.com" → FQDN (the '@'
 * forces FQDN, even for "@1.2.3.4"); "@@alice@example.com" → RFC822; "@#0123ab" → KEY_ID.
 */
export function parseIdentity(text: string): IdentityResult {
  const t = text.trim();
  if (t === '') return { ok: false, reason: 'the identity is empty' };
  if (t === '%any' || t === '%any6')
    return { ok: false, reason: '%any cannot be sent or checked as an identity' };
  if (t.startsWith('@#')) {
    const h = t.slice(2).replace(/[:\s]/g, '');
    if (h === '' || h.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(h)) {
      return {
        ok: false,
        reason: `"${t}" is not a hex key id (expected @# followed by hex digits)`,
      };
    }
    const data = new Uint8Array(h.length / 2);
    for (let i = 0; i < data.length; i++) data[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
    return { ok: true, identity: { type: ID_KEY_ID, data } };
  }
  if (t.startsWith('@@')) return nameIdentity(ID_RFC822_ADDR, t.slice(2));
  if (t.startsWith('@')) return nameIdentity(ID_FQDN, t.slice(1));
  const v4 = parseIPv4(t);
  if (v4) return { ok: true, identity: { type: ID_IPV4_ADDR, data: v4 } };
  if (t.includes(':') && !t.includes('=')) {
    const v6 = parseIPv6(t);
    if (v6) return { ok: true, identity: { type: ID_IPV6_ADDR, data: v6 } };
    return { ok: false, reason: `"${t}" is not a valid IPv6 address` };
  }
  if (t.includes('=')) {
    const dn = encodeDn(t);
    if (!dn.ok)
      return { ok: false, reason: `"${t}" is not a valid distinguished name: ${dn.reason}` };
    return { ok: true, identity: { type: ID_DER_ASN1_DN, data: dn.der } };
  }
  if (t.includes('@')) return nameIdentity(ID_RFC822_ADDR, t);
  return nameIdentity(ID_FQDN, t);
}

function nameIdentity(type: typeof ID_FQDN | typeof ID_RFC822_ADDR, name: string): IdentityResult {
  if (name === '') return { ok: false, reason: 'the identity is empty' };
  if (name.length > MAX_NAME_LENGTH)
    return { ok: false, reason: 'the identity is longer than 255 characters' };
  if (!isPrintableAscii(name)) {
    return {
      ok: false,
      reason: `"${name}" contains spaces or non-ASCII characters (use the punycode form of the name)`,
    };
  }
  if (type === ID_RFC822_ADDR && !/^[^@]+@[^@]+$/.test(name)) {
    return { ok: false, reason: `"${name}" is not an e-mail style identity (user@domain)` };
  }
  return { ok: true, identity: { type, data: ascii(name) } };
}

// ── ID payload body ────────────────────────────────────────────────────────────────────────────

/** ID Type(1) ‖ RESERVED(3) ‖ Identification Data: the ID payload body and the input to prf(SK_px, ·). */
export function encodeIdentity(id: Identity): Uint8Array {
  const out = new Uint8Array(4 + id.data.length);
  out[0] = id.type;
  out.set(id.data, 4);
  return out;
}

/** Parses and validates an ID payload body. Unknown or malformed identities are errors, never guesses. */
export function decodeIdentity(body: Uint8Array): IdentityResult {
  if (body.length < 5) return { ok: false, reason: 'ID payload body too short' };
  if (body.length - 4 > MAX_ID_DATA) return { ok: false, reason: 'ID payload data too long' };
  const type = body[0] ?? 0;
  const data = body.slice(4);
  switch (type) {
    case ID_IPV4_ADDR:
      return data.length === 4
        ? { ok: true, identity: { type, data } }
        : { ok: false, reason: 'ID_IPV4_ADDR is not 4 bytes' };
    case ID_IPV6_ADDR:
      return data.length === 16
        ? { ok: true, identity: { type, data } }
        : { ok: false, reason: 'ID_IPV6_ADDR is not 16 bytes' };
    case ID_FQDN:
    case ID_RFC822_ADDR: {
      let s = '';
      for (const b of data) s += String.fromCharCode(b);
      if (!isPrintableAscii(s) || data.length > MAX_NAME_LENGTH) {
        return { ok: false, reason: 'ID name contains non-printable characters or is too long' };
      }
      return { ok: true, identity: { type, data } };
    }
    case ID_DER_ASN1_DN:
      try {
        decodeDn(data);
      } catch (e) {
        return {
          ok: false,
          reason: `ID_DER_ASN1_DN is not a valid DER name (${(e as Error).message})`,
        };
      }
      return { ok: true, identity: { type, data } };
    case ID_KEY_ID:
      return { ok: true, identity: { type, data } };
    default:
      return { ok: false, reason: `unsupported ID type ${type}` };
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function asciiLower(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s.toLowerCase();
}

/** Same identity? Names compare case-insensitively (DNS, RFC822 as strongSwan does), DNs attribute-wise. */
export function identitiesEqual(a: Identity, b: Identity): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case ID_FQDN:
    case ID_RFC822_ADDR:
      return asciiLower(a.data) === asciiLower(b.data);
    case ID_DER_ASN1_DN:
      return dnEqual(a.data, b.data);
    case ID_IPV4_ADDR:
    case ID_IPV6_ADDR:
    case ID_KEY_ID:
      return bytesEqual(a.data, b.data);
  }
}

/** For messages and logs: printable, bounded. */
export function formatIdentity(id: Identity): string {
  switch (id.type) {
    case ID_IPV4_ADDR:
      return id.data.length === 4 ? formatIPv4(id.data) : '(bad IPv4 identity)';
    case ID_IPV6_ADDR:
      return id.data.length === 16 ? formatIPv6(id.data) : '(bad IPv6 identity)';
    case ID_FQDN:
    case ID_RFC822_ADDR: {
      let s = '';
      for (const b of id.data.subarray(0, MAX_NAME_LENGTH))
        s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
      return s;
    }
    case ID_DER_ASN1_DN:
      try {
        return formatDn(id.data).replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?');
      } catch {
        return '(malformed DN)';
      }
    case ID_KEY_ID:
      return (
        '@#' + Array.from(id.data.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join('')
      );
  }
}
