/**
 * Nonce payload body, Ni and Nr (RFC 7296 §3.9).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                            Nonce Data                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
 */
import { invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export const NONCE_MIN_LENGTH = 16;
export const NONCE_MAX_LENGTH = 256;

export interface NoncePayload {
  type: typeof PayloadType.NONCE;
  nonce: Uint8Array;
}

function verify(nonce: Uint8Array): void {
  if (nonce.length < NONCE_MIN_LENGTH || nonce.length > NONCE_MAX_LENGTH) {
    throw invalid(`nonce of ${nonce.length} bytes (16..256)`, {
      payloadType: PayloadType.NONCE,
      field: 'nonce length',
    });
  }
}

export function decodeNoncePayload(body: Uint8Array): NoncePayload {
  verify(body);
  return { type: PayloadType.NONCE, nonce: body.slice() };
}

export function encodeNoncePayload(p: NoncePayload): Uint8Array {
  verify(p.nonce);
  return p.nonce.slice();
}
