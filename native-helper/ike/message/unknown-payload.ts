/**
 * A payload whose type IKEv2 does not define (RFC 7296 §2.5), including the IKEv1 types 1–13.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       (uninterpreted)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * With the critical bit clear it is skipped and kept raw here (so a message still re-encodes);
 * with it set the whole message is rejected, in one place: payload.ts.
 */
export interface UnknownPayload {
  type: 'unknown';
  /** The wire payload type number. */
  payloadType: number;
  body: Uint8Array;
}

export function decodeUnknownPayload(body: Uint8Array, payloadType: number): UnknownPayload {
  return { type: 'unknown', payloadType, body: body.slice() };
}

export function encodeUnknownPayload(p: UnknownPayload): Uint8Array {
  return p.body.slice();
}
