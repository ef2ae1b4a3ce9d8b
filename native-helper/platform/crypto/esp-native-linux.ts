/**
 * Loads the native ESP crypto backend (native-helper/native/src/esp_crypto_linux.c) and decides,
 * per algorithm family, whether it may be used: the addon must load, the runtime must export the
 * OpenSSL functions it needs (Electron's BoringSSL may not), and a self-test must produce the same
 * bytes as node:crypto. Anything short of that leaves the family on node:crypto, never an error.
 *
 * `TSUNAGI_ESP_NATIVE=0` turns the native path off (A/B measurements, tests).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EspNativeBackend, EspNativeSa, EspNativeSaParams } from '../../esp/esp-native.js';
import { EspSa } from '../../esp/esp-sa.js';
import {
  AUTH_HMAC_SHA2_256_128,
  ENCR_AES_CBC,
  ENCR_AES_GCM_16,
  ENCR_CHACHA20_POLY1305,
  espEncrTransform,
  espIntegTransform,
} from '../../esp/esp-transforms.js';
import { findNativeAddon } from '../tun/native-addon.js';

export const ESP_NATIVE_ENV = 'TSUNAGI_ESP_NATIVE';
export const ESP_ADDON_ENV = 'TSUNAGI_ESP_ADDON';
export const ESP_ADDON_PATH = join(
  'native-helper',
  'native',
  'build',
  'Release',
  'tsunagi_esp.node',
);

declare const espHandleBrand: unique symbol;
type EspHandle = { readonly [espHandleBrand]: true };

/** What tsunagi_esp.node exports. */
export interface EspAddon {
  readonly algorithms: { aesGcm: boolean; chacha20Poly1305: boolean; aesCbcHmac: boolean };
  /** OpenSSL functions the runtime does not export. */
  readonly missing: readonly string[];
  createSa(params: {
    alg: number;
    key: Uint8Array;
    salt?: Uint8Array;
    icvLength: number;
    spi: number;
    ivMask: Uint8Array;
    hash?: number;
    integKey?: Uint8Array;
  }): EspHandle;
  seal(
    sa: EspHandle,
    inners: readonly Uint8Array[],
    count: number,
    nextHeaders: Uint16Array,
    firstSeq: number,
    out: Uint8Array,
    ivs?: Uint8Array,
  ): number;
  seal1(
    sa: EspHandle,
    inner: Uint8Array,
    nextHeader: number,
    seq: number,
    out: Uint8Array,
    iv?: Uint8Array,
  ): void;
  open(
    sa: EspHandle,
    packets: readonly Uint8Array[],
    count: number,
    status: Uint8Array,
    out: Uint8Array,
  ): number;
  open1(sa: EspHandle, packet: Uint8Array, out: Uint8Array): boolean;
}

export type Family = 'aesGcm' | 'chacha20Poly1305' | 'aesCbcHmac';
const ALG: Record<Family, number> = { aesGcm: 1, chacha20Poly1305: 2, aesCbcHmac: 3 };

function familyOf(p: EspNativeSaParams): Family {
  if (p.encr.kind === 'cbc') return 'aesCbcHmac';
  return p.encr.id === ENCR_CHACHA20_POLY1305 ? 'chacha20Poly1305' : 'aesGcm';
}

class NativeSa implements EspNativeSa {
  constructor(
    private readonly addon: EspAddon,
    private readonly handle: EspHandle,
  ) {}
  seal(
    inners: readonly Uint8Array[],
    count: number,
    nextHeaders: Uint16Array,
    firstSeq: number,
    out: Uint8Array,
    ivs?: Uint8Array,
  ): number {
    return this.addon.seal(this.handle, inners, count, nextHeaders, firstSeq, out, ivs);
  }
  seal1(inner: Uint8Array, nextHeader: number, seq: number, out: Uint8Array, iv?: Uint8Array) {
    this.addon.seal1(this.handle, inner, nextHeader, seq, out, iv);
  }
  open(packets: readonly Uint8Array[], count: number, status: Uint8Array, out: Uint8Array): number {
    return this.addon.open(this.handle, packets, count, status, out);
  }
  open1(packet: Uint8Array, out: Uint8Array): boolean {
    return this.addon.open1(this.handle, packet, out);
  }
}

/** A backend over a loaded addon, for the families in `families` (all it has by default). */
export function espNativeBackend(
  addon: EspAddon,
  families: ReadonlySet<Family> = new Set(
    (Object.keys(ALG) as Family[]).filter((f) => addon.algorithms[f]),
  ),
  description = 'tsunagi_esp (OpenSSL via dlsym)',
): EspNativeBackend {
  return {
    description,
    createSa(p) {
      const family = familyOf(p);
      if (!families.has(family)) return undefined;
      const common = { spi: p.spi, ivMask: p.ivMask };
      if (p.encr.kind === 'aead') {
        const handle = addon.createSa({
          ...common,
          alg: ALG[family],
          key: p.encrKey.subarray(0, p.encr.keyLength),
          salt: p.encrKey.subarray(p.encr.keyLength),
          icvLength: p.encr.icvLength,
        });
        return new NativeSa(addon, handle);
      }
      if (!p.integ || !p.integKey) return undefined;
      const handle = addon.createSa({
        ...common,
        alg: ALG.aesCbcHmac,
        key: p.encrKey,
        icvLength: p.integ.icvLength,
        hash: Number(p.integ.hash.slice(3)),
        integKey: p.integKey,
      });
      return new NativeSa(addon, handle);
    },
  };
}

export interface EspNativeLoad {
  backend: EspNativeBackend | undefined;
  /** Why some or all families stay on node:crypto (empty when none does). */
  notes: string[];
}

