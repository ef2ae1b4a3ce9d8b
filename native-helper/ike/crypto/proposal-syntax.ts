/**
 * strongSwan proposal strings (swanctl.conf `proposals` / `esp_proposals`): proposals separated by
 * commas, algorithms inside a proposal by dashes, several algorithms of one type allowed, e.g.
 * `aes128gcm16-aes256gcm16-prfsha256-prfsha384-x25519-ecp256,aes256-sha256-modp2048`.
 *
 * Rules (as strongSwan, stricter where it is unsafe):
 *  - IKE with a non-AEAD cipher: each integrity algorithm also gives the PRF of the same hash
 *    unless a `prf…` keyword is present (`aes256-sha256-modp2048` = AES-CBC-256/SHA2-256/PRF-SHA2-256);
 *  - AEAD and integrity algorithms never mix, nor AEAD and non-AEAD ciphers in one proposal;
 *  - IKE needs a key exchange method; ESP may name one (PFS) or `modpnone` (transform NONE = 0);
 *  - ESP without esn/noesn means noesn;
 *  - `sha1`/`prfsha1` are accepted only because the user wrote them (the defaults never use them);
 *    MODP groups below 2048 bits are rejected.
 */
import { EncrId, EsnId, IntegId, KeGroup, PrfId } from './transforms.js';

export type ProposalProtocol = 'ike' | 'esp';

export interface EncrChoice {
  readonly id: number;
  /** Key Length attribute (AES); absent for ChaCha20-Poly1305. */
  readonly keyBits?: number;
}

export interface Proposal {
  readonly protocol: ProposalProtocol;
  readonly encr: readonly EncrChoice[];
  readonly prf: readonly number[];
  readonly integ: readonly number[];
  /** Key exchange methods; for ESP may include 0 (NONE, keyword `modpnone`). */
  readonly ke: readonly number[];
  /** ESP only: 0 = no ESN, 1 = ESN. Empty for IKE. */
  readonly esn: readonly number[];
}

export type ProposalErrorCode =
  | 'empty'
  | 'unknown-algorithm'
  | 'unsupported-algorithm'
  | 'weak-algorithm'
  | 'wrong-protocol'
  | 'missing-algorithm'
  | 'invalid-combination';

export class ProposalSyntaxError extends Error {
  override readonly name = 'ProposalSyntaxError';
  constructor(
    readonly code: ProposalErrorCode,
    message: string,
    /** The offending proposal (one comma-separated element). */
    readonly proposal: string,
    /** The offending algorithm keyword, when there is one. */
    readonly token?: string,
  ) {
    super(message);
  }
}

type Keyword =
  | {
      readonly type: 'encr';
      readonly id: number;
      readonly keyBits?: number;
      readonly aead: boolean;
    }
  | { readonly type: 'integ'; readonly id: number }
  | { readonly type: 'prf'; readonly id: number }
  | { readonly type: 'ke'; readonly id: number }
  | { readonly type: 'esn'; readonly id: number };

/** Canonical keyword first; aliases map to the same transform. */
const KEYWORDS = new Map<string, Keyword>();
const CANONICAL: string[] = [];

function def(names: readonly string[], k: Keyword): void {
  CANONICAL.push(names[0]!);
  for (const n of names) KEYWORDS.set(n, k);
}

