/**
 * Certificate Request payload body (RFC 7296 §3.7).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~                    Certification Authority                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * For X.509 (encoding 4) the authority field is a concatenation of 20-byte SHA-1 hashes of CA
 * public keys (§3.7), possibly empty. Verify: encoding ≠ 0; for encoding 4 a multiple of 20.
 */
import { ByteReader, ByteWriter, invalid } from './codec.js';
import { CertEncoding } from './cert-payload.js';
import { PayloadType } from './payload-type.js';

export const CA_HASH_LENGTH = 20;

export interface CertReqPayload {
  type: typeof PayloadType.CERTREQ;
  encoding: number;
  authority: Uint8Array;
}

const where = { payloadType: PayloadType.CERTREQ };

function verify(p: CertReqPayload): void {
  if (p.encoding === 0)
    throw invalid('certificate encoding 0', { ...where, field: 'cert encoding' });
  if (p.encoding === CertEncoding.X509_SIGNATURE && p.authority.length % CA_HASH_LENGTH !== 0) {
    throw invalid(`${p.authority.length} bytes of CA hashes`, {
      ...where,
      field: 'certification authority',
    });
  }
}

/** The 20-byte CA key hashes of an X.509 request. */
export function caHashes(p: CertReqPayload): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i + CA_HASH_LENGTH <= p.authority.length; i += CA_HASH_LENGTH) {
    out.push(p.authority.slice(i, i + CA_HASH_LENGTH));
  }
  return out;
}

export function decodeCertReqPayload(body: Uint8Array): CertReqPayload {
  const r = new ByteReader(body, where);
  const p: CertReqPayload = {
    type: PayloadType.CERTREQ,
    encoding: r.u8('cert encoding'),
    authority: r.rest(),
  };
  verify(p);
  return p;
}

export function encodeCertReqPayload(p: CertReqPayload): Uint8Array {
  verify(p);
  return new ByteWriter(1 + p.authority.length)
    .u8(p.encoding, 'cert encoding')
    .bytes(p.authority)
    .finish();
}
