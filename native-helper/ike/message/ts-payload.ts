/**
 * Traffic Selector payload body, TSi and TSr (RFC 7296 §3.13).
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Number of TSs |                 RESERVED                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                       <Traffic Selectors>                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Traffic selector (§3.13.1):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Start Port*         |           End Port*           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Starting Address*                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                         Ending Address*                       ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify: at least one selector and Number of TSs equal to those found; only TS_IPV4_ADDR_RANGE
 * (selector length 16) and TS_IPV6_ADDR_RANGE (40); start address ≤ end address; start port ≤ end
 * port, except the OPAQUE range 65535..0 (§3.13.1).
 */
import { ByteReader, ByteWriter, IkeSyntaxError, compareBytes, invalid } from './codec.js';
import type { PayloadType } from './payload-type.js';

export const TsType = {
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
} as const;
export type TsType = (typeof TsType)[keyof typeof TsType];

const ADDRESS_LENGTH: Record<TsType, number> = {
  [TsType.IPV4_ADDR_RANGE]: 4,
  [TsType.IPV6_ADDR_RANGE]: 16,
};

export interface TrafficSelector {
  tsType: TsType;
  /** 0 = any protocol. */
  ipProtocol: number;
  startPort: number;
  endPort: number;
  startAddress: Uint8Array;
  endAddress: Uint8Array;
}

export interface TsPayload {
  type: typeof PayloadType.TSI | typeof PayloadType.TSR;
  selectors: TrafficSelector[];
}

function verifySelector(s: TrafficSelector, payloadType: number): void {
  const where = { payloadType };
  const len = ADDRESS_LENGTH[s.tsType] as number | undefined;
  if (len === undefined)
    throw invalid(`TS type ${s.tsType as number}`, { ...where, field: 'TS type' });
  if (s.startAddress.length !== len || s.endAddress.length !== len) {
    throw invalid('address length does not match the TS type', { ...where, field: 'address' });
  }
  if (compareBytes(s.startAddress, s.endAddress) > 0) {
    throw invalid('starting address above ending address', { ...where, field: 'address range' });
  }
  const opaque = s.startPort === 0xffff && s.endPort === 0;
  if (s.startPort > s.endPort && !opaque) {
    throw invalid(`start port ${s.startPort} above end port ${s.endPort}`, {
      ...where,
      field: 'port range',
    });
  }
}

function verify(p: TsPayload): void {
  if (p.selectors.length === 0 || p.selectors.length > 255) {
    throw invalid(`${p.selectors.length} traffic selectors`, {
      payloadType: p.type,
      field: 'number of TSs',
    });
  }
  for (const s of p.selectors) verifySelector(s, p.type);
}

export function decodeTsPayload(body: Uint8Array, type: TsPayload['type']): TsPayload {
  const where = { payloadType: type };
  const r = new ByteReader(body, where);
  const count = r.u8('number of TSs');
  r.skip(3);
  const selectors: TrafficSelector[] = [];
  while (r.remaining > 0) {
    if (selectors.length === count)
      throw new IkeSyntaxError('bad-length', 'bytes after the last selector', {
        ...where,
        field: 'number of TSs',
      });
    const tsType = r.u8('TS type');
    const ipProtocol = r.u8('IP protocol ID');
    const selectorLength = r.u16('selector length');
    if (tsType !== TsType.IPV4_ADDR_RANGE && tsType !== TsType.IPV6_ADDR_RANGE) {
      throw invalid(`TS type ${tsType}`, { ...where, field: 'TS type' });
    }
    const addrLen = ADDRESS_LENGTH[tsType];
    if (selectorLength !== 8 + 2 * addrLen) {
      throw new IkeSyntaxError(
        'bad-length',
        `selector length ${selectorLength} for TS type ${tsType}`,
        {
          ...where,
          field: 'selector length',
        },
      );
    }
    const s: TrafficSelector = {
      tsType,
      ipProtocol,
      startPort: r.u16('start port'),
      endPort: r.u16('end port'),
      startAddress: r.bytes(addrLen, 'starting address'),
      endAddress: r.bytes(addrLen, 'ending address'),
    };
    selectors.push(s);
  }
  if (selectors.length !== count) {
    throw new IkeSyntaxError('bad-length', `Number of TSs ${count} but ${selectors.length} found`, {
      ...where,
      field: 'number of TSs',
    });
  }
  const p: TsPayload = { type, selectors };
  verify(p);
  return p;
}

export function encodeTsPayload(p: TsPayload): Uint8Array {
  verify(p);
  const w = new ByteWriter().u8(p.selectors.length).zeros(3);
  for (const s of p.selectors) {
    w.u8(s.tsType)
      .u8(s.ipProtocol, 'IP protocol ID')
      .u16(8 + 2 * s.startAddress.length)
      .u16(s.startPort, 'start port')
      .u16(s.endPort, 'end port')
      .bytes(s.startAddress)
      .bytes(s.endAddress);
  }
  return w.finish();
}
