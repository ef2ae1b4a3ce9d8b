/**
 * Just enough IPv4/IPv6 for the ESP tunnel: reading the fixed header (bounds-checked, no
 * exceptions for bad input) and clamping the TCP MSS option of SYN segments in place.
 *
 *   IPv4 (RFC 791): ver/IHL(1) TOS(1) TotalLength(2) ID(2) Flags/FragOff(2) TTL(1) Proto(1)
 *                   Checksum(2) Src(4) Dst(4) [options]
 *   IPv6 (RFC 8200): ver/TC/flow(4) PayloadLength(2) NextHeader(1) HopLimit(1) Src(16) Dst(16)
 */

export const IPPROTO_TCP = 6;
export const IPV4_MIN_HEADER = 20;
export const IPV6_HEADER = 40;

export interface IpHeader {
  readonly version: 4 | 6;
  /** Fixed header length (IPv4: IHL × 4; IPv6: 40, extension headers not included). */
  readonly headerLength: number;
  /** Whole packet length as the header states it (IPv6: 40 + Payload Length). */
  readonly totalLength: number;
  /** IPv4 Protocol, IPv6 Next Header (the first one, possibly an extension header). */
  readonly protocol: number;
  /** Views into the packet. */
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
}

/** The IP version nibble, or undefined when the packet is empty or neither 4 nor 6. */
export function ipVersion(packet: Uint8Array): 4 | 6 | undefined {
  if (packet.length === 0) return undefined;
  const v = packet[0]! >> 4;
  return v === 4 ? 4 : v === 6 ? 6 : undefined;
}

/**
 * The length the IP header says the packet has, or undefined when the header is missing,
 * truncated, inconsistent, or claims more than `available` bytes. `available` defaults to the
 * buffer length; the ESP receiver passes the payload length before the padding, and trims any TFC
 * padding (RFC 4303 §2.7) to the returned length.
 */
export function ipPacketLength(
  packet: Uint8Array,
  offset = 0,
  available = packet.length - offset,
): number | undefined {
  if (available < 1 || offset + available > packet.length) return undefined;
  const first = packet[offset]!;
  const version = first >> 4;
  if (version === 4) {
    if (available < IPV4_MIN_HEADER) return undefined;
    const ihl = (first & 0x0f) * 4;
    const total = (packet[offset + 2]! << 8) | packet[offset + 3]!;
    if (ihl < IPV4_MIN_HEADER || total < ihl || total > available) return undefined;
    return total;
  }
  if (version === 6) {
    if (available < IPV6_HEADER) return undefined;
    const payload = (packet[offset + 4]! << 8) | packet[offset + 5]!;
    // Payload Length 0 with a Hop-by-Hop header may be a jumbogram (RFC 2675), which cannot cross
    // an ESP tunnel; otherwise it is simply a packet without payload.
    if (payload === 0 && packet[offset + 6] === 0) return undefined;
    const total = IPV6_HEADER + payload;
    if (total > available) return undefined;
    return total;
  }
  return undefined;
}

/** The fixed IP header, or undefined when the packet is not a well-formed IPv4/IPv6 packet. */
export function readIpHeader(packet: Uint8Array): IpHeader | undefined {
  const totalLength = ipPacketLength(packet);
  if (totalLength === undefined) return undefined;
  if (packet[0]! >> 4 === 4) {
    return {
      version: 4,
      headerLength: (packet[0]! & 0x0f) * 4,
      totalLength,
      protocol: packet[9]!,
      src: packet.subarray(12, 16),
      dst: packet.subarray(16, 20),
    };
  }
  return {
    version: 6,
    headerLength: IPV6_HEADER,
    totalLength,
    protocol: packet[6]!,
    src: packet.subarray(8, 24),
    dst: packet.subarray(24, 40),
  };
}

/**
 * The destination address of an IPv4/IPv6 packet as a view, without validating the rest of the
 * header (the outbound fast path only needs it to pick an SA); undefined when too short.
 */
export function ipDestination(packet: Uint8Array): Uint8Array | undefined {
  const v = ipVersion(packet);
  if (v === 4) return packet.length >= IPV4_MIN_HEADER ? packet.subarray(16, 20) : undefined;
  if (v === 6) return packet.length >= IPV6_HEADER ? packet.subarray(24, 40) : undefined;
  return undefined;
}

// IPv6 extension headers that may precede TCP and are skipped with the generic length rule
// (RFC 8200 §4): Hop-by-Hop, Routing, Destination Options. Fragment (44) is handled separately.
const IPV6_EXT_HOP_BY_HOP = 0;
const IPV6_EXT_ROUTING = 43;
const IPV6_EXT_FRAGMENT = 44;
const IPV6_EXT_DEST_OPTS = 60;

