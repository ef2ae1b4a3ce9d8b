/**
 * UDP for IKE and ESP-in-UDP: one socket per (local address, port) — 500 for IKE_SA_INIT, 4500
 * for NAT-T (IKE with the non-ESP marker, ESP, keepalives). A socket per local address is what
 * lets MOBIKE move the SA to another address later.
 *
 * Two implementations behind one interface: the batched addon (tsunagi_udp: recvmmsg batches
 * into one callback, sendMany as one sendmmsg, never blocking; a full send buffer drops and
 * counts) when it is built, else node:dgram (one send request per datagram).
 * TSUNAGI_UDP_NATIVE=0 forces node:dgram.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from '../../ike/ike-events.js';
import { loadUdpAddon, sendError, type UdpAddon, type UdpHandle } from './native-udp.js';

export interface UdpDatagram {
  bytes: Uint8Array;
  from: Endpoint;
  /** The local endpoint it arrived on. */
  to: Endpoint;
}

export interface UdpTransport {
  readonly localAddress: string;
  /** Sends from the socket bound to `fromPort` on the local address. */
  send(bytes: Uint8Array, fromPort: number, to: Endpoint): void;
  /** Sends several datagrams in one call (the ESP hot path). */
  sendMany(datagrams: readonly Uint8Array[], fromPort: number, to: Endpoint): void;
  close(): Promise<void>;
  /** Which implementation carries the datagrams. */
  readonly implementation?: 'native' | 'dgram';
  /** Counters summed over the sockets (the native implementation only). */
  stats?(): UdpTransportStats;
}

