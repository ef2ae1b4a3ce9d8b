import { describe, expect, it } from 'vitest';
import { parseProposals } from '../../native-helper/ike/crypto/proposal-syntax';
import { DEFAULT_ESP, DEFAULT_IKE } from '../../native-helper/tunnel/session-config';
import { matchingPreset, PROPOSAL_PRESETS } from '../../renderer/lib/proposal-presets';

describe('proposal presets', () => {
  it('are valid strongSwan proposals for the helper’s own parser', () => {
    for (const preset of PROPOSAL_PRESETS) {
      expect(() => parseProposals(preset.ike, 'ike'), preset.id).not.toThrow();
      expect(() => parseProposals(preset.esp, 'esp'), preset.id).not.toThrow();
    }
  });

  it('Modern is exactly what the helper uses for empty fields', () => {
    const modern = PROPOSAL_PRESETS.find((p) => p.id === 'modern')!;
    expect(modern.ike).toBe(DEFAULT_IKE);
    expect(modern.esp).toBe(DEFAULT_ESP);
  });

  it('CNSA offers only AES-256-GCM, ECP-384 and SHA-384; Compatible has no AEAD and no curves', () => {
    const cnsa = PROPOSAL_PRESETS.find((p) => p.id === 'cnsa')!;
    const [ike] = parseProposals(cnsa.ike, 'ike');
    expect(ike!.encr).toEqual([{ id: 20, keyBits: 256 }]); // ENCR_AES_GCM_16
    expect(ike!.prf).toEqual([6]); // PRF_HMAC_SHA2_384 (RFC 4868)
    expect(ike!.ke).toEqual([20]); // ECP-384
    const compatible = PROPOSAL_PRESETS.find((p) => p.id === 'compatible')!;
    for (const p of parseProposals(compatible.ike, 'ike')) {
      expect(p.encr.every((e) => e.id === 12)).toBe(true); // ENCR_AES_CBC
      expect(p.ke.every((g) => g === 14 || g === 15)).toBe(true); // MODP-2048/3072
    }
  });

  it('names the preset the fields hold, and none for hand-written ones', () => {
    const cnsa = PROPOSAL_PRESETS.find((p) => p.id === 'cnsa')!;
    expect(matchingPreset(` ${cnsa.ike} `, cnsa.esp)?.id).toBe('cnsa');
    expect(matchingPreset('aes128gcm16-prfsha256-x25519', cnsa.esp)).toBeUndefined();
  });
});
