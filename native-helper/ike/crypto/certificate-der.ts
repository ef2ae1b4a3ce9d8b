/**
 * A strict, bounded DER reader and a small DER writer: just what X.509 field extraction,
 * RFC 7427 AlgorithmIdentifiers and DN identities need. The reader refuses BER (indefinite
 * lengths, non-minimal lengths, high tag numbers) and anything that runs past its parent, so a
 * hostile certificate or AUTH payload can only produce a DerError, never an out-of-bounds read.
 * It never verifies signatures: that is the provider's job (node:crypto), never hand-parsed here.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_UTF8_STRING = 0x0c;
export const TAG_PRINTABLE_STRING = 0x13;
export const TAG_TELETEX_STRING = 0x14;
export const TAG_IA5_STRING = 0x16;
export const TAG_UTC_TIME = 0x17;
export const TAG_GENERALIZED_TIME = 0x18;
export const TAG_UNIVERSAL_STRING = 0x1c;
export const TAG_BMP_STRING = 0x1e;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;

/** Nesting deeper than this is refused (X.509 needs well under 16). */
const MAX_DEPTH = 32;

export interface DerNode {
  /** The whole identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** The contents octets. */
  contents: Uint8Array;
  /** The whole TLV, header included. */
  raw: Uint8Array;
}

