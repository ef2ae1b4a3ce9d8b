import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import {
  TsType,
  decodeTsPayload,
  encodeTsPayload,
  type TrafficSelector,
  type TsPayload,
} from '../../../../../native-helper/ike/message/ts-payload.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// TSr body of frame 3: 10.99.0.0–10.99.0.255, all ports, any protocol.
const TSR = hex('01 000000 07 00 0010 0000 ffff 0a630000 0a6300ff');
const V6 = hex(
  '02 000000 07 06 0010 0050 0050 0a000001 0a000001' +
    ' 08 11 0028 0000 ffff 20010db8000000000000000000000000 20010db8ffffffffffffffffffffffff',
);

describe('TS payload', () => {
  it('decodes the capture', () => {
    const ts = decodeTsPayload(TSR, PayloadType.TSR);
    expect(ts.selectors).toHaveLength(1);
    expect(ts.selectors[0]).toMatchObject({
      tsType: TsType.IPV4_ADDR_RANGE,
      ipProtocol: 0,
      startPort: 0,
      endPort: 65535,
    });
    expect(toHex(ts.selectors[0]!.startAddress)).toBe('0a630000');
    expect(toHex(ts.selectors[0]!.endAddress)).toBe('0a6300ff');
  });

  it('decodes IPv4 and IPv6 selectors together', () => {
    const ts = decodeTsPayload(V6, PayloadType.TSI);
    expect(ts.selectors.map((s) => [s.tsType, s.ipProtocol])).toEqual([
      [7, 6],
      [8, 17],
    ]);
  });

  it.each([TSR, V6])('encodes back to the same bytes', (b) => {
    expect(toHex(encodeTsPayload(decodeTsPayload(b, PayloadType.TSI)))).toBe(toHex(b));
  });

  it('rejects truncations and count mismatches', () => {
    expectAllPrefixesRejected(TSR, (b) => decodeTsPayload(b, PayloadType.TSR));
    expectAllPrefixesRejected(V6, (b) => decodeTsPayload(b, PayloadType.TSR));
    const more = TSR.slice();
    more[0] = 2;
    expectSyntaxError(() => decodeTsPayload(more, PayloadType.TSR), 'bad-length', 'number of TSs');
    const fewer = V6.slice();
    fewer[0] = 1;
    expectSyntaxError(() => decodeTsPayload(fewer, PayloadType.TSR), 'bad-length', 'number of TSs');
    expectSyntaxError(
      () => decodeTsPayload(hex('00 000000'), PayloadType.TSR),
      'invalid-value',
      'number of TSs',
    );
  });

  it('rejects a selector length wrong for its type and unknown TS types', () => {
    expectSyntaxError(
      () =>
        decodeTsPayload(hex('01 000000 07 00 0028 0000 ffff 0a630000 0a6300ff'), PayloadType.TSR),
      'bad-length',
      'selector length',
    );
    expectSyntaxError(
      () =>
        decodeTsPayload(hex('01 000000 08 00 0010 0000 ffff 0a630000 0a6300ff'), PayloadType.TSR),
      'bad-length',
      'selector length',
    );
    expectSyntaxError(
      () =>
        decodeTsPayload(hex('01 000000 09 00 0010 0000 ffff 0a630000 0a6300ff'), PayloadType.TSR),
      'invalid-value',
      'TS type',
    );
  });

  it('rejects start > end for addresses and ports, but accepts the OPAQUE port range', () => {
    expectSyntaxError(
      () =>
        decodeTsPayload(hex('01 000000 07 00 0010 0000 ffff 0a6300ff 0a630000'), PayloadType.TSR),
      'invalid-value',
      'address range',
    );
    expectSyntaxError(
      () =>
        decodeTsPayload(hex('01 000000 07 06 0010 0051 0050 0a630000 0a6300ff'), PayloadType.TSR),
      'invalid-value',
      'port range',
    );
    expect(
      decodeTsPayload(hex('01 000000 07 11 0010 ffff 0000 0a630000 0a6300ff'), PayloadType.TSR)
        .selectors,
    ).toHaveLength(1);
  });

  it('round-trips arbitrary valid selectors', () => {
    const selector: fc.Arbitrary<TrafficSelector> = fc
      .record({
        v6: fc.boolean(),
        a: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        b: fc.uint8Array({ minLength: 16, maxLength: 16 }),
        p1: fc.integer({ min: 0, max: 0xffff }),
        p2: fc.integer({ min: 0, max: 0xffff }),
        ipProtocol: fc.integer({ min: 0, max: 255 }),
      })
      .map(({ v6, a, b, p1, p2, ipProtocol }) => {
        const n = v6 ? 16 : 4;
        const [lo, hi] = Buffer.compare(a.subarray(0, n), b.subarray(0, n)) <= 0 ? [a, b] : [b, a];
        return {
          tsType: v6 ? TsType.IPV6_ADDR_RANGE : TsType.IPV4_ADDR_RANGE,
          ipProtocol,
          startPort: Math.min(p1, p2),
          endPort: Math.max(p1, p2),
          startAddress: lo.slice(0, n),
          endAddress: hi.slice(0, n),
        };
      });
    fc.assert(
      fc.property(
        fc.array(selector, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (selectors, initiator) => {
          const p: TsPayload = { type: initiator ? PayloadType.TSI : PayloadType.TSR, selectors };
          expect(decodeTsPayload(encodeTsPayload(p), p.type)).toEqual(p);
        },
      ),
    );
  });
});
