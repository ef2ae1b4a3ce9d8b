/**
 * IKEv2 messages (RFC 7296 §3.1, §3.14) and their fragments (RFC 7383).
 *
 *   datagram = IKE header ‖ payload chain                         (IKE_SA_INIT)
 *            = IKE header ‖ SK header ‖ SkCipher.seal(inner chain)  (every later exchange)
 *            = IKE header ‖ SKF header ‖ number ‖ total ‖ seal(chunk) (one fragment)
 *
 * Decoding never throws for bad input: it returns a typed result. An error is `protected` only
 * when it was found after the SK payload authenticated (only those may change SA state; RFC 7296
 * §2.21). Checks, in order: header (version, length) → outer chain (lengths, unknown critical
 * payloads) → SK last and alone → SK opens → inner chain → message rules (message-rules.ts).
 * The caller strips the 4-byte non-ESP marker of port 4500 before decoding.
 */
import type { SkCipher } from '../crypto/sk-cipher.js';
import { ByteWriter, IkeSyntaxError, bytesEqual } from './codec.js';
import { ExchangeType, exchangeTypeName } from './exchange-type.js';
import {
  IKE_HEADER_LENGTH,
  decodeIkeHeader,
  encodeIkeHeader,
  type IkeHeader,
} from './ike-header.js';
import { checkMessageRules, isEncryptedExchange } from './message-rules.js';
import {
  GENERIC_HEADER_LENGTH,
  decodePayloadChain,
  encodePayloadChain,
  type EncryptedPayloadLocation,
  type Payload,
} from './payload.js';
import { PayloadType } from './payload-type.js';
import { SKF_FIELDS_LENGTH, decodeSkfPayload, encodeSkfFields } from './skf-payload.js';
import { decodeSkPayload } from './sk-payload.js';

export interface IkeMessage {
  spiI: Uint8Array;
  spiR: Uint8Array;
  exchangeType: number;
  /** I flag: sent by the original initiator of the IKE SA. */
  initiator: boolean;
  /** R flag. */
  response: boolean;
  /** V flag (we never set it; kept as received). */
  higherVersion: boolean;
  messageId: number;
  payloads: Payload[];
  /** Whether the payloads arrived inside SK/SKF. encodeMessage encrypts iff given a cipher. */
  encrypted: boolean;
}

export type DecodeResult =
  { ok: true; message: IkeMessage } | { ok: false; protected: boolean; error: IkeSyntaxError };

export type HeaderResult = { ok: true; header: IkeHeader } | { ok: false; error: IkeSyntaxError };

/** Returns the result of `f`, or its IkeSyntaxError; anything else is a bug and propagates. */
function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; error: IkeSyntaxError } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (e instanceof IkeSyntaxError) return { ok: false, error: e };
    throw e;
  }
}

const unprotected = (error: IkeSyntaxError): DecodeResult => ({
  ok: false,
  protected: false,
  error,
});
const protectedError = (error: IkeSyntaxError): DecodeResult => ({
  ok: false,
  protected: true,
  error,
});

/** The header alone, for demultiplexing (SPIs, exchange, flags, message ID). */
export function decodeHeader(bytes: Uint8Array): HeaderResult {
  const r = attempt(() => decodeIkeHeader(bytes));
  return r.ok ? { ok: true, header: r.value } : r;
}

function messageFrom(h: IkeHeader, payloads: Payload[], encrypted: boolean): IkeMessage {
  return {
    spiI: h.spiI,
    spiR: h.spiR,
    exchangeType: h.exchangeType,
    initiator: h.initiator,
    response: h.response,
    higherVersion: h.higherVersion,
    messageId: h.messageId,
    payloads,
    encrypted,
  };
}

/** Checks that an encrypted payload is alone and allowed for the exchange (before decrypting). */
function checkOuter(
  h: IkeHeader,
  outer: Payload[],
  enc: EncryptedPayloadLocation,
): IkeSyntaxError | undefined {
  if (outer.length > 0) {
    return new IkeSyntaxError(
      'rule-violation',
      `${outer.length} unprotected payload(s) next to SK/SKF`,
      {
        payloadType: enc.type,
      },
    );
  }
  if (isEncryptedExchange(h.exchangeType) !== true) {
    return new IkeSyntaxError(
      'rule-violation',
      `${exchangeTypeName(h.exchangeType)} cannot be encrypted`,
      {
        payloadType: enc.type,
      },
    );
  }
  return undefined;
}

