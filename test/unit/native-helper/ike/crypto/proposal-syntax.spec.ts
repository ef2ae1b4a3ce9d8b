import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ESP_PROPOSALS,
  DEFAULT_IKE_PROPOSALS,
  ProposalSyntaxError,
  formatProposal,
  formatProposals,
  parseProposal,
  parseProposals,
} from '../../../../../native-helper/ike/crypto/proposal-syntax.js';
import type {
  Proposal,
  ProposalProtocol,
} from '../../../../../native-helper/ike/crypto/proposal-syntax.js';

type Row = [ProposalProtocol, string, Omit<Proposal, 'protocol'>];

const ACCEPTED: Row[] = [
  [
    'ike',
    'aes256gcm16-prfsha256-x25519',
    { encr: [{ id: 20, keyBits: 256 }], prf: [5], integ: [], ke: [31], esn: [] },
  ],
  [
    'ike',
    'aes256-sha256-modp2048',
    { encr: [{ id: 12, keyBits: 256 }], prf: [5], integ: [12], ke: [14], esn: [] },
  ],
  [
    'ike',
    'chacha20poly1305-prfsha384-ecp384',
    { encr: [{ id: 28 }], prf: [6], integ: [], ke: [20], esn: [] },
  ],
  [
    'ike',
    'aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256',
    {
      encr: [
        { id: 20, keyBits: 128 },
        { id: 20, keyBits: 256 },
      ],
      prf: [5, 6],
      integ: [],
      ke: [31, 19],
      esn: [],
    },
  ],
  [
    'ike',
    'aes256-sha384-sha256-ecp521',
    { encr: [{ id: 12, keyBits: 256 }], prf: [6, 5], integ: [13, 12], ke: [21], esn: [] },
  ],
  [
    'ike',
    'aes128-sha512-prfsha256-x448',
    { encr: [{ id: 12, keyBits: 128 }], prf: [5], integ: [14], ke: [32], esn: [] },
  ],
  [
    'ike',
    'aes192-sha256-modp3072-modp4096',
    { encr: [{ id: 12, keyBits: 192 }], prf: [5], integ: [12], ke: [15, 16], esn: [] },
  ],
  [
    'ike',
    'aes256-sha1-modp2048',
    { encr: [{ id: 12, keyBits: 256 }], prf: [2], integ: [2], ke: [14], esn: [] },
  ],
  [
    'ike',
    'AES256GCM128-PRFSHA512-Curve25519',
    { encr: [{ id: 20, keyBits: 256 }], prf: [7], integ: [], ke: [31], esn: [] },
  ],
  [
    'esp',
    'aes256gcm16',
    { encr: [{ id: 20, keyBits: 256 }], prf: [], integ: [], ke: [], esn: [0] },
  ],
  ['esp', 'chacha20poly1305', { encr: [{ id: 28 }], prf: [], integ: [], ke: [], esn: [0] }],
  [
    'esp',
    'aes128-sha256',
    { encr: [{ id: 12, keyBits: 128 }], prf: [], integ: [12], ke: [], esn: [0] },
  ],
  [
    'esp',
    'aes256gcm16-x25519',
    { encr: [{ id: 20, keyBits: 256 }], prf: [], integ: [], ke: [31], esn: [0] },
  ],
  [
    'esp',
    'aes256gcm16-modpnone',
    { encr: [{ id: 20, keyBits: 256 }], prf: [], integ: [], ke: [0], esn: [0] },
  ],
  [
    'esp',
    'aes256gcm16-ecp256-modpnone',
    { encr: [{ id: 20, keyBits: 256 }], prf: [], integ: [], ke: [19, 0], esn: [0] },
  ],
  [
    'esp',
    'aes256-sha512-esn',
    { encr: [{ id: 12, keyBits: 256 }], prf: [], integ: [14], ke: [], esn: [1] },
  ],
  [
    'esp',
    'aes256-sha512-esn-noesn',
    { encr: [{ id: 12, keyBits: 256 }], prf: [], integ: [14], ke: [], esn: [1, 0] },
  ],
  [
    'esp',
    'aes-sha2_256',
    { encr: [{ id: 12, keyBits: 128 }], prf: [], integ: [12], ke: [], esn: [0] },
  ],
];

