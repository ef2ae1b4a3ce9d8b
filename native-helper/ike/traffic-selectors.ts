/**
 * Addresses and traffic selectors (RFC 7296 §2.9, §3.13.1): text ⇄ bytes, CIDR → range, and the
 * subset check that makes responder narrowing safe (a returned selector must lie inside one we
 * proposed; anything wider is rejected, never "narrowed" by us).
 */
import type { TrafficSelectorRange } from './ike-events.js';
import type { TrafficSelector } from './message/ts-payload.js';
import { TsType } from './message/ts-payload.js';

export function ipToBytes(ip: string): Uint8Array | undefined {
  if (ip.includes(':')) return ipv6ToBytes(ip);
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function ipv6ToBytes(ip: string): Uint8Array | undefined {
  const [head, tail, ...rest] = ip.split('::');
  if (rest.length) return undefined;
  const parse = (s: string | undefined): number[] | undefined => {
    if (!s) return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = parse(head);
  const t = parse(tail);
  if (!h || !t) return undefined;
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  if ((tail === undefined && h.length !== 8) || fill < 0) return undefined;
  const groups = [...h, ...new Array<number>(fill).fill(0), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // compress the longest run of zero groups (RFC 5952)
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** "10.0.0.0/8" → the range 10.0.0.0 – 10.255.255.255 (any protocol and port). */
export function cidrToRange(cidr: string): TrafficSelectorRange {
  const [addr, lenText] = cidr.split('/');
  const bytes = addr ? ipToBytes(addr) : undefined;
  const len = Number(lenText);
  if (!bytes || !Number.isInteger(len) || len < 0 || len > bytes.length * 8)
    throw new Error(`not a CIDR: ${cidr}`);
  const start = new Uint8Array(bytes.length);
  const end = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    start[i] = bytes[i]! & mask;
    end[i] = (bytes[i]! & mask) | (~mask & 0xff);
  }
  return {
    family: bytes.length === 4 ? 4 : 6,
    protocol: 0,
    startPort: 0,
    endPort: 65535,
    startAddress: bytesToIp(start),
    endAddress: bytesToIp(end),
  };
}

export const ANY_IPV4: TrafficSelectorRange = cidrToRange('0.0.0.0/0');
export const ANY_IPV6: TrafficSelectorRange = cidrToRange('::/0');

export function rangeToSelector(r: TrafficSelectorRange): TrafficSelector {
  return {
    tsType: r.family === 4 ? TsType.IPV4_ADDR_RANGE : TsType.IPV6_ADDR_RANGE,
    ipProtocol: r.protocol,
    startPort: r.startPort,
    endPort: r.endPort,
    startAddress: ipToBytes(r.startAddress)!,
    endAddress: ipToBytes(r.endAddress)!,
  };
}

export function selectorToRange(s: TrafficSelector): TrafficSelectorRange {
  return {
    family: s.tsType === TsType.IPV4_ADDR_RANGE ? 4 : 6,
    protocol: s.ipProtocol,
    startPort: s.startPort,
    endPort: s.endPort,
    startAddress: bytesToIp(s.startAddress),
    endAddress: bytesToIp(s.endAddress),
  };
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** True when `inner` lies entirely inside `outer` (addresses, ports and protocol). */
export function selectorWithin(inner: TrafficSelector, outer: TrafficSelector): boolean {
  if (inner.tsType !== outer.tsType) return false;
  if (outer.ipProtocol !== 0 && inner.ipProtocol !== outer.ipProtocol) return false;
  if (inner.startPort < outer.startPort || inner.endPort > outer.endPort) return false;
  return (
    cmp(inner.startAddress, outer.startAddress) >= 0 && cmp(inner.endAddress, outer.endAddress) <= 0
  );
}

/** True when the address (IPv4 or IPv6 text) lies inside the selector's address range. */
export function addressInSelector(address: string, s: TrafficSelector): boolean {
  const b = ipToBytes(address);
  if (!b || b.length !== s.startAddress.length) return false;
  return cmp(b, s.startAddress) >= 0 && cmp(b, s.endAddress) <= 0;
}

/** Every selector of `returned` lies inside one of `proposed` (RFC 7296 §2.9 narrowing). */
export function narrowedWithin(
  returned: readonly TrafficSelector[],
  proposed: readonly TrafficSelector[],
): boolean {
  return returned.length > 0 && returned.every((r) => proposed.some((p) => selectorWithin(r, p)));
}

/** "10.0.0.0-10.0.0.255" style text for diagnostics, or the CIDR when the range is one. */
export function formatRange(r: TrafficSelectorRange): string {
  const start = ipToBytes(r.startAddress)!;
  const end = ipToBytes(r.endAddress)!;
  let prefix = 0;
  while (prefix < start.length * 8) {
    const byte = prefix >> 3;
    const bit = 7 - (prefix & 7);
    if (((start[byte]! >> bit) & 1) !== ((end[byte]! >> bit) & 1)) break;
    prefix++;
  }
  const isCidr = cidrToRange(`${r.startAddress}/${prefix}`).endAddress === r.endAddress;
  const addr = isCidr ? `${r.startAddress}/${prefix}` : `${r.startAddress}-${r.endAddress}`;
  return r.protocol || r.startPort !== 0 || r.endPort !== 65535
    ? `${addr}[${r.protocol}/${r.startPort}-${r.endPort}]`
    : addr;
}
