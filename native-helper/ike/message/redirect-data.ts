/**
 * Notification data of REDIRECT and REDIRECTED_FROM (RFC 5685 §8.2, §8.3).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | GW Ident Type |  GW Ident Len |                               |
 * +---------------+---------------+                               |
 * ~                   New Responder GW Identity                   ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                          Nonce Data                           ~   (REDIRECT in IKE_SA_INIT only:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+    the initiator's Ni, echoed)
 *
 * GW Ident Type: 1 IPv4 address (4 octets), 2 IPv6 address (16 octets), 3 FQDN (RFC 1035 text).
 * REDIRECTED_FROM carries the same fields without Nonce Data: the gateway that redirected us.
 */
import { invalid } from './codec.js';
import { PayloadType } from './payload-type.js';
import { bytesToIp, ipToBytes } from '../traffic-selectors.js';

export const GwIdentType = { IPV4: 1, IPV6: 2, FQDN: 3 } as const;

/** Where a REDIRECT sends us. */
export type RedirectTarget =
  | { kind: 'ipv4'; address: string }
  | { kind: 'ipv6'; address: string }
  | { kind: 'fqdn'; name: string };

export interface RedirectData {
  target: RedirectTarget;
  /** Nonce Data (empty when absent). */
  nonce: Uint8Array;
}

const where = { payloadType: PayloadType.NOTIFY, field: 'REDIRECT data' };

/** A host name as RFC 1035 §2.3.1 allows it (letters, digits, hyphens; dot-separated labels). */
const FQDN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function decodeRedirectData(data: Uint8Array): RedirectData {
  if (data.length < 2) throw invalid(`REDIRECT data of ${data.length} bytes (at least 2)`, where);
  const type = data[0]!;
  const len = data[1]!;
  if (data.length < 2 + len)
    throw invalid(`GW Ident Len ${len} exceeds the ${data.length - 2} bytes present`, where);
  const ident = data.subarray(2, 2 + len);
  const nonce = data.slice(2 + len);
  switch (type) {
    case GwIdentType.IPV4:
    case GwIdentType.IPV6: {
      const want = type === GwIdentType.IPV4 ? 4 : 16;
      if (len !== want)
        throw invalid(`an IPv${want === 4 ? 4 : 6} GW identity of ${len} bytes`, where);
      const address = bytesToIp(ident);
      if (/^0\.0\.0\.0$|^::$|^255\.255\.255\.255$/.test(address) || ident.every((b) => b === 0))
        throw invalid(`GW identity ${address} is not a usable address`, where);
      return { target: { kind: type === GwIdentType.IPV4 ? 'ipv4' : 'ipv6', address }, nonce };
    }
    case GwIdentType.FQDN: {
      const name = String.fromCharCode(...ident);
      if (!FQDN.test(name)) throw invalid('the GW identity is not a valid host name', where);
      return { target: { kind: 'fqdn', name: name.replace(/\.$/, '').toLowerCase() }, nonce };
    }
    default:
      throw invalid(`GW Ident Type ${type} (1 IPv4, 2 IPv6, 3 FQDN)`, where);
  }
}

export function encodeRedirectData(r: RedirectData): Uint8Array {
  let type: number;
  let ident: Uint8Array;
  if (r.target.kind === 'fqdn') {
    if (!FQDN.test(r.target.name)) throw invalid('the GW identity is not a valid host name', where);
    type = GwIdentType.FQDN;
    ident = Uint8Array.from(r.target.name, (c) => c.charCodeAt(0));
  } else {
    const b = ipToBytes(r.target.address);
    const want = r.target.kind === 'ipv4' ? 4 : 16;
    if (!b || b.length !== want)
      throw invalid(`${r.target.address} is not an ${r.target.kind} address`, where);
    type = r.target.kind === 'ipv4' ? GwIdentType.IPV4 : GwIdentType.IPV6;
    ident = b;
  }
  const out = new Uint8Array(2 + ident.length + r.nonce.length);
  out[0] = type;
  out[1] = ident.length;
  out.set(ident, 2);
  out.set(r.nonce, 2 + ident.length);
  return out;
}

/** The GW identity of an address as REDIRECTED_FROM carries it. */
export function redirectTargetOf(address: string): RedirectTarget {
  return address.includes(':') ? { kind: 'ipv6', address } : { kind: 'ipv4', address };
}

/** The target as people write it. */
export function describeRedirectTarget(t: RedirectTarget): string {
  return t.kind === 'fqdn' ? t.name : t.address;
}
