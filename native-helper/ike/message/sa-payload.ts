/**
 * Security Association payload body (RFC 7296 §3.3): one or more Proposals.
 *
 * Proposal substructure (§3.3.1):
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform substructure (§3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Transform attribute (§3.3.5):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   AF=0  Attribute Value                       |
 * |                   AF=1  Not Transmitted                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Verify (§3.3: "the total Payload Length is consistent with the payload's internal lengths and
 * counts"): every proposal and transform length fits its parent and the parent is used up
 * exactly; Num Transforms equals the transforms found; Last Substruc is 2/3 on all but the last
 * proposal/transform and 0 on the last; at least one proposal and one transform per proposal;
 * protocol IKE/AH/ESP with SPI size 0 or 8 for IKE and 4 for AH/ESP; transform type ≠ 0; Key
 * Length (14) only as TV and non-zero; no attribute type twice in one transform.
 */
import { ByteReader, ByteWriter, IkeSyntaxError, invalid } from './codec.js';
import { PayloadType, ProtocolId } from './payload-type.js';

export const TransformType = {
  ENCR: 1,
  PRF: 2,
  INTEG: 3,
  KE: 4,
  ESN: 5,
  ADDKE1: 6,
  ADDKE2: 7,
  ADDKE3: 8,
  ADDKE4: 9,
  ADDKE5: 10,
  ADDKE6: 11,
  ADDKE7: 12,
} as const;
export type TransformType = (typeof TransformType)[keyof typeof TransformType];

/** Transform attribute types (§3.3.5). Key Length is sent TV, i.e. as 0x800E. */
export const TransformAttributeType = { KEY_LENGTH: 14 } as const;

const LAST_PROPOSAL = 0;
const MORE_PROPOSALS = 2;
const LAST_TRANSFORM = 0;
const MORE_TRANSFORMS = 3;
const AF_TV = 0x8000;
const PROPOSAL_HEADER = 8;
const TRANSFORM_HEADER = 8;

export type TransformAttribute =
  /** AF=1: a 2-byte value in the header (Key Length). */
  | { format: 'tv'; type: number; value: number }
  /** AF=0: a variable-length value. */
  | { format: 'tlv'; type: number; value: Uint8Array };

export interface Transform {
  transformType: number;
  transformId: number;
  attributes: TransformAttribute[];
}

export interface Proposal {
  number: number;
  protocolId: number;
  /** Empty for IKE_SA_INIT proposals; 8 bytes for an IKE rekey; 4 for AH/ESP. */
  spi: Uint8Array;
  transforms: Transform[];
}

export interface SaPayload {
  type: typeof PayloadType.SA;
  proposals: Proposal[];
}

/** The Key Length attribute of a transform, in bits, if present. */
export function transformKeyLength(t: Transform): number | undefined {
  for (const a of t.attributes) {
    if (a.format === 'tv' && a.type === TransformAttributeType.KEY_LENGTH) return a.value;
  }
  return undefined;
}

const where = { payloadType: PayloadType.SA };

function fail(
  code: 'bad-length' | 'invalid-value',
  message: string,
  field: string,
): IkeSyntaxError {
  return new IkeSyntaxError(code, message, { ...where, field });
}

function verifyProposal(p: Proposal): void {
  if (
    p.protocolId !== ProtocolId.IKE &&
    p.protocolId !== ProtocolId.AH &&
    p.protocolId !== ProtocolId.ESP
  ) {
    throw invalid(`proposal ${p.number}: protocol ID ${p.protocolId}`, {
      ...where,
      field: 'protocol ID',
    });
  }
  const okSpi =
    p.protocolId === ProtocolId.IKE ? p.spi.length === 0 || p.spi.length === 8 : p.spi.length === 4;
  if (!okSpi) {
    throw invalid(`proposal ${p.number}: SPI size ${p.spi.length} for protocol ${p.protocolId}`, {
      ...where,
      field: 'SPI size',
    });
  }
  if (p.transforms.length === 0 || p.transforms.length > 255) {
    throw invalid(`proposal ${p.number}: ${p.transforms.length} transforms`, {
      ...where,
      field: 'transforms',
    });
  }
  for (const t of p.transforms) verifyTransform(t);
}

function verifyTransform(t: Transform): void {
  if (t.transformType === 0)
    throw invalid('transform type 0', { ...where, field: 'transform type' });
  const seen = new Set<number>();
  for (const a of t.attributes) {
    if (seen.has(a.type))
      throw invalid(`attribute ${a.type} twice`, { ...where, field: 'attribute type' });
    seen.add(a.type);
    if (a.type === TransformAttributeType.KEY_LENGTH) {
      if (a.format !== 'tv')
        throw invalid('Key Length must be TV', { ...where, field: 'Key Length' });
      if (a.value === 0) throw invalid('Key Length 0', { ...where, field: 'Key Length' });
    }
  }
}

