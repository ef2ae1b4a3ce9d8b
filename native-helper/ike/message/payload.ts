/**
 * Generic payload header and payload chains (RFC 7296 §3.2).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length includes the 4-byte header, so it is ≥ 4 and the payload lies inside its parent.
 * Known types are decoded by their own file; an unknown type is kept raw when its critical bit is
 * clear and rejects the message with UNSUPPORTED_CRITICAL_PAYLOAD (naming the type) when set —
 * this is the one place that decision is made. The critical bit of known payloads and the
 * RESERVED bits are ignored on receipt and sent as 0. SK and SKF end a chain: their Next Payload
 * names the first inner payload, and nothing may follow them.
 */
import { ByteReader, ByteWriter, IkeSyntaxError, invalid } from './codec.js';
import { decodeAuthPayload, encodeAuthPayload, type AuthPayload } from './auth-payload.js';
import { decodeCertPayload, encodeCertPayload, type CertPayload } from './cert-payload.js';
import {
  decodeCertReqPayload,
  encodeCertReqPayload,
  type CertReqPayload,
} from './certreq-payload.js';
import { decodeCpPayload, encodeCpPayload, type CpPayload } from './cp-payload.js';
import { decodeDeletePayload, encodeDeletePayload, type DeletePayload } from './delete-payload.js';
import { decodeEapPayload, encodeEapPayload, type EapPayload } from './eap-payload.js';
import { decodeIdPayload, encodeIdPayload, type IdPayload } from './id-payload.js';
import { decodeKePayload, encodeKePayload, type KePayload } from './ke-payload.js';
import { decodeNoncePayload, encodeNoncePayload, type NoncePayload } from './nonce-payload.js';
import { decodeNotifyPayload, encodeNotifyPayload, type NotifyPayload } from './notify-payload.js';
import { PayloadType, payloadTypeName } from './payload-type.js';
import { decodeSaPayload, encodeSaPayload, type SaPayload } from './sa-payload.js';
import { decodeTsPayload, encodeTsPayload, type TsPayload } from './ts-payload.js';
import {
  decodeUnknownPayload,
  encodeUnknownPayload,
  type UnknownPayload,
} from './unknown-payload.js';
import {
  decodeVendorIdPayload,
  encodeVendorIdPayload,
  type VendorIdPayload,
} from './vendor-id-payload.js';

export const GENERIC_HEADER_LENGTH = 4;
export const CRITICAL_BIT = 0x80;

/** Every payload a message can carry (SK and SKF are structure, handled by message.ts). */
export type Payload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CertReqPayload
  | AuthPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorIdPayload
  | TsPayload
  | CpPayload
  | EapPayload
  | UnknownPayload;

type Narrow<P, T> = P extends { type: infer U } ? (T extends U ? P & { type: T } : never) : never;
/** The payload variant carrying tag `T` (IDi and IDr share a shape, as do TSi and TSr). */
export type PayloadOfType<T extends Payload['type']> = Narrow<Payload, T>;

/** Narrows a payload list by tag: `payloadsOf(msg.payloads, PayloadType.NOTIFY)`. */
export function payloadsOf<T extends Payload['type']>(
  payloads: readonly Payload[],
  type: T,
): PayloadOfType<T>[] {
  return payloads.filter((p): p is PayloadOfType<T> => p.type === type);
}

/** The payload type number written on the wire for this payload. */
export function wireType(p: Payload): number {
  return p.type === 'unknown' ? p.payloadType : p.type;
}

/** Decodes one payload body. `type` is the wire type; SK/SKF are rejected (structure, not body). */
export function decodePayloadBody(type: number, critical: boolean, body: Uint8Array): Payload {
  switch (type) {
    case PayloadType.SA:
      return decodeSaPayload(body);
    case PayloadType.KE:
      return decodeKePayload(body);
    case PayloadType.IDI:
    case PayloadType.IDR:
      return decodeIdPayload(body, type);
    case PayloadType.CERT:
      return decodeCertPayload(body);
    case PayloadType.CERTREQ:
      return decodeCertReqPayload(body);
    case PayloadType.AUTH:
      return decodeAuthPayload(body);
    case PayloadType.NONCE:
      return decodeNoncePayload(body);
    case PayloadType.NOTIFY:
      return decodeNotifyPayload(body);
    case PayloadType.DELETE:
      return decodeDeletePayload(body);
    case PayloadType.VENDOR_ID:
      return decodeVendorIdPayload(body);
    case PayloadType.TSI:
    case PayloadType.TSR:
      return decodeTsPayload(body, type);
    case PayloadType.CP:
      return decodeCpPayload(body);
    case PayloadType.EAP:
      return decodeEapPayload(body);
    case PayloadType.SK:
    case PayloadType.SKF:
    case PayloadType.NONE:
      throw invalid(`${payloadTypeName(type)} cannot appear here`, {
        payloadType: type,
        field: 'next payload',
      });
    default:
      if (critical) {
        throw new IkeSyntaxError(
          'unsupported-critical-payload',
          `unknown critical payload type ${type}`,
          {
            payloadType: type,
            field: 'critical',
          },
        );
      }
      return decodeUnknownPayload(body, type);
  }
}

