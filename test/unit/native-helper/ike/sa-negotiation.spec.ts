/**
 * checkSelectedProposal (RFC 7296 §3.3, §3.3.6): the responder's answer must be exactly one
 * proposal, numbered as one of ours, of our protocol, with an SPI of the right size (non-zero for
 * ESP), one transform of each type we offered and nothing we did not offer.
 */
import { describe, expect, it } from 'vitest';
import type { Proposal, Transform } from '../../../../native-helper/ike/message/sa-payload.js';
import { TransformType } from '../../../../native-helper/ike/message/sa-payload.js';
import { ProtocolId } from '../../../../native-helper/ike/message/payload-type.js';
import {
  buildSaProposals,
  checkSelectedProposal,
  describeSaProposal,
  offeredGroups,
} from '../../../../native-helper/ike/sa-negotiation.js';
import { configured } from '../../../exchange/harness.js';

const IKE = buildSaProposals(
  configured('aes256gcm16-prfsha256-x25519-ecp256,aes256-sha256-modp2048', 'ike'),
  ProtocolId.IKE,
  new Uint8Array(0),
  { withKe: true },
);
const SPI = Uint8Array.of(0xc0, 0xff, 0xee, 0x01);
const ESP = buildSaProposals(configured('aes256gcm16,aes128-sha256', 'esp'), ProtocolId.ESP, SPI, {
  withKe: false,
});

/** What a responder selects: the first transform of each type of proposal `n` (1-based). */
function chosen(from: readonly Proposal[], n: number, spi = from[n - 1]!.spi): Proposal {
  const p = from[n - 1]!;
  const transforms: Transform[] = [];
  for (const t of p.transforms)
    if (!transforms.some((x) => x.transformType === t.transformType)) transforms.push(t);
  return { ...p, spi, transforms };
}

const RESPONDER_SPI = Uint8Array.of(1, 2, 3, 4);

