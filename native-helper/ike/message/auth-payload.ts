/**
 * Authentication payload body (RFC 7296 §3.8).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Auth Method   |                RESERVED                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Authentication Data                      ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: method ≠ 0, data not empty. For Digital Signature (14, RFC 7427 §3) the data starts
 * with a 1-byte AlgorithmIdentifier length that must fit the data.
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export const AuthMethod = {
  RSA_SIG: 1,
  SHARED_KEY_MIC: 2,
  DSS_SIG: 3,
  ECDSA_256: 9,
  ECDSA_384: 10,
  ECDSA_521: 11,
  NULL: 13,
  DIGITAL_SIGNATURE: 14,
} as const;
export type AuthMethod = (typeof AuthMethod)[keyof typeof AuthMethod];

export interface AuthPayload {
  type: typeof PayloadType.AUTH;
  method: number;
  data: Uint8Array;
}

const where = { payloadType: PayloadType.AUTH };

function verify(p: AuthPayload): void {
  if (p.method === 0) throw invalid('auth method 0', { ...where, field: 'auth method' });
  if (p.data.length === 0)
    throw invalid('empty authentication data', { ...where, field: 'authentication data' });
  if (p.method === AuthMethod.DIGITAL_SIGNATURE) {
    const algLen = p.data[0]!;
    if (algLen === 0 || 1 + algLen >= p.data.length) {
      throw invalid(`AlgorithmIdentifier length ${algLen} in ${p.data.length} bytes`, {
        ...where,
        field: 'AlgorithmIdentifier length',
      });
    }
  }
}

export function decodeAuthPayload(body: Uint8Array): AuthPayload {
  const r = new ByteReader(body, where);
  const method = r.u8('auth method');
  r.skip(3);
  const p: AuthPayload = { type: PayloadType.AUTH, method, data: r.rest() };
  verify(p);
  return p;
}

export function encodeAuthPayload(p: AuthPayload): Uint8Array {
  verify(p);
  return new ByteWriter(4 + p.data.length)
    .u8(p.method, 'auth method')
    .zeros(3)
    .bytes(p.data)
    .finish();
}
