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

  it('a dual-stack request and reply (strongSwan with an IPv6 pool)', () => {
    // CFG_REQUEST { IP4_ADDRESS, IP4_DNS, IP6_ADDRESS, IP6_DNS }, every value empty
    const request: CpPayload = {
      type: PayloadType.CP,
      cfgType: CfgType.REQUEST,
      attributes: [1, 3, 8, 10].map((t) => ({ attributeType: t, value: new Uint8Array(0) })),
    };
    expect(toHex(encodeCpPayload(request))).toBe(
      '01000000' + '00010000000300000008000000' + '0a0000',
    );
    // CFG_REPLY { IP6_ADDRESS fd10:10::1/128, IP6_DNS fd99::53, IP6_SUBNET fd99::/64 }
    const reply = decodeCpPayload(
      hex(
        '02 000000' +
          ' 0008 0011 fd100010000000000000000000000001 80' +
          ' 000a 0010 fd990000000000000000000000000053' +
          ' 000f 0011 fd990000000000000000000000000000 40',
      ),
    );
    expect(reply.attributes.map((a) => [a.attributeType, toHex(a.value)])).toEqual([
      [8, 'fd10001000000000000000000000000180'],
      [10, 'fd990000000000000000000000000053'],
      [15, 'fd99000000000000000000000000000040'],
    ]);
    expect(decodeCpPayload(encodeCpPayload(reply))).toEqual(reply);
  });

  it('rejects an IPv6 prefix length above 128 (address and subnet)', () => {
    const reply = (type: string, prefix: string): Uint8Array =>
      hex(`02 000000 ${type} 0011 ${'fd'.padEnd(32, '0')} ${prefix}`);
    expectSyntaxError(() => decodeCpPayload(reply('0008', '81')), 'invalid-value', 'prefix length');
    expectSyntaxError(() => decodeCpPayload(reply('000f', 'ff')), 'invalid-value', 'prefix length');
    expect(decodeCpPayload(reply('0008', '80')).attributes).toHaveLength(1);
    expect(decodeCpPayload(reply('000f', '00')).attributes).toHaveLength(1);
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
        attributeType: fc.constantFrom(8, 15),
        value: fc
          .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
          .map(([a, len]) => Uint8Array.of(...a, len)),
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
