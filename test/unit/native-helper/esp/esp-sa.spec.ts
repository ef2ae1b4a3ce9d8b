/**
 * The ESP half of the real strongSwan 5.9.8 session (test/fixtures/captures): frames 5, 7, 9 are
 * initiator → responder pings (SPI 0x3bf7fb33), frames 6, 8, 10 the replies (SPI 0xfeae5191),
 * aes256gcm16 with the Child SA keys charon logged.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Random } from '../../../../native-helper/ike/crypto/random.js';
import type {
  EspOpenResult,
  EspSaConfig,
  EspSealResult,
} from '../../../../native-helper/esp/esp-sa.js';
import {
  DEFAULT_SOFT_SEQUENCE_LIMIT,
  EspSa as BaseEspSa,
  NEXT_HEADER_IPV4,
  NEXT_HEADER_NONE,
} from '../../../../native-helper/esp/esp-sa.js';
import {
  AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_384_192,
  AUTH_HMAC_SHA2_512_256,
  ENCR_AES_CBC,
  ENCR_AES_GCM_12,
  ENCR_AES_GCM_16,
  ENCR_AES_GCM_8,
  ENCR_CHACHA20_POLY1305,
  EspAead,
  EspCbc,
  espEncrTransform,
  espIntegTransform,
} from '../../../../native-helper/esp/esp-transforms.js';
import type {
  EspAeadTransform,
  EspEncrTransform,
  EspIntegTransform,
} from '../../../../native-helper/esp/esp-transforms.js';
import { readIpHeader } from '../../../../native-helper/esp/ip-packet.js';
import type { EspNativeBackend } from '../../../../native-helper/esp/esp-native.js';
import { loadEspNative } from '../../../../native-helper/platform/crypto/esp-native-linux.js';
import { demuxUdp4500 } from '../../../../native-helper/esp/udp-encap.js';
import { keyLogEntry, readCapture } from '../../../support/capture.js';
import { hex, toHex } from '../../../support/hex.js';
import { loadVectors } from '../../../support/vectors.js';

// Every test below runs twice: with node:crypto and with the native backend (tsunagi_esp), which
// must behave the same to the byte. `EspSa` here is EspSa with the backend of the current pass.
const NATIVE = loadEspNative({}).backend;
const PATHS = [
  ['node:crypto', undefined],
  ['native', NATIVE],
] as const;
let currentNative: EspNativeBackend | undefined;
class EspSa extends BaseEspSa {
  constructor(config: EspSaConfig) {
    super(currentNative ? { native: currentNative, ...config } : config);
    if (currentNative && !this.native) throw new Error('the native backend refused this SA');
  }
}
function usePath(label: string, backend: EspNativeBackend | undefined) {
  beforeAll(() => {
    if (label === 'native' && !backend) {
      throw new Error(`native ESP backend unavailable: ${loadEspNative({}).notes.join('; ')}`);
    }
    currentNative = backend;
  });
  afterAll(() => {
    currentNative = undefined;
  });
}

const AES256GCM16 = espEncrTransform(ENCR_AES_GCM_16, 256) as EspAeadTransform;
const SPI_I_TO_R = 0x3bf7fb33;
const SPI_R_TO_I = 0xfeae5191;

function capturedEsp() {
  const frames = readCapture().filter((d) => d.index >= 5 && d.index <= 10);
  expect(frames.map((d) => d.index)).toEqual([5, 6, 7, 8, 9, 10]);
  return frames.map((d) => {
    const demuxed = demuxUdp4500(d.payload);
    if (demuxed.kind !== 'esp') throw new Error(`frame ${d.index} is ${demuxed.kind}, not ESP`);
    return { ...d, spi: demuxed.spi, packet: demuxed.packet };
  });
}

function keyFor(spi: number): Uint8Array {
  // Both keys are key(32) ‖ salt(4): the initiator's protects what the initiator sends.
  return keyLogEntry(spi === SPI_I_TO_R ? 'encryption initiator key' : 'encryption responder key');
}

const FRAME5_INNER_PREFIX =
  '450000543c9240004001dfa70a0a0a010a6300020800d41a6db800018b02056b00000000';
const FRAME6_INNER_PREFIX =
  '45000054eb9400003f0171a50a6300020a0a0a010000dc1a6db800018b02056b00000000';
const ip4 = (b: Uint8Array) => Array.from(b).join('.');

describe.each(PATHS)('ESP on the strongSwan capture (%s)', (label, backend) => {
  usePath(label, backend);
  it('demultiplexes frames 5–10 as ESP with the two Child SA SPIs', () => {
    const esp = capturedEsp();
    expect(esp.map((e) => e.spi)).toEqual([
      SPI_I_TO_R,
      SPI_R_TO_I,
      SPI_I_TO_R,
      SPI_R_TO_I,
      SPI_I_TO_R,
      SPI_R_TO_I,
    ]);
    expect(esp.every((e) => e.srcPort === 4500 && e.dstPort === 4500)).toBe(true);
    expect(keyFor(SPI_I_TO_R)).toHaveLength(36);
    expect(keyFor(SPI_R_TO_I)).toHaveLength(36);
  });

  it('decrypts the pings and replies: ICMP echo between 10.10.10.1 and 10.99.0.2, seq 1, 2, 3', () => {
    const sas = new Map<number, EspSa>();
    for (const spi of [SPI_I_TO_R, SPI_R_TO_I]) {
      sas.set(spi, new EspSa({ spi, encr: AES256GCM16, encrKey: keyFor(spi) }));
    }
    const seen: string[] = [];
    for (const e of capturedEsp()) {
      const r = sas.get(e.spi)!.open(e.packet);
      if (r.kind !== 'packet') throw new Error(`frame ${e.index}: ${JSON.stringify(r)}`);
      expect(r.nextHeader).toBe(NEXT_HEADER_IPV4);
      const h = readIpHeader(r.packet)!;
      expect(h.version).toBe(4);
      expect(h.protocol).toBe(1); // ICMP
      expect(h.totalLength).toBe(84);
      expect(r.packet).toHaveLength(84);
      const icmp = r.packet.subarray(h.headerLength);
      const icmpSeq = (icmp[6]! << 8) | icmp[7]!;
      // tshark's decryption (psk-handshake-decrypted.txt) shows the first 36 bytes of each.
      if (e.index === 5) expect(toHex(r.packet.subarray(0, 36))).toBe(FRAME5_INNER_PREFIX);
      if (e.index === 6) expect(toHex(r.packet.subarray(0, 36))).toBe(FRAME6_INNER_PREFIX);
      seen.push(
        `${e.index} esp-seq=${r.seq} ${ip4(h.src)}>${ip4(h.dst)} icmp-type=${icmp[0]} icmp-seq=${icmpSeq}`,
      );
    }
    expect(seen).toEqual([
      '5 esp-seq=1 10.10.10.1>10.99.0.2 icmp-type=8 icmp-seq=1',
      '6 esp-seq=1 10.99.0.2>10.10.10.1 icmp-type=0 icmp-seq=1',
      '7 esp-seq=2 10.10.10.1>10.99.0.2 icmp-type=8 icmp-seq=2',
      '8 esp-seq=2 10.99.0.2>10.10.10.1 icmp-type=0 icmp-seq=2',
      '9 esp-seq=3 10.10.10.1>10.99.0.2 icmp-type=8 icmp-seq=3',
      '10 esp-seq=3 10.99.0.2>10.10.10.1 icmp-type=0 icmp-seq=3',
    ]);
    const first = sas.get(SPI_I_TO_R)!;
    expect(first.counters.packetsIn).toBe(3);
    expect(first.counters.bytesIn).toBe(3 * 84);
    // Every captured packet is now a replay.
    for (const e of capturedEsp())
      expect(sas.get(e.spi)!.open(e.packet)).toEqual({ kind: 'drop', reason: 'replay' });
  });

  it('strongSwan IVs are seq ⊕ a per-SA mask (iv_gen_seq), still unique per key', () => {
    for (const spi of [SPI_I_TO_R, SPI_R_TO_I]) {
      const packets = capturedEsp().filter((e) => e.spi === spi);
      const ivLo = packets.map((e) => Buffer.from(e.packet).readUInt32BE(12));
      const ivHi = packets.map((e) => Buffer.from(e.packet).readUInt32BE(8));
      const seqs = packets.map((e) => Buffer.from(e.packet).readUInt32BE(4));
      expect(seqs).toEqual([1, 2, 3]);
      const maskLo = (ivLo[0]! ^ 1) >>> 0;
      // Not the plain sequence number (so our default IV = seq cannot reproduce these bytes) …
      expect(ivLo.map((v, i) => v === seqs[i])).toEqual([false, false, false]);
      // … but one fixed mask XORed with it.
      expect(ivLo.map((v, i) => (v ^ seqs[i]!) >>> 0)).toEqual([maskLo, maskLo, maskLo]);
      expect(new Set(ivHi).size).toBe(1);
    }
  });

  it('re-seals the decrypted inner packets into the captured bytes exactly', () => {
    const esp = capturedEsp();
    for (const spi of [SPI_I_TO_R, SPI_R_TO_I]) {
      const packets = esp.filter((e) => e.spi === spi);
      const receiver = new EspSa({ spi, encr: AES256GCM16, encrKey: keyFor(spi) });
      const inner = packets.map((e) => {
        const r = receiver.open(e.packet);
        if (r.kind !== 'packet') throw new Error(r.kind);
        return new Uint8Array(r.packet);
      });
      // strongSwan's mask, recovered from the first packet's IV (IV = (0 ‖ seq) ⊕ mask, seq = 1).
      const mask = new Uint8Array(packets[0]!.packet.subarray(8, 16));
      mask[7] = mask[7]! ^ 1;
      const sender = new EspSa({ spi, encr: AES256GCM16, encrKey: keyFor(spi), ivMask: mask });
      const resealed = sender.sealBatch(inner);
      expect(resealed.map((r) => (r.kind === 'packet' ? toHex(r.packet) : r.kind))).toEqual(
        packets.map((e) => toHex(e.packet)),
      );
      expect(resealed.map((r) => (r.kind === 'packet' ? r.seq : 0))).toEqual([1, 2, 3]);

      // With the default IV (= seq) the ciphertext differs only through the IV: it still opens.
      const plain = new EspSa({ spi, encr: AES256GCM16, encrKey: keyFor(spi) });
      const check = new EspSa({ spi, encr: AES256GCM16, encrKey: keyFor(spi) });
      const own = plain.seal(inner[0]!);
      if (own.kind !== 'packet') throw new Error(own.kind);
      expect(toHex(own.packet.subarray(8, 16))).toBe('0000000000000001');
      expect(own.packet).toHaveLength(packets[0]!.packet.length);
      const back = check.open(own.packet);
      expect(back.kind === 'packet' && toHex(back.packet)).toBe(toHex(inner[0]!));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Vectors, round trips and hostile input
// ---------------------------------------------------------------------------------------------

interface ChachaVector {
  name: string;
  key: string;
  iv: string;
  adata: string;
  plain: string;
  cipher: string;
}

/** Deterministic `Random` for tests: a counter-driven byte stream, recording what it handed out. */
class CountingRandom implements Random {
  readonly handed: Uint8Array[] = [];
  private n = 0;
  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = (this.n++ * 167 + 13) & 0xff;
    this.handed.push(out);
    return out;
  }
}

