import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeKePayload,
  encodeKePayload,
} from '../../../../../native-helper/ike/message/ke-payload.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// KE body of frame 1: group 19 (ECP 256), 64 bytes x ‖ y.
const POINT =
  'fa4f13a5f25fdb9924ec7d4bc37ce07c95fc833719cc29be7ba623ff6898a1c9' +
  '87e445ec00112233445566778899aabbccddeeff00112233445566778899aabb';
const KE = hex('0013 0000' + POINT);

describe('KE payload', () => {
  it('decodes group and data', () => {
    const ke = decodeKePayload(KE);
    expect(ke.group).toBe(19);
    expect(toHex(ke.data)).toBe(POINT);
  });

  it('encodes back to the same bytes', () => {
    expect(toHex(encodeKePayload(decodeKePayload(KE)))).toBe(toHex(KE));
  });

  it('rejects truncations and a length wrong for the group', () => {
    expectAllPrefixesRejected(KE, decodeKePayload);
    expectSyntaxError(
      () => decodeKePayload(hex('0013 0000' + POINT + '00')),
      'invalid-value',
      'key exchange data',
    );
    expectSyntaxError(
      () => decodeKePayload(hex('001f 0000' + POINT)),
      'invalid-value',
      'key exchange data',
    ); // X25519 is 32
    expectSyntaxError(
      () => decodeKePayload(hex('0013 0000')),
      'invalid-value',
      'key exchange data',
    );
  });

  it('keeps unknown groups with any non-empty data (the task answers INVALID_KE_PAYLOAD)', () => {
    expect(decodeKePayload(hex('0401 0000 01')).group).toBe(1025);
  });

  it('ignores RESERVED on receipt and sends it as 0', () => {
    const b = KE.slice();
    b[2] = 0xff;
    expect(toHex(encodeKePayload(decodeKePayload(b)))).toBe(toHex(KE));
  });

  it('round-trips arbitrary valid payloads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 40, max: 0xffff }),
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        (group, data) => {
          const p = { type: PayloadType.KE, group, data } as const;
          expect(decodeKePayload(encodeKePayload(p))).toEqual(p);
        },
      ),
    );
  });
});
