import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DerError,
  TAG_GENERALIZED_TIME,
  TAG_UTC_TIME,
  decodeDerTime,
  decodeOid,
  decodeSmallInteger,
  derChildren,
  derEncode,
  derSmallInteger,
  encodeOid,
  readDer,
  readDerExact,
} from '../../../../../native-helper/ike/crypto/certificate-der.js';
import { hex, toHex } from '../../../../support/hex.js';

describe('DER reader', () => {
  it('reads nested TLVs', () => {
    const seq = readDerExact(hex('3006020101020102'), 0x30);
    expect(derChildren(seq).map((c) => toHex(c.raw))).toEqual(['020101', '020102']);
  });
  it('refuses BER and overruns', () => {
    const bad = [
      '3080020101 0000', // indefinite
      '30810302 0101', // non-minimal long form
      '3082000302 0101', // non-minimal long form, 2 bytes
      '3005020101', // runs past the end
      '020101 00', // trailing byte
      '1f0100', // high tag
      '30', // truncated
      '3085ffffffffff', // length too large
    ];
    for (const b of bad) expect(() => readDerExact(hex(b)), b).toThrow(DerError);
    expect(() => derChildren(readDerExact(hex('3003020201')))).toThrow(DerError);
  });
  it('never throws anything but DerError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          const n = readDer(b).node;
          if (n.tag & 0x20) derChildren(n);
        } catch (e) {
          expect(e).toBeInstanceOf(DerError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('OIDs and integers', () => {
  it('round-trips OIDs', () => {
    for (const oid of [
      '1.2.840.113549.1.1.11',
      '2.5.29.17',
      '1.3.101.112',
      '1.3.6.1.5.5.8.2.2',
      '2.999.3',
    ]) {
      const enc = encodeOid(oid);
      expect(decodeOid(readDerExact(enc).contents)).toBe(oid);
    }
    expect(toHex(encodeOid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(() => decodeOid(hex('2a80'))).toThrow(DerError);
    expect(() => decodeOid(hex('8001'))).toThrow(DerError);
  });
  it('encodes and bounds small integers', () => {
    expect(toHex(derSmallInteger(0))).toBe('020100');
    expect(toHex(derSmallInteger(128))).toBe('02020080');
    expect(decodeSmallInteger(readDerExact(derSmallInteger(32)), 100)).toBe(32);
    expect(() => decodeSmallInteger(readDerExact(hex('020480000000')), 1e12)).toThrow(DerError);
    expect(() => decodeSmallInteger(readDerExact(hex('0205 0080000000')), 1000)).toThrow(DerError);
    expect(() => decodeSmallInteger(readDerExact(hex('02020001')), 1000)).toThrow(DerError);
  });
});

describe('times', () => {
  const t = (tag: number, s: string): number =>
    decodeDerTime(readDerExact(derEncode(tag, new TextEncoder().encode(s))));
  it('decodes UTCTime and GeneralizedTime', () => {
    expect(t(TAG_UTC_TIME, '491231235959Z')).toBe(Date.UTC(2049, 11, 31, 23, 59, 59));
    expect(t(TAG_UTC_TIME, '500101000000Z')).toBe(Date.UTC(1950, 0, 1));
    expect(t(TAG_GENERALIZED_TIME, '20500101000000Z')).toBe(Date.UTC(2050, 0, 1));
    for (const bad of ['4912312359Z', '491231235959', '491331235959Z', '491231235959+0100']) {
      expect(() => t(TAG_UTC_TIME, bad), bad).toThrow(DerError);
    }
  });
});
