import { describe, expect, it } from 'vitest';
import {
  ByteReader,
  ByteWriter,
  compareBytes,
} from '../../../../../native-helper/ike/message/codec.js';
import { hex, toHex } from '../../../../support/hex.js';
import { expectSyntaxError } from './helpers.js';

describe('ByteReader', () => {
  it('reads big-endian integers and bytes, tracking offset and remaining', () => {
    const r = new ByteReader(hex('01 0203 fffffffe aabbcc'));
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(r.u32()).toBe(0xfffffffe);
    expect(r.offset).toBe(7);
    expect(r.remaining).toBe(3);
    expect(toHex(r.bytes(2))).toBe('aabb');
    expect(toHex(r.rest())).toBe('cc');
    expect(r.remaining).toBe(0);
    r.end();
  });

  it('rejects every read past the end with a typed error naming the field', () => {
    expectSyntaxError(() => new ByteReader(hex('')).u8('x'), 'truncated', 'x');
    expectSyntaxError(() => new ByteReader(hex('01')).u16('y'), 'truncated', 'y');
    expectSyntaxError(() => new ByteReader(hex('010203')).u32(), 'truncated');
    expectSyntaxError(() => new ByteReader(hex('0102')).bytes(3), 'truncated');
    expectSyntaxError(() => new ByteReader(hex('0102')).bytes(-1), 'truncated');
    expectSyntaxError(() => new ByteReader(hex('0102')).skip(3), 'truncated');
    expectSyntaxError(() => new ByteReader(hex('0102')).end(), 'bad-length');
  });

  it('bytes() copies while view() aliases', () => {
    const buf = hex('0102');
    const copy = new ByteReader(buf).bytes(2);
    const view = new ByteReader(buf).view(2);
    buf[0] = 9;
    expect(copy[0]).toBe(1);
    expect(view[0]).toBe(9);
  });
});

describe('ByteWriter', () => {
  it('writes and grows', () => {
    const w = new ByteWriter(1);
    w.u8(1).u16(0x0203).u32(0xfffffffe).bytes(hex('aa')).zeros(2);
    w.patchU16(1, 0xbeef);
    expect(toHex(w.finish())).toBe('01beeffffffffeaa0000');
    const big = new ByteWriter(1);
    for (let i = 0; i < 1000; i++) big.u8(i & 0xff);
    expect(big.finish()).toHaveLength(1000);
  });

  it('refuses values that do not fit', () => {
    expectSyntaxError(() => new ByteWriter().u8(256), 'invalid-value');
    expectSyntaxError(() => new ByteWriter().u16(-1), 'invalid-value');
    expectSyntaxError(() => new ByteWriter().u32(2 ** 32), 'invalid-value');
    expectSyntaxError(() => new ByteWriter().u8(1.5), 'invalid-value');
    expectSyntaxError(() => new ByteWriter().patchU16(0, 1), 'invalid-value');
  });
});

it('compareBytes orders addresses', () => {
  expect(compareBytes(hex('0a000001'), hex('0a000002'))).toBeLessThan(0);
  expect(compareBytes(hex('ff000000'), hex('0a000002'))).toBeGreaterThan(0);
  expect(compareBytes(hex('0a'), hex('0a'))).toBe(0);
});