function ipv4(len: number, dst = [10, 99, 0, 2], protocol = 17): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 20; i < len; i++) p[i] = (i * 7) & 0xff;
  p.set([
    0x45,
    0,
    len >> 8,
    len & 0xff,
    0x12,
    0x34,
    0x40,
    0,
    64,
    protocol,
    0,
    0,
    10,
    10,
    10,
    1,
    ...dst,
  ]);
  return p;
}

function ipv6(len: number, protocol = 17): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 40; i < len; i++) p[i] = (i * 13) & 0xff;
  p.set([0x60, 0, 0, 0, (len - 40) >> 8, (len - 40) & 0xff, protocol, 64]);
  p.set([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1], 8);
  p.set([0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 2], 24);
  return p;
}

interface Suite {
  label: string;
  encr: EspEncrTransform;
  integ?: EspIntegTransform;
}

const SUITES: Suite[] = [
  ...[128, 192, 256].map((bits) => ({
    label: `aes${bits}gcm16`,
    encr: espEncrTransform(ENCR_AES_GCM_16, bits)!,
  })),
  { label: 'aes256gcm12', encr: espEncrTransform(ENCR_AES_GCM_12, 256)! },
  { label: 'aes128gcm8', encr: espEncrTransform(ENCR_AES_GCM_8, 128)! },
  { label: 'chacha20poly1305', encr: espEncrTransform(ENCR_CHACHA20_POLY1305)! },
  ...[128, 192, 256].flatMap((bits) =>
    [AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256].map((id) => ({
      label: `aes${bits}-cbc + ${espIntegTransform(id)!.name}`,
      encr: espEncrTransform(ENCR_AES_CBC, bits)!,
      integ: espIntegTransform(id)!,
    })),
  ),
];

