import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToIp,
  cidrToRange,
  formatRange,
  ipToBytes,
  narrowedWithin,
  rangeToSelector,
  selectorToRange,
} from '../../../../native-helper/ike/traffic-selectors.js';

describe('addresses', () => {
  it('converts IPv4 and IPv6 text both ways (RFC 5952 compression)', () => {
    expect(ipToBytes('198.51.100.10')).toEqual(Uint8Array.from([198, 51, 100, 10]));
    expect(ipToBytes('256.1.1.1')).toBeUndefined();
    expect(ipToBytes('1.2.3')).toBeUndefined();
    expect(bytesToIp(ipToBytes('2001:db8::1')!)).toBe('2001:db8::1');
    expect(bytesToIp(ipToBytes('::')!)).toBe('::');
    expect(bytesToIp(ipToBytes('fd00:0:0:1::')!)).toBe('fd00:0:0:1::');
    expect(ipToBytes('2001:db8::1::2')).toBeUndefined();
  });

  it('round-trips random addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(ipToBytes(bytesToIp(b))).toEqual(b);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(ipToBytes(bytesToIp(b))).toEqual(b);
      }),
    );
  });
});

describe('traffic selectors', () => {
  it('turns CIDRs into ranges and formats them back', () => {
    expect(cidrToRange('10.99.0.0/24')).toMatchObject({
      startAddress: '10.99.0.0',
      endAddress: '10.99.0.255',
      family: 4,
    });
    expect(cidrToRange('10.99.0.7/24').startAddress).toBe('10.99.0.0');
    expect(cidrToRange('0.0.0.0/0')).toMatchObject({
      startAddress: '0.0.0.0',
      endAddress: '255.255.255.255',
    });
    expect(cidrToRange('fd00::/8')).toMatchObject({
      startAddress: 'fd00::',
      endAddress: 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    });
    expect(formatRange(cidrToRange('10.99.0.0/24'))).toBe('10.99.0.0/24');
    expect(formatRange({ ...cidrToRange('10.0.0.1/32'), endAddress: '10.0.0.5' })).toBe(
      '10.0.0.1-10.0.0.5',
    );
    expect(() => cidrToRange('10.0.0.0/33')).toThrow(/not a CIDR/);
  });

  it('accepts narrowing to a subset and rejects anything wider or foreign', () => {
    const proposed = [rangeToSelector(cidrToRange('0.0.0.0/0'))];
    expect(narrowedWithin([rangeToSelector(cidrToRange('10.10.10.1/32'))], proposed)).toBe(true);
    const split = [rangeToSelector(cidrToRange('10.99.0.0/24'))];
    expect(narrowedWithin([rangeToSelector(cidrToRange('10.99.0.0/25'))], split)).toBe(true);
    expect(narrowedWithin([rangeToSelector(cidrToRange('10.99.0.0/23'))], split)).toBe(false);
    expect(narrowedWithin([rangeToSelector(cidrToRange('fd00::/8'))], proposed)).toBe(false);
    expect(narrowedWithin([], proposed)).toBe(false);
    const tcpOnly = { ...rangeToSelector(cidrToRange('10.99.0.0/24')), ipProtocol: 6 };
    expect(narrowedWithin([tcpOnly], split)).toBe(true);
    expect(narrowedWithin([split[0]!], [tcpOnly])).toBe(false);
    expect(selectorToRange(rangeToSelector(cidrToRange('10.99.0.0/24')))).toEqual(
      cidrToRange('10.99.0.0/24'),
    );
  });
});
