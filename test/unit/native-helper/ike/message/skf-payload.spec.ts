import { describe, expect, it } from 'vitest';
import {
  decodeSkfPayload,
  encodeSkfFields,
} from '../../../../../native-helper/ike/message/skf-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

const SKF = hex('0002 0003 2bbb4170c1c456ea 00');

describe('SKF payload', () => {
  it('decodes fragment number, total and body', () => {
    const f = decodeSkfPayload(SKF, 0);
    expect(f).toMatchObject({ fragmentNumber: 2, totalFragments: 3, firstPayload: 0 });
    expect(toHex(f.body)).toBe('2bbb4170c1c456ea00');
    expect(toHex(encodeSkfFields(2, 3))).toBe('00020003');
  });

  it('rejects truncations and an empty body', () => {
    expectAllPrefixesRejected(SKF.subarray(0, 5), (b) => decodeSkfPayload(b, 0));
  });

  it('enforces 1 ≤ number ≤ total', () => {
    expectSyntaxError(
      () => decodeSkfPayload(hex('0000 0003 aa'), 0),
      'invalid-value',
      'fragment number',
    );
    expectSyntaxError(
      () => decodeSkfPayload(hex('0004 0003 aa'), 0),
      'invalid-value',
      'fragment number',
    );
    expectSyntaxError(
      () => decodeSkfPayload(hex('0001 0000 aa'), 0),
      'invalid-value',
      'total fragments',
    );
    expect(decodeSkfPayload(hex('ffff ffff aa'), 0).totalFragments).toBe(65535); // bounded by the reassembler
    expectSyntaxError(() => encodeSkfFields(0, 1), 'invalid-value');
  });
});
