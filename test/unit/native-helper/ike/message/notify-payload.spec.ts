import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeNotifyPayload,
  encodeNotifyPayload,
  type NotifyPayload,
} from '../../../../../native-helper/ike/message/notify-payload.js';
import { NotifyType } from '../../../../../native-helper/ike/message/notify-types.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// N(NAT_DETECTION_SOURCE_IP) body of frame 1.
const NATD = hex('00 00 4004 c34341b172a99c827e8922c2aebbdfdd5ae8bc95');
// N(REKEY_SA) for an ESP SPI.
const REKEY = hex('03 04 4009 3bf7fb33');

describe('Notify payload', () => {
  it('decodes the capture', () => {
    const n = decodeNotifyPayload(NATD);
    expect(n).toMatchObject({ protocolId: 0, notifyType: NotifyType.NAT_DETECTION_SOURCE_IP });
    expect(n.spi).toHaveLength(0);
    expect(toHex(n.data)).toBe('c34341b172a99c827e8922c2aebbdfdd5ae8bc95');
  });

  it('decodes an SPI', () => {
    const n = decodeNotifyPayload(REKEY);
    expect(n).toMatchObject({ protocolId: 3, notifyType: NotifyType.REKEY_SA });
    expect(toHex(n.spi)).toBe('3bf7fb33');
  });

  it.each([NATD, REKEY, hex('00 00 402e')])('encodes back to the same bytes', (b) => {
    expect(toHex(encodeNotifyPayload(decodeNotifyPayload(b)))).toBe(toHex(b));
  });

  it('rejects truncations, an SPI size past the end or not 0/4/8, and an SPI without protocol', () => {
    expectAllPrefixesRejected(REKEY, decodeNotifyPayload);
    expectSyntaxError(() => decodeNotifyPayload(hex('03 08 4009 3bf7fb33')), 'truncated', 'SPI');
    expectSyntaxError(
      () => decodeNotifyPayload(hex('03 03 4009 3bf7fb')),
      'invalid-value',
      'SPI size',
    );
    expectSyntaxError(
      () => decodeNotifyPayload(hex('00 04 4009 3bf7fb33')),
      'invalid-value',
      'protocol ID',
    );
    expectSyntaxError(
      () => decodeNotifyPayload(hex('07 04 4009 3bf7fb33')),
      'invalid-value',
      'protocol ID',
    );
  });

  it('keeps COOKIE data raw and bounds it to 1..64 bytes', () => {
    const cookie = (n: number): Uint8Array => hex('00 00 4006' + 'ab'.repeat(n));
    expect(toHex(decodeNotifyPayload(cookie(64)).data)).toBe('ab'.repeat(64));
    expect(decodeNotifyPayload(cookie(1)).data).toHaveLength(1);
    expectSyntaxError(() => decodeNotifyPayload(cookie(65)), 'invalid-value', 'notification data');
    expectSyntaxError(() => decodeNotifyPayload(cookie(0)), 'invalid-value', 'notification data');
  });

  it('checks the data sizes the RFCs fix', () => {
    expectSyntaxError(
      () => decodeNotifyPayload(NATD.subarray(0, 23)),
      'invalid-value',
      'notification data',
    );
    expect(decodeNotifyPayload(hex('00 00 0011 0013')).data).toHaveLength(2); // INVALID_KE_PAYLOAD
    expectSyntaxError(() => decodeNotifyPayload(hex('00 00 0011 13')), 'invalid-value');
    expectSyntaxError(() => decodeNotifyPayload(hex('00 00 402f 000200')), 'invalid-value'); // SIGNATURE_HASH
    expect(decodeNotifyPayload(hex('00 00 ffff 010203')).notifyType).toBe(0xffff); // unknown type kept
  });

  it('round-trips arbitrary valid notifies', () => {
    const arb: fc.Arbitrary<NotifyPayload> = fc
      .record({
        withSpi: fc.constantFrom(0, 4, 8),
        protocolId: fc.constantFrom(1, 2, 3),
        spi: fc.uint8Array({ minLength: 8, maxLength: 8 }),
        notifyType: fc.integer({ min: 16440, max: 0xffff }),
        data: fc.uint8Array({ maxLength: 100 }),
      })
      .map(({ withSpi, protocolId, spi, notifyType, data }) => ({
        type: PayloadType.NOTIFY,
        protocolId: withSpi ? protocolId : 0,
        spi: spi.slice(0, withSpi),
        notifyType,
        data,
      }));
    fc.assert(
      fc.property(arb, (n) => {
        expect(decodeNotifyPayload(encodeNotifyPayload(n))).toEqual(n);
      }),
    );
  });
});
