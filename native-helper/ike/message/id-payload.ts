/**
 * Identification payload body, IDi and IDr (RFC 7296 §3.5).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   ID Type     |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Identification Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: ID_IPV4_ADDR is 4 bytes, ID_IPV6_ADDR 16, ID_NULL (RFC 7619) empty, every other type
 * non-empty. Unknown ID types are kept raw (the auth task decides).
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import type { PayloadType } from './payload-type.js';

export const IdType = {
  IPV4_ADDR: 1,
  FQDN: 2,
  RFC822_ADDR: 3,
  IPV6_ADDR: 5,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
  NULL: 13,
} as const;
export type IdType = (typeof IdType)[keyof typeof IdType];

export interface IdPayload {
  type: typeof PayloadType.IDI | typeof PayloadType.IDR;
  idType: number;
  data: Uint8Array;
}

function verify(p: IdPayload): void {
  const where = { payloadType: p.type, field: 'identification data' };
  const n = p.data.length;
  const ok =
    p.idType === IdType.IPV4_ADDR
      ? n === 4
      : p.idType === IdType.IPV6_ADDR
        ? n === 16
        : p.idType === IdType.NULL
          ? n === 0
          : n > 0;
  if (!ok) throw invalid(`ID type ${p.idType} with ${n} bytes of data`, where);
}

export function decodeIdPayload(body: Uint8Array, type: IdPayload['type']): IdPayload {
  const r = new ByteReader(body, { payloadType: type });
  const idType = r.u8('ID type');
  r.skip(3);
  const p: IdPayload = { type, idType, data: r.rest() };
  verify(p);
  return p;
}

export function encodeIdPayload(p: IdPayload): Uint8Array {
  verify(p);
  return new ByteWriter(4 + p.data.length).u8(p.idType, 'ID type').zeros(3).bytes(p.data).finish();
}