describe('parseProposal: accepted strings', () => {
  for (const [protocol, text, expected] of ACCEPTED) {
    it(`${protocol} ${text}`, () => {
      const p = parseProposal(text, protocol);
      expect(p).toEqual({ protocol, ...expected });
      // formatting round-trips to an equivalent proposal
      expect(parseProposal(formatProposal(p), protocol)).toEqual(p);
    });
  }

  it('formats in canonical strongSwan keywords', () => {
    expect(formatProposal(parseProposal('aes256-sha256-modp2048', 'ike'))).toBe(
      'aes256-sha256-modp2048',
    );
    expect(formatProposal(parseProposal('aes256-sha256-prfsha384-modp2048', 'ike'))).toBe(
      'aes256-sha256-prfsha384-modp2048',
    );
    expect(formatProposal(parseProposal('AES256GCM128-PRFSHA512-Curve25519', 'ike'))).toBe(
      'aes256gcm16-prfsha512-x25519',
    );
    expect(formatProposal(parseProposal('aes-sha2_256', 'esp'))).toBe('aes128-sha256');
    expect(formatProposal(parseProposal('aes256gcm16-modpnone', 'esp'))).toBe(
      'aes256gcm16-modpnone',
    );
    expect(formatProposal(parseProposal('aes256-sha512-esn', 'esp'))).toBe('aes256-sha512-esn');
    expect(formatProposal(parseProposal('chacha20poly1305-prfsha384-ecp384', 'ike'))).toBe(
      'chacha20poly1305-prfsha384-ecp384',
    );
  });

  it('formats a negotiated single-transform proposal for display', () => {
    expect(
      formatProposal({
        protocol: 'ike',
        encr: [{ id: 20, keyBits: 256 }],
        prf: [5],
        integ: [],
        ke: [19],
        esn: [],
      }),
    ).toBe('aes256gcm16-prfsha256-ecp256');
    expect(
      formatProposal({
        protocol: 'esp',
        encr: [{ id: 20, keyBits: 128 }],
        prf: [],
        integ: [],
        ke: [],
        esn: [],
      }),
    ).toBe('aes128gcm16');
  });

  it('parses comma-separated lists and formats them back', () => {
    const list = parseProposals('aes256gcm16-prfsha256-x25519, aes256-sha256-modp2048', 'ike');
    expect(list).toHaveLength(2);
    expect(formatProposals(list)).toBe('aes256gcm16-prfsha256-x25519,aes256-sha256-modp2048');
  });

  it('round-trips random well-formed proposals', () => {
    const aeadEncr = ['aes128gcm16', 'aes192gcm16', 'aes256gcm16', 'chacha20poly1305'];
    const cbcEncr = ['aes128', 'aes192', 'aes256'];
    const integ = ['sha1', 'sha256', 'sha384', 'sha512'];
    const prf = ['prfsha1', 'prfsha256', 'prfsha384', 'prfsha512'];
    const ke = ['modp2048', 'modp3072', 'modp4096', 'ecp256', 'ecp384', 'ecp521', 'x25519', 'x448'];
    const sub = (xs: string[]) => fc.subarray(xs, { minLength: 1 });
    const ikeArb = fc.oneof(
      fc.tuple(sub(aeadEncr), sub(prf), sub(ke)).map((t) => t.flat().join('-')),
      fc.tuple(sub(cbcEncr), sub(integ), fc.subarray(prf), sub(ke)).map((t) => t.flat().join('-')),
    );
    fc.assert(
      fc.property(ikeArb, (text) => {
        const p = parseProposal(text, 'ike');
        expect(parseProposal(formatProposal(p), 'ike')).toEqual(p);
      }),
      { numRuns: 300 },
    );
    const espArb = fc.oneof(
      fc
        .tuple(sub(aeadEncr), fc.subarray([...ke, 'modpnone']), fc.subarray(['esn', 'noesn']))
        .map((t) => t.flat().join('-')),
      fc
        .tuple(sub(cbcEncr), sub(integ), fc.subarray(ke), fc.subarray(['esn', 'noesn']))
        .map((t) => t.flat().join('-')),
    );
    fc.assert(
      fc.property(espArb, (text) => {
        const p = parseProposal(text, 'esp');
        expect(parseProposal(formatProposal(p), 'esp')).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });
});

const REJECTED: [ProposalProtocol, string, string, RegExp][] = [
  [
    'ike',
    'aes257-sha256-modp2048',
    'unknown-algorithm',
    /^unknown algorithm 'aes257' in proposal 'aes257-sha256-modp2048': expected one of aes128, aes192, aes256, .*x25519/,
  ],
  ['ike', 'aes256-sha256-modp1024', 'weak-algorithm', /'modp1024' .*too weak/],
  ['ike', 'aes256-sha256-modp1536', 'weak-algorithm', /'modp1536' .*too weak/],
  ['esp', 'aes256-md5', 'weak-algorithm', /'md5'.*broken/],
  ['ike', '3des-sha256-modp2048', 'weak-algorithm', /'3des'/],
  ['esp', 'aes128ccm16', 'unsupported-algorithm', /'aes128ccm16' .*not supported/],
  ['esp', 'aes128gcm8', 'unsupported-algorithm', /'aes128gcm8'/],
  [
    'ike',
    'aes256gcm16-sha256-x25519',
    'invalid-combination',
    /AEAD cipher with integrity algorithm 'sha256'.*prfsha256/,
  ],
  [
    'esp',
    'aes256gcm16-sha256',
    'invalid-combination',
    /AEAD cipher with integrity algorithm 'sha256'/,
  ],
  [
    'ike',
    'aes256gcm16-aes256-sha256-prfsha256-x25519',
    'invalid-combination',
    /mixes AEAD and non-AEAD/,
  ],
  ['ike', 'aes256gcm16-prfsha256', 'missing-algorithm', /needs a key exchange method/],
  ['ike', 'aes256-sha256', 'missing-algorithm', /needs a key exchange method/],
  ['ike', 'aes256gcm16-x25519', 'missing-algorithm', /needs a PRF/],
  ['ike', 'aes256-modp2048', 'missing-algorithm', /needs an integrity algorithm/],
  ['esp', 'aes256', 'missing-algorithm', /needs an integrity algorithm/],
  ['ike', 'sha256-prfsha256-modp2048', 'missing-algorithm', /no encryption algorithm/],
  ['esp', 'aes256gcm16-prfsha256', 'wrong-protocol', /'prfsha256' in ESP proposal.*no PRF/],
  ['ike', 'aes256gcm16-prfsha256-x25519-esn', 'wrong-protocol', /'esn' in IKE proposal/],
  ['ike', 'aes256gcm16-prfsha256-modpnone', 'wrong-protocol', /'modpnone' in IKE proposal/],
  ['ike', 'aes256--sha256-modp2048', 'empty', /empty algorithm/],
  ['ike', 'aes256-sha256-modp2048,', 'empty', /empty IKE proposal/],
  ['esp', '', 'empty', /empty ESP proposal list/],
  ['esp', 'aes256gcm16 x25519', 'unknown-algorithm', /unknown algorithm 'aes256gcm16 x25519'/],
];

describe('parseProposals: rejected strings', () => {
  for (const [protocol, text, code, message] of REJECTED) {
    it(`${protocol} '${text}' → ${code}`, () => {
      let caught: unknown;
      try {
        parseProposals(text, protocol);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ProposalSyntaxError);
      const e = caught as ProposalSyntaxError;
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }
  it('the error names the offending token and proposal', () => {
    try {
      parseProposals('aes256gcm16-prfsha256-x25519,aes256-sha256-modp1024', 'ike');
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ token: 'modp1024', proposal: 'aes256-sha256-modp1024' });
    }
  });
  it('ESP lists do not advertise PRFs; IKE lists do not advertise esn/modpnone', () => {
    const esp = (() => {
      try {
        parseProposal('bogus', 'esp');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(esp).not.toMatch(/prfsha/);
    expect(esp).toMatch(/modpnone/);
    const ike = (() => {
      try {
        parseProposal('bogus', 'ike');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(ike).toMatch(/prfsha256/);
    expect(ike).not.toMatch(/modpnone|\besn\b/);
  });
  it('random strings never throw anything but ProposalSyntaxError', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.constantFrom<ProposalProtocol>('ike', 'esp'),
        (s, proto) => {
          try {
            parseProposals(s, proto);
          } catch (e) {
            expect(e).toBeInstanceOf(ProposalSyntaxError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('defaults', () => {
  it('IKE: AEAD first, AES-CBC-256 + SHA-2 next, x25519/ecp256/ecp384 with modp2048 last', () => {
    expect(formatProposals(DEFAULT_IKE_PROPOSALS)).toBe(
      'aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048,' +
        'aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048',
    );
    for (const p of DEFAULT_IKE_PROPOSALS) expect(p.ke.at(-1)).toBe(14);
  });
  it('ESP: AEAD, then AES-CBC-256 + SHA-2, no ESN', () => {
    expect(formatProposals(DEFAULT_ESP_PROPOSALS)).toBe(
      'aes256gcm16-aes128gcm16-chacha20poly1305,aes256-sha256-sha384-sha512',
    );
  });
  it('never include SHA-1 or MODP below 2048', () => {
    for (const p of [...DEFAULT_IKE_PROPOSALS, ...DEFAULT_ESP_PROPOSALS]) {
      expect(p.integ).not.toContain(2);
      expect(p.prf).not.toContain(2);
      expect(p.ke.every((k) => k === 0 || k >= 14)).toBe(true);
    }
  });
});