function keysFor(
  s: Suite,
  seed = 1,
): Pick<EspSaConfig, 'encr' | 'encrKey' | 'integ' | 'integKey' | 'random'> {
  const bytes = (n: number, k: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 31 + k * 17 + seed) & 0xff);
  return {
    encr: s.encr,
    encrKey: bytes(s.encr.keymatLength, 1),
    ...(s.integ
      ? { integ: s.integ, integKey: bytes(s.integ.keyLength, 2), random: new CountingRandom() }
      : {}),
  };
}

function pair(s: Suite, extra: Partial<EspSaConfig> = {}) {
  const spi = 0xc0ffee01;
  return {
    sender: new EspSa({ spi, ...keysFor(s), ...extra }),
    receiver: new EspSa({ spi, ...keysFor(s), ...extra }),
  };
}

function sealed(sa: EspSa, inner: Uint8Array, nextHeader?: number): Uint8Array {
  const r = sa.seal(inner, nextHeader);
  if (r.kind !== 'packet') throw new Error(`seal: ${r.kind}`);
  return r.packet;
}

const GCM128 = SUITES[0]!;
const CBC_SHA256 = SUITES.find((s) => s.label === 'aes128-cbc + sha256_128')!;

/**
 * An authentic AES-GCM ESP packet around an arbitrary plaintext (payload ‖ padding ‖ PadLen ‖
 * NextHeader written by the test), for trailers our sender would never produce.
 */