const TCP_FLAG_SYN = 0x02;
const TCP_OPT_END = 0;
const TCP_OPT_NOP = 1;
const TCP_OPT_MSS = 2;

export type MssClampResult = 'clamped' | 'unchanged' | 'not-tcp-syn' | 'malformed';

/**
 * Lowers the MSS option of a TCP SYN (or SYN-ACK) in place to at most `mss`, and updates the TCP
 * checksum incrementally (RFC 1624 eqn. 3), so the packet never needs a full recomputation.
 *
 * 'unchanged': a SYN whose MSS is already ≤ `mss`, or that carries no MSS option (a SYN without
 * one implies 536/1220, below any tunnel MTU). Non-first fragments and non-TCP packets are
 * 'not-tcp-syn'. Nothing is modified unless the result is 'clamped'.
 */
export function clampTcpMss(packet: Uint8Array, mss: number): MssClampResult {
  if (!Number.isInteger(mss) || mss < 1 || mss > 0xffff) throw new RangeError(`bad MSS ${mss}`);
  const total = ipPacketLength(packet);
  if (total === undefined) return 'malformed';
  let tcp: number;
  let proto: number;
  if (packet[0]! >> 4 === 4) {
    const fragOffset = ((packet[6]! & 0x1f) << 8) | packet[7]!;
    proto = packet[9]!;
    if (proto !== IPPROTO_TCP || fragOffset !== 0) return 'not-tcp-syn';
    tcp = (packet[0]! & 0x0f) * 4;
  } else {
    proto = packet[6]!;
    tcp = IPV6_HEADER;
    for (;;) {
      if (
        proto === IPV6_EXT_HOP_BY_HOP ||
        proto === IPV6_EXT_ROUTING ||
        proto === IPV6_EXT_DEST_OPTS
      ) {
        if (tcp + 8 > total) return 'malformed';
        proto = packet[tcp]!;
        tcp += (packet[tcp + 1]! + 1) * 8;
      } else if (proto === IPV6_EXT_FRAGMENT) {
        if (tcp + 8 > total) return 'malformed';
        const fragOffset = (packet[tcp + 2]! << 5) | (packet[tcp + 3]! >> 3);
        if (fragOffset !== 0) return 'not-tcp-syn';
        proto = packet[tcp]!;
        tcp += 8;
      } else {
        break;
      }
    }
    if (proto !== IPPROTO_TCP) return 'not-tcp-syn';
  }
  if (tcp + 20 > total) return 'malformed';
  if ((packet[tcp + 13]! & TCP_FLAG_SYN) === 0) return 'not-tcp-syn';
  const dataOffset = (packet[tcp + 12]! >> 4) * 4;
  if (dataOffset < 20 || tcp + dataOffset > total) return 'malformed';

  let opt = tcp + 20;
  const end = tcp + dataOffset;
  while (opt < end) {
    const kind = packet[opt]!;
    if (kind === TCP_OPT_END) break;
    if (kind === TCP_OPT_NOP) {
      opt++;
      continue;
    }
    if (opt + 1 >= end) return 'malformed';
    const len = packet[opt + 1]!;
    if (len < 2 || opt + len > end) return 'malformed';
    if (kind === TCP_OPT_MSS) {
      if (len !== 4) return 'malformed';
      const at = opt + 2;
      const current = (packet[at]! << 8) | packet[at + 1]!;
      if (current <= mss) return 'unchanged';
      updateTcpChecksum16(packet, tcp, at, mss);
      return 'clamped';
    }
    opt += len;
  }
  return 'unchanged';
}

/**
 * Writes the 16-bit value `value` at `at` and adjusts the TCP checksum at `tcp + 16`. The value may
 * sit at an odd offset from the TCP header (options need no alignment): the checksum is a sum of
 * 16-bit words aligned to the TCP header, so the covering aligned words are summed before and after.
 */
function updateTcpChecksum16(packet: Uint8Array, tcp: number, at: number, value: number): void {
  const start = tcp + ((at - tcp) & ~1);
  const end = tcp + ((at + 2 - tcp + 1) & ~1);
  const before = sumWords(packet, start, end);
  packet[at] = value >> 8;
  packet[at + 1] = value & 0xff;
  const after = sumWords(packet, start, end);
  const oldSum = (packet[tcp + 16]! << 8) | packet[tcp + 17]!;
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), in one's-complement arithmetic.
  let sum = (~oldSum & 0xffff) + (~before & 0xffff) + after;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const fresh = ~sum & 0xffff;
  packet[tcp + 16] = fresh >> 8;
  packet[tcp + 17] = fresh & 0xff;
}

/** One's-complement sum of the 16-bit words in [start, end), folded to 16 bits. */
function sumWords(packet: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i += 2) sum += (packet[i]! << 8) | packet[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
