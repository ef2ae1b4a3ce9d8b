// TunDevice on Linux: the addon opens /dev/net/tun (TUNSETIFF, IFF_TUN | IFF_NO_PI), reads with
// a uv_poll reader in batches and writes one packet per write(2); the addon's configure() sets
// the MTU, the addresses and the link up over rtnetlink (`ip` (iproute2) does it when the addon
// lacks configure), in the network namespace this process runs in. Closing the fd
// removes the (non-persistent) interface: close() is the whole disposer.
import { execFile, spawn } from 'node:child_process';
import { formatCidr, parseCidr } from './cidr.js';
import type { Cidr } from './cidr.js';
import { loadTunAddon } from './native-addon.js';
import type { TunAddon, TunHandle } from './native-addon.js';
import { TunError, tunErrorFrom } from './tun-device.js';
import type { TunDevice, TunDeviceOptions, TunPacketHandler, TunStats } from './tun-device.js';

export const MIN_MTU = 68; // RFC 791
export const MIN_MTU_IPV6 = 1280; // RFC 8200 §5: Linux disables IPv6 on a link below it
export const MAX_MTU = 65535;
export const MAX_TX_QUEUE_LENGTH = 1_000_000;
const IFNAMSIZ = 16; // including the terminating NUL

export interface ValidatedTunOptions {
  readonly name: string; // '' lets the kernel choose
  readonly mtu: number;
  readonly addresses: readonly Cidr[];
  readonly txQueueLength: number | undefined;
}

/** Checks the options before anything is acquired; throws TunError('invalid-options'). */
export function validateTunOptions(options: TunDeviceOptions): ValidatedTunOptions {
  const invalid = (why: string): never => {
    throw new TunError('invalid-options', `invalid TUN device options: ${why}`);
  };
  const name = options.name ?? '';
  if (name !== '') {
    if (Buffer.byteLength(name) >= IFNAMSIZ) invalid(`name '${name}' is longer than 15 bytes`);
    // The kernel's dev_valid_name(), plus at most one %d template.
    if (name === '.' || name === '..' || /[/:\s]/.test(name) || /%(?!d)/.test(name)) {
      invalid(`'${name}' is not a valid interface name`);
    }
    if ((name.match(/%d/g) ?? []).length > 1) invalid(`'${name}' has more than one %d`);
  }
  const { mtu } = options;
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
    invalid(`mtu ${mtu} is not an integer in ${MIN_MTU}..${MAX_MTU}`);
  }
  const addresses = options.addresses.map(
    (text) => parseCidr(text) ?? invalid(`'${text}' is not an IPv4 or IPv6 CIDR`),
  );
  if (addresses.some((a) => a.family === 6) && mtu < MIN_MTU_IPV6) {
    invalid(`mtu ${mtu} is below ${MIN_MTU_IPV6}, the IPv6 minimum, but IPv6 addresses are given`);
  }
  const { txQueueLength } = options;
  if (
    txQueueLength !== undefined &&
    (!Number.isInteger(txQueueLength) || txQueueLength < 1 || txQueueLength > MAX_TX_QUEUE_LENGTH)
  ) {
    invalid(`txQueueLength ${txQueueLength} is not an integer in 1..${MAX_TX_QUEUE_LENGTH}`);
  }
  return { name, mtu, addresses, txQueueLength };
}

/** The `ip` invocations that configure an opened device, in order. */
export function ipCommandsFor(
  name: string,
  { mtu, addresses, txQueueLength }: Omit<ValidatedTunOptions, 'name'>,
): string[][] {
  return [
    [
      'link',
      'set',
      'dev',
      name,
      'mtu',
      String(mtu),
      ...(txQueueLength === undefined ? [] : ['txqueuelen', String(txQueueLength)]),
    ],
    // nodad: a point-to-point TUN link has no neighbour to collide with, and duplicate address
    // detection would leave the address tentative (unusable to bind) for a second or more.
    ...addresses.map((a) => [
      'address',
      'add',
      formatCidr(a),
      'dev',
      name,
      ...(a.family === 6 ? ['nodad'] : []),
    ]),
    ['link', 'set', 'dev', name, 'up'],
  ];
}

/** Runs `ip ARGS`, rejecting with its stderr. */
export function runIp(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve();
        return;
      }
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'the `ip` command (iproute2) was not found'
          : String(stderr).trim() || error.message;
      reject(new Error(`\`ip ${args.join(' ')}\` failed: ${why}`, { cause: error }));
    });
  });
}

