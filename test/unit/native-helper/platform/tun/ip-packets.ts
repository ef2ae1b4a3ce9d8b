// Hand-built IPv4/IPv6 UDP packets and a strict parser, for the TUN tests. Written from
// RFC 791 / RFC 8200 / RFC 768 directly (not with the product's code) so that the kernel is the
// judge: it drops written packets whose checksums are wrong, and computes those we read.
import { isIPv4 } from 'node:net';

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail] = address.split('::');
  const groups = (part: string | undefined): number[] =>
    part === undefined || part === '' ? [] : part.split(':').map((g) => parseInt(g, 16));
  const h = groups(head);
  const t = groups(tail);
  const all =
    tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // Canonical form (RFC 5952) is not needed: tests compare with fully expanded groups.
  return groups.join(':');
}

export function expandIpv6(address: string): string {
  return formatIp(ipv6Bytes(address));
}

/** RFC 1071 ones'-complement sum, folded, not yet inverted. */
function onesSum(chunks: Uint8Array[]): number {
  let sum = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i += 2) sum += (c[i] << 8) | (c[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function pseudoHeader(src: Uint8Array, dst: Uint8Array, udpLength: number): Uint8Array {
  if (src.length === 4) {
    // RFC 768: src, dst, zero, protocol, UDP length
    return Uint8Array.from([...src, ...dst, 0, 17, udpLength >> 8, udpLength & 0xff]);
  }
  // RFC 8200 §8.1: src, dst, upper-layer length (32 bits), 3 zero bytes, next header
  return Uint8Array.from([
    ...src,
    ...dst,
    (udpLength >>> 24) & 0xff,
    (udpLength >>> 16) & 0xff,
    (udpLength >>> 8) & 0xff,
    udpLength & 0xff,
    0,
    0,
    0,
    17,
  ]);
}

function udpSegment(
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, udp.length);
  udp.set(payload, 8);
  const sum = ~onesSum([pseudoHeader(src, dst, udp.length), udp]) & 0xffff;
  view.setUint16(6, sum === 0 ? 0xffff : sum); // RFC 768: a computed 0 is sent as all ones
  return udp;
}

export interface UdpPacketSpec {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** An IPv4 or IPv6 packet carrying one UDP datagram, with correct checksums. */
export function buildUdpPacket(spec: UdpPacketSpec): Uint8Array {
  if (isIPv4(spec.src)) {
    const src = ipv4Bytes(spec.src);
    const dst = ipv4Bytes(spec.dst);
    const udp = udpSegment(src, dst, spec.srcPort, spec.dstPort, spec.payload);
    const ip = new Uint8Array(20 + udp.length);
    const v = new DataView(ip.buffer);
    ip[0] = 0x45; // version 4, IHL 5
    v.setUint16(2, ip.length);
    v.setUint16(4, 0x1234); // identification
    v.setUint16(6, 0x4000); // DF
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip.set(src, 12);
    ip.set(dst, 16);
    v.setUint16(10, ~onesSum([ip.subarray(0, 20)]) & 0xffff);
    ip.set(udp, 20);
    return ip;
  }
  const src = ipv6Bytes(spec.src);
  const dst = ipv6Bytes(spec.dst);
  const udp = udpSegment(src, dst, spec.srcPort, spec.dstPort, spec.payload);
  const ip = new Uint8Array(40 + udp.length);
  const v = new DataView(ip.buffer);
  ip[0] = 0x60; // version 6
  v.setUint16(4, udp.length); // payload length
  ip[6] = 17; // next header: UDP
  ip[7] = 64; // hop limit
  ip.set(src, 8);
  ip.set(dst, 24);
  ip.set(udp, 40);
  return ip;
}

export interface ParsedUdpPacket {
  readonly version: 4 | 6;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** The length the IP header declares for the whole packet. */
  readonly declaredLength: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
  readonly headerChecksumOk: boolean;
  readonly udpChecksumOk: boolean;
}

/** Parses an IPv4 or IPv6 packet carrying UDP; throws on anything else or on inconsistency. */
export function parseUdpPacket(packet: Uint8Array): ParsedUdpPacket {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const version = packet[0] >> 4;
  let protocol: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  let declaredLength: number;
  let offset: number;
  let headerChecksumOk = true;
  if (version === 4) {
    offset = (packet[0] & 0x0f) * 4;
    declaredLength = v.getUint16(2);
    protocol = packet[9];
    src = packet.subarray(12, 16);
    dst = packet.subarray(16, 20);
    headerChecksumOk = onesSum([packet.subarray(0, offset)]) === 0xffff;
  } else if (version === 6) {
    offset = 40;
    declaredLength = 40 + v.getUint16(4);
    protocol = packet[6];
    src = packet.subarray(8, 24);
    dst = packet.subarray(24, 40);
  } else {
    throw new Error(`not an IP packet (version ${version})`);
  }
  if (protocol !== 17) throw new Error(`not UDP (protocol ${protocol})`);
  const udp = packet.subarray(offset, declaredLength);
  const udpLength = v.getUint16(offset + 4);
  return {
    version,
    protocol,
    src: formatIp(src),
    dst: formatIp(dst),
    declaredLength,
    srcPort: v.getUint16(offset),
    dstPort: v.getUint16(offset + 2),
    payload: packet.subarray(offset + 8, offset + udpLength),
    headerChecksumOk,
    udpChecksumOk: onesSum([pseudoHeader(src, dst, udpLength), udp]) === 0xffff,
  };
}
