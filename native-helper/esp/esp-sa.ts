/**
 * One ESP Security Association (RFC 4303), tunnel mode, no ESN: sealing inner IP packets into ESP
 * packets and opening received ones. Pure: no I/O, no clock; randomness (CBC IVs) is passed in.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |               Security Parameters Index (SPI)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      Sequence Number                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 IV (8 for GCM/ChaCha, 16 for CBC)             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |       inner IP packet (+ TFC padding from some senders)       |  ^
 *  +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  | encrypted
 *  |               |  Padding 1, 2, 3, … (0-255 bytes)             |  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  |
 *  |                               |  Pad Length   | Next Header   |  v
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---
 *  |         Integrity Check Value (ICV, 8 to 32 bytes)            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Receiving (ARCHITECTURE.md, "check, authenticate, commit"): length checks → anti-replay check
 * (no state change) → ICV verification and decryption → trailer and inner-packet checks → commit
 * to the window. Only a packet that authenticated and is well formed moves the window.
 *
 * Sending: the sequence number starts at 1 and never cycles (§3.3.3). Past a soft limit the SA
 * reports `rekeyNeeded` and keeps working; after 2^32 − 1 it refuses with 'sequence-exhausted'.
 *
 * AEAD IVs are the 64-bit sequence number (unique per key, RFC 4106 §3.1, RFC 7634 §2), optionally
 * XORed with a fixed 8-byte `ivMask`: strongSwan (iv_gen_seq) draws such a mask per SA, so with
 * the mask its packets can be reproduced byte for byte (see the capture test).
 *
 * Crypto runs through node:crypto, or through a native backend passed in the config
 * (esp-native.ts: one cipher context per SA direction, batches per call). The choice is made here
 * at construction and changes nothing observable but speed.
 */
import type { Random } from '../ike/crypto/random.js';
import { ipPacketLength } from './ip-packet.js';
import type { EspEncrTransform, EspIntegTransform } from './esp-transforms.js';
import { EspAead, EspCbc, EspHmac } from './esp-transforms.js';
import type { EspNativeBackend, EspNativeSa } from './esp-native.js';
import { NATIVE_SKIP } from './esp-native.js';
import { DEFAULT_REPLAY_WINDOW_SIZE, ReplayWindow } from './replay-window.js';

export const NEXT_HEADER_IPV4 = 4;
export const NEXT_HEADER_IPV6 = 41;
/** "No Next Header": a dummy packet (RFC 4303 §2.6), dropped silently on receipt. */
export const NEXT_HEADER_NONE = 59;

export const ESP_SPI_SEQ_LENGTH = 8;
export const MAX_SEQUENCE_NUMBER = 0xffffffff;
/**
 * Default soft limit: rekey with 2^28 sequence numbers to spare, i.e. roughly 50 minutes at
 * 90 000 packets/s (1 Gbit/s of 1400-byte packets), ample for a CREATE_CHILD_SA round trip.
 */
export const DEFAULT_SOFT_SEQUENCE_LIMIT = MAX_SEQUENCE_NUMBER - 2 ** 28;

export const ESP_DROP_REASONS = [
  'too-short',
  'malformed',
  'spi-mismatch',
  'replay',
  'auth',
  'bad-padding',
  'bad-next-header',
  'bad-inner-packet',
] as const;
export type EspDropReason = (typeof ESP_DROP_REASONS)[number];

export type EspOpenResult =
  | {
      readonly kind: 'packet';
      /** The inner IP packet, TFC padding removed (a view of the decrypted buffer). */
      readonly packet: Uint8Array;
      readonly nextHeader: typeof NEXT_HEADER_IPV4 | typeof NEXT_HEADER_IPV6;
      readonly seq: number;
    }
  | { readonly kind: 'dummy'; readonly seq: number }
  | { readonly kind: 'drop'; readonly reason: EspDropReason };

