/**
 * The native ESP backend (tsunagi_esp) against the node:crypto path, differentially: random keys,
 * sizes and transforms must give the same bytes both ways, each must open what the other sealed,
 * and tampering is rejected and counted without moving the replay window. Also how the loader
 * decides: disabled by env, missing addon, a runtime without OpenSSL symbols (as under Electron's
 * BoringSSL), a wrong self-test — each leaves node:crypto in charge, never a load failure.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Random } from '../../../../native-helper/ike/crypto/random.js';
import { EspSa, type EspSaConfig } from '../../../../native-helper/esp/esp-sa.js';
import {
  AUTH_HMAC_SHA2_256_128,
  AUTH_HMAC_SHA2_384_192,
  AUTH_HMAC_SHA2_512_256,
  ENCR_AES_CBC,
  ENCR_AES_GCM_12,
  ENCR_AES_GCM_16,
  ENCR_AES_GCM_8,
  ENCR_CHACHA20_POLY1305,
  espEncrTransform,
  espIntegTransform,
  type EspEncrTransform,
  type EspIntegTransform,
} from '../../../../native-helper/esp/esp-transforms.js';
import {
  ESP_ADDON_ENV,
  ESP_ADDON_PATH,
  loadEspNative,
  selfTestCase,
  SELF_TEST_VECTORS,
  type Family,
} from '../../../../native-helper/platform/crypto/esp-native-linux.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const loaded = loadEspNative({}, join(REPO, 'native-helper', 'platform', 'crypto'));
const NATIVE = loaded.backend;

function native() {
  if (!NATIVE) throw new Error(`native ESP backend unavailable: ${loaded.notes.join('; ')}`);
  return NATIVE;
}

/** The same byte stream for both sides, so CBC IVs agree. */
class SeededRandom implements Random {
  private n: number;
  constructor(seed: number) {
    this.n = seed;
  }
  bytes(len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = (this.n = (this.n * 1103515245 + 12345) >>> 0) >>> 24;
    return out;
  }
}

const SUITES: { encr: EspEncrTransform; integ?: EspIntegTransform }[] = [
  ...[128, 192, 256].map((b) => ({ encr: espEncrTransform(ENCR_AES_GCM_16, b)! })),
  { encr: espEncrTransform(ENCR_AES_GCM_12, 256)! },
  { encr: espEncrTransform(ENCR_AES_GCM_8, 128)! },
  { encr: espEncrTransform(ENCR_CHACHA20_POLY1305)! },
  ...[128, 192, 256].flatMap((b) =>
    [AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256].map((id) => ({
      encr: espEncrTransform(ENCR_AES_CBC, b)!,
      integ: espIntegTransform(id)!,
    })),
  ),
];
const label = (s: (typeof SUITES)[number]) => `${s.encr.name}${s.integ ? `+${s.integ.name}` : ''}`;

function randomInner(): Uint8Array {
  const v6 = randomInt(2) === 1;
  const len = v6 ? randomInt(40, 1501) : randomInt(20, 1501);
  const p = new Uint8Array(randomBytes(len));
  if (v6) {
    p[0] = 0x60;
    p[4] = (len - 40) >> 8;
    p[5] = (len - 40) & 0xff;
  } else {
    p[0] = 0x45;
    p[2] = len >> 8;
    p[3] = len & 0xff;
  }
  return p;
}