for (const bits of [128, 192, 256]) {
  def([`aes${bits}`, ...(bits === 128 ? ['aes'] : [])], {
    type: 'encr',
    id: EncrId.AES_CBC,
    keyBits: bits,
    aead: false,
  });
}
for (const bits of [128, 192, 256]) {
  def([`aes${bits}gcm16`, `aes${bits}gcm128`], {
    type: 'encr',
    id: EncrId.AES_GCM_16,
    keyBits: bits,
    aead: true,
  });
}
def(['chacha20poly1305'], { type: 'encr', id: EncrId.CHACHA20_POLY1305, aead: true });
def(['sha256', 'sha2_256'], { type: 'integ', id: IntegId.HMAC_SHA2_256_128 });
def(['sha384', 'sha2_384'], { type: 'integ', id: IntegId.HMAC_SHA2_384_192 });
def(['sha512', 'sha2_512'], { type: 'integ', id: IntegId.HMAC_SHA2_512_256 });
def(['sha1', 'sha'], { type: 'integ', id: IntegId.HMAC_SHA1_96 });
def(['prfsha256'], { type: 'prf', id: PrfId.HMAC_SHA2_256 });
def(['prfsha384'], { type: 'prf', id: PrfId.HMAC_SHA2_384 });
def(['prfsha512'], { type: 'prf', id: PrfId.HMAC_SHA2_512 });
def(['prfsha1'], { type: 'prf', id: PrfId.HMAC_SHA1 });
def(['x25519', 'curve25519'], { type: 'ke', id: KeGroup.CURVE25519 });
def(['x448', 'curve448'], { type: 'ke', id: KeGroup.CURVE448 });
def(['ecp256'], { type: 'ke', id: KeGroup.ECP_256 });
def(['ecp384'], { type: 'ke', id: KeGroup.ECP_384 });
def(['ecp521'], { type: 'ke', id: KeGroup.ECP_521 });
def(['modp2048'], { type: 'ke', id: KeGroup.MODP_2048 });
def(['modp3072'], { type: 'ke', id: KeGroup.MODP_3072 });
def(['modp4096'], { type: 'ke', id: KeGroup.MODP_4096 });
def(['modpnone'], { type: 'ke', id: KeGroup.NONE });
def(['noesn'], { type: 'esn', id: EsnId.NO_ESN });
def(['esn'], { type: 'esn', id: EsnId.ESN });

/** Keywords strongSwan knows that we refuse on purpose, with the reason. */
const WEAK: ReadonlyMap<string, string> = new Map([
  ['modp768', 'MODP groups below 2048 bits are too weak; use modp2048 or an elliptic curve group'],
  ['modp1024', 'MODP groups below 2048 bits are too weak; use modp2048 or an elliptic curve group'],
  ['modp1536', 'MODP groups below 2048 bits are too weak; use modp2048 or an elliptic curve group'],
  [
    'modp1024s160',
    'MODP groups below 2048 bits are too weak; use modp2048 or an elliptic curve group',
  ],
  ['md5', 'MD5 is broken; use sha256 or stronger'],
  ['prfmd5', 'MD5 is broken; use prfsha256 or stronger'],
  ['3des', '3DES is obsolete; use aes256gcm16, chacha20poly1305 or aes256'],
  ['des', 'DES is broken; use aes256gcm16, chacha20poly1305 or aes256'],
  ['null', 'the NULL cipher provides no confidentiality'],
]);

const UNSUPPORTED_PATTERN =
  /^(aes\d*(ctr|ccm\d*|gcm(8|12|64|96)|gmac)|camellia\d*.*|blowfish\d*|cast128|serpent\d*|twofish\d*|aesxcbc|aescmac|prfaesxcbc|prfaescmac|sha256_96|sha1_160|modp(2048s\d+|6144|8192)|ecp(192|224)|ecp\d+bp|mlkem\d+|ke\d_.*)$/;

function acceptedList(protocol: ProposalProtocol): string {
  return CANONICAL.filter((n) => {
    const k = KEYWORDS.get(n)!;
    if (protocol === 'ike') return k.type !== 'esn' && n !== 'modpnone';
    return k.type !== 'prf';
  }).join(', ');
}

/** Parses a comma-separated list of proposals. Throws ProposalSyntaxError. */
export function parseProposals(text: string, protocol: ProposalProtocol): Proposal[] {
  if (text.trim() === '') {
    throw new ProposalSyntaxError('empty', `empty ${protocol.toUpperCase()} proposal list`, text);
  }
  return text.split(',').map((p) => parseProposal(p, protocol));
}