/**
 * Loads the addon and self-tests each family against node:crypto. Never throws: what cannot be
 * used is described in `notes`.
 */
export function loadEspNative(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fromDir: string = dirname(fileURLToPath(import.meta.url)),
): EspNativeLoad {
  if (env[ESP_NATIVE_ENV] === '0') return { backend: undefined, notes: [`${ESP_NATIVE_ENV}=0`] };
  if (process.platform !== 'linux') {
    return { backend: undefined, notes: ['native ESP crypto: not supported on this platform yet'] };
  }
  const { path } = findNativeAddon(ESP_ADDON_PATH, ESP_ADDON_ENV, fromDir, env);
  if (path === undefined) {
    return { backend: undefined, notes: [`${ESP_ADDON_PATH} is not built (npm ci builds it)`] };
  }
  let addon: EspAddon;
  try {
    addon = createRequire(import.meta.url)(path) as EspAddon;
  } catch (e) {
    return {
      backend: undefined,
      notes: [`${path} does not load: ${e instanceof Error ? e.message : String(e)}`],
    };
  }
  const notes: string[] = [];
  if (addon.missing.length) notes.push(`the runtime lacks ${addon.missing.join(', ')}`);
  const families = new Set<Family>();
  for (const f of Object.keys(ALG) as Family[]) {
    if (!addon.algorithms[f]) continue;
    const problem = selfTest(espNativeBackend(addon, new Set([f])), f);
    if (problem === undefined) families.add(f);
    else notes.push(`${f}: self-test failed (${problem})`);
  }
  if (families.size === 0) return { backend: undefined, notes };
  return { backend: espNativeBackend(addon, families), notes };
}

let cached: EspNativeLoad | undefined;

/** `loadEspNative()` once per process (the data plane's default). */
export function defaultEspNative(): EspNativeLoad {
  cached ??= loadEspNative();
  return cached;
}

/**
 * The self-test's SA and inner packet for a family (fixed keys, IV mask and CBC IV), and what
 * sealing that packet twice must produce: the second packet (sequence number 2), as node:crypto
 * produces it. The vectors are constants so that the test costs no node:crypto start-up (≈ 10 ms
 * on the connect path); a unit test recomputes them with node:crypto so they cannot drift.
 */
export function selfTestCase(family: Family) {
  const encr =
    family === 'aesGcm'
      ? espEncrTransform(ENCR_AES_GCM_16, 256)!
      : family === 'chacha20Poly1305'
        ? espEncrTransform(ENCR_CHACHA20_POLY1305)!
        : espEncrTransform(ENCR_AES_CBC, 128)!;
  const integ = family === 'aesCbcHmac' ? espIntegTransform(AUTH_HMAC_SHA2_256_128)! : undefined;
  const bytes = (n: number, k: number) =>
    Uint8Array.from({ length: n }, (_, i) => (i * 7 + k) & 0xff);
  const config = {
    spi: 0x1234_5678,
    encr,
    encrKey: bytes(encr.keymatLength, 1),
    ivMask: bytes(8, 3),
    ...(integ
      ? {
          integ,
          integKey: bytes(integ.keyLength, 2),
          random: { bytes: (n: number) => bytes(n, 99) },
        }
      : {}),
  };
  const inner = bytes(61, 5);
  inner.set([0x45, 0, 0, 61]); // IPv4, IHL 5, total length 61
  return { config, inner, expected: Buffer.from(SELF_TEST_VECTORS[family], 'hex') };
}

export const SELF_TEST_VECTORS: Record<Family, string> = {
  aesGcm:
    '1234567800000002030a11181f262d360385b9546b77133b9712747c1f393f42c2f798ef94a683df52bbe039463d0d6c1f15f30abc7b3d6ce015444c2fa86afedbeb05da38f9ad4af53a820b2332a2b93679291d930d07252ef0093c24c5c35e',
  chacha20Poly1305:
    '1234567800000002030a11181f262d36a101e6bb555d69084675e9ec1a662e5ef55c5f5762cb868f63d1df3b5204eb110a46ed4a73c8529aa6b7c9232802b78bf7eb1c3e9b5efaa9a52855b30a66c5b7cbffffcb3c79e63f48efdf1520e38cc8',
  aesCbcHmac:
    '1234567800000002636a71787f868d949ba2a9b0b7bec5cccbe2cb536bfe84b102121152b6b918125f40ea5e8363636fa8e41c0ecad472fbe828fe5ff718d295f1365e4d22be8a6706c917d4e8ff9522a409b6f12b03ddd3cee49192c57a12dd28df20b54d71e9cf',
};

/** Seals two packets and opens the second natively: undefined when the bytes are right. */
function selfTest(backend: EspNativeBackend, family: Family): string | undefined {
  const { config, inner, expected } = selfTestCase(family);
  try {
    const sender = new EspSa({ ...config, native: backend });
    if (!sender.native) return 'no native context';
    sender.seal(inner);
    const sealed = sender.seal(inner);
    if (sealed.kind !== 'packet') return `seal: ${sealed.kind}`;
    if (!Buffer.from(sealed.packet).equals(expected)) return 'sealed bytes differ from node:crypto';
    const receiver = new EspSa({ ...config, native: backend });
    const opened = receiver.open(expected);
    if (opened.kind !== 'packet' || !Buffer.from(opened.packet).equals(inner)) {
      return `cannot open what node:crypto sealed (${opened.kind === 'drop' ? opened.reason : opened.kind})`;
    }
    const forged = Buffer.from(expected);
    forged[forged.length - 1]! ^= 1;
    if (receiver.open(forged).kind !== 'drop') return 'accepted a forged packet';
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