function decodeAttributes(bytes: Uint8Array): TransformAttribute[] {
  const r = new ByteReader(bytes, where);
  const out: TransformAttribute[] = [];
  while (r.remaining > 0) {
    const head = r.u16('attribute type');
    const type = head & 0x7fff;
    if (head & AF_TV) {
      out.push({ format: 'tv', type, value: r.u16('attribute value') });
    } else {
      const len = r.u16('attribute length');
      if (len > r.remaining)
        throw fail('bad-length', `attribute length ${len} past the transform`, 'attribute length');
      out.push({ format: 'tlv', type, value: r.bytes(len, 'attribute value') });
    }
  }
  return out;
}

function decodeTransforms(bytes: Uint8Array, count: number): Transform[] {
  const r = new ByteReader(bytes, where);
  const out: Transform[] = [];
  let last = -1;
  while (r.remaining > 0) {
    if (last === LAST_TRANSFORM)
      throw fail('bad-length', 'bytes after the last transform', 'transform length');
    last = r.u8('last substruc');
    if (last !== LAST_TRANSFORM && last !== MORE_TRANSFORMS) {
      throw fail('invalid-value', `transform Last Substruc ${last}`, 'last substruc');
    }
    r.skip(1);
    const len = r.u16('transform length');
    if (len < TRANSFORM_HEADER || len - 4 > r.remaining) {
      throw fail('bad-length', `transform length ${len}`, 'transform length');
    }
    const tr = new ByteReader(r.view(len - 4, 'transform'), where);
    const transformType = tr.u8('transform type');
    tr.skip(1);
    const transformId = tr.u16('transform ID');
    out.push({ transformType, transformId, attributes: decodeAttributes(tr.view(tr.remaining)) });
    if (out.length > count) break;
  }
  if (out.length !== count) {
    throw fail('bad-length', `Num Transforms ${count} but ${out.length} found`, 'num transforms');
  }
  if (out.length > 0 && last !== LAST_TRANSFORM) {
    throw fail('invalid-value', 'last transform not marked last', 'last substruc');
  }
  return out;
}

export function decodeSaPayload(body: Uint8Array): SaPayload {
  const r = new ByteReader(body, where);
  const proposals: Proposal[] = [];
  let last = -1;
  while (r.remaining > 0) {
    if (last === LAST_PROPOSAL)
      throw fail('bad-length', 'bytes after the last proposal', 'proposal length');
    last = r.u8('last substruc');
    if (last !== LAST_PROPOSAL && last !== MORE_PROPOSALS) {
      throw fail('invalid-value', `proposal Last Substruc ${last}`, 'last substruc');
    }
    r.skip(1);
    const len = r.u16('proposal length');
    if (len < PROPOSAL_HEADER || len - 4 > r.remaining) {
      throw fail('bad-length', `proposal length ${len}`, 'proposal length');
    }
    const pr = new ByteReader(r.view(len - 4, 'proposal'), where);
    const number = pr.u8('proposal number');
    const protocolId = pr.u8('protocol ID');
    const spiSize = pr.u8('SPI size');
    const count = pr.u8('num transforms');
    const spi = pr.bytes(spiSize, 'SPI');
    const proposal: Proposal = {
      number,
      protocolId,
      spi,
      transforms: decodeTransforms(pr.view(pr.remaining), count),
    };
    verifyProposal(proposal);
    proposals.push(proposal);
  }
  if (proposals.length === 0)
    throw fail('invalid-value', 'SA payload without proposals', 'proposals');
  if (last !== LAST_PROPOSAL)
    throw fail('invalid-value', 'last proposal not marked last', 'last substruc');
  return { type: PayloadType.SA, proposals };
}

export function encodeSaPayload(p: SaPayload): Uint8Array {
  if (p.proposals.length === 0)
    throw fail('invalid-value', 'SA payload without proposals', 'proposals');
  const w = new ByteWriter();
  p.proposals.forEach((proposal, i) => {
    verifyProposal(proposal);
    const start = w.length;
    w.u8(i === p.proposals.length - 1 ? LAST_PROPOSAL : MORE_PROPOSALS)
      .u8(0)
      .u16(0);
    w.u8(proposal.number, 'proposal number')
      .u8(proposal.protocolId, 'protocol ID')
      .u8(proposal.spi.length, 'SPI size')
      .u8(proposal.transforms.length, 'num transforms')
      .bytes(proposal.spi);
    proposal.transforms.forEach((t, j) => {
      const tStart = w.length;
      w.u8(j === proposal.transforms.length - 1 ? LAST_TRANSFORM : MORE_TRANSFORMS)
        .u8(0)
        .u16(0);
      w.u8(t.transformType, 'transform type').u8(0).u16(t.transformId, 'transform ID');
      for (const a of t.attributes) {
        if (a.format === 'tv') {
          w.u16(AF_TV | checkAttrType(a.type)).u16(a.value, 'attribute value');
        } else {
          w.u16(checkAttrType(a.type)).u16(a.value.length, 'attribute length').bytes(a.value);
        }
      }
      w.patchU16(tStart + 2, w.length - tStart, 'transform length');
    });
    w.patchU16(start + 2, w.length - start, 'proposal length');
  });
  return w.finish();
}

function checkAttrType(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > 0x7fff)
    throw invalid(`attribute type ${t}`, { ...where, field: 'attribute type' });
  return t;
}