/** Parses one dash-separated proposal. Throws ProposalSyntaxError. */
export function parseProposal(text: string, protocol: ProposalProtocol): Proposal {
  const proposal = text.trim();
  const P = protocol.toUpperCase();
  const err = (code: ProposalErrorCode, msg: string, token?: string): ProposalSyntaxError =>
    new ProposalSyntaxError(code, msg, proposal, token);
  if (proposal === '') throw err('empty', `empty ${P} proposal in '${text}'`);

  const encr: EncrChoice[] = [];
  const encrAead: boolean[] = [];
  const integ: number[] = [];
  const prf: number[] = [];
  const ke: number[] = [];
  const esn: number[] = [];
  const add = (list: number[], id: number): void => {
    if (!list.includes(id)) list.push(id);
  };

  for (const raw of proposal.split('-')) {
    const token = raw.trim().toLowerCase();
    if (token === '') throw err('empty', `empty algorithm in ${P} proposal '${proposal}'`, raw);
    const k = KEYWORDS.get(token);
    if (!k) {
      const weak = WEAK.get(token);
      if (weak)
        throw err(
          'weak-algorithm',
          `algorithm '${token}' in proposal '${proposal}' is rejected: ${weak}`,
          token,
        );
      if (UNSUPPORTED_PATTERN.test(token)) {
        throw err(
          'unsupported-algorithm',
          `algorithm '${token}' in proposal '${proposal}' is not supported by Tsunagi: expected one of ${acceptedList(protocol)}`,
          token,
        );
      }
      throw err(
        'unknown-algorithm',
        `unknown algorithm '${token}' in proposal '${proposal}': expected one of ${acceptedList(protocol)}`,
        token,
      );
    }
    switch (k.type) {
      case 'encr':
        if (!encr.some((e) => e.id === k.id && e.keyBits === k.keyBits)) {
          encr.push(k.keyBits === undefined ? { id: k.id } : { id: k.id, keyBits: k.keyBits });
          encrAead.push(k.aead);
        }
        break;
      case 'integ':
        add(integ, k.id);
        break;
      case 'prf':
        if (protocol === 'esp') {
          throw err(
            'wrong-protocol',
            `PRF '${token}' in ESP proposal '${proposal}': ESP has no PRF`,
            token,
          );
        }
        add(prf, k.id);
        break;
      case 'ke':
        if (protocol === 'ike' && k.id === KeGroup.NONE) {
          throw err(
            'wrong-protocol',
            `'${token}' in IKE proposal '${proposal}': IKE needs a key exchange`,
            token,
          );
        }
        add(ke, k.id);
        break;
      case 'esn':
        if (protocol === 'ike') {
          throw err(
            'wrong-protocol',
            `'${token}' in IKE proposal '${proposal}': ESN applies to ESP only`,
            token,
          );
        }
        add(esn, k.id);
        break;
    }
  }

  if (encr.length === 0) {
    throw err(
      'missing-algorithm',
      `${P} proposal '${proposal}' has no encryption algorithm (e.g. aes256gcm16)`,
    );
  }
  const aead = encrAead.includes(true);
  if (aead && encrAead.includes(false)) {
    throw err(
      'invalid-combination',
      `${P} proposal '${proposal}' mixes AEAD and non-AEAD ciphers: put them in separate comma-separated proposals`,
    );
  }
  if (aead && integ.length > 0) {
    const hint = protocol === 'ike' ? ' (for the IKE PRF write prfsha256 etc.)' : '';
    throw err(
      'invalid-combination',
      `${P} proposal '${proposal}' combines an AEAD cipher with integrity algorithm '${integName(integ[0]!)}'${hint}`,
      integName(integ[0]!),
    );
  }
  if (!aead && integ.length === 0) {
    throw err(
      'missing-algorithm',
      `${P} proposal '${proposal}' needs an integrity algorithm (e.g. sha256)`,
    );
  }
  if (protocol === 'ike') {
    if (prf.length === 0) {
      if (aead)
        throw err(
          'missing-algorithm',
          `IKE proposal '${proposal}' with an AEAD cipher needs a PRF (e.g. prfsha256)`,
        );
      for (const i of integ) add(prf, PRF_FOR_INTEG.get(i)!);
    }
    if (ke.length === 0) {
      throw err(
        'missing-algorithm',
        `IKE proposal '${proposal}' needs a key exchange method (e.g. x25519, ecp256)`,
      );
    }
  } else if (esn.length === 0) {
    esn.push(EsnId.NO_ESN);
  }
  return { protocol, encr, prf, integ, ke, esn };
}