describe('checkSelectedProposal', () => {
  it('accepts one transform per offered type from a proposal we sent', () => {
    const r = checkSelectedProposal(IKE, [chosen(IKE, 1)], 0);
    expect(r).toMatchObject({
      ok: true,
      algorithms: { encr: 20, encrKeyBits: 256, prf: 5, integ: undefined, ke: 31 },
    });
    const second = checkSelectedProposal(IKE, [chosen(IKE, 2)], 0);
    expect(second).toMatchObject({ ok: true, algorithms: { encr: 12, integ: 12, ke: 14 } });
    expect(checkSelectedProposal(ESP, [chosen(ESP, 1, RESPONDER_SPI)], 4)).toMatchObject({
      ok: true,
      algorithms: { encr: 20, esn: 0 },
    });
  });

  it('a second group of the same proposal (the one the KE payload names) is fine', () => {
    const p = chosen(IKE, 1);
    const ecp = {
      ...p,
      transforms: p.transforms.map((t) =>
        t.transformType === TransformType.KE ? { ...t, transformId: 19 } : t,
      ),
    };
    expect(checkSelectedProposal(IKE, [ecp], 0)).toMatchObject({
      ok: true,
      algorithms: { ke: 19 },
    });
  });

  it('no proposal, or two', () => {
    expect(checkSelectedProposal(IKE, [], 0)).toEqual({
      ok: false,
      reason: 'the responder returned 0 proposals, not 1',
    });
    expect(checkSelectedProposal(IKE, [chosen(IKE, 1), chosen(IKE, 2)], 0)).toEqual({
      ok: false,
      reason: 'the responder returned 2 proposals, not 1',
    });
  });

  it('a proposal number we never sent', () => {
    expect(checkSelectedProposal(IKE, [{ ...chosen(IKE, 1), number: 3 }], 0)).toEqual({
      ok: false,
      reason: 'the responder chose proposal #3, which we never sent',
    });
  });

  it('proposal #2 with the transforms of #1 (numbers are checked against their own content)', () => {
    const r = checkSelectedProposal(IKE, [{ ...chosen(IKE, 1), number: 2 }], 0);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('was not offered') });
  });

  it('a missing KE transform', () => {
    const p = chosen(IKE, 1);
    const noKe = {
      ...p,
      transforms: p.transforms.filter((t) => t.transformType !== TransformType.KE),
    };
    expect(checkSelectedProposal(IKE, [noKe], 0)).toEqual({
      ok: false,
      reason: `no transform of type ${TransformType.KE} in the answer`,
    });
  });

  it('a missing ESN transform in an ESP answer', () => {
    const p = chosen(ESP, 1, RESPONDER_SPI);
    const noEsn = {
      ...p,
      transforms: p.transforms.filter((t) => t.transformType !== TransformType.ESN),
    };
    expect(checkSelectedProposal(ESP, [noEsn], 4)).toMatchObject({
      ok: false,
      reason: `no transform of type ${TransformType.ESN} in the answer`,
    });
  });

  it('two transforms of one type (both offered)', () => {
    const p = chosen(IKE, 1);
    const ecp: Transform = { transformType: TransformType.KE, transformId: 19, attributes: [] };
    expect(checkSelectedProposal(IKE, [{ ...p, transforms: [...p.transforms, ecp] }], 0)).toEqual({
      ok: false,
      reason: `two transforms of type ${TransformType.KE} in the answer`,
    });
  });

  it('a transform or key length we did not offer', () => {
    const p = chosen(IKE, 1);
    const aes128 = {
      ...p,
      transforms: p.transforms.map((t) =>
        t.transformType === TransformType.ENCR
          ? { ...t, attributes: [{ format: 'tv' as const, type: 14, value: 128 }] }
          : t,
      ),
    };
    expect(checkSelectedProposal(IKE, [aes128], 0)).toEqual({
      ok: false,
      reason: 'transform type 1 id 20/128 was not offered',
    });
    const modp1024 = {
      ...p,
      transforms: p.transforms.map((t) =>
        t.transformType === TransformType.KE ? { ...t, transformId: 2 } : t,
      ),
    };
    expect(checkSelectedProposal(IKE, [modp1024], 0)).toEqual({
      ok: false,
      reason: 'transform type 4 id 2 was not offered',
    });
  });

  it('a zero or wrong-size Child SA SPI', () => {
    expect(checkSelectedProposal(ESP, [chosen(ESP, 1, new Uint8Array(4))], 4)).toEqual({
      ok: false,
      reason: 'the responder SPI is zero',
    });
    expect(checkSelectedProposal(ESP, [chosen(ESP, 1, Uint8Array.of(1, 2, 3))], 4)).toEqual({
      ok: false,
      reason: 'SPI of 3 bytes, expected 4',
    });
    expect(checkSelectedProposal(ESP, [chosen(ESP, 1, new Uint8Array(0))], 4)).toEqual({
      ok: false,
      reason: 'SPI of 0 bytes, expected 4',
    });
    // IKE_SA_INIT: no SPI in the proposal at all (RFC 7296 §3.3.1)
    expect(checkSelectedProposal(IKE, [chosen(IKE, 1, new Uint8Array(8))], 0)).toEqual({
      ok: false,
      reason: 'SPI of 8 bytes, expected 0',
    });
  });

  it('a protocol ID other than ours', () => {
    expect(
      checkSelectedProposal(
        ESP,
        [{ ...chosen(ESP, 1, RESPONDER_SPI), protocolId: ProtocolId.AH }],
        4,
      ),
    ).toEqual({
      ok: false,
      reason: `protocol ID ${ProtocolId.AH} in the answer, 3 in our proposal`,
    });
    expect(
      checkSelectedProposal(IKE, [{ ...chosen(IKE, 1), protocolId: ProtocolId.ESP }], 0),
    ).toEqual({ ok: false, reason: 'protocol ID 3 in the answer, 1 in our proposal' });
  });
});

describe('describeSaProposal', () => {
  it('writes a received proposal in strongSwan syntax, unknown (or refused) IDs as numbers', () => {
    expect(describeSaProposal(chosen(IKE, 1), 'ike')).toBe('aes256gcm16-prfsha256-x25519');
    expect(describeSaProposal(chosen(IKE, 2), 'ike')).toBe('aes256-sha256-modp2048');
    expect(describeSaProposal(IKE[0]!, 'ike')).toBe('aes256gcm16-prfsha256-x25519-ecp256');
    expect(describeSaProposal(chosen(ESP, 2, RESPONDER_SPI), 'esp')).toBe('aes128-sha256');
    const odd: Proposal = {
      number: 1,
      protocolId: ProtocolId.IKE,
      spi: new Uint8Array(0),
      transforms: [
        { transformType: TransformType.ENCR, transformId: 99, attributes: [] },
        { transformType: TransformType.PRF, transformId: 5, attributes: [] },
        { transformType: TransformType.KE, transformId: 2, attributes: [] },
      ],
    };
    expect(describeSaProposal(odd, 'ike')).toBe('encr99-prfsha256-ke2');
  });
});

describe('offeredGroups', () => {
  it('every group of every proposal, once, in order', () => {
    expect(
      offeredGroups(
        configured('aes256gcm16-prfsha256-x25519-ecp256,aes256-sha256-ecp256-modp2048', 'ike'),
      ),
    ).toEqual([31, 19, 14]);
  });
});