/**
 * Decodes a whole IKE message. Encrypted messages need the peer-direction `cipher`; SKF fragments
 * go through FragmentReassembler instead.
 */
export function decodeMessage(bytes: Uint8Array, cipher?: SkCipher): DecodeResult {
  const header = attempt(() => decodeIkeHeader(bytes));
  if (!header.ok) return unprotected(header.error);
  const h = header.value;
  const chain = attempt(() => decodePayloadChain(bytes, IKE_HEADER_LENGTH, h.nextPayload, true));
  if (!chain.ok) return unprotected(chain.error);
  const enc = chain.value.encrypted;
  if (!enc) {
    const rules = attempt(() =>
      checkMessageRules(h.exchangeType, h.response, false, chain.value.payloads),
    );
    return rules.ok
      ? { ok: true, message: messageFrom(h, chain.value.payloads, false) }
      : unprotected(rules.error);
  }
  const outer = checkOuter(h, chain.value.payloads, enc);
  if (outer) return unprotected(outer);
  if (enc.type === PayloadType.SKF) {
    return unprotected(
      new IkeSyntaxError('invalid-value', 'an SKF fragment: use FragmentReassembler', {
        payloadType: PayloadType.SKF,
      }),
    );
  }
  const sk = attempt(() => decodeSkPayload(enc.body, enc.firstPayload));
  if (!sk.ok) return unprotected(sk.error);
  if (!cipher) {
    return unprotected(
      new IkeSyntaxError('authentication-failed', 'encrypted message but no keys', {
        payloadType: PayloadType.SK,
      }),
    );
  }
  const aad = bytes.subarray(0, enc.headerOffset + GENERIC_HEADER_LENGTH);
  const inner = cipher.open(aad, sk.value.body);
  if (!inner) {
    return unprotected(
      new IkeSyntaxError('authentication-failed', 'SK payload did not authenticate', {
        payloadType: PayloadType.SK,
      }),
    );
  }
  return decodeInner(h, inner, enc.firstPayload);
}

/** Decodes authenticated inner payloads; every error from here on is protected. */
function decodeInner(h: IkeHeader, inner: Uint8Array, firstPayload: number): DecodeResult {
  const payloads = attempt(() => decodePayloadChain(inner, 0, firstPayload, false).payloads);
  if (!payloads.ok) return protectedError(payloads.error);
  const rules = attempt(() => checkMessageRules(h.exchangeType, h.response, true, payloads.value));
  if (!rules.ok) return protectedError(rules.error);
  return { ok: true, message: messageFrom(h, payloads.value, true) };
}

function headerOf(m: IkeMessage, nextPayload: number, length: number): Uint8Array {
  return encodeIkeHeader({
    spiI: m.spiI,
    spiR: m.spiR,
    nextPayload,
    exchangeType: m.exchangeType,
    initiator: m.initiator,
    higherVersion: m.higherVersion,
    response: m.response,
    messageId: m.messageId,
    length,
  });
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const w = new ByteWriter(parts.reduce((n, p) => n + p.length, 0));
  for (const p of parts) w.bytes(p);
  return w.finish();
}

function misuse(message: string): IkeSyntaxError {
  return new IkeSyntaxError('rule-violation', message);
}

function checkEncryptionFor(m: IkeMessage, withCipher: boolean): void {
  const encrypted = isEncryptedExchange(m.exchangeType);
  if (encrypted === undefined) throw misuse(`cannot encode ${exchangeTypeName(m.exchangeType)}`);
  if (encrypted !== withCipher) {
    throw misuse(`${exchangeTypeName(m.exchangeType)} must ${encrypted ? '' : 'not '}be encrypted`);
  }
}

function sealed(
  cipher: SkCipher,
  aad: Uint8Array,
  inner: Uint8Array,
  expected: number,
): Uint8Array {
  const body = cipher.seal(aad, inner);
  if (body.length !== expected)
    throw misuse(`cipher sealed ${body.length} bytes, announced ${expected}`);
  return body;
}

/**
 * Encodes a message. With a cipher (every exchange after IKE_SA_INIT) the payloads go inside SK,
 * with AAD = IKE header ‖ SK header carrying the final lengths. Throws IkeSyntaxError for a
 * message that cannot be encoded (values out of range, encryption not matching the exchange).
 */