function configFor(s: (typeof SUITES)[number], seed: number): EspSaConfig {
  return {
    spi: 0x4000_0000 + seed,
    encr: s.encr,
    encrKey: new Uint8Array(randomBytes(s.encr.keymatLength)),
    ivMask: new Uint8Array(randomBytes(8)),
    ...(s.integ
      ? {
          integ: s.integ,
          integKey: new Uint8Array(randomBytes(s.integ.keyLength)),
          random: new SeededRandom(seed),
        }
      : {}),
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('native ESP backend ⇄ node:crypto', () => {
  it('loads here, with every family', () => {
    expect(loaded.notes).toEqual([]);
    for (const s of SUITES) {
      expect(new EspSa({ ...configFor(s, 1), native: native() }).native, label(s)).toBe(true);
    }
  });

  it.each(SUITES.map((s) => [label(s), s] as const))(
    '%s: random packets seal to the same bytes, single and batched, and open across',
    (_, s) => {
      for (let round = 0; round < 4; round++) {
        const config = configFor(s, round + 7);
        const clone = () => ({
          ...config,
          ...(config.random ? { random: new SeededRandom(round + 7) } : {}),
        });
        const js = new EspSa(clone());
        const nat = new EspSa({ ...clone(), native: native() });
        const inners = Array.from({ length: randomInt(1, 80) }, randomInner);
        // one by one, then as one batch
        const a = inners.map((p) => js.seal(p));
        const b = inners.map((p) => nat.seal(p));
        const c = js.sealBatch(inners);
        const d = nat.sealBatch(inners);
        const bytes = (rs: typeof a) =>
          rs.map((r) => (r.kind === 'packet' ? hex(r.packet) : r.kind));
        expect(bytes(b)).toEqual(bytes(a));
        expect(bytes(d)).toEqual(bytes(c));
        expect(nat.counters).toEqual(js.counters);
        // each opens what the other sealed, singly and as a batch
        const wire = [...a, ...c].map((r) => (r.kind === 'packet' ? r.packet : new Uint8Array()));
        const natIn = new EspSa({ ...clone(), native: native() });
        const jsIn = new EspSa(clone());
        const opened = natIn.openBatch(wire.slice(0, inners.length));
        const opened2 = wire.slice(inners.length).map((p) => natIn.open(p));
        const back = jsIn.openBatch(
          d.map((r) => (r.kind === 'packet' ? r.packet : new Uint8Array())),
        );
        for (const rs of [opened, opened2, back]) {
          expect(rs.map((r) => (r.kind === 'packet' ? hex(r.packet) : r.kind))).toEqual(
            inners.map(hex),
          );
        }
        expect(natIn.counters.packetsIn).toBe(2 * inners.length);
        // the received packets were not written to
        expect(wire.map(hex)).toEqual(
          [...a, ...c].map((r) => (r.kind === 'packet' ? hex(r.packet) : '')),
        );
      }
    },
  );

  it.each(SUITES.map((s) => [label(s), s] as const))(
    '%s: a tampered packet is dropped and counted, the window does not move, the original still opens',
    (_, s) => {
      const config = configFor(s, 3);
      const sender = new EspSa({ ...config, native: native() });
      const r = sender.seal(randomInner());
      if (r.kind !== 'packet') throw new Error(r.kind);
      for (const path of ['js', 'native'] as const) {
        const receiver = new EspSa({
          ...config,
          ...(path === 'native' ? { native: native() } : {}),
        });
        let auth = 0;
        for (let i = 8; i < r.packet.length; i += 7) {
          const bad = new Uint8Array(r.packet);
          bad[i] = bad[i]! ^ 0x40;
          const o = receiver.open(bad);
          expect(o.kind, `${path} byte ${i}`).toBe('drop');
          if (o.kind === 'drop' && o.reason === 'auth') auth++;
        }
        // also in one batch
        const batch = [8, 20, r.packet.length - 1].map((i) => {
          const bad = new Uint8Array(r.packet);
          bad[i] = bad[i]! ^ 1;
          return bad;
        });
        expect(receiver.openBatch(batch).map((x) => x.kind)).toEqual(['drop', 'drop', 'drop']);
        expect(receiver.counters.drops.auth).toBe(auth + 3);
        expect(receiver.replayWindow.top).toBe(0);
        expect(receiver.open(r.packet).kind).toBe('packet');
        expect(receiver.open(r.packet)).toEqual({ kind: 'drop', reason: 'replay' });
      }
    },
  );

  it('sequence exhaustion: a native batch seals up to 2^32 − 1, then refuses, never wraps', () => {
    const s = SUITES[0]!;
    const sa = new EspSa({ ...configFor(s, 1), native: native(), lastSequence: 2 ** 32 - 3 });
    const r = sa.sealBatch([randomInner(), randomInner(), randomInner(), Uint8Array.of(0x50)]);
    expect(r.map((x) => (x.kind === 'packet' ? x.seq : x.kind))).toEqual([
      0xfffffffe,
      0xffffffff,
      'sequence-exhausted',
      'not-ip',
    ]);
    expect(sa.seal(randomInner())).toEqual({ kind: 'sequence-exhausted' });
    expect(sa.lastSequence).toBe(0xffffffff);
  });

  it('the self-test vectors are what node:crypto produces', () => {
    for (const f of Object.keys(SELF_TEST_VECTORS) as Family[]) {
      const { config, inner, expected } = selfTestCase(f);
      const sa = new EspSa(config);
      sa.seal(inner);
      const r = sa.seal(inner);
      expect(r.kind === 'packet' && hex(r.packet), f).toBe(hex(expected));
    }
  });
});

describe('loading the native ESP backend', () => {
  it('TSUNAGI_ESP_NATIVE=0 keeps node:crypto', () => {
    expect(loadEspNative({ TSUNAGI_ESP_NATIVE: '0' })).toEqual({
      backend: undefined,
      notes: ['TSUNAGI_ESP_NATIVE=0'],
    });
  });

  it('a missing addon is a note, not an error', () => {
    const r = loadEspNative({ [ESP_ADDON_ENV]: '/nonexistent/tsunagi_esp.node' });
    expect(r.backend).toBeUndefined();
    expect(r.notes.join()).toContain('is not built');
  });

  it('a runtime without the OpenSSL functions (Electron/BoringSSL) or with wrong results keeps node:crypto', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsn-esp-fake-'));
    try {
      // What the addon reports when dlsym finds nothing.
      const none = join(dir, 'none.cjs');
      writeFileSync(
        none,
        `module.exports = { algorithms: { aesGcm: false, chacha20Poly1305: false, aesCbcHmac: false },
           missing: ['EVP_CIPHER_CTX_new', 'EVP_aes_128_gcm'] };`,
      );
      const a = loadEspNative({ [ESP_ADDON_ENV]: none });
      expect(a.backend).toBeUndefined();
      expect(a.notes).toEqual(['the runtime lacks EVP_CIPHER_CTX_new, EVP_aes_128_gcm']);
      // Functions present but producing the wrong bytes: the self-test rejects every family.
      const wrong = join(dir, 'wrong.cjs');
      writeFileSync(
        wrong,
        `module.exports = { algorithms: { aesGcm: true, chacha20Poly1305: true, aesCbcHmac: true },
           missing: [], createSa: () => ({}), seal1: (sa, inner, nh, seq, out) => out.fill(7),
           open1: () => true, seal: () => 0, open: () => 0 };`,
      );
      const b = loadEspNative({ [ESP_ADDON_ENV]: wrong });
      expect(b.backend).toBeUndefined();
      expect(b.notes).toEqual([
        'aesGcm: self-test failed (sealed bytes differ from node:crypto)',
        'chacha20Poly1305: self-test failed (sealed bytes differ from node:crypto)',
        'aesCbcHmac: self-test failed (sealed bytes differ from node:crypto)',
      ]);
      // An EspSa given no backend, or one that refuses the transform, uses node:crypto.
      const sa = new EspSa({ ...configFor(SUITES[0]!, 1) });
      expect(sa.native).toBe(false);
      expect(
        new EspSa({
          ...configFor(SUITES[0]!, 1),
          native: { description: 'x', createSa: () => undefined },
        }).native,
      ).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the addon links against no OpenSSL symbol (they are looked up at run time)', () => {
    const nm = spawnSync('nm', ['-u', join(REPO, ESP_ADDON_PATH)], { encoding: 'utf8' });
    if (nm.error) return void console.warn('nm not available: not checked');
    expect(nm.status).toBe(0);
    const undefinedSymbols = nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
    expect(undefinedSymbols.filter((s) => /^(EVP_|HMAC_|OPENSSL_|CRYPTO_)/.test(s))).toEqual([]);
    expect(undefinedSymbols.some((s) => s.startsWith('dlsym'))).toBe(true);
  });
});
