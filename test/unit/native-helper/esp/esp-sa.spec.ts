/**
 * The ESP half of the real strongSwan 5.9.8 session (test/fixtures/captures): frames 5, 7, 9 are
 * initiator → responder pings (SPI 0x3bf7fb33), frames 6, 8, 10 the replies (SPI 0xfeae5191),
 * aes256gcm16 with the Child SA keys charon logged.
 */
import { describe, expect, it } from 'vitest';
import { EspSa, NEXT_HEADER_IPV4 } from '../../../../native-helper/esp/esp-sa.js';
import { ENCR_AES_GCM_16, espEncrTransform } from '../../../../native-helper/esp/esp-transforms.js';
import type { EspAeadTransform } from '../../../../native-helper/esp/esp-transforms.js';
import { readIpHeader } from '../../../../native-helper/esp/ip-packet.js';
import { demuxUdp4500 } from '../../../../native-helper/esp/udp-encap.js';
import { keyLogEntry, readCapture } from '../../../support/capture.js';
import { toHex } from '../../../support/hex.js';

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

describe('ESP on the strongSwan capture', () => {
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
