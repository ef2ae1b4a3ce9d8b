/**
 * Data plane in process, no gateway: EspSa.seal/open of 1400-byte inner IPv4 packets with
 * AES-256-GCM and ChaCha20-Poly1305 on one thread, next to raw node:crypto AEAD over the same
 * sizes (one cipher object per packet, 8-byte AAD, 16-byte tag: the least any ESP needs) in the
 * same run. Two ways of ours, alternating with raw in each round:
 *   - js: node:crypto per packet (what runs when the native backend is unavailable);
 *   - native: the tsunagi_esp backend, sealBatch/openBatch of 64 packets (a TUN read batch), as
 *     the data plane calls it.
 * Rates count inner bytes (1400 per packet). Sealing retains nothing (as in the data plane);
 * opening works through packets sealed beforehand, outside the timed loop.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import type { EspNativeBackend } from '../../native-helper/esp/esp-native.js';
import { EspSa } from '../../native-helper/esp/esp-sa.js';
import { loadEspNative } from '../../native-helper/platform/crypto/esp-native-linux.js';
import {
  ENCR_AES_GCM_16,
  ENCR_CHACHA20_POLY1305,
  espEncrTransform,
  type EspAeadTransform,
} from '../../native-helper/esp/esp-transforms.js';

export const PACKET_BYTES = 1400;

export const BATCH = 64;

export interface DataPlaneRow {
  cipher: string;
  direction: 'seal' | 'open';
  /** node:crypto per packet */
  oursGbps: number[];
  /** native backend, batches of BATCH; empty when the backend is unavailable */
  nativeGbps: number[];
  rawGbps: number[];
}

export interface DataPlaneResult {
  rows: DataPlaneRow[];
  /** Why the native rows are missing, if they are. */
  nativeUnavailable: string | undefined;
}

function ipv4Packet(len: number): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 20; i < len; i++) p[i] = (i * 31) & 0xff;
  p[0] = 0x45;
  p[2] = len >> 8;
  p[3] = len & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set([10, 10, 10, 1], 12);
  p.set([10, 99, 0, 10], 16);
  return p;
}

const gbps = (packets: number, ms: number) => (packets * PACKET_BYTES * 8) / (ms * 1e6);

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

function nativeRound(
  transform: EspAeadTransform,
  keymat: Uint8Array,
  inner: Uint8Array,
  n: number,
  native: EspNativeBackend,
) {
  const spi = 0x1000_0001;
  const config = { spi, encr: transform, encrKey: keymat, native };
  const sender = new EspSa(config);
  if (!sender.native) throw new Error('the native backend refused the SA');
  const batch = Array.from({ length: BATCH }, () => inner);
  const rounds = Math.ceil(n / BATCH);
  const results: ReturnType<EspSa['sealBatch']> = [];
  let check = 0;
  const sealMs = time(() => {
    for (let b = 0; b < rounds; b++) {
      const rs = sender.sealBatch(batch, results);
      const last = rs[BATCH - 1]!;
      if (last.kind !== 'packet') throw new Error(`seal: ${last.kind}`);
      check ^= last.packet[last.packet.length - 1]!;
    }
  });
  const feeder = new EspSa(config);
  const sealed: Uint8Array[][] = Array.from({ length: rounds }, () =>
    feeder.sealBatch(batch).map((r) => {
      if (r.kind !== 'packet') throw new Error(`seal: ${r.kind}`);
      return r.packet;
    }),
  );
  const receiver = new EspSa(config);
  const opened: ReturnType<EspSa['openBatch']> = [];
  let bytes = 0;
  const openMs = time(() => {
    for (let b = 0; b < rounds; b++) {
      for (const r of receiver.openBatch(sealed[b]!, opened)) {
        if (r.kind !== 'packet') throw new Error(`open: ${r.kind === 'drop' ? r.reason : r.kind}`);
        bytes += r.packet.length;
      }
    }
  });
  if (bytes !== rounds * BATCH * inner.length) throw new Error('open delivered the wrong bytes');
  return { seal: gbps(rounds * BATCH, sealMs), open: gbps(rounds * BATCH, openMs), check };
}

function oursRound(transform: EspAeadTransform, keymat: Uint8Array, inner: Uint8Array, n: number) {
  const spi = 0x1000_0001;
  // Seal as the data plane does: each packet is handed on and dropped (nothing retained).
  const sender = new EspSa({ spi, encr: transform, encrKey: keymat });
  let check = 0;
  const sealMs = time(() => {
    for (let i = 0; i < n; i++) {
      const r = sender.seal(inner);
      if (r.kind !== 'packet') throw new Error(`seal: ${r.kind}`);
      check ^= r.packet[r.packet.length - 1]!;
    }
  });
  // Open needs sealed packets: made by another sender with the same key, outside the timing.
  const feeder = new EspSa({ spi, encr: transform, encrKey: keymat });
  const sealed = Array.from({ length: n }, () => {
    const r = feeder.seal(inner);
    if (r.kind !== 'packet') throw new Error(`seal: ${r.kind}`);
    return r.packet;
  });
  const receiver = new EspSa({ spi, encr: transform, encrKey: keymat });
  let bytes = 0;
  const openMs = time(() => {
    for (let i = 0; i < n; i++) {
      const r = receiver.open(sealed[i]!);
      if (r.kind !== 'packet') throw new Error(`open: ${r.kind === 'drop' ? r.reason : r.kind}`);
      bytes += r.packet.length;
    }
  });
  if (bytes !== n * inner.length) throw new Error('open delivered the wrong number of bytes');
  return { seal: gbps(n, sealMs), open: gbps(n, openMs), check };
}

