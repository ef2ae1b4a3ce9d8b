import { describe, expect, it } from 'vitest';
import {
  EapCode,
  EapType,
  decodeEapPayload,
  encodeEapPayload,
} from '../../../../../native-helper/ike/message/eap-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

const IDENTITY = hex('02 07 0009 01 75736572'); // Response/Identity "user"
const SUCCESS = hex('03 07 0004');

describe('EAP payload', () => {
  it('decodes a Response/Identity and a Success', () => {
    const r = decodeEapPayload(IDENTITY);
    expect(r).toMatchObject({ code: EapCode.RESPONSE, identifier: 7, eapType: EapType.IDENTITY });
    expect(r.code === EapCode.RESPONSE && Buffer.from(r.data).toString()).toBe('user');
    expect(decodeEapPayload(SUCCESS)).toEqual({ type: 48, code: EapCode.SUCCESS, identifier: 7 });
  });

  it.each([IDENTITY, SUCCESS, hex('01 01 0005 1a'), hex('04 02 0004')])(
    'encodes back to the same bytes',
    (b) => {
      expect(toHex(encodeEapPayload(decodeEapPayload(b)))).toBe(toHex(b));
    },
  );

  it('rejects truncations and an EAP Length that differs from the payload', () => {
    expectAllPrefixesRejected(IDENTITY, decodeEapPayload);
    expectSyntaxError(
      () => decodeEapPayload(hex('02 07 000a 01 75736572')),
      'bad-length',
      'EAP length',
    );
    expectSyntaxError(
      () => decodeEapPayload(hex('02 07 0008 01 75736572')),
      'bad-length',
      'EAP length',
    );
    expectSyntaxError(() => decodeEapPayload(hex('02 07 0004')), 'truncated', 'EAP type');
  });

  it('rejects data on Success/Failure and unknown codes', () => {
    expectSyntaxError(() => decodeEapPayload(hex('03 07 0005 00')), 'bad-length');
    expectSyntaxError(() => decodeEapPayload(hex('05 07 0004')), 'invalid-value', 'EAP code');
  });
});