const PRF_FOR_INTEG: ReadonlyMap<number, number> = new Map([
  [IntegId.HMAC_SHA1_96, PrfId.HMAC_SHA1],
  [IntegId.HMAC_SHA2_256_128, PrfId.HMAC_SHA2_256],
  [IntegId.HMAC_SHA2_384_192, PrfId.HMAC_SHA2_384],
  [IntegId.HMAC_SHA2_512_256, PrfId.HMAC_SHA2_512],
]);

function nameOf(type: Keyword['type'], id: number, keyBits?: number): string {
  for (const n of CANONICAL) {
    const k = KEYWORDS.get(n)!;
    if (k.type === type && k.id === id && (k.type !== 'encr' || k.keyBits === keyBits)) return n;
  }
  return `${type}${id}${keyBits === undefined ? '' : `_${keyBits}`}`;
}

function integName(id: number): string {
  return nameOf('integ', id);
}

/** strongSwan keyword for one encryption transform, e.g. `aes256gcm16`, `chacha20poly1305`. */
export function encrKeyword(id: number, keyBits?: number): string {
  return nameOf('encr', id, id === EncrId.CHACHA20_POLY1305 ? undefined : keyBits);
}
export function integKeyword(id: number): string {
  return nameOf('integ', id);
}
export function prfKeyword(id: number): string {
  return nameOf('prf', id);
}
export function keKeyword(id: number): string {
  return nameOf('ke', id);
}

/**
 * Formats a proposal (for instance the negotiated one) back into strongSwan keywords; parsing the
 * result gives the same Proposal. The PRF is omitted when it is implied by the integrity algorithms.
 */
export function formatProposal(p: Proposal): string {
  const parts: string[] = p.encr.map((e) => encrKeyword(e.id, e.keyBits));
  parts.push(...p.integ.map(integKeyword));
  const implied = p.integ.map((i) => PRF_FOR_INTEG.get(i));
  const prfImplied =
    p.protocol === 'ike' &&
    p.integ.length > 0 &&
    [...new Set(implied)].length === p.prf.length &&
    [...new Set(implied)].every((x, i) => x === p.prf[i]);
  if (!prfImplied) parts.push(...p.prf.map(prfKeyword));
  parts.push(...p.ke.map(keKeyword));
  if (p.protocol === 'esp' && !(p.esn.length === 1 && p.esn[0] === EsnId.NO_ESN)) {
    parts.push(...p.esn.map((e) => nameOf('esn', e)));
  }
  return parts.join('-');
}

export function formatProposals(ps: readonly Proposal[]): string {
  return ps.map(formatProposal).join(',');
}

/** Modern defaults: AEAD first, then AES-CBC-256 with SHA-2; X25519, P-256, P-384, MODP-2048 last. */
export const DEFAULT_IKE_PROPOSALS: readonly Proposal[] = Object.freeze(
  parseProposals(
    'aes256gcm16-aes128gcm16-chacha20poly1305-prfsha256-prfsha384-prfsha512-x25519-ecp256-ecp384-modp2048,' +
      'aes256-sha256-sha384-sha512-x25519-ecp256-ecp384-modp2048',
    'ike',
  ),
);

export const DEFAULT_ESP_PROPOSALS: readonly Proposal[] = Object.freeze(
  parseProposals('aes256gcm16-aes128gcm16-chacha20poly1305,aes256-sha256-sha384-sha512', 'esp'),
);
