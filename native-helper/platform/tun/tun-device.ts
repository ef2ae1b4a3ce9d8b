// The TUN device as the data plane sees it: batches of whole IP packets in, batches out.
// One implementation per platform (tun-linux.ts now; darwin and win32 say "not supported yet");
// index.ts picks one for process.platform.

/** Receives packets read from the device: each Buffer is exactly one IPv4 or IPv6 packet. */
export type TunPacketHandler = (packets: Buffer[]) => void;

export interface TunDeviceOptions {
  /** Interface name (at most 15 bytes; may contain one `%d`); the kernel picks one if omitted. */
  readonly name?: string;
  /** Link MTU in bytes (68..65535; at least 1280 when an IPv6 address is given). */
  readonly mtu: number;
  /** Addresses in CIDR notation, IPv4 (`10.200.0.1/24`) or IPv6 (`2001:db8::1/64`). */
  readonly addresses: readonly string[];
  /**
   * Packets the kernel queues for us to read (the interface's txqueuelen; Linux default 500).
   * Beyond it the kernel drops: the TUN driver takes packets from sending sockets at once, so a
   * sender is never slowed down by a reader that falls behind, only dropped on.
   */
  readonly txQueueLength?: number;
}

export interface TunStats {
  readonly rxPackets: number;
  readonly rxBytes: number;
  /** Calls of the packet handler; rxPackets / rxBatches is the mean batch size. */
  readonly rxBatches: number;
  readonly txPackets: number;
  readonly txBytes: number;
  /** Packets the kernel refused as malformed (not IPv4/IPv6, empty, oversized): dropped. */
  readonly txRejected: number;
  /** write() calls cut short because the device queue was full. */
  readonly txEagain: number;
}

export interface TunDevice {
  /** The interface name the kernel gave the device. */
  readonly name: string;
  readonly mtu: number;
  /**
   * Starts reading and hands every batch (1..64 packets, in the order the kernel queued them) to
   * `handler`, synchronously from the event loop; the Buffers belong to the handler. `onError`
   * gets read failures (the device was deleted under us, …), after which reading has stopped.
   * While reading, the device keeps the event loop alive, like a listening socket. Once only.
   */
  onPackets(handler: TunPacketHandler, onError: (error: TunError) => void): void;
  /** Stops reading (backpressure): the kernel queues, then drops, what arrives meanwhile. */
  pause(): void;
  /** Resumes reading after pause(). */
  resume(): void;
  /**
   * Writes each packet with its own write(2), so packets are never merged. Returns how many
   * packets from the front of `packets` were taken: written, or dropped because the kernel
   * refused them as malformed (counted in stats().txRejected). Fewer than `packets.length` means
   * the device queue is full: retry the rest later or drop and count them.
   */
  write(packets: readonly Uint8Array[]): number;
  stats(): TunStats;
  /** The disposer: stops reading and closes the device, which removes the interface. Idempotent. */
  close(): Promise<void>;
}

export type TunErrorCode =
  | 'not-supported'
  | 'addon-missing'
  | 'invalid-options'
  | 'open-failed'
  | 'configure-failed'
  | 'io-failed'
  | 'closed';

export class TunError extends Error {
  override readonly name = 'TunError';
  readonly code: TunErrorCode;
  /** The errno name (`EPERM`, …) when a system call failed. */
  readonly errno: string | undefined;

  constructor(code: TunErrorCode, message: string, options?: { errno?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = options?.errno;
  }
}

/** Wraps an error thrown by the addon (it carries `.code` = errno name) into a TunError. */
export function tunErrorFrom(code: TunErrorCode, error: unknown, context?: string): TunError {
  if (error instanceof TunError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const errnoName = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  const errno =
    typeof errnoName === 'string' && /^E[A-Z0-9]+$/.test(errnoName) ? errnoName : undefined;
  return new TunError(code, context === undefined ? message : `${context}: ${message}`, {
    errno,
    cause: error,
  });
}