export type EspSealResult =
  | { readonly kind: 'packet'; readonly packet: Uint8Array; readonly seq: number }
  | { readonly kind: 'sequence-exhausted' }
  | { readonly kind: 'not-ip' };

export interface EspSaCounters {
  /** Inner packets delivered and their bytes (inner IP packet length, padding excluded). */
  packetsIn: number;
  bytesIn: number;
  /** Inner packets sealed and their bytes. */
  packetsOut: number;
  bytesOut: number;
  /** Authentic dummy packets (Next Header 59) received and dropped. */
  dummyIn: number;
  drops: Record<EspDropReason, number>;
}

export interface EspSaConfig {
  spi: number;
  encr: EspEncrTransform;
  /** KEYMAT for the encryption transform: AEAD key ‖ salt, or the AES-CBC key. */
  encrKey: Uint8Array;
  /** Required with AES-CBC, absent with AEAD. */
  integ?: EspIntegTransform;
  integKey?: Uint8Array;
  /** Required with AES-CBC (one unpredictable IV per packet, RFC 3602 §3). */
  random?: Random;
  /** Anti-replay window size for received packets (default 128). */
  replayWindowSize?: number;
  /** The last sequence number already sent (default 0: the first packet carries 1). */
  lastSequence?: number;
  /** `rekeyNeeded` once this sequence number has been sent. */
  softSequenceLimit?: number;
  /** 8 bytes XORed into AEAD IVs (IV = seq64 ⊕ mask); default all zero, i.e. IV = seq. */
  ivMask?: Uint8Array;
  /** Native crypto for this SA when the backend takes the transform; else node:crypto. */
  native?: EspNativeBackend;
}

export function emptyCounters(): EspSaCounters {
  const drops = {} as Record<EspDropReason, number>;
  for (const r of ESP_DROP_REASONS) drops[r] = 0;
  return { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, dummyIn: 0, drops };
}

// One immutable result object per drop reason: dropping allocates nothing.
const DROP = Object.fromEntries(
  ESP_DROP_REASONS.map((reason) => [reason, Object.freeze({ kind: 'drop', reason })]),
) as {
  readonly [R in EspDropReason]: { readonly kind: 'drop'; readonly reason: R };
};
const EXHAUSTED: EspSealResult = Object.freeze({ kind: 'sequence-exhausted' });
const NOT_IP: EspSealResult = Object.freeze({ kind: 'not-ip' });
const ZERO_MASK = new Uint8Array(8);
/** A status byte the native open leaves alone (it authenticates only status 1). */
const PRECHECK_DROPPED = 2;

export class EspSa {
  readonly spi: number;
  readonly encr: EspEncrTransform;
  readonly integ: EspIntegTransform | undefined;
  readonly counters: EspSaCounters = emptyCounters();
  readonly replayWindow: ReplayWindow;

  private readonly aead: EspAead | undefined;
  private readonly nat: EspNativeSa | undefined;
  /** Scratch for native batches (grown on demand, reused). */
  private nhScratch = new Uint16Array(0);
  private statusScratch = new Uint8Array(0);
  private readonly batchSeqs = new Set<number>();
  private readonly cbc: EspCbc | undefined;
  private readonly hmac: EspHmac | undefined;
  private readonly random: Random | undefined;
  private readonly ivLength: number;
  private readonly icvLength: number;
  private readonly align: number;
  /** Least ciphertext (payload ‖ padding ‖ PadLen ‖ NextHeader) a packet can have. */
  private readonly minCiphertext: number;
  private readonly softLimit: number;
  private readonly ivMaskHi: number;
  private readonly ivMaskLo: number;
  private lastSeq: number;

