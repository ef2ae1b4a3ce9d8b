import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TransformType,
  decodeSaPayload,
  encodeSaPayload,
  transformKeyLength,
  type Proposal,
  type SaPayload,
} from '../../../../../native-helper/ike/message/sa-payload.js';
import { PayloadType } from '../../../../../native-helper/ike/message/payload-type.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectAllPrefixesRejected, expectSyntaxError } from './helpers.js';

// SA body of frame 1: proposal #1 IKE, ENCR_AES_GCM_16 (Key Length 256), PRF_HMAC_SHA2_256, ECP_256.
const IKE_SA = hex(`
  00 00 0024 01 01 00 03
    03 00 000c 01 00 0014 800e 0100
    03 00 0008 02 00 0005
    00 00 0008 04 00 0013`);
// SA body of frame 3 (inside SK): proposal #1 ESP, SPI feae5191, AES-GCM-16/256, no ESN.
const ESP_SA = hex(`
  00 00 0020 01 03 04 02 feae5191
    03 00 000c 01 00 0014 800e 0100
    00 00 0008 05 00 0000`);

describe('SA payload', () => {
  it('decodes the IKE proposal of the capture', () => {
    const sa = decodeSaPayload(IKE_SA);
    expect(sa.proposals).toHaveLength(1);
    const p = sa.proposals[0]!;
    expect(p).toMatchObject({ number: 1, protocolId: 1 });
    expect(p.spi).toHaveLength(0);
    expect(p.transforms.map((t) => [t.transformType, t.transformId])).toEqual([
      [TransformType.ENCR, 20],
      [TransformType.PRF, 5],
      [TransformType.KE, 19],
    ]);
    expect(p.transforms[0]!.attributes).toEqual([{ format: 'tv', type: 14, value: 256 }]);
    expect(transformKeyLength(p.transforms[0]!)).toBe(256);
    expect(transformKeyLength(p.transforms[1]!)).toBeUndefined();
  });

  it('decodes the ESP proposal with its SPI', () => {
    const p = decodeSaPayload(ESP_SA).proposals[0]!;
    expect(p.protocolId).toBe(3);
    expect(toHex(p.spi)).toBe('feae5191');
    expect(p.transforms.map((t) => t.transformType)).toEqual([
      TransformType.ENCR,
      TransformType.ESN,
    ]);
  });

  it.each([IKE_SA, ESP_SA])('encodes back to the same bytes', (body) => {
    expect(toHex(encodeSaPayload(decodeSaPayload(body)))).toBe(toHex(body));
  });

  it('decodes several proposals and a TLV attribute', () => {
    const body = hex(`
      02 00 0010 01 01 00 01  00 00 0008 02 00 0005
      00 00 001a 02 03 04 01 11223344  00 00 000e 01 00 000c 0005 0002 abcd`);
    const sa = decodeSaPayload(body);
    expect(sa.proposals.map((p) => p.number)).toEqual([1, 2]);
    expect(sa.proposals[1]!.transforms[0]!.attributes).toEqual([
      { format: 'tlv', type: 5, value: hex('abcd') },
    ]);
    expect(toHex(encodeSaPayload(sa))).toBe(toHex(body));
  });

  it('rejects every truncation', () => {
    expectAllPrefixesRejected(IKE_SA, decodeSaPayload);
    expectAllPrefixesRejected(ESP_SA, decodeSaPayload);
  });

  it('rejects inconsistent nested lengths and counts', () => {
    const edit = (at: number, v: number): Uint8Array => {
      const b = IKE_SA.slice();
      b[at] = v;
      return b;
    };
    expectSyntaxError(() => decodeSaPayload(edit(3, 0x25)), 'bad-length', 'proposal length'); // past the SA
    expectSyntaxError(() => decodeSaPayload(edit(3, 0x07)), 'bad-length', 'proposal length'); // < 8
    expectSyntaxError(() => decodeSaPayload(edit(3, 0x20)), 'bad-length'); // proposal shorter than its transforms
    expectSyntaxError(() => decodeSaPayload(edit(7, 2)), 'bad-length', 'num transforms');
    expectSyntaxError(() => decodeSaPayload(edit(7, 4)), 'bad-length', 'num transforms');
    expectSyntaxError(() => decodeSaPayload(edit(11, 0x30)), 'bad-length', 'transform length'); // past the proposal
    expectSyntaxError(() => decodeSaPayload(edit(11, 0x04)), 'bad-length', 'transform length');
    expectSyntaxError(() => decodeSaPayload(edit(11, 0x0b)), 'truncated'); // cuts the attribute
    // TLV attribute whose length runs past its transform
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0014 01 01 00 01  00 00 000c 01 00 000c 0005 0009')),
      'bad-length',
      'attribute length',
    );
    // bytes after the last proposal
    const trailing = new Uint8Array(IKE_SA.length + 8);
    trailing.set(IKE_SA);
    expectSyntaxError(() => decodeSaPayload(trailing), 'bad-length');
  });

  it('checks the Last Substruc markers', () => {
    const b = IKE_SA.slice();
    b[0] = 2; // "more proposals" but none follows
    expectSyntaxError(() => decodeSaPayload(b), 'invalid-value', 'last substruc');
    const c = IKE_SA.slice();
    c[8] = 0; // first transform claims to be last
    expectSyntaxError(() => decodeSaPayload(c), 'bad-length');
    const d = IKE_SA.slice();
    d[28] = 3; // last transform claims more
    expectSyntaxError(() => decodeSaPayload(d), 'invalid-value', 'last substruc');
    const e = IKE_SA.slice();
    e[0] = 1;
    expectSyntaxError(() => decodeSaPayload(e), 'invalid-value', 'last substruc');
  });

  it('enforces the semantic limits', () => {
    expectSyntaxError(() => decodeSaPayload(new Uint8Array(0)), 'invalid-value', 'proposals');
    const proto = (id: number): Uint8Array => {
      const b = IKE_SA.slice();
      b[5] = id;
      return b;
    };
    expectSyntaxError(() => decodeSaPayload(proto(0)), 'invalid-value', 'protocol ID');
    expectSyntaxError(() => decodeSaPayload(proto(4)), 'invalid-value', 'protocol ID');
    expectSyntaxError(() => decodeSaPayload(proto(3)), 'invalid-value', 'SPI size'); // ESP without SPI
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0014 01 01 04 01 11223344 00 00 0008 02 00 0005')),
      'invalid-value',
      'SPI size',
    ); // IKE with a 4-byte SPI
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0008 01 01 00 00')),
      'invalid-value',
      'transforms',
    );
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0014 01 01 00 01  00 00 000c 01 00 0014 000e 0000')),
      'invalid-value',
      'Key Length',
    ); // Key Length as TLV
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0014 01 01 00 01  00 00 000c 01 00 0014 800e 0000')),
      'invalid-value',
      'Key Length',
    );
    expectSyntaxError(
      () =>
        decodeSaPayload(hex('00 00 0018 01 01 00 01  00 00 0010 01 00 0014 800e 0100 800e 0080')),
      'invalid-value',
      'attribute type',
    );
    expectSyntaxError(
      () => decodeSaPayload(hex('00 00 0010 01 01 00 01  00 00 0008 00 00 0005')),
      'invalid-value',
      'transform type',
    );
  });

  it('round-trips arbitrary valid SA payloads', () => {
    const attribute = fc.oneof(
      fc.record({
        format: fc.constant('tv' as const),
        type: fc.constant(14),
        value: fc.integer({ min: 1, max: 0xffff }),
      }),
    );
    const transform = fc.record({
      transformType: fc.integer({ min: 1, max: 255 }),
      transformId: fc.integer({ min: 0, max: 0xffff }),
      attributes: fc.array(attribute, { maxLength: 1 }),
    });
    const proposal: fc.Arbitrary<Proposal> = fc
      .record({
        number: fc.integer({ min: 1, max: 255 }),
        protocolId: fc.constantFrom(1, 2, 3),
        transforms: fc.array(transform, { minLength: 1, maxLength: 8 }),
        spi8: fc.uint8Array({ minLength: 8, maxLength: 8 }),
        spi4: fc.uint8Array({ minLength: 4, maxLength: 4 }),
        ikeSpi: fc.boolean(),
      })
      .map(({ number, protocolId, transforms, spi8, spi4, ikeSpi }) => ({
        number,
        protocolId,
        transforms,
        spi: protocolId === 1 ? (ikeSpi ? spi8 : new Uint8Array(0)) : spi4,
      }));
    fc.assert(
      fc.property(fc.array(proposal, { minLength: 1, maxLength: 5 }), (proposals) => {
        const sa: SaPayload = { type: PayloadType.SA, proposals };
        const bytes = encodeSaPayload(sa);
        expect(decodeSaPayload(bytes)).toEqual(sa);
      }),
      { numRuns: 300 },
    );
  });
});
