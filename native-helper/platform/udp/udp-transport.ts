/**
 * UDP for IKE and ESP-in-UDP: one socket per (local address, port) — 500 for IKE_SA_INIT, 4500
 * for NAT-T (IKE with the non-ESP marker, ESP, keepalives). A socket per local address is what
 * lets MOBIKE move the SA to another address later.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from '../../ike/ike-events.js';

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
}

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class UdpBindError extends Error {
  override readonly name = 'UdpBindError';
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
        const why =
          e.code === 'EADDRINUSE'
            ? `UDP port ${port} on ${localAddress} is already in use (is another IKE daemon such as charon running?)`
            : e.code === 'EACCES'
              ? `binding UDP port ${port} needs root or CAP_NET_BIND_SERVICE`
              : `cannot bind UDP ${localAddress}:${port}: ${e.message}`;
        throw new UdpBindError(why);
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