  constructor(config: EspSaConfig) {
    const { spi, encr } = config;
    if (!Number.isInteger(spi) || spi < 256 || spi > 0xffffffff) {
      // 1..255 are reserved by IANA and 0 is never sent on the wire (RFC 4303 §2.1).
      throw new RangeError(`bad ESP SPI ${spi}`);
    }
    this.spi = spi;
    this.encr = encr;
    if (encr.kind === 'aead') {
      if (config.integ) {
        throw new Error(`${encr.name} is an AEAD: no integrity transform may be combined with it`);
      }
      this.aead = new EspAead(encr, config.encrKey);
      this.integ = undefined;
      this.icvLength = encr.icvLength;
      this.minCiphertext = 4;
    } else {
      const { integ, integKey, random } = config;
      if (!integ || !integKey) throw new Error(`${encr.name} needs an integrity transform and key`);
      if (!random) throw new Error(`${encr.name} needs a Random for its IVs`);
      this.cbc = new EspCbc(encr, config.encrKey);
      this.hmac = new EspHmac(integ, integKey);
      this.integ = integ;
      this.random = random;
      this.icvLength = integ.icvLength;
      this.minCiphertext = 16;
    }
    this.ivLength = encr.ivLength;
    this.align = encr.blockSize;
    this.replayWindow = new ReplayWindow(config.replayWindowSize ?? DEFAULT_REPLAY_WINDOW_SIZE);

    const last = config.lastSequence ?? 0;
    if (!Number.isInteger(last) || last < 0 || last > MAX_SEQUENCE_NUMBER) {
      throw new RangeError(`bad lastSequence ${last}`);
    }
    this.lastSeq = last;
    this.softLimit = config.softSequenceLimit ?? DEFAULT_SOFT_SEQUENCE_LIMIT;

    const mask = config.ivMask;
    if (mask !== undefined && mask.length !== 8) throw new RangeError('ivMask must be 8 bytes');
    this.ivMaskHi = mask ? readU32(mask, 0) : 0;
    this.ivMaskLo = mask ? readU32(mask, 4) : 0;

    this.nat = config.native?.createSa({
      spi,
      encr,
      encrKey: config.encrKey,
      ivMask: mask ?? ZERO_MASK,
      ...(config.integ ? { integ: config.integ } : {}),
      ...(config.integKey ? { integKey: config.integKey } : {}),
    });
  }

  /** Whether this SA's crypto runs in the native backend (else node:crypto). */
  get native(): boolean {
    return this.nat !== undefined;
  }

  /** The last sequence number sent (0 before the first packet). */
  get lastSequence(): number {
    return this.lastSeq;
  }

  /** True once the soft limit is reached: the Child SA should be rekeyed. Sealing still works. */
  get rekeyNeeded(): boolean {
    return this.lastSeq >= this.softLimit;
  }

  /** True once 2^32 − 1 has been sent: `seal` refuses; the SA must be replaced. */
  get exhausted(): boolean {
    return this.lastSeq >= MAX_SEQUENCE_NUMBER;
  }

  /** ESP packet length for an inner packet of `innerLength` bytes. */
  sealedLength(innerLength: number): number {
    return ESP_SPI_SEQ_LENGTH + this.ivLength + this.paddedLength(innerLength) + this.icvLength;
  }

