import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clampTcpMss,
  ipDestination,
  ipPacketLength,
  ipVersion,
  readIpHeader,
} from '../../../../native-helper/esp/ip-packet.js';
import { toHex } from '../../../support/hex.js';

const SRC4 = [10, 10, 10, 1];
const DST4 = [10, 99, 0, 2];
const SRC6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1];
const DST6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0x11), 2];

const SYN = 0x02;
const ACK = 0x10;

/** A TCP header with the given options (padded to 4 bytes) and payload; checksum left 0. */
function tcpSegment(options: number[], flags = SYN, payload: number[] = []): number[] {
  const opts = [...options];
  while (opts.length % 4 !== 0) opts.push(0);
  const dataOffset = (20 + opts.length) / 4;
  return [
    0xc0,
    0x01,
    0x01,
    0xbb,
    1,
    2,
    3,
    4,
    0,
    0,
    0,
    0,
    dataOffset << 4,
    flags,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    ...opts,
    ...payload,
  ];
}

function ipv4Packet(segment: number[], protocol = 6, fragOffset = 0): Uint8Array {
  const total = 20 + segment.length;
  const p = Uint8Array.from([
    0x45,
    0,
    total >> 8,
    total & 0xff,
    0,
    1,
    (fragOffset >> 8) & 0x1f,
    fragOffset & 0xff,
    64,
    protocol,
    0,
    0,
    ...SRC4,
    ...DST4,
    ...segment,
  ]);
  setTcpChecksum(p, 20);
  return p;
}

function ipv6Packet(segment: number[], ext: number[][] = []): Uint8Array {
  // ext: extension headers, each given as [its own type, length, …]; on the wire the first byte
  // becomes the Next Header (the following extension's type, or TCP).
  const types = [...ext.map((h) => h[0]!), 6];
  const headers: number[] = [];
  ext.forEach((h, i) => headers.push(types[i + 1]!, ...h.slice(1)));
  const payload = headers.length + segment.length;
  const first = types[0]!;
  const p = Uint8Array.from([
    0x60,
    0,
    0,
    0,
    payload >> 8,
    payload & 0xff,
    first,
    64,
    ...SRC6,
    ...DST6,
    ...headers,
    ...segment,
  ]);
  setTcpChecksum(p, 40 + headers.length);
  return p;
}

