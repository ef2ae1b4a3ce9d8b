/**
 * Encrypted Fragment payload, SKF (RFC 7383 §2.5).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Encrypted content                        ~
 * +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Next Payload is the first inner payload type in fragment 1 and 0 in the others. Each fragment is
 * protected on its own; its associated data is the IKE header through Total Fragments.
 * Verify: 1 ≤ Fragment Number ≤ Total Fragments; a non-empty encrypted body.
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

/** Fragment Number and Total Fragments. */
export const SKF_FIELDS_LENGTH = 4;

export interface SkfPayload {
  type: typeof PayloadType.SKF;
  /** Next Payload of the SKF header. */
  firstPayload: number;
  fragmentNumber: number;
  totalFragments: number;
  /** IV ‖ ciphertext ‖ ICV. */
  body: Uint8Array;
}

const where = { payloadType: PayloadType.SKF };

function verify(number: number, total: number): void {
  if (total < 1) throw invalid(`Total Fragments ${total}`, { ...where, field: 'total fragments' });
  if (number < 1 || number > total) {
    throw invalid(`Fragment Number ${number} of ${total}`, { ...where, field: 'fragment number' });
  }
}

export function decodeSkfPayload(body: Uint8Array, firstPayload: number): SkfPayload {
  const r = new ByteReader(body, where);
  const fragmentNumber = r.u16('fragment number');
  const totalFragments = r.u16('total fragments');
  verify(fragmentNumber, totalFragments);
  if (r.remaining === 0) throw invalid('empty SKF payload', { ...where, field: 'body' });
  return { type: PayloadType.SKF, firstPayload, fragmentNumber, totalFragments, body: r.rest() };
}

/** The Fragment Number and Total Fragments fields (part of the associated data). */
export function encodeSkfFields(fragmentNumber: number, totalFragments: number): Uint8Array {
  verify(fragmentNumber, totalFragments);
  return new ByteWriter(4)
    .u16(fragmentNumber, 'fragment number')
    .u16(totalFragments, 'total fragments')
    .finish();
}