  /**
   * Encapsulates one inner IP packet. Next Header comes from the version nibble (4 → 4, 6 → 41)
   * unless given (59 sends a dummy packet); anything else is 'not-ip'.
   */
  seal(inner: Uint8Array, nextHeader?: number): EspSealResult {
    let nh: number;
    if (nextHeader !== undefined) {
      if (!Number.isInteger(nextHeader) || nextHeader < 0 || nextHeader > 255) {
        throw new RangeError(`bad Next Header ${nextHeader}`);
      }
      nh = nextHeader;
    } else {
      nh = nextHeaderOf(inner);
      if (nh === NATIVE_SKIP) return NOT_IP;
    }
    if (this.lastSeq >= MAX_SEQUENCE_NUMBER) return EXHAUSTED;
    const seq = ++this.lastSeq;

    const len = inner.length;
    if (this.nat) {
      const out = Buffer.allocUnsafe(this.sealedLength(len));
      this.nat.seal1(inner, nh, seq, out, this.cbcIv());
      this.counters.packetsOut++;
      this.counters.bytesOut += len;
      return { kind: 'packet', packet: out, seq };
    }
    const ptLen = this.paddedLength(len);
    const padLen = ptLen - len - 2;
    const ptStart = ESP_SPI_SEQ_LENGTH + this.ivLength;
    const icvStart = ptStart + ptLen;
    // allocUnsafe slices Node's shared pool for packets under 4 KiB: no per-packet allocation
    // beyond the view; every byte is written below.
    const out = Buffer.allocUnsafe(icvStart + this.icvLength);
    writeU32(out, 0, this.spi);
    writeU32(out, 4, seq);
    out.set(inner, ptStart);
    let p = ptStart + len;
    for (let i = 1; i <= padLen; i++) out[p++] = i;
    out[p++] = padLen;
    out[p] = nh;

    const aad = out.subarray(0, ESP_SPI_SEQ_LENGTH);
    const plaintext = out.subarray(ptStart, icvStart);
    if (this.aead) {
      // IV = (0 ‖ seq) ⊕ mask; the high half of the 64-bit counter is 0 without ESN.
      writeU32(out, 8, this.ivMaskHi);
      writeU32(out, 12, (this.ivMaskLo ^ seq) >>> 0);
      this.aead.sealInto(out.subarray(8, 16), aad, plaintext, out, ptStart);
    } else {
      const iv = this.cbcIv()!;
      out.set(iv, 8);
      this.cbc!.encryptInto(iv, plaintext, out, ptStart);
      this.hmac!.computeInto(out.subarray(0, icvStart), out, icvStart);
    }
    this.counters.packetsOut++;
    this.counters.bytesOut += len;
    return { kind: 'packet', packet: out, seq };
  }

  /** Decapsulates one ESP packet (the UDP payload, SPI first). Never throws for bad input. */
  open(packet: Uint8Array): EspOpenResult {
    const drop = this.precheck(packet);
    if (drop) return drop;
    const seq = readU32(packet, 4);
    const ptStart = ESP_SPI_SEQ_LENGTH + this.ivLength;
    const icvStart = packet.length - this.icvLength;
    let pt: Uint8Array | undefined;
    if (this.nat) {
      const out = Buffer.allocUnsafe(icvStart - ptStart);
      if (this.nat.open1(packet, out)) pt = out;
    } else if (this.aead) {
      pt = this.aead.open(
        packet.subarray(ESP_SPI_SEQ_LENGTH, ptStart),
        packet.subarray(0, ESP_SPI_SEQ_LENGTH),
        packet.subarray(ptStart, icvStart),
        packet.subarray(icvStart),
      );
    } else if (this.hmac!.verify(packet.subarray(0, icvStart), packet.subarray(icvStart))) {
      // Integrity first (encrypt-then-MAC): nothing unauthenticated is decrypted.
      pt = this.cbc!.decrypt(
        packet.subarray(ESP_SPI_SEQ_LENGTH, ptStart),
        packet.subarray(ptStart, icvStart),
      );
    }
    return this.finishOpen(pt, seq);
  }

  /** Length, SPI, alignment and anti-replay checks: a drop, or undefined to authenticate. */
  private precheck(packet: Uint8Array): EspOpenResult | undefined {
    const ctLen = packet.length - ESP_SPI_SEQ_LENGTH - this.ivLength - this.icvLength;
    const drops = this.counters.drops;
    if (ctLen < this.minCiphertext) {
      drops['too-short']++;
      return DROP['too-short'];
    }
    if (readU32(packet, 0) !== this.spi) {
      drops['spi-mismatch']++;
      return DROP['spi-mismatch'];
    }
    if (ctLen % this.align !== 0) {
      drops.malformed++;
      return DROP.malformed;
    }
    if (!this.replayWindow.check(readU32(packet, 4))) {
      drops.replay++;
      return DROP.replay;
    }
    return undefined;
  }

