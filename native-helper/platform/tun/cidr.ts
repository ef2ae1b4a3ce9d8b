// Parsing of interface addresses in CIDR notation (`10.200.0.1/24`, `2001:db8::1/64`).
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  readonly address: string;
  readonly prefixLength: number;
}

/** Parses `address/prefix`; returns undefined if it is not a valid IPv4 or IPv6 CIDR. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefixLength = Number(prefixText);
  if (isIPv4(address)) return prefixLength <= 32 ? { family: 4, address, prefixLength } : undefined;
  // A zone index (fe80::1%eth0) names another interface: meaningless on a TUN address.
  if (isIPv6(address) && !address.includes('%')) {
    return prefixLength <= 128 ? { family: 6, address, prefixLength } : undefined;
  }
  return undefined;
}

export function formatCidr(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefixLength}`;
}
