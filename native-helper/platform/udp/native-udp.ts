// Finds and loads the batched UDP addon (native-helper/native/src/udp_linux.c). Optional: when it
// is missing, does not load, or TSUNAGI_UDP_NATIVE=0, the transport uses node:dgram.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import { findNativeAddon } from '../tun/native-addon.js';

export const UDP_NATIVE_ENV = 'TSUNAGI_UDP_NATIVE';
export const UDP_ADDON_ENV = 'TSUNAGI_UDP_ADDON';
export const UDP_ADDON_PATH = join(
  'native-helper',
  'native',
  'build',
  'Release',
  'tsunagi_udp.node',
);

declare const udpHandleBrand: unique symbol;
/** An opaque native handle (a Node-API external) for one bound socket. */
export type UdpHandle = { readonly [udpHandleBrand]: true };

export interface NativeUdpStats {
  rxPackets: number;
  rxBytes: number;
  rxBatches: number;
  txPackets: number;
  txBytes: number;
  /** sendMany/send calls */
  txCalls: number;
  /** datagrams dropped because the socket's send buffer was full (EAGAIN/ENOBUFS) */
  txDropped: number;
  /** datagrams the kernel refused (EPERM from a firewall, ENETUNREACH, …) */
  txErrors: number;
}

/** What tsunagi_udp.node exports. */
export interface UdpAddon {
  readonly MAX_BATCH: number;
  readonly META_WORDS: number;
  /** Binds a non-blocking UDP socket; `port` 0 lets the kernel choose (reported back). */
  open(
    address: string,
    port: number,
  ): { handle: UdpHandle; fd: number; port: number; meta: Uint32Array };
  /**
   * Datagram i of a batch is buffer[meta[4i] … + meta[4i+1]) from port meta[4i+2] of
   * sources[meta[4i+3]]; `meta` is valid during the call only.
   */
  startReading(
    handle: UdpHandle,
    onBatch: (buffer: Buffer, count: number, sources: string[]) => void,
    onError: (error: Error) => void,
  ): void;
  /** 1 sent, 0 dropped (send buffer full), or −errno. */
  send(handle: UdpHandle, bytes: Uint8Array, port: number, address: string): number;
  /** Datagrams sent, or −errno of a failure (the others still went). */
  sendMany(
    handle: UdpHandle,
    datagrams: readonly Uint8Array[],
    count: number,
    port: number,
    address: string,
  ): number;
  stats(handle: UdpHandle): NativeUdpStats;
  close(handle: UdpHandle): void;
}

/** The addon, or undefined with the reason it is not used. Never throws. */
export function loadUdpAddon(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fromDir: string = dirname(fileURLToPath(import.meta.url)),
): { addon: UdpAddon | undefined; reason?: string } {
  if (env[UDP_NATIVE_ENV] === '0') return { addon: undefined, reason: `${UDP_NATIVE_ENV}=0` };
  if (process.platform !== 'linux') {
    return { addon: undefined, reason: 'batched UDP: not supported on this platform yet' };
  }
  const { path } = findNativeAddon(UDP_ADDON_PATH, UDP_ADDON_ENV, fromDir, env);
  if (path === undefined) return { addon: undefined, reason: `${UDP_ADDON_PATH} is not built` };
  try {
    return { addon: createRequire(import.meta.url)(path) as UdpAddon };
  } catch (e) {
    return {
      addon: undefined,
      reason: `${path} does not load: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** An Error for a negative errno from send/sendMany, shaped like Node's system errors. */
export function sendError(negErrno: number, to: { address: string; port: number }): Error {
  let code: string;
  try {
    code = getSystemErrorName(negErrno);
  } catch {
    code = `errno ${-negErrno}`;
  }
  const e = new Error(`send ${code} ${to.address}:${to.port}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = negErrno;
  e.syscall = 'send';
  return e;
}
