/**
 * EAP payload body (RFC 7296 §3.16): one EAP message (RFC 3748 §4).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Code      | Identifier    |           Length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      | Type_Data...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: code 1..4 (Request, Response, Success, Failure); Length equals the payload body;
 * Success/Failure are exactly 4 bytes with no Type; Request/Response carry a Type (≥ 5 bytes).
 */
import { ByteReader, ByteWriter, IkeSyntaxError, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export const EapCode = {
  REQUEST: 1,
  RESPONSE: 2,
  SUCCESS: 3,
  FAILURE: 4,
} as const;
export type EapCode = (typeof EapCode)[keyof typeof EapCode];

export const EapType = {
  IDENTITY: 1,
  NOTIFICATION: 2,
  NAK: 3,
  MD5_CHALLENGE: 4,
  GTC: 6,
  TLS: 13,
  SIM: 18,
  TTLS: 21,
  AKA: 23,
  PEAP: 25,
  MSCHAPV2: 26,
  AKA_PRIME: 50,
  EXPANDED: 254,
} as const;
export type EapType = (typeof EapType)[keyof typeof EapType];

export type EapPayload =
  | {
      type: typeof PayloadType.EAP;
      code: typeof EapCode.REQUEST | typeof EapCode.RESPONSE;
      identifier: number;
      eapType: number;
      data: Uint8Array;
    }
  | {
      type: typeof PayloadType.EAP;
      code: typeof EapCode.SUCCESS | typeof EapCode.FAILURE;
      identifier: number;
    };

const where = { payloadType: PayloadType.EAP };

export function decodeEapPayload(body: Uint8Array): EapPayload {
  const r = new ByteReader(body, where);
  const code = r.u8('EAP code');
  const identifier = r.u8('EAP identifier');
  const length = r.u16('EAP length');
  if (length !== body.length) {
    throw new IkeSyntaxError(
      'bad-length',
      `EAP length ${length} in a ${body.length}-byte payload`,
      {
        ...where,
        field: 'EAP length',
      },
    );
  }
  switch (code) {
    case EapCode.REQUEST:
    case EapCode.RESPONSE:
      return { type: PayloadType.EAP, code, identifier, eapType: r.u8('EAP type'), data: r.rest() };
    case EapCode.SUCCESS:
    case EapCode.FAILURE:
      r.end('EAP Success/Failure data');
      return { type: PayloadType.EAP, code, identifier };
    default:
      throw invalid(`EAP code ${code}`, { ...where, field: 'EAP code' });
  }
}

export function encodeEapPayload(p: EapPayload): Uint8Array {
  const w = new ByteWriter();
  if (p.code === EapCode.REQUEST || p.code === EapCode.RESPONSE) {
    w.u8(p.code)
      .u8(p.identifier, 'EAP identifier')
      .u16(5 + p.data.length, 'EAP length')
      .u8(p.eapType, 'EAP type')
      .bytes(p.data);
  } else {
    w.u8(p.code).u8(p.identifier, 'EAP identifier').u16(4);
  }
  return w.finish();
}
