/**
 * Encrypted and Authenticated payload, SK (RFC 7296 §3.14).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * |         (length is block size for encryption algorithm)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Encrypted IKE Payloads                     ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The Next Payload of the SK header is the type of the first inner payload; SK is always the last
 * payload of its message. The body (IV through ICV) is opaque here: `SkCipher` opens it. Its
 * associated data is the IKE header through the SK generic header (RFC 5282 §5.1).
 * Verify: the body is not empty (a cipher then checks IV, padding and ICV sizes).
 */
import { invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export interface SkPayload {
  type: typeof PayloadType.SK;
  /** Next Payload of the SK header: the first inner payload type (0 for an empty message). */
  firstPayload: number;
  /** IV ‖ ciphertext ‖ ICV. */
  body: Uint8Array;
}

export function decodeSkPayload(body: Uint8Array, firstPayload: number): SkPayload {
  if (body.length === 0)
    throw invalid('empty SK payload', { payloadType: PayloadType.SK, field: 'body' });
  return { type: PayloadType.SK, firstPayload, body: body.slice() };
}
