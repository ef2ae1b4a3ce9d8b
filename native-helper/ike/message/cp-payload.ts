/**
 * Configuration payload body (RFC 7296 §3.15).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   CFG Type    |                    RESERVED                   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                   Configuration Attributes                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Configuration attribute (§3.15.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |R|         Attribute Type      |            Length             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                             Value                             ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: CFG type 1..4; every attribute fits the payload; the attributes with a fixed size
 * (addresses 4, IPv6 address/subnet 17 = address ‖ prefix length, IPv4 subnet 8, IPv6 DNS 16,
 * SUPPORTED_ATTRIBUTES a list of 2-byte types) have it, or are empty in a CFG_REQUEST/CFG_ACK
 * (where an empty attribute asks for a value); an IPv6 prefix length is at most 128. Unknown attributes are kept raw; the R bit is
 * ignored on receipt and sent as 0.
 */
import { ByteReader, ByteWriter, IkeSyntaxError, invalid } from './codec.js';
import { PayloadType } from './payload-type.js';

export const CfgType = {
  REQUEST: 1,
  REPLY: 2,
  SET: 3,
  ACK: 4,
} as const;
export type CfgType = (typeof CfgType)[keyof typeof CfgType];

export const CpAttributeType = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_ADDRESS_EXPIRY: 5,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_NETMASK: 9,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_NBNS: 11,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
  P_CSCF_IP4_ADDRESS: 20,
  P_CSCF_IP6_ADDRESS: 21,
  INTERNAL_DNS_DOMAIN: 25,
  INTERNAL_DNSSEC_TA: 26,
} as const;
export type CpAttributeType = (typeof CpAttributeType)[keyof typeof CpAttributeType];

/** Fixed value sizes (besides 0 in requests); 'pairs' = a multiple of 2; absent = any length. */
const VALUE_SIZE: ReadonlyMap<number, number | 'pairs'> = new Map<number, number | 'pairs'>([
  [CpAttributeType.INTERNAL_IP4_ADDRESS, 4],
  [CpAttributeType.INTERNAL_IP4_NETMASK, 4],
  [CpAttributeType.INTERNAL_IP4_DNS, 4],
  [CpAttributeType.INTERNAL_IP4_NBNS, 4],
  [CpAttributeType.INTERNAL_ADDRESS_EXPIRY, 4],
  [CpAttributeType.INTERNAL_IP4_DHCP, 4],
  [CpAttributeType.INTERNAL_IP6_ADDRESS, 17],
  [CpAttributeType.INTERNAL_IP6_DNS, 16],
  [CpAttributeType.INTERNAL_IP6_NBNS, 16],
  [CpAttributeType.INTERNAL_IP6_DHCP, 16],
  [CpAttributeType.INTERNAL_IP4_SUBNET, 8],
  [CpAttributeType.SUPPORTED_ATTRIBUTES, 'pairs'],
  [CpAttributeType.INTERNAL_IP6_SUBNET, 17],
  [CpAttributeType.P_CSCF_IP4_ADDRESS, 4],
  [CpAttributeType.P_CSCF_IP6_ADDRESS, 16],
]);

export interface CpAttribute {
  /** 15-bit attribute type. */
  attributeType: number;
  value: Uint8Array;
}

export interface CpPayload {
  type: typeof PayloadType.CP;
  cfgType: number;
  attributes: CpAttribute[];
}

const where = { payloadType: PayloadType.CP };

function verify(p: CpPayload): void {
  if (p.cfgType < CfgType.REQUEST || p.cfgType > CfgType.ACK) {
    throw invalid(`CFG type ${p.cfgType}`, { ...where, field: 'CFG type' });
  }
  const emptyAllowed = p.cfgType === CfgType.REQUEST || p.cfgType === CfgType.ACK;
  for (const a of p.attributes) {
    if (!Number.isInteger(a.attributeType) || a.attributeType < 0 || a.attributeType > 0x7fff) {
      throw invalid(`attribute type ${a.attributeType}`, { ...where, field: 'attribute type' });
    }
    const size = VALUE_SIZE.get(a.attributeType);
    const n = a.value.length;
    if (size === undefined || (n === 0 && emptyAllowed)) continue;
    const ok = size === 'pairs' ? n % 2 === 0 : n === size;
    if (!ok) {
      throw invalid(`attribute ${a.attributeType} with ${n} bytes in CFG type ${p.cfgType}`, {
        ...where,
        field: 'attribute length',
      });
    }
    if (
      (a.attributeType === CpAttributeType.INTERNAL_IP6_ADDRESS ||
        a.attributeType === CpAttributeType.INTERNAL_IP6_SUBNET) &&
      a.value[16]! > 128
    ) {
      throw invalid(`IPv6 prefix length ${a.value[16]} in attribute ${a.attributeType}`, {
        ...where,
        field: 'prefix length',
      });
    }
  }
}

export function decodeCpPayload(body: Uint8Array): CpPayload {
  const r = new ByteReader(body, where);
  const cfgType = r.u8('CFG type');
  r.skip(3);
  const attributes: CpAttribute[] = [];
  while (r.remaining > 0) {
    const attributeType = r.u16('attribute type') & 0x7fff;
    const len = r.u16('attribute length');
    if (len > r.remaining) {
      throw new IkeSyntaxError('bad-length', `attribute length ${len} past the payload`, {
        ...where,
        field: 'attribute length',
      });
    }
    attributes.push({ attributeType, value: r.bytes(len, 'attribute value') });
  }
  const p: CpPayload = { type: PayloadType.CP, cfgType, attributes };
  verify(p);
  return p;
}

export function encodeCpPayload(p: CpPayload): Uint8Array {
  verify(p);
  const w = new ByteWriter().u8(p.cfgType).zeros(3);
  for (const a of p.attributes)
    w.u16(a.attributeType).u16(a.value.length, 'attribute length').bytes(a.value);
  return w.finish();
}