export function encodeMessage(message: IkeMessage, cipher?: SkCipher): Uint8Array {
  checkEncryptionFor(message, cipher !== undefined);
  const chain = encodePayloadChain(message.payloads);
  if (!cipher) {
    return concat(
      headerOf(message, chain.firstPayload, IKE_HEADER_LENGTH + chain.bytes.length),
      chain.bytes,
    );
  }
  const bodyLength = cipher.sealedLength(chain.bytes.length);
  const skLength = GENERIC_HEADER_LENGTH + bodyLength;
  const aad = concat(
    headerOf(message, PayloadType.SK, IKE_HEADER_LENGTH + skLength),
    new ByteWriter(4).u8(chain.firstPayload).u8(0).u16(skLength, 'SK payload length').finish(),
  );
  return concat(aad, sealed(cipher, aad, chain.bytes, bodyLength));
}

const SKF_OVERHEAD = IKE_HEADER_LENGTH + GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH;

/** Largest chunk n with overhead + sealedLength(n) ≤ max (sealedLength is non-decreasing). */
function largestChunk(cipher: SkCipher, maxDatagramBytes: number): number {
  let lo = 0;
  let hi = Math.max(0, maxDatagramBytes - SKF_OVERHEAD);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (SKF_OVERHEAD + cipher.sealedLength(mid) <= maxDatagramBytes) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Splits an encrypted message into RFC 7383 fragments of at most `maxDatagramBytes` each (the IKE
 * message length, without the non-ESP marker or IP/UDP headers). Every fragment is a full IKE
 * message with one SKF payload; fragment 1 names the first inner payload, the others 0.
 */
export function encodeFragments(
  message: IkeMessage,
  cipher: SkCipher,
  maxDatagramBytes: number,
): Uint8Array[] {
  if (message.exchangeType === ExchangeType.IKE_SA_INIT)
    throw misuse('IKE_SA_INIT is never fragmented');
  checkEncryptionFor(message, true);
  const chain = encodePayloadChain(message.payloads);
  const chunk = largestChunk(cipher, maxDatagramBytes);
  if (chunk < 1) throw misuse(`no room for a fragment in ${maxDatagramBytes} bytes`);
  const total = Math.max(1, Math.ceil(chain.bytes.length / chunk));
  if (total > 0xffff) throw misuse(`${total} fragments`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    const piece = chain.bytes.subarray(i * chunk, (i + 1) * chunk);
    const bodyLength = cipher.sealedLength(piece.length);
    const skfLength = GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH + bodyLength;
    const aad = concat(
      headerOf(message, PayloadType.SKF, IKE_HEADER_LENGTH + skfLength),
      new ByteWriter(4)
        .u8(i === 0 ? chain.firstPayload : PayloadType.NONE)
        .u8(0)
        .u16(skfLength, 'SKF payload length')
        .finish(),
      encodeSkfFields(i + 1, total),
    );
    out.push(concat(aad, sealed(cipher, aad, piece, bodyLength)));
  }
  return out;
}

export interface ReassemblyLimits {
  /** Largest Total Fragments accepted. */
  maxFragments: number;
  /** Largest sum of decrypted fragment contents. */
  maxBytes: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxFragments: 64,
  maxBytes: 64 * 1024,
};

export type ReassemblyResult =
  | { status: 'complete'; message: IkeMessage }
  | { status: 'incomplete'; received: number; total: number }
  /** Dropped: a fragment already held, or one of an older (smaller-total) fragmentation. */
  | { status: 'dropped'; reason: 'duplicate' | 'stale-total' }
  | { status: 'error'; protected: boolean; error: IkeSyntaxError };

interface PendingMessage {
  header: IkeHeader;
  total: number;
  /** Next Payload of fragment 1, once seen. */
  firstPayload: number | undefined;
  chunks: Map<number, Uint8Array>;
  bytes: number;
}

function sameMessage(a: IkeHeader, b: IkeHeader): boolean {
  return (
    a.messageId === b.messageId &&
    a.exchangeType === b.exchangeType &&
    a.response === b.response &&
    a.initiator === b.initiator &&
    bytesEqual(a.spiI, b.spiI) &&
    bytesEqual(a.spiR, b.spiR)
  );
}

/**
 * Collects the fragments of one message (RFC 7383 §2.6). Each fragment is authenticated with
 * `cipher.open` before anything is stored; duplicates are dropped; a larger Total Fragments
 * (the peer re-fragmented smaller) restarts collection and a smaller one is dropped; the count
 * and the bytes held are bounded. Fragments of another message are refused until `reset()`.
 * Pure: the caller owns timeouts (drop the reassembler when the exchange times out).
 */
export class FragmentReassembler {
  private pending: PendingMessage | undefined;

  constructor(
    private readonly cipher: SkCipher,
    private readonly limits: ReassemblyLimits = DEFAULT_REASSEMBLY_LIMITS,
  ) {}

  /** Fragments held for the message being collected. */
  get held(): number {
    return this.pending?.chunks.size ?? 0;
  }

  reset(): void {
    this.pending = undefined;
  }

  push(datagram: Uint8Array): ReassemblyResult {
    const fail = (error: IkeSyntaxError, isProtected = false): ReassemblyResult => ({
      status: 'error',
      protected: isProtected,
      error,
    });
    const header = attempt(() => decodeIkeHeader(datagram));
    if (!header.ok) return fail(header.error);
    const h = header.value;
    const chain = attempt(() =>
      decodePayloadChain(datagram, IKE_HEADER_LENGTH, h.nextPayload, true),
    );
    if (!chain.ok) return fail(chain.error);
    const enc = chain.value.encrypted;
    if (enc?.type !== PayloadType.SKF) {
      return fail(
        new IkeSyntaxError('invalid-value', 'not an SKF fragment', {
          payloadType: PayloadType.SKF,
        }),
      );
    }
    const outer = checkOuter(h, chain.value.payloads, enc);
    if (outer) return fail(outer);
    const frag = attempt(() => decodeSkfPayload(enc.body, enc.firstPayload));
    if (!frag.ok) return fail(frag.error);
    const { fragmentNumber: number, totalFragments: total } = frag.value;
    if (total > this.limits.maxFragments) {
      return fail(
        new IkeSyntaxError(
          'invalid-value',
          `${total} fragments (max ${this.limits.maxFragments})`,
          {
            payloadType: PayloadType.SKF,
            field: 'total fragments',
          },
        ),
      );
    }
    const p = this.pending;
    if (p && !sameMessage(p.header, h)) {
      return fail(
        new IkeSyntaxError(
          'invalid-value',
          `fragment of message ${h.messageId} while collecting ${p.header.messageId}`,
          {
            payloadType: PayloadType.SKF,
            field: 'message ID',
          },
        ),
      );
    }
    if (p && total < p.total) return { status: 'dropped', reason: 'stale-total' };
    if (p && total === p.total && p.chunks.has(number))
      return { status: 'dropped', reason: 'duplicate' };

    const aad = datagram.subarray(0, enc.headerOffset + GENERIC_HEADER_LENGTH + SKF_FIELDS_LENGTH);
    const chunk = this.cipher.open(aad, frag.value.body);
    if (!chunk) {
      return fail(
        new IkeSyntaxError(
          'authentication-failed',
          `fragment ${number}/${total} did not authenticate`,
          {
            payloadType: PayloadType.SKF,
          },
        ),
      );
    }
    // Authenticated from here on.
    const cur: PendingMessage =
      p && total === p.total
        ? p
        : { header: h, total, firstPayload: undefined, chunks: new Map(), bytes: 0 };
    this.pending = cur;
    if (cur.bytes + chunk.length > this.limits.maxBytes) {
      this.reset();
      return fail(
        new IkeSyntaxError('bad-length', `fragments exceed ${this.limits.maxBytes} bytes`, {
          payloadType: PayloadType.SKF,
          field: 'reassembled length',
        }),
        true,
      );
    }
    cur.chunks.set(number, chunk.slice());
    cur.bytes += chunk.length;
    if (number === 1) cur.firstPayload = frag.value.firstPayload;
    if (cur.chunks.size < cur.total)
      return { status: 'incomplete', received: cur.chunks.size, total: cur.total };

    this.reset();
    const w = new ByteWriter(cur.bytes);
    for (let i = 1; i <= cur.total; i++) w.bytes(cur.chunks.get(i) ?? new Uint8Array(0));
    const result = decodeInner(cur.header, w.finish(), cur.firstPayload ?? PayloadType.NONE);
    return result.ok
      ? { status: 'complete', message: result.message }
      : fail(result.error, result.protected);
  }
}
