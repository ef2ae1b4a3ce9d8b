// Finds and loads the nftables addon (native-helper/native/src/nft_linux.c: libnftables through
// dlopen). Optional: when it is missing, does not load, cannot load libnftables.so.1, or
// TSUNAGI_NFT_NATIVE=0 (or TSUNAGI_NFT names an nft binary to run), the firewall spawns `nft`.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNativeAddon } from '../platform/tun/native-addon.js';

export const NFT_NATIVE_ENV = 'TSUNAGI_NFT_NATIVE';
export const NFT_ADDON_ENV = 'TSUNAGI_NFT_ADDON';
export const NFT_ADDON_PATH = join(
  'native-helper',
  'native',
  'build',
  'Release',
  'tsunagi_nft.node',
);

export interface NftRunResult {
  ok: boolean;
  /** What nft prints on stdout (listings). */
  output: string;
  /** What nft prints on stderr: the errors, with their location in the script. */
  error: string;
  /** The path error locations name (a memfd's /proc path), or '' when run from a buffer. */
  source: string;
}

/** What tsunagi_nft.node exports. */
export interface NftAddon {
  /** undefined when libnftables is usable, else why not. */
  available(): string | undefined;
  /** One `nft -f` script in one transaction, on a pool thread. */
  run(script: string): Promise<NftRunResult>;
}

/** The addon with libnftables loaded, or undefined with the reason it is not used. Never throws. */
export function loadNftAddon(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fromDir: string = dirname(fileURLToPath(import.meta.url)),
): { addon: NftAddon | undefined; reason?: string } {
  if (env[NFT_NATIVE_ENV] === '0') return { addon: undefined, reason: `${NFT_NATIVE_ENV}=0` };
  if (env.TSUNAGI_NFT !== undefined && env.TSUNAGI_NFT !== '')
    return { addon: undefined, reason: `TSUNAGI_NFT names the nft binary to run` };
  if (process.platform !== 'linux')
    return { addon: undefined, reason: 'libnftables: not supported on this platform yet' };
  const { path } = findNativeAddon(NFT_ADDON_PATH, NFT_ADDON_ENV, fromDir, env);
  if (path === undefined) return { addon: undefined, reason: `${NFT_ADDON_PATH} is not built` };
  let addon: NftAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NftAddon;
  } catch (e) {
    return {
      addon: undefined,
      reason: `${path} does not load: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
  const why = addon.available();
  return why === undefined ? { addon } : { addon: undefined, reason: why };
}