function rawRound(cipherName: string, key: Buffer, inner: Uint8Array, n: number) {
  // What ESP encrypts: inner ‖ padding ‖ pad length ‖ next header (1400 + 2 for AEAD, aligned to 4).
  const pt = Buffer.alloc(inner.length + 2 + ((4 - ((inner.length + 2) % 4)) % 4));
  pt.set(inner);
  const aad = Buffer.alloc(8, 7);
  const nonce = Buffer.alloc(12, 1);
  const opts = { authTagLength: 16 };
  const name = cipherName as CipherGCMTypes;
  let check = 0;
  const sealMs = time(() => {
    for (let i = 0; i < n; i++) {
      nonce.writeUInt32BE(i, 8);
      const c = createCipheriv(name, key, nonce, opts);
      c.setAAD(aad);
      const ct = c.update(pt);
      c.final();
      check ^= ct[0]! ^ c.getAuthTag()[0]!;
    }
  });
  const cts: Buffer[] = new Array<Buffer>(n);
  const tags: Buffer[] = new Array<Buffer>(n);
  for (let i = 0; i < n; i++) {
    nonce.writeUInt32BE(i, 8);
    const c = createCipheriv(name, key, nonce, opts);
    c.setAAD(aad);
    cts[i] = c.update(pt);
    c.final();
    tags[i] = c.getAuthTag();
  }
  const openMs = time(() => {
    for (let i = 0; i < n; i++) {
      nonce.writeUInt32BE(i, 8);
      const d = createDecipheriv(name, key, nonce, opts);
      d.setAuthTag(tags[i]!);
      d.setAAD(aad);
      d.update(cts[i]!);
      d.final();
    }
  });
  return { seal: gbps(n, sealMs), open: gbps(n, openMs), check };
}

/** `rounds` alternating rounds of ours and raw per cipher, `packets` packets each, after a warm-up. */
export function benchDataPlane(packets: number, rounds: number): DataPlaneResult {
  const inner = ipv4Packet(PACKET_BYTES);
  // The bench runs as a bundle in a temp dir: look for the addon from the repository root (cwd).
  const load = loadEspNative(process.env, process.cwd());
  const native = load.backend;
  const ciphers = [
    { label: 'AES-256-GCM', id: ENCR_AES_GCM_16, bits: 256, raw: 'aes-256-gcm' },
    {
      label: 'ChaCha20-Poly1305',
      id: ENCR_CHACHA20_POLY1305,
      bits: undefined,
      raw: 'chacha20-poly1305',
    },
  ];
  const rows: DataPlaneRow[] = [];
  for (const c of ciphers) {
    const transform = espEncrTransform(c.id, c.bits) as EspAeadTransform | undefined;
    if (transform?.kind !== 'aead') throw new Error(`${c.label}: no AEAD transform`);
    const keymat = randomBytes(transform.keymatLength);
    const key = Buffer.from(keymat.subarray(0, transform.keyLength));
    // warm-up (JIT, OpenSSL contexts)
    oursRound(transform, keymat, inner, Math.min(2000, packets));
    if (native) nativeRound(transform, keymat, inner, Math.min(2000, packets), native);
    rawRound(c.raw, key, inner, Math.min(2000, packets));
    const row = (direction: 'seal' | 'open'): DataPlaneRow => ({
      cipher: c.label,
      direction,
      oursGbps: [],
      nativeGbps: [],
      rawGbps: [],
    });
    const seal = row('seal');
    const open = row('open');
    for (let r = 0; r < rounds; r++) {
      const o = oursRound(transform, keymat, inner, packets);
      const w = rawRound(c.raw, key, inner, packets);
      seal.oursGbps.push(o.seal);
      open.oursGbps.push(o.open);
      seal.rawGbps.push(w.seal);
      open.rawGbps.push(w.open);
      if (native) {
        const x = nativeRound(transform, keymat, inner, packets, native);
        seal.nativeGbps.push(x.seal);
        open.nativeGbps.push(x.open);
      }
    }
    rows.push(seal, open);
  }
  return {
    rows,
    nativeUnavailable: native ? undefined : load.notes.join('; ') || 'unavailable',
  };
}