  /** After authentication (`pt` undefined: it failed): trailer checks, then the commit. */
  private finishOpen(pt: Uint8Array | undefined, seq: number): EspOpenResult {
    const drops = this.counters.drops;
    if (pt === undefined) {
      drops.auth++;
      return DROP.auth;
    }
    const ctLen = pt.length;
    const padLen = pt[ctLen - 2]!;
    const nh = pt[ctLen - 1]!;
    const payloadLen = ctLen - 2 - padLen;
    if (payloadLen < 0) {
      drops['bad-padding']++;
      return DROP['bad-padding'];
    }
    // RFC 4303 §2.4: the default padding is 1, 2, 3, …; every sender we know uses it.
    for (let i = 0; i < padLen; i++) {
      if (pt[payloadLen + i] !== i + 1) {
        drops['bad-padding']++;
        return DROP['bad-padding'];
      }
    }
    if (nh === NEXT_HEADER_NONE) {
      this.replayWindow.commit(seq);
      this.counters.dummyIn++;
      return { kind: 'dummy', seq };
    }
    if (nh !== NEXT_HEADER_IPV4 && nh !== NEXT_HEADER_IPV6) {
      drops['bad-next-header']++;
      return DROP['bad-next-header'];
    }
    // The inner header gives the real length; anything after it up to the padding is TFC
    // padding (§2.7). The version must agree with Next Header.
    const innerLen =
      payloadLen === 0 || pt[0]! >> 4 !== (nh === NEXT_HEADER_IPV4 ? 4 : 6)
        ? undefined
        : ipPacketLength(pt, 0, payloadLen);
    if (innerLen === undefined) {
      drops['bad-inner-packet']++;
      return DROP['bad-inner-packet'];
    }
    this.replayWindow.commit(seq);
    this.counters.packetsIn++;
    this.counters.bytesIn += innerLen;
    return { kind: 'packet', packet: pt.subarray(0, innerLen), nextHeader: nh, seq };
  }