/**
 * Runs several `ip` commands in one process (`ip -batch -`, stopping at the first failure), which
 * rejects naming the command that failed with its stderr. One process instead of one per
 * command: each spawn of `ip` costs 5–15 ms on a loaded machine, and the device is configured on
 * the way to the first packet through the tunnel.
 */
export function runIpBatch(commands: readonly (readonly string[])[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        error.code === 'ENOENT' ? 'the `ip` command (iproute2) was not found' : error.message;
      reject(new Error(`\`ip -batch\` failed: ${why}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      // "Command failed -:N" names the 1-based line of the command that failed.
      const line = /Command failed -:(\d+)/.exec(stderr);
      const failed = line ? commands[Number(line[1]) - 1] : undefined;
      const why =
        stderr
          .split('\n')
          .filter((l) => l.trim() !== '' && !l.startsWith('Command failed'))
          .join('; ')
          .trim() || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new Error(`\`ip ${failed ? failed.join(' ') : '-batch'}\` failed: ${why}`));
    });
    child.stdin.on('error', () => undefined); // reported through 'close'
    child.stdin.end(commands.map((c) => c.join(' ')).join('\n') + '\n');
  });
}

export interface LinuxTunDependencies {
  readonly loadAddon: () => TunAddon;
  readonly runIp: (args: readonly string[]) => Promise<void>;
  /** All of the device's commands in one go; without it they run one by one through runIp. */
  readonly runIpBatch?: (commands: readonly (readonly string[])[]) => Promise<void>;
}

const DEFAULT_DEPENDENCIES: LinuxTunDependencies = {
  loadAddon: () => loadTunAddon(),
  runIp,
  runIpBatch,
};

/** Opens and configures a TUN device; on any failure nothing is left behind. */
export async function createLinuxTunDevice(
  options: TunDeviceOptions,
  deps: LinuxTunDependencies = DEFAULT_DEPENDENCIES,
): Promise<TunDevice> {
  const validated = validateTunOptions(options);
  const addon = deps.loadAddon();
  let opened: ReturnType<TunAddon['open']>;
  try {
    opened = addon.open(validated.name);
  } catch (error) {
    throw tunErrorFrom('open-failed', error);
  }
  try {
    if (addon.configure) {
      // the same as ipCommandsFor() but without starting a process
      addon.configure(opened.handle, validated.mtu, validated.txQueueLength, validated.addresses);
    } else {
      const commands = ipCommandsFor(opened.name, validated);
      if (deps.runIpBatch) await deps.runIpBatch(commands);
      else for (const args of commands) await deps.runIp(args);
    }
  } catch (error) {
    addon.close(opened.handle); // the interface disappears with its fd
    throw tunErrorFrom('configure-failed', error, `cannot configure TUN device ${opened.name}`);
  }
  return new LinuxTunDevice(addon, opened.handle, opened.name, validated.mtu);
}

class LinuxTunDevice implements TunDevice {
  readonly name: string;
  readonly mtu: number;
  readonly #addon: TunAddon;
  readonly #handle: TunHandle;
  #closed = false;
  #started = false;

  constructor(addon: TunAddon, handle: TunHandle, name: string, mtu: number) {
    this.#addon = addon;
    this.#handle = handle;
    this.name = name;
    this.mtu = mtu;
  }

  onPackets(handler: TunPacketHandler, onError: (error: TunError) => void): void {
    this.#assertOpen();
    if (this.#started)
      throw new TunError('invalid-options', `onPackets() was already called on ${this.name}`);
    this.#started = true;
    // The handler goes to the addon as is: nothing of ours sits on the per-batch path.
    this.#addon.startReading(this.#handle, handler, (error) =>
      onError(tunErrorFrom('io-failed', error, `TUN device ${this.name}`)),
    );
  }

  pause(): void {
    if (!this.#closed && this.#started) this.#addon.pause(this.#handle);
  }

  resume(): void {
    if (!this.#closed && this.#started) this.#addon.resume(this.#handle);
  }

  write(packets: readonly Uint8Array[]): number {
    this.#assertOpen();
    try {
      return this.#addon.writeBatch(this.#handle, packets);
    } catch (error) {
      if (error instanceof TypeError) throw error; // not a packet: the caller's bug
      throw tunErrorFrom('io-failed', error, `TUN device ${this.name}`);
    }
  }

  stats(): TunStats {
    return this.#addon.stats(this.#handle);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#addon.close(this.#handle);
    }
    return Promise.resolve();
  }

  #assertOpen(): void {
    if (this.#closed) throw new TunError('closed', `TUN device ${this.name} is closed`);
  }
}
