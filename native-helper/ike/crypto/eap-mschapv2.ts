/**
 * EAP-MSCHAPv2 (EAP type 26) for the IKEv2 initiator: the MS-CHAPv2 computations (RFC 2759 §8),
 * the MPPE/MSK keys (RFC 3079 §3; MSK layout as strongSwan's eap_mschapv2.c builds it), the EAP
 * packet codec (RFC 3748 §4, draft-kamath-pppext-eap-mschapv2 §2) and a small client state
 * machine. Pure: randomness comes through `Random`.
 *
 * Security rules this file enforces (research/protocol.md §1.4, §3.1, §3.4):
 * - the server's Authenticator Response ("S=…") is verified, in constant time, before we send a
 *   Success Response; a Success request without a valid one fails (CVE-2015-8023);
 * - an EAP-Success is accepted only after that verification (CVE-2021-45079);
 * - every length is checked before it is used, Failure messages are parsed as bounded text and
 *   never throw (CVE-2025-62291);
 * - the MSK is exposed only after a verified success.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import type { Random } from './random.js';
import { md4 } from './md4.js';
import { desEncryptBlock, expandDesKey } from './des.js';

// ── EAP and MS-CHAPv2 constants ────────────────────────────────────────────────────────────────
export const EAP_CODE_REQUEST = 1;
export const EAP_CODE_RESPONSE = 2;
export const EAP_CODE_SUCCESS = 3;
export const EAP_CODE_FAILURE = 4;
export const EAP_TYPE_IDENTITY = 1;
export const EAP_TYPE_NOTIFICATION = 2;
export const EAP_TYPE_NAK = 3;
export const EAP_TYPE_MSCHAPV2 = 26;

export const MSCHAPV2_OP_CHALLENGE = 1;
export const MSCHAPV2_OP_RESPONSE = 2;
export const MSCHAPV2_OP_SUCCESS = 3;
export const MSCHAPV2_OP_FAILURE = 4;
export const MSCHAPV2_OP_CHANGE_PASSWORD = 7;

const CHALLENGE_LEN = 16;
const NT_RESPONSE_LEN = 24;
/** Response Value: Peer-Challenge(16) ‖ Reserved(8) ‖ NT-Response(24) ‖ Flags(1). */
const RESPONSE_VALUE_LEN = 49;
/** RFC 2759 §8: passwords are at most 256 Unicode characters. */
const MAX_PASSWORD_CHARS = 256;
/** Longest user name we send (the MS-CHAPv2 name is what fills the rest of the packet). */
const MAX_NAME_BYTES = 253;
/** Server text (M=…) shown to the user is cut to this many characters. */
const MAX_DISPLAY_CHARS = 200;
/** Default bound on EAP requests one client accepts (research/protocol.md §3.4.3). */
export const MSCHAPV2_DEFAULT_MAX_ROUNDS = 10;

const utf8 = new TextEncoder();

// ── RFC 2759 §8 computations ───────────────────────────────────────────────────────────────────

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function utf16le(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i * 2] = c & 0xff;
    out[i * 2 + 1] = c >> 8;
  }
  return out;
}

/** NtPasswordHash (§8.3): MD4 of the UTF-16LE password. */
export function ntPasswordHash(password: string): Uint8Array {
  if (password.length > MAX_PASSWORD_CHARS)
    throw new RangeError('MS-CHAPv2 passwords are at most 256 characters');
  return md4(utf16le(password));
}

/** HashNtPasswordHash (§8.4). */
export function hashNtPasswordHash(passwordHash: Uint8Array): Uint8Array {
  return md4(passwordHash);
}

/**
 * The user name that enters ChallengeHash: the part after a "DOMAIN\" prefix (RFC 2759 §8.2
 * note; the full name is still what the Response carries).
 */
export function mschapv2UserName(identity: string): string {
  const slash = identity.indexOf('\\');
  return slash >= 0 ? identity.slice(slash + 1) : identity;
}