export function encodePayloadBody(p: Payload): Uint8Array {
  switch (p.type) {
    case PayloadType.SA:
      return encodeSaPayload(p);
    case PayloadType.KE:
      return encodeKePayload(p);
    case PayloadType.IDI:
    case PayloadType.IDR:
      return encodeIdPayload(p);
    case PayloadType.CERT:
      return encodeCertPayload(p);
    case PayloadType.CERTREQ:
      return encodeCertReqPayload(p);
    case PayloadType.AUTH:
      return encodeAuthPayload(p);
    case PayloadType.NONCE:
      return encodeNoncePayload(p);
    case PayloadType.NOTIFY:
      return encodeNotifyPayload(p);
    case PayloadType.DELETE:
      return encodeDeletePayload(p);
    case PayloadType.VENDOR_ID:
      return encodeVendorIdPayload(p);
    case PayloadType.TSI:
    case PayloadType.TSR:
      return encodeTsPayload(p);
    case PayloadType.CP:
      return encodeCpPayload(p);
    case PayloadType.EAP:
      return encodeEapPayload(p);
    case 'unknown':
      if (
        p.payloadType === PayloadType.NONE ||
        p.payloadType === PayloadType.SK ||
        p.payloadType === PayloadType.SKF ||
        (p.payloadType >= PayloadType.SA && p.payloadType <= PayloadType.EAP)
      ) {
        throw invalid(`payload type ${p.payloadType} is not unknown`, {
          payloadType: p.payloadType,
        });
      }
      return encodeUnknownPayload(p);
  }
}

/** Where SK or SKF was found at the end of a chain. */
export interface EncryptedPayloadLocation {
  type: typeof PayloadType.SK | typeof PayloadType.SKF;
  /** Next Payload of its header: the first inner payload type. */
  firstPayload: number;
  /** Offset of its generic header in the buffer given to `decodePayloadChain`. */
  headerOffset: number;
  /** Its body (after the generic header), a view into the buffer. */
  body: Uint8Array;
}

export interface DecodedChain {
  payloads: Payload[];
  /** Present when the chain ended with SK or SKF. */
  encrypted?: EncryptedPayloadLocation;
}

/**
 * Decodes the payload chain in `buf[start..]` beginning with `firstType`. With `allowEncrypted`,
 * an SK/SKF payload ends the chain and must end the buffer; without it (inside SK) it is an error.
 */
export function decodePayloadChain(
  buf: Uint8Array,
  start: number,
  firstType: number,
  allowEncrypted: boolean,
): DecodedChain {
  const r = new ByteReader(buf.subarray(start));
  const payloads: Payload[] = [];
  let type = firstType;
  while (type !== PayloadType.NONE) {
    const headerOffset = start + r.offset;
    const where = { payloadType: type };
    if (r.remaining < GENERIC_HEADER_LENGTH) {
      throw new IkeSyntaxError(
        'truncated',
        `${payloadTypeName(type)}: generic header past the end`,
        {
          ...where,
          field: 'generic header',
        },
      );
    }
    const next = r.u8();
    const critical = (r.u8() & CRITICAL_BIT) !== 0;
    const length = r.u16();
    if (length < GENERIC_HEADER_LENGTH || length - GENERIC_HEADER_LENGTH > r.remaining) {
      throw new IkeSyntaxError('bad-length', `${payloadTypeName(type)}: payload length ${length}`, {
        ...where,
        field: 'payload length',
      });
    }
    const body = r.view(length - GENERIC_HEADER_LENGTH);
    if (type === PayloadType.SK || type === PayloadType.SKF) {
      if (!allowEncrypted) {
        throw invalid(`${payloadTypeName(type)} inside an encrypted payload`, {
          ...where,
          field: 'next payload',
        });
      }
      if (r.remaining !== 0) {
        throw new IkeSyntaxError(
          'rule-violation',
          `${payloadTypeName(type)} is not the last payload`,
          where,
        );
      }
      return { payloads, encrypted: { type, firstPayload: next, headerOffset, body } };
    }
    payloads.push(decodePayloadBody(type, critical, body));
    type = next;
  }
  if (r.remaining !== 0) {
    throw new IkeSyntaxError('bad-length', `${r.remaining} bytes after the last payload`, {
      field: 'payload chain',
    });
  }
  return { payloads };
}

/** Writes a chain of payloads; returns the wire type of the first one (NONE if empty). */
export function writePayloadChain(w: ByteWriter, payloads: readonly Payload[]): number {
  payloads.forEach((p, i) => {
    const next = payloads[i + 1];
    const body = encodePayloadBody(p);
    w.u8(next ? wireType(next) : PayloadType.NONE)
      .u8(0)
      .u16(GENERIC_HEADER_LENGTH + body.length, 'payload length')
      .bytes(body);
  });
  const first = payloads[0];
  return first ? wireType(first) : PayloadType.NONE;
}

export function encodePayloadChain(payloads: readonly Payload[]): {
  firstPayload: number;
  bytes: Uint8Array;
} {
  const w = new ByteWriter();
  const firstPayload = writePayloadChain(w, payloads);
  return { firstPayload, bytes: w.finish() };
}
