// Finds and loads the TUN addon (native-helper/native, built by `npm ci` through node-gyp).
// Loaded lazily, on the first device, so that merely importing the TUN code never needs it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TunError } from './tun-device.js';
import type { TunStats } from './tun-device.js';

/** Where node-gyp puts the addon, relative to the repository (or installed package) root. */
export const TUN_ADDON_PATH = join(
  'native-helper',
  'native',
  'build',
  'Release',
  'tsunagi_tun.node',
);

/** Overrides the search (a packaged app keeps the addon elsewhere). */
export const TUN_ADDON_ENV = 'TSUNAGI_TUN_ADDON';

declare const tunHandleBrand: unique symbol;
/** An opaque native handle (a Node-API external) for one open device. */
export type TunHandle = { readonly [tunHandleBrand]: true };

/** What tsunagi_tun.node exports (native-helper/native/src/tun_linux.c). */
export interface TunAddon {
  readonly MAX_BATCH: number;
  open(name: string): { handle: TunHandle; fd: number; name: string };
  startReading(
    handle: TunHandle,
    onPackets: (packets: Buffer[]) => void,
    onError: (error: Error) => void,
    maxBatch?: number,
  ): void;
  pause(handle: TunHandle): void;
  resume(handle: TunHandle): void;
  writeBatch(handle: TunHandle, packets: readonly Uint8Array[]): number;
  /**
   * MTU (and queue length), addresses (IPv6 without DAD), link up, by rtnetlink from this
   * process. Optional: an older build lacks it, and `ip` does the same.
   */
  configure?(
    handle: TunHandle,
    mtu: number,
    txQueueLength: number | undefined,
    addresses: readonly { family: 4 | 6; address: string; prefixLength: number }[],
  ): void;
  stats(handle: TunHandle): TunStats;
  close(handle: TunHandle): void;
}

/**
 * The addon's path: `$TSUNAGI_TUN_ADDON` if set, else the first `TUN_ADDON_PATH` found walking up
 * from `fromDir` (this module's directory in a checkout, or dist/native-helper/ once bundled).
 */
export function findTunAddon(
  fromDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { path: string | undefined; searched: string[] } {
  return findNativeAddon(TUN_ADDON_PATH, TUN_ADDON_ENV, fromDir, env);
}

/**
 * Any of the helper's addons (`relPath` under the repository or package root): `$envVar` if set,
 * else the first `relPath` found walking up from `fromDir`.
 */
export function findNativeAddon(
  relPath: string,
  envVar: string,
  fromDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { path: string | undefined; searched: string[] } {
  const override = env[envVar];
  if (override !== undefined && override !== '') {
    const path = resolve(override);
    return { path: existsSync(path) ? path : undefined, searched: [path] };
  }
  const searched: string[] = [];
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const candidate = join(dir, relPath);
    searched.push(candidate);
    if (existsSync(candidate)) return { path: candidate, searched };
    if (dirname(dir) === dir) return { path: undefined, searched };
  }
}

/** Loads the addon (require() caches it); throws TunError('addon-missing') saying how to build it. */
export function loadTunAddon(
  fromDir: string = dirname(fileURLToPath(import.meta.url)),
  env: Readonly<Record<string, string | undefined>> = process.env,
): TunAddon {
  const { path, searched } = findTunAddon(fromDir, env);
  if (path === undefined) {
    const override = env[TUN_ADDON_ENV];
    const where =
      override !== undefined && override !== ''
        ? `${searched[0] ?? ''} (from $${TUN_ADDON_ENV}) does not exist`
        : `no ${TUN_ADDON_PATH} in ${resolve(fromDir)} or any directory above it`;
    throw new TunError(
      'addon-missing',
      `the TUN addon is not built: ${where}; run npm ci (needs g++, make, python3)`,
    );
  }
  try {
    return createRequire(import.meta.url)(path) as TunAddon;
  } catch (error) {
    throw new TunError(
      'addon-missing',
      `the TUN addon at ${path} does not load (${error instanceof Error ? error.message : String(error)}): ` +
        'rebuild it with npm ci (needs g++, make, python3)',
      { cause: error },
    );
  }
}