/** The TCP checksum computed from scratch (RFC 793 pseudo-header / RFC 8200 §8.1). */
function tcpChecksum(p: Uint8Array, tcp: number): number {
  const bytes: number[] = [];
  const len = p.length - tcp;
  if (p[0]! >> 4 === 4) bytes.push(...p.subarray(12, 20), 0, 6, len >> 8, len & 0xff);
  else bytes.push(...p.subarray(8, 40), 0, 0, len >> 8, len & 0xff, 0, 0, 0, 6);
  const seg = [...p.subarray(tcp)];
  seg[16] = 0;
  seg[17] = 0;
  bytes.push(...seg);
  if (bytes.length % 2) bytes.push(0);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function setTcpChecksum(p: Uint8Array, tcp: number): void {
  const c = tcpChecksum(p, tcp);
  p[tcp + 16] = c >> 8;
  p[tcp + 17] = c & 0xff;
}

const storedChecksum = (p: Uint8Array, tcp: number) => (p[tcp + 16]! << 8) | p[tcp + 17]!;
const mssAt = (p: Uint8Array, at: number) => (p[at]! << 8) | p[at + 1]!;

describe('IP header reading', () => {
  it('reads IPv4 and IPv6 headers', () => {
    const v4 = ipv4Packet(tcpSegment([]));
    expect(ipVersion(v4)).toBe(4);
    const h4 = readIpHeader(v4)!;
    expect([h4.version, h4.headerLength, h4.totalLength, h4.protocol]).toEqual([4, 20, 40, 6]);
    expect([...h4.src]).toEqual(SRC4);
    expect([...h4.dst]).toEqual(DST4);
    expect([...ipDestination(v4)!]).toEqual(DST4);

    const v6 = ipv6Packet(tcpSegment([]));
    const h6 = readIpHeader(v6)!;
    expect([h6.version, h6.headerLength, h6.totalLength, h6.protocol]).toEqual([6, 40, 60, 6]);
    expect([...h6.src]).toEqual(SRC6);
    expect([...h6.dst]).toEqual(DST6);
    expect([...ipDestination(v6)!]).toEqual(DST6);
  });

  it('rejects truncated and inconsistent headers', () => {
    const v4 = ipv4Packet(tcpSegment([]));
    expect(readIpHeader(new Uint8Array(0))).toBeUndefined();
    expect(readIpHeader(v4.subarray(0, 19))).toBeUndefined();
    expect(readIpHeader(v4.subarray(0, 39))).toBeUndefined(); // Total Length 40 > 39 bytes
    expect(readIpHeader(Uint8Array.of(0x44, ...v4.subarray(1)))).toBeUndefined(); // IHL 4
    expect(readIpHeader(Uint8Array.of(0x4f, ...v4.subarray(1)))).toBeUndefined(); // IHL 60 > Total Length 40
    const shortTotal = new Uint8Array(v4);
    shortTotal[3] = 19;
    expect(readIpHeader(shortTotal)).toBeUndefined();
    expect(readIpHeader(Uint8Array.of(0x55, ...v4.subarray(1)))).toBeUndefined(); // version 5
    expect(ipVersion(Uint8Array.of(0x55))).toBeUndefined();
    expect(ipDestination(v4.subarray(0, 19))).toBeUndefined();

    const v6 = ipv6Packet(tcpSegment([]));
    expect(readIpHeader(v6.subarray(0, 39))).toBeUndefined();
    expect(readIpHeader(v6.subarray(0, 59))).toBeUndefined();
    expect(ipDestination(v6.subarray(0, 39))).toBeUndefined();
    // Payload Length 0: a bare header is fine, but with a Hop-by-Hop header it may be a jumbogram.
    const bare = new Uint8Array(v6.subarray(0, 40));
    bare[4] = 0;
    bare[5] = 0;
    bare[6] = 59;
    expect(readIpHeader(bare)?.totalLength).toBe(40);
    bare[6] = 0;
    expect(readIpHeader(bare)).toBeUndefined();
  });

  it('gives the stated length within an available span (extra bytes are someone else’s padding)', () => {
    const v4 = ipv4Packet(tcpSegment([]));
    const padded = Uint8Array.of(9, 9, ...v4, 0, 0, 0, 0);
    expect(ipPacketLength(padded, 2)).toBe(40);
    expect(ipPacketLength(padded, 2, 40)).toBe(40);
    expect(ipPacketLength(padded, 2, 39)).toBeUndefined();
    expect(ipPacketLength(padded, 2, 1000)).toBeUndefined(); // beyond the buffer
    expect(ipPacketLength(padded, 0)).toBeUndefined(); // version 0
  });
});

describe('TCP MSS clamping', () => {
  it('clamps an IPv4 SYN and keeps the checksum valid', () => {
    const p = ipv4Packet(tcpSegment([2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2]));
    const before = new Uint8Array(p);
    expect(tcpChecksum(p, 20)).toBe(storedChecksum(p, 20));
    expect(clampTcpMss(p, 1360)).toBe('clamped');
    expect(mssAt(p, 42)).toBe(1360);
    expect(storedChecksum(p, 20)).toBe(tcpChecksum(p, 20));
    // Only the MSS value and the checksum changed.
    const changed = [...p.keys()].filter((i) => p[i] !== before[i]);
    expect(changed.every((i) => [36, 37, 42, 43].includes(i))).toBe(true);
    expect(clampTcpMss(p, 1360)).toBe('unchanged');
    expect(clampTcpMss(p, 1400)).toBe('unchanged');
  });

  it('handles an MSS option at an odd offset (after one NOP)', () => {
    const p = ipv4Packet(tcpSegment([1, 2, 4, 0x05, 0xb4, 1, 1, 1]));
    expect(clampTcpMss(p, 1240)).toBe('clamped');
    expect(mssAt(p, 20 + 23)).toBe(1240);
    expect(storedChecksum(p, 20)).toBe(tcpChecksum(p, 20));
  });

  it('clamps SYN-ACKs and IPv6 SYNs, also behind extension headers', () => {
    const synAck = ipv4Packet(tcpSegment([2, 4, 0x23, 0x28], SYN | ACK)); // MSS 9000
    expect(clampTcpMss(synAck, 1400)).toBe('clamped');
    expect(mssAt(synAck, 42)).toBe(1400);
    expect(storedChecksum(synAck, 20)).toBe(tcpChecksum(synAck, 20));

    const v6 = ipv6Packet(tcpSegment([2, 4, 0x05, 0xa0]));
    expect(clampTcpMss(v6, 1220)).toBe('clamped');
    expect(mssAt(v6, 62)).toBe(1220);
    expect(storedChecksum(v6, 40)).toBe(tcpChecksum(v6, 40));

    // Hop-by-Hop (8 bytes: NH, len 0, PadN) then Destination Options (16 bytes, len 1).
    const ext = ipv6Packet(tcpSegment([2, 4, 0x05, 0xa0]), [
      [0, 0, 1, 4, 0, 0, 0, 0],
      [60, 1, 1, 12, ...new Array<number>(12).fill(0)],
    ]);
    expect(ext[6]).toBe(0);
    expect(clampTcpMss(ext, 1220)).toBe('clamped');
    expect(mssAt(ext, 40 + 24 + 22)).toBe(1220);
    expect(storedChecksum(ext, 64)).toBe(tcpChecksum(ext, 64));

    // A first fragment (offset 0) is clamped; a later one is not TCP-parseable.
    const frag0 = ipv6Packet(tcpSegment([2, 4, 0x05, 0xa0]), [[44, 0, 0, 1, 0, 0, 0, 7]]);
    expect(clampTcpMss(frag0, 1220)).toBe('clamped');
    expect(storedChecksum(frag0, 48)).toBe(tcpChecksum(frag0, 48));
    const frag1 = ipv6Packet(tcpSegment([2, 4, 0x05, 0xa0]), [[44, 0, 0, 0x08, 0, 0, 0, 7]]);
    expect(clampTcpMss(frag1, 1220)).toBe('not-tcp-syn');
  });

  it('leaves other packets alone', () => {
    const noMss = ipv4Packet(tcpSegment([1, 1, 4, 2]));
    const ack = ipv4Packet(tcpSegment([2, 4, 0x05, 0xb4], ACK));
    const udp = ipv4Packet(tcpSegment([2, 4, 0x05, 0xb4]), 17);
    const fragment = ipv4Packet(tcpSegment([2, 4, 0x05, 0xb4]), 6, 185);
    const afterEnd = ipv4Packet(tcpSegment([0, 2, 4, 0x05, 0xb4])); // End of Option List first
    for (const [p, result] of [
      [noMss, 'unchanged'],
      [ack, 'not-tcp-syn'],
      [udp, 'not-tcp-syn'],
      [fragment, 'not-tcp-syn'],
      [afterEnd, 'unchanged'],
    ] as const) {
      const before = toHex(p);
      expect(clampTcpMss(p, 1000)).toBe(result);
      expect(toHex(p)).toBe(before);
    }
  });

  it('reports malformed TCP options and headers without touching them', () => {
    const cases = [
      ipv4Packet(tcpSegment([2, 0, 0, 0])), // option length 0
      ipv4Packet(tcpSegment([3, 9, 0, 0])), // option runs past the header
      ipv4Packet(tcpSegment([2, 3, 5, 0])), // MSS with length 3
      ipv4Packet(tcpSegment([1, 1, 1, 2])), // kind with no room for a length
      ipv4Packet(tcpSegment([]).slice(0, 19)), // TCP header cut short
    ];
    const badOffset = tcpSegment([]);
    badOffset[12] = 4 << 4;
    cases.push(ipv4Packet(badOffset));
    const bigOffset = tcpSegment([]);
    bigOffset[12] = 15 << 4;
    cases.push(ipv4Packet(bigOffset));
    for (const p of cases) {
      const before = toHex(p);
      expect(clampTcpMss(p, 1000), before).toBe('malformed');
      expect(toHex(p)).toBe(before);
    }
    expect(clampTcpMss(new Uint8Array(10), 1000)).toBe('malformed');
    expect(() => clampTcpMss(ipv4Packet(tcpSegment([])), 0)).toThrow(RangeError);
    expect(() => clampTcpMss(ipv4Packet(tcpSegment([])), 70000)).toThrow(RangeError);
  });

  it('always leaves a valid checksum and MSS = min(original, clamp) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 0xffff }),
        fc.uint8Array({ maxLength: 30 }),
        fc.boolean(),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        (nops, original, clamp, payload, v6, header) => {
          const seg = tcpSegment(
            [...new Array<number>(nops).fill(1), 2, 4, original >> 8, original & 0xff],
            SYN,
            [...payload],
          );
          seg.splice(4, 4, ...header); // random sequence number
          const p = v6 ? ipv6Packet(seg) : ipv4Packet(seg);
          const tcp = v6 ? 40 : 20;
          const result = clampTcpMss(p, clamp);
          const at = tcp + 20 + nops + 2;
          return (
            result === (original > clamp ? 'clamped' : 'unchanged') &&
            mssAt(p, at) === Math.min(original, clamp) &&
            storedChecksum(p, tcp) === tcpChecksum(p, tcp)
          );
        },
      ),
      { numRuns: 500, seed: 1624 },
    );
  });
});
