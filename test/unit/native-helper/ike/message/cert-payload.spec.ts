import { describe, expect, it } from 'vitest';
import {
  CertEncoding,
  decodeCertPayload,
  encodeCertPayload,
} from '../../../../../native-helper/ike/message/cert-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

const CERT = hex('04 3082000130'); // X.509 signature, (a stub of) DER

describe('CERT payload', () => {
  it('decodes and re-encodes', () => {
    const c = decodeCertPayload(CERT);
    expect(c.encoding).toBe(CertEncoding.X509_SIGNATURE);
    expect(toHex(c.data)).toBe('3082000130');
    expect(toHex(encodeCertPayload(c))).toBe(toHex(CERT));
  });

  it('rejects empty, encoding 0 and no data', () => {
    expectSyntaxError(() => decodeCertPayload(hex('')), 'truncated');
    expectSyntaxError(() => decodeCertPayload(hex('04')), 'invalid-value', 'certificate data');
    expectSyntaxError(() => decodeCertPayload(hex('00 30')), 'invalid-value', 'cert encoding');
  });
});