function craftGcm(seq: number, plaintext: Uint8Array, spi = 0xc0ffee01): Uint8Array {
  const keys = keysFor(GCM128);
  const aead = new EspAead(GCM128.encr as EspAeadTransform, keys.encrKey);
  const out = Buffer.alloc(16 + plaintext.length + 16);
  out.writeUInt32BE(spi, 0);
  out.writeUInt32BE(seq, 4);
  out.writeUInt32BE(seq, 12);
  aead.sealInto(out.subarray(8, 16), out.subarray(0, 8), plaintext, out, 16);
  return out;
}

function trailer(
  payload: Uint8Array,
  padBytes: number[],
  padLen: number,
  nextHeader: number,
): Uint8Array {
  return Uint8Array.of(...payload, ...padBytes, padLen, nextHeader);
}

describe.each(PATHS)('EspSa (%s)', (label, backend) => {
  usePath(label, backend);
  it('RFC 7634 appendix A: opens the ESP example and seals it again byte for byte', () => {
    const { vectors } = loadVectors<{ vectors: ChachaVector[] }>('chacha20poly1305.json');
    const v = vectors.find((x) => x.name === 'chacha20poly1305_3')!;
    // SPI 0x01020304, sequence number 5 (the AAD); explicit IV 0x1011121314151617.
    expect(v.adata).toBe('0102030400000005');
    const packet = hex(v.adata + v.iv + v.cipher);
    const chacha = espEncrTransform(ENCR_CHACHA20_POLY1305)!;

    const receiver = new EspSa({ spi: 0x01020304, encr: chacha, encrKey: hex(v.key) });
    const r = receiver.open(packet);
    if (r.kind !== 'packet') throw new Error(JSON.stringify(r));
    expect(r.seq).toBe(5);
    expect(r.nextHeader).toBe(NEXT_HEADER_IPV4);
    // The plaintext is the 84-byte ICMP packet ‖ padding 01 02 ‖ PadLen 2 ‖ Next Header 4.
    expect(toHex(r.packet)).toBe(v.plain.slice(0, 84 * 2));
    expect(v.plain.slice(84 * 2)).toBe('01020204');

    // The example's IV is not the sequence number; as IV = seq ⊕ mask it is reproducible.
    const mask = hex(v.iv);
    mask[7] = mask[7]! ^ 5;
    const sender = new EspSa({
      spi: 0x01020304,
      encr: chacha,
      encrKey: hex(v.key),
      lastSequence: 4,
      ivMask: mask,
    });
    expect(toHex(sealed(sender, r.packet))).toBe(toHex(packet));
  });

  it.each(SUITES.map((s) => [s.label, s] as const))(
    'round-trips IPv4 and IPv6 packets of many sizes: %s',
    (_, s) => {
      const { sender, receiver } = pair(s);
      const ivLength = s.encr.ivLength;
      const icvLength = s.encr.kind === 'aead' ? s.encr.icvLength : s.integ!.icvLength;
      let seq = 0;
      let bytes = 0;
      for (const inner of [
        ...[20, 21, 22, 23, 24, 25, 31, 32, 33, 100, 1400, 1500].map((n) => ipv4(n)),
        ...[40, 41, 42, 43, 44, 45, 57, 1280, 1500].map((n) => ipv6(n)),
      ]) {
        const packet = sealed(sender, inner);
        seq++;
        bytes += inner.length;
        expect(packet.length).toBe(sender.sealedLength(inner.length));
        const b = Buffer.from(packet);
        expect(b.readUInt32BE(0)).toBe(0xc0ffee01);
        expect(b.readUInt32BE(4)).toBe(seq);
        const ctLength = packet.length - 8 - ivLength - icvLength;
        expect(ctLength % s.encr.blockSize).toBe(0);
        // Minimal padding: less than one block beyond payload ‖ PadLen ‖ NextHeader.
        expect(ctLength - inner.length - 2).toBeLessThan(s.encr.blockSize);
        expect(ctLength - inner.length - 2).toBeGreaterThanOrEqual(0);
        if (s.encr.kind === 'aead') expect(b.readUInt32BE(12)).toBe(seq); // IV = seq
        const r = receiver.open(packet);
        if (r.kind !== 'packet') throw new Error(`${inner.length}: ${JSON.stringify(r)}`);
        expect(toHex(r.packet)).toBe(toHex(inner));
        expect(r.nextHeader).toBe(inner[0]! >> 4 === 4 ? 4 : 41);
        expect(r.seq).toBe(seq);
      }
      expect(sender.counters).toMatchObject({ packetsOut: seq, bytesOut: bytes, packetsIn: 0 });
      expect(receiver.counters).toMatchObject({ packetsIn: seq, bytesIn: bytes, packetsOut: 0 });
      expect(Object.values(receiver.counters.drops).every((n) => n === 0)).toBe(true);
    },
  );

  it('AES-CBC + HMAC: random IV from Random, HMAC over SPI ‖ Seq ‖ IV ‖ ciphertext (checked with node:crypto)', () => {
    for (const s of SUITES.filter((x) => x.encr.kind === 'cbc')) {
      const keys = keysFor(s);
      const random = keys.random as CountingRandom;
      const sa = new EspSa({ spi: 0x11223344, ...keys });
      const inner = ipv4(61);
      const packet = Buffer.from(sealed(sa, inner));
      const icvLength = s.integ!.icvLength;
      const iv = packet.subarray(8, 24);
      expect(toHex(iv)).toBe(toHex(random.handed.at(-1)!));
      const ct = packet.subarray(24, packet.length - icvLength);
      const mac = createHmac(s.integ!.hash, keys.integKey!)
        .update(packet.subarray(0, packet.length - icvLength))
        .digest();
      expect(toHex(packet.subarray(packet.length - icvLength))).toBe(
        toHex(mac.subarray(0, icvLength)),
      );
      const d = createDecipheriv(`aes-${s.encr.keyBits}-cbc`, keys.encrKey, iv);
      d.setAutoPadding(false);
      const pt = Buffer.concat([d.update(ct), d.final()]);
      // 61 + 2 = 63 → one pad byte to 64.
      expect(toHex(pt)).toBe(toHex(inner) + '01' + '01' + '04');
      // Each packet draws a fresh IV.
      const again = Buffer.from(sealed(sa, inner));
      expect(toHex(again.subarray(8, 24))).not.toBe(toHex(iv));
    }
  });

  it('pads with 1, 2, 3, … to a 4-byte boundary for AEAD and 16 for CBC', () => {
    for (const [s, align] of [
      [GCM128, 4],
      [CBC_SHA256, 16],
    ] as const) {
      const keys = keysFor(s);
      const sa = new EspSa({ spi: 0x1000, ...keys });
      for (let len = 20; len < 20 + 2 * align; len++) {
        const packet = Buffer.from(sealed(sa, ipv4(len)));
        let pt: Buffer;
        if (s.encr.kind === 'aead') {
          const aead = new EspAead(s.encr, keys.encrKey);
          pt = aead.open(
            packet.subarray(8, 16),
            packet.subarray(0, 8),
            packet.subarray(16, -16),
            packet.subarray(-16),
          )!;
        } else {
          pt = new EspCbc(s.encr, keys.encrKey).decrypt(
            packet.subarray(8, 24),
            packet.subarray(24, -16),
          )!;
        }
        expect(pt.length % align).toBe(0);
        const padLen = (align - ((len + 2) % align)) % align;
        expect(pt[pt.length - 2]).toBe(padLen);
        expect(pt[pt.length - 1]).toBe(4);
        expect([...pt.subarray(len, len + padLen)]).toEqual(
          Array.from({ length: padLen }, (_, i) => i + 1),
        );
      }
    }
  });

  it('sends and silently drops dummy packets (Next Header 59), which still use a sequence number', () => {
    const { sender, receiver } = pair(GCM128);
    const dummy = sealed(sender, new Uint8Array(10), NEXT_HEADER_NONE);
    expect(receiver.open(dummy)).toEqual({ kind: 'dummy', seq: 1 });
    expect(receiver.counters.dummyIn).toBe(1);
    expect(receiver.counters.packetsIn).toBe(0);
    expect(receiver.open(dummy)).toEqual({ kind: 'drop', reason: 'replay' });
    // An empty dummy payload is fine too.
    expect(receiver.open(sealed(sender, new Uint8Array(0), NEXT_HEADER_NONE))).toEqual({
      kind: 'dummy',
      seq: 2,
    });
  });

  it('trims TFC padding using the inner header length', () => {
    const receiver = new EspSa({ spi: 0xc0ffee01, ...keysFor(GCM128) });
    const inner = ipv4(60);
    const tfc = new Uint8Array(40); // zeros after the packet, as a TFC-padding sender adds
    const r = receiver.open(craftGcm(1, trailer(Uint8Array.of(...inner, ...tfc), [1, 2], 2, 4)));
    if (r.kind !== 'packet') throw new Error(JSON.stringify(r));
    expect(toHex(r.packet)).toBe(toHex(inner));
    expect(receiver.counters.bytesIn).toBe(60);
    const v6 = ipv6(48);
    const r6 = receiver.open(craftGcm(2, trailer(Uint8Array.of(...v6, 0, 0), [], 0, 41)));
    expect(r6.kind === 'packet' && toHex(r6.packet)).toBe(toHex(v6));
  });

  it('drops authentic packets with bad trailers or inner packets, without moving the window', () => {
    const receiver = new EspSa({ spi: 0xc0ffee01, ...keysFor(GCM128) });
    const inner = ipv4(22); // 22 + 2 = 24: no padding needed
    const cases: [string, Uint8Array][] = [
      ['bad-padding', trailer(inner.subarray(0, 20), [1, 2], 30, 4)], // PadLen > plaintext − 2
      ['bad-padding', trailer(inner.subarray(0, 20), [0, 0], 2, 4)], // pad bytes not 1, 2
      ['bad-padding', trailer(inner.subarray(0, 20), [1, 3], 2, 4)],
      ['bad-padding', Uint8Array.of(0, 0, 3, 4)], // PadLen 3 with 2 bytes before it
      ['bad-next-header', trailer(inner, [], 0, 17)],
      ['bad-next-header', trailer(inner, [], 0, 0)],
      ['bad-inner-packet', trailer(inner, [], 0, 41)], // IPv4 packet, Next Header says IPv6
      ['bad-inner-packet', trailer(ipv6(42), [], 0, 4)], // and the other way round
      ['bad-inner-packet', trailer(ipv4(22).fill(0x45, 0, 1).subarray(0, 18), [1, 2, 3, 4], 4, 4)], // header cut
      ['bad-inner-packet', Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 4).subarray(8)], // empty inner
    ];
    // An inner header whose Total Length exceeds what the ESP payload holds.
    const long = ipv4(22);
    long[3] = 23;
    cases.push(['bad-inner-packet', trailer(long, [], 0, 4)]);
    const badIhl = ipv4(22);
    badIhl[0] = 0x44;
    cases.push(['bad-inner-packet', trailer(badIhl, [], 0, 4)]);

    let seq = 10;
    for (const [reason, pt] of cases) {
      expect(pt.length % 4, reason).toBe(0);
      seq++;
      expect(receiver.open(craftGcm(seq, pt)), `${reason} ${toHex(pt)}`).toEqual({
        kind: 'drop',
        reason,
      });
      expect(receiver.replayWindow.top).toBe(0);
    }
    expect(receiver.counters.drops['bad-padding']).toBe(4);
    expect(receiver.counters.drops['bad-next-header']).toBe(2);
    expect(receiver.counters.drops['bad-inner-packet']).toBe(6);
    // All those sequence numbers are still usable by genuine packets.
    expect(receiver.open(craftGcm(11, trailer(inner, [], 0, 4))).kind).toBe('packet');
  });

  it('drops truncated and bit-flipped packets without throwing', () => {
    for (const s of [GCM128, CBC_SHA256, SUITES.find((x) => x.label === 'chacha20poly1305')!]) {
      const { sender, receiver } = pair(s);
      const packet = sealed(sender, ipv4(40));
      for (let n = 0; n < packet.length; n++) {
        const r = receiver.open(packet.subarray(0, n));
        expect(r.kind, `${s.label} len ${n}`).toBe('drop');
      }
      const reasons = new Set<string>();
      for (let i = 0; i < packet.length; i++) {
        const bad = new Uint8Array(packet);
        bad[i] = bad[i]! ^ (1 << (i % 8));
        const r = receiver.open(bad);
        if (r.kind !== 'drop') throw new Error(`${s.label}: flipped byte ${i} accepted`);
        reasons.add(r.reason);
      }
      expect([...reasons].sort()).toEqual(['auth', 'spi-mismatch']);
      const d = receiver.counters.drops;
      expect(d['too-short']).toBeGreaterThan(0);
      expect(d['too-short'] + d.malformed + d.auth + d['spi-mismatch']).toBe(2 * packet.length);
      expect(receiver.replayWindow.top).toBe(0);
      expect(receiver.open(packet).kind).toBe('packet');
    }
  });

  it('rejects a ciphertext that is not a whole number of blocks before any crypto', () => {
    const { sender, receiver } = pair(CBC_SHA256);
    const packet = sealed(sender, ipv4(40));
    // Append 4 bytes: ICV position shifts, ciphertext is no longer a multiple of 16.
    expect(receiver.open(Uint8Array.of(...packet, 1, 2, 3, 4))).toEqual({
      kind: 'drop',
      reason: 'malformed',
    });
    const g = pair(GCM128);
    expect(g.receiver.open(Uint8Array.of(...sealed(g.sender, ipv4(40)), 9))).toEqual({
      kind: 'drop',
      reason: 'malformed',
    });
  });

  it('a forged packet with a new high sequence number does not move the window', () => {
    const { sender, receiver } = pair(GCM128);
    const p1 = sealed(sender, ipv4(30));
    const p2 = sealed(sender, ipv4(31));
    expect(receiver.open(p1).kind).toBe('packet');
    // Same SPI, sequence number far ahead, wrong key: fails authentication.
    const forger = new EspSa({ spi: 0xc0ffee01, ...keysFor(GCM128, 99), lastSequence: 999_999 });
    const forged = sealed(forger, ipv4(30));
    expect(Buffer.from(forged).readUInt32BE(4)).toBe(1_000_000);
    expect(receiver.open(forged)).toEqual({ kind: 'drop', reason: 'auth' });
    expect(receiver.replayWindow.top).toBe(1);
    expect(receiver.replayWindow.check(1_000_000)).toBe(true);
    // Had it moved the window, seq 2 would now be too old.
    expect(receiver.open(p2).kind).toBe('packet');
    // A real packet with a tampered sequence number (AAD) also fails and changes nothing.
    const p3 = new Uint8Array(sealed(sender, ipv4(30)));
    p3[4] = 0x7f;
    expect(receiver.open(p3)).toEqual({ kind: 'drop', reason: 'auth' });
    expect(receiver.replayWindow.top).toBe(2);
    expect(receiver.counters.drops.auth).toBe(2);
  });

  it('accepts reordering inside the window and drops replays and too-old packets', () => {
    const { sender, receiver } = pair(GCM128, { replayWindowSize: 32 });
    const packets = Array.from({ length: 40 }, (_, i) => sealed(sender, ipv4(20 + i)));
    expect(receiver.open(packets[39]!).kind).toBe('packet'); // seq 40
    expect(receiver.open(packets[8]!).kind).toBe('packet'); // seq 9: 31 behind
    expect(receiver.open(packets[7]!)).toEqual({ kind: 'drop', reason: 'replay' }); // seq 8: 32 behind
    expect(receiver.open(packets[8]!)).toEqual({ kind: 'drop', reason: 'replay' });
    expect(receiver.open(packets[20]!).kind).toBe('packet');
    expect(receiver.counters.drops.replay).toBe(2);
    expect(receiver.counters.packetsIn).toBe(3);
  });

  it('follows a genuine far-future jump; what fell out of the window is then a replay', () => {
    const { sender, receiver } = pair(GCM128, { replayWindowSize: 64 });
    const early = sealed(sender, ipv4(30)); // seq 1
    const jumper = new EspSa({ spi: 0xc0ffee01, ...keysFor(GCM128), lastSequence: 3_000_000_000 });
    const far = jumper.seal(ipv4(30));
    expect(far.kind === 'packet' && far.seq).toBe(3_000_000_001);
    expect(receiver.open(sealed(jumper, ipv4(31))).kind).toBe('packet'); // 3 000 000 002 first
    expect(far.kind === 'packet' && receiver.open(far.packet).kind).toBe('packet'); // 1 behind: in window
    expect(receiver.replayWindow.top).toBe(3_000_000_002);
    expect(receiver.open(early)).toEqual({ kind: 'drop', reason: 'replay' });
  });

  it('stops a batch at sequence exhaustion without wrapping', () => {
    const { sender } = pair(GCM128, { lastSequence: 2 ** 32 - 3 });
    const r = sender.sealBatch([ipv4(20), ipv4(20), ipv4(20), ipv4(20)]);
    expect(r.map((x) => (x.kind === 'packet' ? x.seq : x.kind))).toEqual([
      0xfffffffe,
      0xffffffff,
      'sequence-exhausted',
      'sequence-exhausted',
    ]);
    expect(() => sender.seal(ipv4(20), 256)).toThrow(RangeError);
  });

  it('drops a packet for another SPI', () => {
    const { sender } = pair(GCM128);
    const other = new EspSa({ spi: 0xc0ffee02, ...keysFor(GCM128) });
    expect(other.open(sealed(sender, ipv4(30)))).toEqual({ kind: 'drop', reason: 'spi-mismatch' });
    expect(other.counters.drops['spi-mismatch']).toBe(1);
  });

  it('never cycles the sequence number: 2^32 − 1 is the last, then sequence-exhausted', () => {
    const { sender, receiver } = pair(GCM128, { lastSequence: 2 ** 32 - 2 });
    expect(sender.lastSequence).toBe(2 ** 32 - 2);
    expect(sender.rekeyNeeded).toBe(true); // far past the default soft limit
    expect(sender.exhausted).toBe(false);
    const last = sender.seal(ipv4(30));
    expect(last.kind === 'packet' && last.seq).toBe(0xffffffff);
    if (last.kind !== 'packet') throw new Error(last.kind);
    expect(toHex(last.packet.subarray(4, 16))).toBe('ffffffff00000000ffffffff');
    expect(sender.exhausted).toBe(true);
    expect(sender.seal(ipv4(30))).toEqual({ kind: 'sequence-exhausted' });
    expect(sender.seal(ipv4(30))).toEqual({ kind: 'sequence-exhausted' });
    expect(sender.lastSequence).toBe(0xffffffff);
    expect(sender.counters.packetsOut).toBe(1);
    const r = receiver.open(last.packet);
    expect(r.kind === 'packet' && r.seq).toBe(0xffffffff);
  });

  it('asks for a rekey at the soft limit and keeps sealing', () => {
    const { sender } = pair(GCM128, { softSequenceLimit: 3 });
    expect(sender.rekeyNeeded).toBe(false);
    sealed(sender, ipv4(20));
    sealed(sender, ipv4(20));
    expect(sender.rekeyNeeded).toBe(false);
    sealed(sender, ipv4(20));
    expect(sender.rekeyNeeded).toBe(true);
    expect(sender.seal(ipv4(20)).kind).toBe('packet');
    expect(DEFAULT_SOFT_SEQUENCE_LIMIT).toBeLessThan(0xffffffff);
    expect(pair(GCM128).sender.rekeyNeeded).toBe(false);
  });

  it('refuses to seal what is not an IP packet unless told the Next Header', () => {
    const { sender } = pair(GCM128);
    expect(sender.seal(new Uint8Array(0))).toEqual({ kind: 'not-ip' });
    expect(sender.seal(Uint8Array.of(0x50, 1, 2))).toEqual({ kind: 'not-ip' });
    expect(sender.lastSequence).toBe(0);
  });

  it('seals and opens batches, reusing the result array', () => {
    const { sender, receiver } = pair(SUITES.find((x) => x.label === 'chacha20poly1305')!);
    const inner = Array.from({ length: 64 }, (_, i) => (i % 2 ? ipv4(40 + i) : ipv6(60 + i)));
    const sealedResults: EspSealResult[] = [];
    const out = sender.sealBatch(inner, sealedResults);
    expect(out).toBe(sealedResults);
    expect(out).toHaveLength(64);
    const wire = out.map((r) => (r.kind === 'packet' ? r.packet : new Uint8Array(0)));
    wire.push(wire[3]!); // a duplicate inside the batch
    const opened: EspOpenResult[] = [
      { kind: 'dummy', seq: 0 },
      { kind: 'dummy', seq: 0 },
    ];
    const back = receiver.openBatch(wire, opened);
    expect(back).toBe(opened);
    expect(back).toHaveLength(65);
    expect(back.slice(0, 64).map((r) => (r.kind === 'packet' ? toHex(r.packet) : r.kind))).toEqual(
      inner.map((p) => toHex(p)),
    );
    expect(back[64]).toEqual({ kind: 'drop', reason: 'replay' });
    expect(receiver.openBatch([]).length).toBe(0);
  });

  it('validates its configuration', () => {
    const gcm = keysFor(GCM128);
    expect(() => new EspSa({ spi: 0, ...gcm })).toThrow(/SPI/);
    expect(() => new EspSa({ spi: 255, ...gcm })).toThrow(/SPI/);
    expect(() => new EspSa({ spi: 2 ** 32, ...gcm })).toThrow(/SPI/);
    expect(
      () =>
        new EspSa({
          spi: 0x1000,
          ...gcm,
          integ: espIntegTransform(12)!,
          integKey: new Uint8Array(32),
        }),
    ).toThrow(/AEAD/);
    expect(() => new EspSa({ spi: 0x1000, ...gcm, ivMask: new Uint8Array(4) })).toThrow(/ivMask/);
    expect(() => new EspSa({ spi: 0x1000, ...gcm, lastSequence: 2 ** 32 })).toThrow(/lastSequence/);
    expect(() => new EspSa({ spi: 0x1000, ...gcm, replayWindowSize: 0 })).toThrow(RangeError);
    const cbc = keysFor(CBC_SHA256);
    expect(() => new EspSa({ spi: 0x1000, ...cbc, random: undefined })).toThrow(/Random/);
    expect(() => new EspSa({ spi: 0x1000, ...cbc, integ: undefined })).toThrow(/integrity/);
    expect(() => new EspSa({ spi: 0x1000, ...cbc, encrKey: new Uint8Array(20) })).toThrow(
      /16-byte/,
    );
  });
});