/** ChallengeHash (§8.2): SHA1(PeerChallenge ‖ AuthenticatorChallenge ‖ UserName)[0..8]. */
export function challengeHash(
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array {
  if (peerChallenge.length !== CHALLENGE_LEN || authenticatorChallenge.length !== CHALLENGE_LEN) {
    throw new RangeError('MS-CHAPv2 challenges are 16 bytes');
  }
  return sha1(concat(peerChallenge, authenticatorChallenge, utf8.encode(userName))).slice(0, 8);
}

/** ChallengeResponse (§8.5): DES of the 8-byte challenge under the three 7-byte slices of the zero-padded hash. */
export function challengeResponse(challenge: Uint8Array, passwordHash: Uint8Array): Uint8Array {
  if (challenge.length !== 8 || passwordHash.length !== 16)
    throw new RangeError('bad ChallengeResponse input sizes');
  const z = new Uint8Array(21);
  z.set(passwordHash);
  const out = new Uint8Array(NT_RESPONSE_LEN);
  for (let i = 0; i < 3; i++)
    out.set(desEncryptBlock(expandDesKey(z.subarray(i * 7, i * 7 + 7)), challenge), i * 8);
  return out;
}

/** GenerateNTResponse (§8.1), from the NT password hash. */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: string,
  passwordHash: Uint8Array,
): Uint8Array {
  return challengeResponse(
    challengeHash(peerChallenge, authenticatorChallenge, userName),
    passwordHash,
  );
}

const AUTH_MAGIC1 = utf8.encode('Magic server to client signing constant');
const AUTH_MAGIC2 = utf8.encode('Pad to make it do more than one iteration');

/** GenerateAuthenticatorResponse (§8.7): the 20 bytes the server proves itself with ("S=" + 40 hex). */
export function generateAuthenticatorResponse(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: string,
): Uint8Array {
  const digest = sha1(concat(hashNtPasswordHash(passwordHash), ntResponse, AUTH_MAGIC1));
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName);
  return sha1(concat(digest, challenge, AUTH_MAGIC2));
}