  /**
   * Seals up to a batch of inner packets in order. `results` (optional) is reused: it is resized
   * to `packets.length` and filled, so a runtime looping over TUN reads allocates no arrays.
   */
  sealBatch(packets: readonly Uint8Array[], results: EspSealResult[] = []): EspSealResult[] {
    const count = packets.length;
    results.length = count;
    if (!this.nat || count < 2) {
      for (let i = 0; i < count; i++) results[i] = this.seal(packets[i]!);
      return results;
    }
    // Native: one call seals the whole batch into one buffer; the results are views of it.
    if (this.nhScratch.length < count) this.nhScratch = new Uint16Array(Math.max(64, count));
    const nhs = this.nhScratch;
    const firstSeq = this.lastSeq + 1;
    let total = 0;
    let sealed = 0;
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      const nh = nextHeaderOf(p);
      if (nh === NATIVE_SKIP) {
        nhs[i] = NATIVE_SKIP;
        results[i] = NOT_IP;
      } else if (this.lastSeq >= MAX_SEQUENCE_NUMBER) {
        nhs[i] = NATIVE_SKIP;
        results[i] = EXHAUSTED;
      } else {
        nhs[i] = nh;
        this.lastSeq++;
        total += this.sealedLength(p.length);
        sealed++;
      }
    }
    if (sealed === 0) return results;
    let ivs: Uint8Array | undefined;
    if (this.encr.kind === 'cbc') {
      ivs = new Uint8Array(16 * sealed);
      for (let k = 0; k < sealed; k++) ivs.set(this.cbcIv()!, 16 * k);
    }
    const out = Buffer.allocUnsafe(total);
    const written = this.nat.seal(packets, count, nhs, firstSeq, out, ivs);
    if (written !== total) throw new Error(`native seal wrote ${written} of ${total} bytes`);
    let off = 0;
    let seq = firstSeq;
    for (let i = 0; i < count; i++) {
      if (nhs[i] === NATIVE_SKIP) continue;
      const len = packets[i]!.length;
      const end = off + this.sealedLength(len);
      results[i] = { kind: 'packet', packet: out.subarray(off, end), seq: seq++ };
      off = end;
      this.counters.packetsOut++;
      this.counters.bytesOut += len;
    }
    return results;
  }

  /**
   * Opens a batch of ESP packets in order; `results` is reused as in `sealBatch`. The outcome is
   * exactly that of opening them one by one (the tests compare both).
   */
  openBatch(packets: readonly Uint8Array[], results: EspOpenResult[] = []): EspOpenResult[] {
    const count = packets.length;
    results.length = count;
    if (!this.nat || count < 2) {
      for (let i = 0; i < count; i++) results[i] = this.open(packets[i]!);
      return results;
    }
    // Runs of packets with distinct sequence numbers go to the backend in one call each: a
    // repeated number must meet the window as the run before it left it (committed or not).
    const seen = this.batchSeqs;
    for (let start = 0; start < count;) {
      seen.clear();
      let end = start;
      for (; end < count; end++) {
        const p = packets[end]!;
        if (p.length < ESP_SPI_SEQ_LENGTH) continue;
        const seq = readU32(p, 4);
        if (seen.has(seq)) break;
        seen.add(seq);
      }
      const run = start === 0 && end === count ? packets : packets.slice(start, end);
      this.openRun(run, results, start);
      start = end;
    }
    seen.clear();
    return results;
  }

  /** Opens `run` (distinct sequence numbers) with one native call into `results[at…]`. */
  private openRun(run: readonly Uint8Array[], results: EspOpenResult[], at: number): void {
    const n = run.length;
    if (this.statusScratch.length < n) this.statusScratch = new Uint8Array(Math.max(64, n));
    const status = this.statusScratch;
    const overhead = ESP_SPI_SEQ_LENGTH + this.ivLength + this.icvLength;
    // status: 1 = to authenticate (then 1 authentic / 0 not), PRECHECK_DROPPED = already dropped
    let total = 0;
    for (let i = 0; i < n; i++) {
      const drop = this.precheck(run[i]!);
      status[i] = drop ? PRECHECK_DROPPED : 1;
      if (drop) results[at + i] = drop;
      else total += run[i]!.length - overhead;
    }
    // One buffer for the run's plaintexts; each result is a view of it.
    const out = Buffer.allocUnsafe(total);
    this.nat!.open(run, n, status, out);
    let off = 0;
    for (let i = 0; i < n; i++) {
      if (status[i] === PRECHECK_DROPPED) continue;
      const p = run[i]!;
      const seq = readU32(p, 4);
      const pt = out.subarray(off, (off += p.length - overhead));
      // The window again, before anything else, as a one-by-one open would have met it: an
      // earlier packet of the run may have moved it past this one.
      if (!this.replayWindow.check(seq)) {
        this.counters.drops.replay++;
        results[at + i] = DROP.replay;
        continue;
      }
      results[at + i] = this.finishOpen(status[i] === 1 ? pt : undefined, seq);
    }
  }

  /** A fresh CBC IV from the injected Random (undefined for AEAD). */
  private cbcIv(): Uint8Array | undefined {
    if (this.encr.kind !== 'cbc') return undefined;
    const iv = this.random!.bytes(16);
    if (iv.length !== 16) throw new Error('Random returned the wrong number of bytes');
    return iv;
  }

  private paddedLength(innerLength: number): number {
    const a = this.align;
    return Math.ceil((innerLength + 2) / a) * a;
  }
}

/** Next Header for an inner packet from its version nibble (4 → 4, 6 → 41), else NATIVE_SKIP. */
function nextHeaderOf(inner: Uint8Array): number {
  const version = inner.length === 0 ? 0 : inner[0]! >> 4;
  return version === 4 ? NEXT_HEADER_IPV4 : version === 6 ? NEXT_HEADER_IPV6 : NATIVE_SKIP;
}

function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}
