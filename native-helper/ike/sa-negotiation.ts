/**
 * Building our SA payload proposals and checking what the responder chose (RFC 7296 §3.3,
 * §3.3.6): exactly one proposal, numbered as one of ours, exactly one transform of each type we
 * offered, and every transform (with its key length) one we offered. Anything else is treated as
 * NO_PROPOSAL_CHOSEN; nothing the responder sends can move us to an algorithm we did not offer.
 */
import type { Proposal as SaProposal, Transform } from './message/sa-payload.js';
import { TransformType, transformKeyLength } from './message/sa-payload.js';
import { ProtocolId } from './message/payload-type.js';
import { formatProposal } from './crypto/proposal-syntax.js';

/** One proposal as the user configured it (see crypto/proposal-syntax.ts), lists in preference order. */
export interface ConfiguredProposal {
  encr: { id: number; keyBits?: number | undefined }[];
  prf: number[];
  integ: number[];
  ke: number[];
  esn: number[];
}

/** What the responder selected: one algorithm per type. */
export interface NegotiatedAlgorithms {
  encr: number;
  encrKeyBits: number | undefined;
  prf: number | undefined;
  integ: number | undefined;
  ke: number | undefined;
  esn: number | undefined;
}

function keyLengthAttr(bits: number | undefined): Transform['attributes'] {
  return bits === undefined ? [] : [{ format: 'tv', type: 14, value: bits }];
}

/**
 * Our SA payload proposals. For IKE (spi empty) every proposal carries KE; for ESP `spi` is our
 * inbound SPI and KE only appears when PFS is wanted (`withKe`).
 */
export function buildSaProposals(
  configured: readonly ConfiguredProposal[],
  protocolId: number,
  spi: Uint8Array,
  opts: { withKe: boolean },
): SaProposal[] {
  return configured.map((c, i) => {
    const transforms: Transform[] = [];
    for (const e of c.encr)
      transforms.push({
        transformType: TransformType.ENCR,
        transformId: e.id,
        attributes: keyLengthAttr(e.keyBits),
      });
    for (const p of c.prf)
      transforms.push({ transformType: TransformType.PRF, transformId: p, attributes: [] });
    for (const g of c.integ)
      transforms.push({ transformType: TransformType.INTEG, transformId: g, attributes: [] });
    if (opts.withKe)
      for (const k of c.ke)
        transforms.push({ transformType: TransformType.KE, transformId: k, attributes: [] });
    const esn = protocolId === ProtocolId.ESP ? (c.esn.length ? c.esn : [0]) : [];
    for (const n of esn)
      transforms.push({ transformType: TransformType.ESN, transformId: n, attributes: [] });
    return { number: i + 1, protocolId, spi, transforms };
  });
}

export type SelectionResult =
  | { ok: true; algorithms: NegotiatedAlgorithms; proposal: SaProposal }
  | { ok: false; reason: string };

/**
 * Checks the responder's SA payload against what we sent. `sent` are the proposals exactly as
 * encoded in our request.
 */
export function checkSelectedProposal(
  sent: readonly SaProposal[],
  received: readonly SaProposal[],
  expectSpiLength: number,
): SelectionResult {
  if (received.length !== 1)
    return { ok: false, reason: `the responder returned ${received.length} proposals, not 1` };
  const chosen = received[0]!;
  const ours = sent.find((p) => p.number === chosen.number);
  if (!ours)
    return {
      ok: false,
      reason: `the responder chose proposal #${chosen.number}, which we never sent`,
    };
  if (chosen.protocolId !== ours.protocolId)
    return {
      ok: false,
      reason: `protocol ID ${chosen.protocolId} in the answer, ${ours.protocolId} in our proposal`,
    };
  if (chosen.spi.length !== expectSpiLength)
    return { ok: false, reason: `SPI of ${chosen.spi.length} bytes, expected ${expectSpiLength}` };
  if (expectSpiLength > 0 && chosen.spi.every((b) => b === 0))
    return { ok: false, reason: 'the responder SPI is zero' };

  const pick: Partial<Record<number, Transform>> = {};
  for (const t of chosen.transforms) {
    if (pick[t.transformType])
      return { ok: false, reason: `two transforms of type ${t.transformType} in the answer` };
    const offered = ours.transforms.some(
      (o) =>
        o.transformType === t.transformType &&
        o.transformId === t.transformId &&
        transformKeyLength(o) === transformKeyLength(t),
    );
    if (!offered)
      return {
        ok: false,
        reason: `transform type ${t.transformType} id ${t.transformId}${transformKeyLength(t) ? `/${transformKeyLength(t)}` : ''} was not offered`,
      };
    pick[t.transformType] = t;
  }
  // every type we offered must be answered with exactly one transform
  const offeredTypes = new Set(ours.transforms.map((t) => t.transformType));
  for (const type of offeredTypes) {
    if (!pick[type]) return { ok: false, reason: `no transform of type ${type} in the answer` };
  }
  const encr = pick[TransformType.ENCR];
  if (!encr) return { ok: false, reason: 'no encryption transform in the answer' };
  return {
    ok: true,
    proposal: chosen,
    algorithms: {
      encr: encr.transformId,
      encrKeyBits: transformKeyLength(encr),
      prf: pick[TransformType.PRF]?.transformId,
      integ: pick[TransformType.INTEG]?.transformId,
      ke: pick[TransformType.KE]?.transformId,
      esn: pick[TransformType.ESN]?.transformId,
    },
  };
}

/** Groups appearing in any of our proposals (INVALID_KE_PAYLOAD may only move us among these). */
export function offeredGroups(configured: readonly ConfiguredProposal[]): number[] {
  const out: number[] = [];
  for (const c of configured) for (const k of c.ke) if (!out.includes(k)) out.push(k);
  return out;
}

/** The negotiated algorithms in strongSwan syntax, e.g. "aes256gcm16-prfsha256-ecp256". */
export function describeProposal(a: NegotiatedAlgorithms, protocol: 'ike' | 'esp'): string {
  return formatProposal({
    protocol,
    encr: [a.encrKeyBits === undefined ? { id: a.encr } : { id: a.encr, keyBits: a.encrKeyBits }],
    prf: a.prf === undefined ? [] : [a.prf],
    integ: a.integ === undefined || a.integ === 0 ? [] : [a.integ],
    ke: a.ke === undefined || a.ke === 0 ? [] : [a.ke],
    esn: a.esn === undefined ? [] : [a.esn],
  });
}

/**
 * A proposal as the gateway sent it, in strongSwan syntax, every transform listed (for
 * diagnostics: what it chose when that is not something we offered). Unknown algorithms keep
 * their numbers (`encr99`).
 */
export function describeSaProposal(p: SaProposal, protocol: 'ike' | 'esp'): string {
  const ids = (type: number): number[] =>
    p.transforms.filter((t) => t.transformType === type).map((t) => t.transformId);
  return formatProposal({
    protocol,
    encr: p.transforms
      .filter((t) => t.transformType === TransformType.ENCR)
      .map((t) => {
        const keyBits = transformKeyLength(t);
        return keyBits === undefined ? { id: t.transformId } : { id: t.transformId, keyBits };
      }),
    prf: ids(TransformType.PRF),
    integ: ids(TransformType.INTEG).filter((i) => i !== 0),
    ke: ids(TransformType.KE).filter((k) => k !== 0),
    esn: ids(TransformType.ESN),
  });
}
