import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CfgType,
  CpAttributeType,
  decodeCpPayload,
  encodeCpPayload,
  type CpPayload,
} from '../../../../../native-helper/ike/message/cp-payload.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// CP bodies of frames 3 (request) and 4 (reply).
const REQUEST = hex('01 000000 0001 0000 0003 0000');
const REPLY = hex('02 000000 0001 0004 0a0a0a01 0003 0004 0a630035');

describe('CP payload', () => {
  it('decodes the request and the reply of the capture', () => {
    expect(decodeCpPayload(REQUEST)).toMatchObject({
      cfgType: CfgType.REQUEST,
      attributes: [
        { attributeType: CpAttributeType.INTERNAL_IP4_ADDRESS, value: new Uint8Array(0) },
        { attributeType: CpAttributeType.INTERNAL_IP4_DNS, value: new Uint8Array(0) },
      ],
    });
    const reply = decodeCpPayload(REPLY);
    expect(reply.cfgType).toBe(CfgType.REPLY);
    expect(reply.attributes.map((a) => [a.attributeType, toHex(a.value)])).toEqual([
      [1, '0a0a0a01'],
      [3, '0a630035'],
    ]);
  });

  it.each([REQUEST, REPLY])('encodes back to the same bytes', (b) => {
    expect(toHex(encodeCpPayload(decodeCpPayload(b)))).toBe(toHex(b));
  });

  it('rejects truncations and attribute lengths past the payload', () => {
    expectAllPrefixesRejected(REPLY.subarray(0, 4), decodeCpPayload); // (an empty CP is valid)
    expectSyntaxError(
      () => decodeCpPayload(hex('02 000000 0001 0005 0a0a0a01')),
      'bad-length',
      'attribute length',
    );
    expectSyntaxError(() => decodeCpPayload(hex('02 000000 0001')), 'truncated');
  });

  it('checks per-attribute sizes, allowing empty ones only in requests', () => {
    const reply = (attr: string): Uint8Array => hex('02 000000 ' + attr);
    expectSyntaxError(
      () => decodeCpPayload(reply('0001 0000')),
      'invalid-value',
      'attribute length',
    );
    expectSyntaxError(
      () => decodeCpPayload(reply('0001 0003 0a0a0a')),
      'invalid-value',
      'attribute length',
    );
    expectSyntaxError(() => decodeCpPayload(reply('0008 0010' + '00'.repeat(16))), 'invalid-value'); // IPv6 addr needs /prefix
    expect(decodeCpPayload(reply('0008 0011' + '00'.repeat(16) + '40')).attributes).toHaveLength(1);
    expect(decodeCpPayload(reply('000d 0008 0a630000 ffffff00')).attributes).toHaveLength(1); // IP4_SUBNET
    expectSyntaxError(() => decodeCpPayload(reply('000d 0004 0a630000')), 'invalid-value');
    expectSyntaxError(() => decodeCpPayload(reply('000a 0004 0a630000')), 'invalid-value'); // IPv6 DNS is 16
    expectSyntaxError(() => decodeCpPayload(reply('000e 0003 000100')), 'invalid-value'); // SUPPORTED_ATTRIBUTES pairs
    expect(decodeCpPayload(hex('01 000000 0008 0000 000d 0000')).attributes).toHaveLength(2);
  });

  it('keeps unknown attributes raw, ignores the R bit, rejects unknown CFG types', () => {
    const cp = decodeCpPayload(hex('02 000000 8001 0004 0a0a0a01 6000 0003 616263'));
    expect(cp.attributes.map((a) => [a.attributeType, toHex(a.value)])).toEqual([
      [1, '0a0a0a01'],
      [0x6000, '616263'],
    ]);
    expectSyntaxError(() => decodeCpPayload(hex('05 000000')), 'invalid-value', 'CFG type');
    expectSyntaxError(() => decodeCpPayload(hex('00 000000')), 'invalid-value', 'CFG type');
  });

  it('round-trips arbitrary valid payloads', () => {
    const attr = fc.oneof(
      fc.record({
        attributeType: fc.constantFrom(1, 2, 3),
        value: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      }),
      fc.record({
        attributeType: fc.constant(8),
        value: fc.uint8Array({ minLength: 17, maxLength: 17 }),
      }),
      fc.record({
        attributeType: fc.integer({ min: 27, max: 0x7fff }),
        value: fc.uint8Array({ maxLength: 40 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2, 3, 4),
        fc.array(attr, { maxLength: 8 }),
        (cfgType, attributes) => {
          const p: CpPayload = { type: PayloadType.CP, cfgType, attributes };
          expect(decodeCpPayload(encodeCpPayload(p))).toEqual(p);
        },
      ),
    );
  });
});
