/**
 * Certificate payload body (RFC 7296 §3.6).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                       Certificate Data                        ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: encoding ≠ 0 (reserved), data not empty. The DER is parsed by the auth task.
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export const CertEncoding = {
  PKCS7_WRAPPED_X509: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  KERBEROS_TOKEN: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
  RAW_RSA_KEY: 11,
  HASH_AND_URL_X509: 12,
  HASH_AND_URL_X509_BUNDLE: 13,
  OCSP_CONTENT: 14,
  RAW_PUBLIC_KEY: 15,
} as const;
export type CertEncoding = (typeof CertEncoding)[keyof typeof CertEncoding];

export interface CertPayload {
  type: typeof PayloadType.CERT;
  encoding: number;
  data: Uint8Array;
}

const where = { payloadType: PayloadType.CERT };

function verify(p: CertPayload): void {
  if (p.encoding === 0)
    throw invalid('certificate encoding 0', { ...where, field: 'cert encoding' });
  if (p.data.length === 0)
    throw invalid('empty certificate data', { ...where, field: 'certificate data' });
}

export function decodeCertPayload(body: Uint8Array): CertPayload {
  const r = new ByteReader(body, where);
  const p: CertPayload = {
    type: PayloadType.CERT,
    encoding: r.u8('cert encoding'),
    data: r.rest(),
  };
  verify(p);
  return p;
}

export function encodeCertPayload(p: CertPayload): Uint8Array {
  verify(p);
  return new ByteWriter(1 + p.data.length).u8(p.encoding, 'cert encoding').bytes(p.data).finish();
}