export interface UdpTransportStats {
  rxPackets: number;
  txPackets: number;
  /** Dropped because a send buffer was full. */
  txDropped: number;
  /** Refused by the kernel (firewall, no route, …); each also reported through onError. */
  txErrors: number;
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpBindError extends Error {
  override readonly name = 'UdpBindError';
}

function bindError(e: NodeJS.ErrnoException, localAddress: string, port: number): UdpBindError {
  const why =
    e.code === 'EADDRINUSE'
      ? `UDP port ${port} on ${localAddress} is already in use (is another IKE daemon such as charon running?)`
      : e.code === 'EACCES'
        ? `binding UDP port ${port} needs root or CAP_NET_BIND_SERVICE`
        : `cannot bind UDP ${localAddress}:${port}: ${e.message}`;
  return new UdpBindError(why);
}

/**
 * Binds `ports` on `localAddress`. A port already in use (another IKE daemon, e.g. charon) is
 * reported with the cause and the fix.
 */
export async function openUdpTransport(
  localAddress: string,
  ports: readonly number[],
  onDatagram: (d: UdpDatagram) => void,
  onError: (e: Error) => void = () => undefined,
  /** The batched addon; null forces node:dgram. Default: the addon if it loads. */
  addon: UdpAddon | null = loadUdpAddon().addon ?? null,
): Promise<UdpTransport> {
  if (addon) return openNativeTransport(addon, localAddress, ports, onDatagram, onError);
  return openDgramTransport(localAddress, ports, onDatagram, onError);
}

/** The batched addon's sockets. */
function openNativeTransport(
  addon: UdpAddon,
  localAddress: string,
  ports: readonly number[],
  onDatagram: (d: UdpDatagram) => void,
  onError: (e: Error) => void,
): UdpTransport {
  const handles = new Map<number, UdpHandle>();
  const closeAll = () => {
    for (const h of handles.values()) addon.close(h);
    handles.clear();
  };
  try {
    for (const port of ports) {
      let opened: ReturnType<UdpAddon['open']>;
      try {
        opened = addon.open(localAddress, port);
      } catch (e) {
        throw bindError(e as NodeJS.ErrnoException, localAddress, port);
      }
      handles.set(port, opened.handle);
      const { meta } = opened;
      const to: Endpoint = { address: localAddress, port: opened.port };
      addon.startReading(
        opened.handle,
        (buffer, count, sources) => {
          for (let i = 0, m = 0; i < count; i++, m += 4) {
            const off = meta[m]!;
            onDatagram({
              bytes: buffer.subarray(off, off + meta[m + 1]!),
              from: { address: sources[meta[m + 3]!]!, port: meta[m + 2]! },
              to,
            });
          }
        },
        onError,
      );
    }
  } catch (e) {
    closeAll();
    throw e;
  }

  const handleFor = (port: number): UdpHandle => {
    const h = handles.get(port);
    if (!h) throw new Error(`no UDP socket bound on port ${port}`);
    return h;
  };
  // A refused datagram is reported, never thrown into the data plane's TUN callback.
  const sendSafely = (send: () => number, to: Endpoint) => {
    let r: number;
    try {
      r = send();
    } catch (e) {
      onError(e as Error);
      return;
    }
    if (r < 0) onError(sendError(r, to));
  };
  return {
    localAddress,
    implementation: 'native',
    send(bytes, fromPort, to) {
      const h = handleFor(fromPort);
      sendSafely(() => addon.send(h, bytes, to.port, to.address), to);
    },
    sendMany(datagrams, fromPort, to) {
      const h = handleFor(fromPort);
      sendSafely(() => addon.sendMany(h, datagrams, datagrams.length, to.port, to.address), to);
    },
    close() {
      closeAll();
      return Promise.resolve();
    },
    stats() {
      const sum: UdpTransportStats = { rxPackets: 0, txPackets: 0, txDropped: 0, txErrors: 0 };
      for (const h of handles.values()) {
        const s = addon.stats(h);
        sum.rxPackets += s.rxPackets;
        sum.txPackets += s.txPackets;
        sum.txDropped += s.txDropped;
        sum.txErrors += s.txErrors;
      }
      return sum;
    },
  };
}

/** node:dgram sockets (the fallback). */
async function openDgramTransport(
  localAddress: string,
  ports: readonly number[],
  onDatagram: (d: UdpDatagram) => void,
  onError: (e: Error) => void,
): Promise<UdpTransport> {
  const family = localAddress.includes(':') ? 'udp6' : 'udp4';
  const sockets = new Map<number, Socket>();
  try {
    for (const port of ports) {
      const socket = createSocket({ type: family, reuseAddr: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: localAddress, port, exclusive: true }, () => {
          socket.off('error', reject);
          resolve();
        });
      }).catch((e: NodeJS.ErrnoException) => {
        socket.close();
        throw bindError(e, localAddress, port);
      });
      socket.on('message', (msg, rinfo) =>
        onDatagram({
          bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
          from: { address: rinfo.address, port: rinfo.port },
          to: { address: localAddress, port },
        }),
      );
      socket.on('error', onError);
      // ESP bursts (a TCP window's worth of packets) overflow the default ~200 KB buffers.
      try {
        socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
        socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
      } catch {
        // capped by net.core.rmem_max/wmem_max: the kernel keeps what it allows
      }
      sockets.set(port, socket);
    }
  } catch (e) {
    for (const s of sockets.values()) s.close();
    throw e;
  }

  const socketFor = (port: number): Socket => {
    const s = sockets.get(port);
    if (!s) throw new Error(`no UDP socket bound on port ${port}`);
    return s;
  };
  return {
    localAddress,
    implementation: 'dgram',
    send(bytes, fromPort, to) {
      socketFor(fromPort).send(bytes, to.port, to.address);
    },
    sendMany(datagrams, fromPort, to) {
      const s = socketFor(fromPort);
      for (const d of datagrams) s.send(d, to.port, to.address);
    },
    async close() {
      await Promise.all(
        [...sockets.values()].map((s) => new Promise<void>((r) => s.close(() => r()))),
      );
      sockets.clear();
    },
  };
}

/** The local address the kernel would use to reach `server` (a connected UDP socket sends nothing). */
export async function localAddressFor(server: Endpoint): Promise<string> {
  const socket = createSocket(server.address.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(server.port, server.address, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