/** The Authenticator Response as the server writes it: "S=" and 40 upper-case hex digits. */
export function formatAuthenticatorResponse(response: Uint8Array): string {
  return (
    'S=' +
    Array.from(response, (b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase()
  );
}

/** Constant-time equality of two byte strings of public length. */
function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * CheckAuthenticatorResponse (§8.8): does the server's "S=<40 hex>" equal what we computed?
 * Hex case is not significant; anything else (length, junk) is a mismatch.
 */
export function checkAuthenticatorResponse(received: string, expected: Uint8Array): boolean {
  const m = /^S=([0-9A-Fa-f]{40})$/.exec(received);
  if (!m?.[1]) return false;
  const bytes = new Uint8Array(20);
  for (let i = 0; i < 20; i++) bytes[i] = parseInt(m[1].slice(i * 2, i * 2 + 2), 16);
  return equalConstantTime(bytes, expected);
}

// ── RFC 3079 §3 keys and the MSK ───────────────────────────────────────────────────────────────

const MPPE_MAGIC1 = utf8.encode('This is the MPPE Master Key');
const MPPE_MAGIC2 = utf8.encode(
  'On the client side, this is the send key; on the server side, it is the receive key.',
);
const MPPE_MAGIC3 = utf8.encode(
  'On the client side, this is the receive key; on the server side, it is the send key.',
);
const SHS_PAD1 = new Uint8Array(40);
const SHS_PAD2 = new Uint8Array(40).fill(0xf2);

/** GetMasterKey (RFC 3079 §3.4): SHA1(PasswordHashHash ‖ NT-Response ‖ Magic1)[0..16]. */
export function mppeMasterKey(passwordHashHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  return sha1(concat(passwordHashHash, ntResponse, MPPE_MAGIC1)).slice(0, 16);
}

/**
 * GetAsymmetricStartKey (RFC 3079 §3.4), 128-bit: the client's send key uses Magic2, its receive
 * key Magic3; the server's are swapped.
 */
export function mppeAsymmetricStartKey(
  masterKey: Uint8Array,
  isSend: boolean,
  isServer: boolean,
): Uint8Array {
  const magic = isSend !== isServer ? MPPE_MAGIC2 : MPPE_MAGIC3;
  return sha1(concat(masterKey, SHS_PAD1, magic, SHS_PAD2)).slice(0, 16);
}

/**
 * The 64-byte MSK, as strongSwan computes it on both sides: the Magic2 key (client send =
 * server receive) ‖ the Magic3 key (client receive = server send) ‖ 32 zero bytes. The order
 * is the same on both ends, so the AUTH payloads keyed with it agree.
 */
export function mschapv2Msk(passwordHash: Uint8Array, ntResponse: Uint8Array): Uint8Array {
  const master = mppeMasterKey(hashNtPasswordHash(passwordHash), ntResponse);
  const msk = new Uint8Array(64);
  msk.set(mppeAsymmetricStartKey(master, true, false), 0);
  msk.set(mppeAsymmetricStartKey(master, false, false), 16);
  return msk;
}

// ── EAP packet codec ───────────────────────────────────────────────────────────────────────────

/*
 * EAP packet (RFC 3748 §4):
 *   Code(1) Identifier(1) Length(2) [Type(1) Type-Data…]   (Type only for Request/Response)
 * EAP-MSCHAPv2 Type-Data (draft-kamath §2):
 *   OpCode(1) MS-CHAPv2-ID(1) MS-Length(2) Data…           MS-Length = Length − 5
 *   Challenge: Value-Size(1)=16 Challenge(16) Name…
 *   Response:  Value-Size(1)=49 Peer-Challenge(16) Reserved(8) NT-Response(24) Flags(1) Name…
 *   Success request / Failure request: Message (text)
 *   Success / Failure response: OpCode only
 */

export interface EapPacket {
  code: number;
  identifier: number;
  /** For Request/Response: the Type; undefined for Success/Failure. */
  type: number | undefined;
  /** The Type-Data (after the Type octet); empty for Success/Failure. */
  typeData: Uint8Array;
}

export type EapParseResult = { ok: true; packet: EapPacket } | { ok: false; reason: string };

/** Parses one EAP packet (the body of an IKEv2 EAP payload). Octets past Length are padding (RFC 3748 §4.1). */
export function parseEapPacket(bytes: Uint8Array): EapParseResult {
  if (bytes.length < 4) return { ok: false, reason: 'EAP packet shorter than its 4-byte header' };
  const code = bytes[0] ?? 0;
  const identifier = bytes[1] ?? 0;
  const length = ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  if (length < 4 || length > bytes.length)
    return {
      ok: false,
      reason: `EAP Length ${length} does not fit the ${bytes.length}-byte packet`,
    };
  if (code === EAP_CODE_SUCCESS || code === EAP_CODE_FAILURE) {
    if (length !== 4) return { ok: false, reason: 'EAP Success/Failure must be exactly 4 bytes' };
    return { ok: true, packet: { code, identifier, type: undefined, typeData: new Uint8Array(0) } };
  }
  if (code !== EAP_CODE_REQUEST && code !== EAP_CODE_RESPONSE)
    return { ok: false, reason: `unknown EAP code ${code}` };
  if (length < 5) return { ok: false, reason: 'EAP Request/Response without a Type' };
  return {
    ok: true,
    packet: { code, identifier, type: bytes[4], typeData: bytes.slice(5, length) },
  };
}

function eapPacket(
  code: number,
  identifier: number,
  type: number,
  typeData: Uint8Array,
): Uint8Array {
  const length = 5 + typeData.length;
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier & 0xff;
  out[2] = length >> 8;
  out[3] = length & 0xff;
  out[4] = type;
  out.set(typeData, 5);
  return out;
}

export type Mschapv2Request =
  | { opCode: 'challenge'; mschapv2Id: number; challenge: Uint8Array; name: Uint8Array }
  | { opCode: 'success'; mschapv2Id: number; message: string }
  | { opCode: 'failure'; mschapv2Id: number; message: string }
  | { opCode: 'other'; value: number };

export type Mschapv2ParseResult =
  { ok: true; request: Mschapv2Request } | { ok: false; reason: string };

/** Bytes → text for display and parsing: Latin-1, so every byte maps to one character and nothing throws. */
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Parses the Type-Data of an EAP-MSCHAPv2 request. Never throws. */
export function parseMschapv2Request(typeData: Uint8Array): Mschapv2ParseResult {
  if (typeData.length < 1) return { ok: false, reason: 'EAP-MSCHAPv2 request without an OpCode' };
  const op = typeData[0] ?? 0;
  if (op !== MSCHAPV2_OP_CHALLENGE && op !== MSCHAPV2_OP_SUCCESS && op !== MSCHAPV2_OP_FAILURE) {
    return { ok: true, request: { opCode: 'other', value: op } };
  }
  if (typeData.length < 4)
    return { ok: false, reason: 'EAP-MSCHAPv2 request shorter than its 4-byte header' };
  const mschapv2Id = typeData[1] ?? 0;
  const msLength = ((typeData[2] ?? 0) << 8) | (typeData[3] ?? 0);
  if (msLength !== typeData.length) {
    return {
      ok: false,
      reason: `EAP-MSCHAPv2 MS-Length ${msLength} does not match the ${typeData.length} bytes received`,
    };
  }
  const data = typeData.subarray(4);
  if (op === MSCHAPV2_OP_CHALLENGE) {
    if (data.length < 1 + CHALLENGE_LEN)
      return { ok: false, reason: 'EAP-MSCHAPv2 Challenge too short' };
    if (data[0] !== CHALLENGE_LEN)
      return { ok: false, reason: `EAP-MSCHAPv2 Challenge Value-Size ${data[0]} is not 16` };
    return {
      ok: true,
      request: {
        opCode: 'challenge',
        mschapv2Id,
        challenge: data.slice(1, 17),
        name: data.slice(17),
      },
    };
  }
  const message = latin1(data);
  return {
    ok: true,
    request: { opCode: op === MSCHAPV2_OP_SUCCESS ? 'success' : 'failure', mschapv2Id, message },
  };
}

/** Builds the EAP-Response carrying the MS-CHAPv2 Response (draft-kamath §2.2). */
export function encodeMschapv2Response(
  identifier: number,
  mschapv2Id: number,
  peerChallenge: Uint8Array,
  ntResponse: Uint8Array,
  name: Uint8Array,
): Uint8Array {
  if (peerChallenge.length !== CHALLENGE_LEN || ntResponse.length !== NT_RESPONSE_LEN) {
    throw new RangeError('bad MS-CHAPv2 Response sizes');
  }
  if (name.length > MAX_NAME_BYTES) throw new RangeError('MS-CHAPv2 user name too long');
  const typeData = new Uint8Array(4 + 1 + RESPONSE_VALUE_LEN + name.length);
  typeData[0] = MSCHAPV2_OP_RESPONSE;
  typeData[1] = mschapv2Id & 0xff;
  typeData[2] = typeData.length >> 8;
  typeData[3] = typeData.length & 0xff;
  typeData[4] = RESPONSE_VALUE_LEN;
  typeData.set(peerChallenge, 5);
  // 8 reserved zero bytes at 21..29
  typeData.set(ntResponse, 29);
  // Flags (byte 53) = 0
  typeData.set(name, 5 + RESPONSE_VALUE_LEN);
  return eapPacket(EAP_CODE_RESPONSE, identifier, EAP_TYPE_MSCHAPV2, typeData);
}

/** The Success Response (just the OpCode) that acknowledges a verified Success request. */
export function encodeMschapv2SuccessResponse(identifier: number): Uint8Array {
  return eapPacket(
    EAP_CODE_RESPONSE,
    identifier,
    EAP_TYPE_MSCHAPV2,
    Uint8Array.of(MSCHAPV2_OP_SUCCESS),
  );
}

/** The Failure Response (just the OpCode) that acknowledges a Failure request. */
export function encodeMschapv2FailureResponse(identifier: number): Uint8Array {
  return eapPacket(
    EAP_CODE_RESPONSE,
    identifier,
    EAP_TYPE_MSCHAPV2,
    Uint8Array.of(MSCHAPV2_OP_FAILURE),
  );
}

/** A Legacy Nak (RFC 3748 §5.3.1) asking for EAP-MSCHAPv2 instead of the offered method. */
export function encodeEapNak(identifier: number, desired: number = EAP_TYPE_MSCHAPV2): Uint8Array {
  return eapPacket(EAP_CODE_RESPONSE, identifier, EAP_TYPE_NAK, Uint8Array.of(desired));
}

/** Keeps server text printable and short before it reaches a log or the UI. */
function sanitizeForDisplay(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > MAX_DISPLAY_CHARS ? clean.slice(0, MAX_DISPLAY_CHARS) + '…' : clean;
}

export interface SuccessMessage {
  /** The "S=<40 hex>" token, if exactly one well-formed one is present. */
  authenticatorResponse: string | undefined;
  /** The M= text, sanitised for display. */
  message: string | undefined;
}

/** Parses "S=<auth_string> M=<message>" (RFC 2759 §5). Never throws. */
export function parseSuccessMessage(text: string): SuccessMessage {
  const mAt = text.search(/(?:^|\s)M=/);
  const head = mAt >= 0 ? text.slice(0, mAt) : text;
  const message = mAt >= 0 ? sanitizeForDisplay(text.slice(mAt).replace(/^\s*M=/, '')) : undefined;
  const tokens = head.split(/\s+/).filter((t) => t.startsWith('S='));
  const only = tokens.length === 1 ? tokens[0] : undefined;
  return {
    authenticatorResponse:
      only !== undefined && /^S=[0-9A-Fa-f]{40}$/.test(only) ? only : undefined,
    message,
  };
}

export interface FailureMessage {
  /** E=: the Windows error code (691 = authentication failure, …), if present and numeric. */
  error: number | undefined;
  /** R=1: the server would accept a retry. */
  retriable: boolean;
  /** C=: a new 16-byte challenge for a retry, if present and well formed. */
  challenge: Uint8Array | undefined;
  /** V=: the password-change protocol version. */
  version: number | undefined;
  /** M=: the server's text, sanitised and bounded. */
  message: string | undefined;
}

/**
 * Parses "E=eeeeeeeeee R=r C=cccc… V=vvvvvvvvvv M=<msg>" (RFC 2759 §6). Every field is optional
 * and bounded; hostile input yields undefined fields, never an exception.
 */
export function parseFailureMessage(text: string): FailureMessage {
  const bounded = text.length > 4096 ? text.slice(0, 4096) : text;
  const mAt = bounded.search(/(?:^|\s)M=/);
  const head = mAt >= 0 ? bounded.slice(0, mAt) : bounded;
  const message =
    mAt >= 0 ? sanitizeForDisplay(bounded.slice(mAt).replace(/^\s*M=/, '')) : undefined;
  const out: FailureMessage = {
    error: undefined,
    retriable: false,
    challenge: undefined,
    version: undefined,
    message,
  };
  for (const token of head.split(/\s+/)) {
    const value = token.slice(2);
    if (token.startsWith('E=') && /^\d{1,10}$/.test(value)) out.error = Number(value);
    else if (token.startsWith('R=')) out.retriable = value === '1';
    else if (token.startsWith('V=') && /^\d{1,10}$/.test(value)) out.version = Number(value);
    else if (token.startsWith('C=') && /^[0-9A-Fa-f]{32}$/.test(value)) {
      const c = new Uint8Array(CHALLENGE_LEN);
      for (let i = 0; i < CHALLENGE_LEN; i++) c[i] = parseInt(value.slice(i * 2, i * 2 + 2), 16);
      out.challenge = c;
    }
  }
  return out;
}

// ── Client state machine ───────────────────────────────────────────────────────────────────────

export type Mschapv2FailureCode =
  | 'authentication-failed'
  | 'wrong-credentials'
  | 'account-disabled'
  | 'password-expired'
  | 'restricted-logon-hours'
  | 'no-dialin-permission'
  | 'protocol-error'
  | 'unsupported-method'
  | 'too-many-rounds';

export interface Mschapv2Failure {
  code: Mschapv2FailureCode;
  /** One line for the user. */
  message: string;
  /** The likely fix, for the user. */
  fix: string;
  /** The server's MS-CHAPv2 error code (E=), when it sent one. */
  serverError?: number;
}

export type Mschapv2Step =
  /** Send this EAP packet (the body of the next IKE_AUTH request's EAP payload). */
  | { kind: 'respond'; eap: Uint8Array }
  /** EAP-Success after a verified server: the MSK keys the final AUTH payloads. */
  | { kind: 'success'; msk: Uint8Array }
  /** Terminal. `eap`, when present, is an acknowledgement the caller may still send. */
  | { kind: 'failure'; failure: Mschapv2Failure; eap?: Uint8Array };

export interface EapMschapv2ClientOptions {
  /** The EAP/MS-CHAPv2 user name, sent exactly as configured (e.g. "DOMAIN\\alice"). */
  identity: string;
  /** The password; or give `ntHash` instead. */
  password?: string;
  /** The NT password hash (MD4 of the UTF-16LE password), if that is what is stored. */
  ntHash?: Uint8Array;
  random: Random;
  maxRounds?: number;
}

type ClientState = 'expect-challenge' | 'expect-success' | 'verified' | 'done' | 'failed';

const FAILURE_TEXT: Record<number, { code: Mschapv2FailureCode; message: string; fix: string }> = {
  646: {
    code: 'restricted-logon-hours',
    message: 'the server does not allow this account to log on at this time (MS-CHAPv2 error 646)',
    fix: 'ask the VPN administrator about the logon hours of your account',
  },
  647: {
    code: 'account-disabled',
    message: 'the server says this account is disabled (MS-CHAPv2 error 647)',
    fix: 'ask the VPN administrator to enable your account',
  },
  648: {
    code: 'password-expired',
    message: 'the server says the password has expired (MS-CHAPv2 error 648)',
    fix: 'change your password with your organisation, then update it in this profile',
  },
  649: {
    code: 'no-dialin-permission',
    message: 'the server says this account may not use the VPN (MS-CHAPv2 error 649)',
    fix: 'ask the VPN administrator to grant your account remote access',
  },
  691: {
    code: 'wrong-credentials',
    message: 'the server rejected the user name or password (MS-CHAPv2 error 691)',
    fix: 'check the user name and password in this profile',
  },
  709: {
    code: 'password-expired',
    message: 'the server could not change the password (MS-CHAPv2 error 709)',
    fix: 'change your password with your organisation, then update it in this profile',
  },
};

function fail(
  code: Mschapv2FailureCode,
  message: string,
  fix: string,
  serverError?: number,
): Mschapv2Failure {
  return serverError === undefined ? { code, message, fix } : { code, message, fix, serverError };
}

const PROTOCOL_FIX =
  'the server sent a malformed EAP-MSCHAPv2 message; report this to the VPN administrator';

/**
 * The peer side of EAP-MSCHAPv2. Feed it each EAP packet from the server (after the caller has
 * answered EAP-Identity); it returns what to send, or a terminal success or failure.
 */
export class EapMschapv2Client {
  private state: ClientState = 'expect-challenge';
  private rounds = 0;
  private readonly maxRounds: number;
  private readonly passwordHash: Uint8Array;
  private readonly name: Uint8Array;
  private expectedAuthenticator: Uint8Array | undefined;
  private pendingMsk: Uint8Array | undefined;
  private verifiedMsk: Uint8Array | undefined;
  private nakSent = false;
  private lastFailure: Mschapv2Failure | undefined;

  constructor(private readonly options: EapMschapv2ClientOptions) {
    this.maxRounds = options.maxRounds ?? MSCHAPV2_DEFAULT_MAX_ROUNDS;
    if (options.ntHash !== undefined) {
      if (options.ntHash.length !== 16) throw new RangeError('an NT password hash is 16 bytes');
      this.passwordHash = options.ntHash.slice();
    } else if (options.password !== undefined) {
      this.passwordHash = ntPasswordHash(options.password);
    } else {
      throw new TypeError('EAP-MSCHAPv2 needs a password or an NT hash');
    }
    this.name = utf8.encode(options.identity);
    if (this.name.length > MAX_NAME_BYTES) throw new RangeError('EAP-MSCHAPv2 user name too long');
  }

  /** The MSK, only once the server has proven itself and sent EAP-Success. */
  get msk(): Uint8Array | undefined {
    return this.state === 'done' ? this.verifiedMsk?.slice() : undefined;
  }

  /** True once the exchange ended (either way). */
  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  handle(eap: Uint8Array): Mschapv2Step {
    if (this.finished) {
      return this.terminal(
        this.lastFailure ??
          fail(
            'protocol-error',
            'EAP-MSCHAPv2 already finished, but the server sent more',
            PROTOCOL_FIX,
          ),
      );
    }
    if (++this.rounds > this.maxRounds) {
      return this.terminal(
        fail(
          'too-many-rounds',
          `the server did not finish EAP-MSCHAPv2 within ${this.maxRounds} messages`,
          PROTOCOL_FIX,
        ),
      );
    }
    const parsed = parseEapPacket(eap);
    if (!parsed.ok) return this.terminal(fail('protocol-error', parsed.reason, PROTOCOL_FIX));
    const packet = parsed.packet;

    if (packet.code === EAP_CODE_SUCCESS) return this.onEapSuccess();
    if (packet.code === EAP_CODE_FAILURE) {
      return this.terminal(
        fail(
          'authentication-failed',
          'the server ended EAP authentication with EAP-Failure',
          'check the user name and password in this profile',
        ),
      );
    }
    if (packet.code !== EAP_CODE_REQUEST) {
      return this.terminal(
        fail('protocol-error', `unexpected EAP code ${packet.code} from the server`, PROTOCOL_FIX),
      );
    }
    if (packet.type === EAP_TYPE_NOTIFICATION) {
      // RFC 3748 §5.2: acknowledged with an empty Notification Response; it changes nothing.
      return {
        kind: 'respond',
        eap: eapPacket(
          EAP_CODE_RESPONSE,
          packet.identifier,
          EAP_TYPE_NOTIFICATION,
          new Uint8Array(0),
        ),
      };
    }
    if (packet.type !== EAP_TYPE_MSCHAPV2) return this.onOtherMethod(packet);

    const req = parseMschapv2Request(packet.typeData);
    if (!req.ok) return this.terminal(fail('protocol-error', req.reason, PROTOCOL_FIX));
    const r = req.request;
    switch (r.opCode) {
      case 'challenge':
        if (this.state !== 'expect-challenge') {
          return this.terminal(
            fail('protocol-error', 'the server sent a second MS-CHAPv2 Challenge', PROTOCOL_FIX),
          );
        }
        return this.onChallenge(packet.identifier, r.mschapv2Id, r.challenge);
      case 'success':
        if (this.state !== 'expect-success') {
          return this.terminal(
            fail(
              'authentication-failed',
              'the server sent MS-CHAPv2 Success before it had checked our response',
              'the server is misbehaving or an attacker is in the path; do not trust this network',
            ),
          );
        }
        return this.onSuccessRequest(packet.identifier, r.message);
      case 'failure':
        return this.onFailureRequest(packet.identifier, r.message);
      case 'other':
        return this.terminal(
          fail(
            'protocol-error',
            r.value === MSCHAPV2_OP_CHANGE_PASSWORD
              ? 'the server asked for a password change, which Tsunagi does not support'
              : `unknown EAP-MSCHAPv2 OpCode ${r.value}`,
            PROTOCOL_FIX,
          ),
        );
    }
  }

  private terminal(failure: Mschapv2Failure, eap?: Uint8Array): Mschapv2Step {
    this.state = 'failed';
    this.lastFailure = failure;
    this.pendingMsk = undefined;
    this.verifiedMsk = undefined;
    return eap === undefined ? { kind: 'failure', failure } : { kind: 'failure', failure, eap };
  }

  private onOtherMethod(packet: EapPacket): Mschapv2Step {
    // Offer MS-CHAPv2 once if the server starts with another method (never fall back to, e.g.,
    // cleartext GTC); a second offer of something else ends the exchange.
    if (this.state === 'expect-challenge' && !this.nakSent && packet.type !== EAP_TYPE_IDENTITY) {
      this.nakSent = true;
      return { kind: 'respond', eap: encodeEapNak(packet.identifier) };
    }
    return this.terminal(
      fail(
        'unsupported-method',
        `the server asked for EAP method ${String(packet.type)} instead of EAP-MSCHAPv2`,
        'set the VPN server to use EAP-MSCHAPv2 for this user, or change the profile’s authentication method',
      ),
    );
  }

  private onChallenge(
    identifier: number,
    mschapv2Id: number,
    authChallenge: Uint8Array,
  ): Mschapv2Step {
    const peerChallenge = this.options.random.bytes(CHALLENGE_LEN);
    if (peerChallenge.length !== CHALLENGE_LEN)
      throw new Error('Random returned the wrong number of bytes');
    const userName = mschapv2UserName(this.options.identity);
    const ntResponse = generateNtResponse(
      authChallenge,
      peerChallenge,
      userName,
      this.passwordHash,
    );
    this.expectedAuthenticator = generateAuthenticatorResponse(
      this.passwordHash,
      ntResponse,
      peerChallenge,
      authChallenge,
      userName,
    );
    this.pendingMsk = mschapv2Msk(this.passwordHash, ntResponse);
    this.state = 'expect-success';
    return {
      kind: 'respond',
      eap: encodeMschapv2Response(identifier, mschapv2Id, peerChallenge, ntResponse, this.name),
    };
  }

  private onSuccessRequest(identifier: number, text: string): Mschapv2Step {
    const parsed = parseSuccessMessage(text);
    const expected = this.expectedAuthenticator;
    if (
      parsed.authenticatorResponse === undefined ||
      expected === undefined ||
      !checkAuthenticatorResponse(parsed.authenticatorResponse, expected)
    ) {
      return this.terminal(
        fail(
          'authentication-failed',
          'the server did not prove that it knows your password (MS-CHAPv2 authenticator response missing or wrong)',
          'the server may be an impostor; check the server address, or ask the VPN administrator',
        ),
      );
    }
    this.verifiedMsk = this.pendingMsk;
    this.state = 'verified';
    return { kind: 'respond', eap: encodeMschapv2SuccessResponse(identifier) };
  }

  private onFailureRequest(identifier: number, text: string): Mschapv2Step {
    if (this.state !== 'expect-success') {
      return this.terminal(
        fail('protocol-error', 'the server sent MS-CHAPv2 Failure out of order', PROTOCOL_FIX),
      );
    }
    const f = parseFailureMessage(text);
    const known = f.error !== undefined ? FAILURE_TEXT[f.error] : undefined;
    const serverText = f.message ? ` — server says: "${f.message}"` : '';
    const failure = known
      ? fail(known.code, known.message + serverText, known.fix, f.error)
      : fail(
          'authentication-failed',
          `the server rejected the login${f.error !== undefined ? ` (MS-CHAPv2 error ${f.error})` : ''}${serverText}`,
          'check the user name and password in this profile',
          f.error,
        );
    // We do not retry (R=1): the same password would fail again. Acknowledge with a Failure Response.
    return this.terminal(failure, encodeMschapv2FailureResponse(identifier));
  }

  private onEapSuccess(): Mschapv2Step {
    if (this.state !== 'verified' || this.verifiedMsk === undefined) {
      return this.terminal(
        fail(
          'authentication-failed',
          'the server sent EAP-Success before MS-CHAPv2 had authenticated it',
          'the server may be an impostor; do not trust this network, and report it to the VPN administrator',
        ),
      );
    }
    this.state = 'done';
    return { kind: 'success', msk: this.verifiedMsk.slice() };
  }
}