/** Reads one TLV at `offset`; returns it and the offset just past it. */
export function readDer(bytes: Uint8Array, offset = 0): { node: DerNode; next: number } {
  if (offset + 2 > bytes.length) throw new DerError('DER: truncated header');
  const tag = bytes[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError('DER: high tag numbers are not used here');
  let pos = offset + 1;
  const first = bytes[pos++] ?? 0;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError('DER: indefinite length');
    if (n > 4) throw new DerError('DER: length too large');
    if (pos + n > bytes.length) throw new DerError('DER: truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[pos++] ?? 0);
    if (length < 0x80 || (n > 1 && (bytes[pos - n] ?? 0) === 0))
      throw new DerError('DER: non-minimal length');
  }
  if (pos + length > bytes.length) throw new DerError('DER: contents run past the end');
  return {
    node: {
      tag,
      contents: bytes.subarray(pos, pos + length),
      raw: bytes.subarray(offset, pos + length),
    },
    next: pos + length,
  };
}

/** Reads exactly one TLV spanning all of `bytes`, optionally of an expected tag. */
export function readDerExact(bytes: Uint8Array, expectedTag?: number): DerNode {
  const { node, next } = readDer(bytes, 0);
  if (next !== bytes.length) throw new DerError('DER: trailing bytes');
  if (expectedTag !== undefined && node.tag !== expectedTag) {
    throw new DerError(
      `DER: expected tag 0x${expectedTag.toString(16)}, got 0x${node.tag.toString(16)}`,
    );
  }
  return node;
}

/** The children of a constructed node, in order. */
export function derChildren(node: DerNode, depth = 0): DerNode[] {
  if (depth > MAX_DEPTH) throw new DerError('DER: nesting too deep');
  if ((node.tag & 0x20) === 0) throw new DerError('DER: primitive node has no children');
  const out: DerNode[] = [];
  let pos = 0;
  while (pos < node.contents.length) {
    const { node: child, next } = readDer(node.contents, pos);
    out.push(child);
    pos = next;
  }
  return out;
}

/** Children of a node that must have this tag. */
export function expectChildren(node: DerNode | undefined, tag: number, what: string): DerNode[] {
  if (!node || node.tag !== tag) throw new DerError(`DER: ${what} missing or of the wrong type`);
  return derChildren(node);
}

export function decodeOid(contents: Uint8Array): string {
  if (contents.length === 0 || contents.length > 64) throw new DerError('DER: bad OID length');
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (const b of contents) {
    if (!started && b === 0x80) throw new DerError('DER: non-minimal OID arc');
    started = (b & 0x80) !== 0;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('DER: OID arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  if (started) throw new DerError('DER: truncated OID');
  const first = arcs[0] ?? 0;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

export function decodeOidNode(node: DerNode | undefined): string {
  if (!node || node.tag !== TAG_OID) throw new DerError('DER: expected an OID');
  return decodeOid(node.contents);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Decodes the directory/ASN.1 string types certificates use; anything else is a DerError. */
export function decodeDerString(node: DerNode): string {
  switch (node.tag) {
    case TAG_UTF8_STRING:
      return new TextDecoder('utf-8', { fatal: true }).decode(node.contents);
    case TAG_PRINTABLE_STRING:
    case TAG_IA5_STRING:
    case TAG_TELETEX_STRING:
      return latin1(node.contents);
    case TAG_BMP_STRING: {
      if (node.contents.length % 2 !== 0) throw new DerError('DER: odd BMPString');
      let s = '';
      for (let i = 0; i < node.contents.length; i += 2) {
        s += String.fromCharCode(((node.contents[i] ?? 0) << 8) | (node.contents[i + 1] ?? 0));
      }
      return s;
    }
    case TAG_UNIVERSAL_STRING: {
      if (node.contents.length % 4 !== 0) throw new DerError('DER: bad UniversalString');
      let s = '';
      for (let i = 0; i < node.contents.length; i += 4) {
        const cp =
          ((node.contents[i] ?? 0) * 0x1000000 +
            ((node.contents[i + 1] ?? 0) << 16) +
            ((node.contents[i + 2] ?? 0) << 8) +
            (node.contents[i + 3] ?? 0)) >>>
          0;
        if (cp > 0x10ffff) throw new DerError('DER: bad UniversalString code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw new DerError(`DER: tag 0x${node.tag.toString(16)} is not a string`);
  }
}

/** UTCTime / GeneralizedTime (RFC 5280 §4.1.2.5: Zulu, seconds present) → ms since the epoch. */
export function decodeDerTime(node: DerNode | undefined): number {
  if (!node) throw new DerError('DER: missing time');
  const s = latin1(node.contents);
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === TAG_UTC_TIME) {
    m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw new DerError('DER: bad UTCTime');
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === TAG_GENERALIZED_TIME) {
    m = /^(\d\d\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s);
    if (!m) throw new DerError('DER: bad GeneralizedTime');
    year = Number(m[1]);
  } else {
    throw new DerError('DER: expected a time');
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
    throw new DerError('DER: time out of range');
  return Date.UTC(year, mo - 1, d, h, mi, se);
}

// ── Writer ─────────────────────────────────────────────────────────────────────────────────────

export function derEncode(tag: number, contents: Uint8Array): Uint8Array {
  const len = contents.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else if (len < 0x100) header = [tag, 0x81, len];
  else if (len < 0x10000) header = [tag, 0x82, len >> 8, len & 0xff];
  else header = [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(header.length + len);
  out.set(header);
  out.set(contents, header.length);
  return out;
}

export function derConcat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const derSequence = (...items: Uint8Array[]): Uint8Array =>
  derEncode(TAG_SEQUENCE, derConcat(...items));
export const derSet = (...items: Uint8Array[]): Uint8Array =>
  derEncode(TAG_SET, derConcat(...items));
export const derNull = (): Uint8Array => Uint8Array.of(TAG_NULL, 0);

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new DerError(`bad OID ${oid}`);
    return Number(a);
  });
  if (arcs.length < 2 || (arcs[0] ?? 3) > 2) throw new DerError(`bad OID ${oid}`);
  const out: number[] = [];
  const all = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0), ...arcs.slice(2)];
  for (const arc of all) {
    const bytes = [arc & 0x7f];
    let v = Math.floor(arc / 128);
    while (v > 0) {
      bytes.unshift((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(...bytes);
  }
  return derEncode(TAG_OID, Uint8Array.from(out));
}

/** A non-negative INTEGER from a small number. */
export function derSmallInteger(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new DerError('integer out of range');
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return derEncode(TAG_INTEGER, Uint8Array.from(bytes));
}

/** A non-negative INTEGER's value as a number, refusing anything above `max`. */
export function decodeSmallInteger(node: DerNode | undefined, max: number): number {
  if (!node || node.tag !== TAG_INTEGER) throw new DerError('DER: expected an INTEGER');
  const c = node.contents;
  if (c.length === 0) throw new DerError('DER: empty INTEGER');
  if (c.length > 1 && c[0] === 0 && ((c[1] ?? 0) & 0x80) === 0)
    throw new DerError('DER: non-minimal INTEGER');
  if ((c[0] ?? 0) & 0x80) throw new DerError('DER: negative INTEGER');
  let v = 0;
  for (const b of c) {
    v = v * 256 + b;
    if (v > max) throw new DerError(`DER: INTEGER above ${max}`);
  }
  return v;
}
