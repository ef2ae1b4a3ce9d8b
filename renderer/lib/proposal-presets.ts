// Proposal presets for the profile editor: strongSwan proposal strings (swanctl.conf syntax) for
// the IKE and ESP fields. Test-checked against the helper's parser (proposal-syntax.ts) and, for
// Modern, against the helper's own defaults, so a preset can never be refused on save.

export interface ProposalPreset {
  readonly id: 'modern' | 'compatible' | 'cnsa';
  readonly label: string;
  /** One sentence on when to pick it. */
  readonly note: string;
  readonly ike: string;
  readonly esp: string;
}

export const PROPOSAL_PRESETS: readonly ProposalPreset[] = [
  {
    id: 'modern',
    label: 'Modern (default)',
    note: 'AES-GCM and ChaCha20-Poly1305 over x25519, with AES-CBC/SHA-256 and MODP-2048 as fall-backs.',
    // native-helper/tunnel/session-config.ts DEFAULT_IKE / DEFAULT_ESP
    ike: 'aes256gcm16-prfsha256-x25519-ecp256-modp2048,aes256-sha256-x25519-ecp256-modp2048',
    esp: 'aes256gcm16,chacha20poly1305,aes256-sha256',
  },
  {
    id: 'compatible',
    label: 'Compatible (AES-CBC/SHA-2, MODP-2048)',
    note: 'For older gateways and appliances without AEAD ciphers or elliptic curves.',
    ike: 'aes256-sha256-modp2048,aes128-sha256-modp2048,aes256-sha384-modp3072',
    esp: 'aes256-sha256,aes128-sha256,aes256-sha384',
  },
  {
    id: 'cnsa',
    label: 'CNSA / high security (AES-256-GCM, ecp384, sha384)',
    note: 'NSA’s CNSA suite: only AES-256-GCM, ECP-384 and SHA-384; the gateway must offer them.',
    ike: 'aes256gcm16-prfsha384-ecp384',
    esp: 'aes256gcm16',
  },
];

/** The preset the two fields hold exactly, or undefined ("Custom"). */
export function matchingPreset(ike: string, esp: string): ProposalPreset | undefined {
  return PROPOSAL_PRESETS.find((p) => p.ike === ike.trim() && p.esp === esp.trim());
}
