/**
 * NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP data (RFC 7296 §2.23):
 * SHA-1(SPIi ‖ SPIr ‖ IP address ‖ port), with SPIr = 0 in the IKE_SA_INIT request.
 */
import { IkeCryptoError } from './errors.js';
import { hash } from './hash.js';

/**
 * @param ip 4 (IPv4) or 16 (IPv6) address bytes, or a textual IPv4/IPv6 address
 * @param port UDP port (host order number)
 */
export function natDetectionHash(
  spiI: Uint8Array,
  spiR: Uint8Array,
  ip: Uint8Array | string,
  port: number,
): Uint8Array {
  if (spiI.length !== 8 || spiR.length !== 8)
    throw new IkeCryptoError('bad-argument', 'IKE SPIs are 8 bytes');
  const addr = typeof ip === 'string' ? parseIpAddress(ip) : ip;
  if (addr.length !== 4 && addr.length !== 16) {
    throw new IkeCryptoError('bad-argument', `an IP address is 4 or 16 bytes, got ${addr.length}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 0xffff)
    throw new IkeCryptoError('bad-argument', `bad port ${port}`);
  const data = new Uint8Array(16 + addr.length + 2);
  data.set(spiI, 0);
  data.set(spiR, 8);
  data.set(addr, 16);
  data[16 + addr.length] = port >> 8;
  data[17 + addr.length] = port & 0xff;
  return hash('sha1', data);
}

/** Parses a dotted-quad IPv4 or an RFC 4291 IPv6 address (with ::, optional embedded IPv4). */
export function parseIpAddress(text: string): Uint8Array {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (v6) return v6;
  throw new IkeCryptoError('bad-argument', `not an IP address: '${text}'`);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}
