import { describe, expect, it } from 'vitest';
import {
  caHashes,
  decodeCertReqPayload,
  encodeCertReqPayload,
} from '../../../../../native-helper/ike/message/certreq-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

// CERTREQ body of frame 2: X.509, one CA key hash.
const CERTREQ = hex('04 fd96e76392eb001c6c0c4a673630a0fdd1a0e167');

describe('CERTREQ payload', () => {
  it('decodes the capture and lists the CA hashes', () => {
    const c = decodeCertReqPayload(CERTREQ);
    expect(c.encoding).toBe(4);
    expect(caHashes(c).map(toHex)).toEqual(['fd96e76392eb001c6c0c4a673630a0fdd1a0e167']);
    expect(caHashes(decodeCertReqPayload(hex('04' + '11'.repeat(40))))).toHaveLength(2);
  });

  it('encodes back to the same bytes', () => {
    expect(toHex(encodeCertReqPayload(decodeCertReqPayload(CERTREQ)))).toBe(toHex(CERTREQ));
  });

  it('accepts an empty X.509 request, rejects partial hashes, encoding 0 and nothing', () => {
    expect(decodeCertReqPayload(hex('04')).authority).toHaveLength(0);
    expectSyntaxError(
      () => decodeCertReqPayload(CERTREQ.subarray(0, 20)),
      'invalid-value',
      'certification authority',
    );
    expectSyntaxError(() => decodeCertReqPayload(hex('00')), 'invalid-value', 'cert encoding');
    expectSyntaxError(() => decodeCertReqPayload(hex('')), 'truncated');
  });
});
