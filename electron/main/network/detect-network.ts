// Finds out which network the machine is on, for the trust agent. The commands are injected
// (`CommandRunner`) so the logic is tested against recorded output; production passes
// `nodeCommandRunner` (execFile, no shell, short timeout).
//
// Linux: the interface of the default route (`ip route show default`), then NetworkManager
// (`nmcli`) for type, SSID/BSSID/security and DNS domains; without NetworkManager, `iw dev <dev>
// link`, /sys/class/net/<dev>/uevent and /etc/resolv.conf. Gateway MAC from `ip neigh`.
//
// macOS (designed, not implemented): `route -n get default` (gateway, interface),
// `ipconfig getsummary <if>` (SSID, BSSID, security; `networksetup -getairportnetwork` before 14.4),
// `arp -n <gateway>` (gateway MAC), `scutil --dns` (search domain). Windows (designed, not
// implemented): `Get-NetRoute -DestinationPrefix 0.0.0.0/0` (interface, gateway),
// `netsh wlan show interfaces` (SSID, BSSID, Authentication "Open"), `Get-NetNeighbor` (gateway
// MAC), `Get-DnsClient` (ConnectionSpecificSuffix).

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  parseIpNeigh,
  parseIpRouteDefault,
  parseIwLink,
  parseIwScanOpen,
  parseNmcliDeviceShow,
  parseNmcliDeviceStatus,
  parseNmcliWifiList,
  parseResolvConfSuffix,
} from './linux-parsers.js';
import type { InterfaceType, NetworkInfo } from './network-info.js';

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly command: string,
    /** 'missing' when the program is not installed. */
    readonly kind: 'missing' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

export interface CommandRunner {
  /** stdout of the command; throws CommandError when it cannot run or exits non-zero. */
  run(command: string, args: readonly string[]): Promise<string>;
  /** A file's text, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
}

export class NetworkDetectionError extends Error {
  override readonly name = 'NetworkDetectionError';
  constructor(
    readonly code: 'unsupported-platform' | 'detection-failed',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const nodeCommandRunner: CommandRunner = {
  run: (command, args) =>
    new Promise((resolve, reject) => {
      execFile(
        command,
        [...args],
        { timeout: 5000, env: { ...process.env, LC_ALL: 'C' } },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
          reject(
            new CommandError(
              command,
              missing ? 'missing' : 'failed',
              `${command} ${args.join(' ')}: ${missing ? 'not installed' : stderr.trim() || error.message}`,
            ),
          );
        },
      );
    }),
  readText: async (path) => {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

export async function detectNetwork(
  platform: NodeJS.Platform,
  runner: CommandRunner = nodeCommandRunner,
): Promise<NetworkInfo> {
  if (platform === 'linux') return detectLinuxNetwork(runner);
  throw new NetworkDetectionError(
    'unsupported-platform',
    `Detecting the current network is not supported on this platform yet (${platform}); trusted networks are off`,
  );
}

export async function detectLinuxNetwork(runner: CommandRunner): Promise<NetworkInfo> {
  let routeText: string;
  try {
    routeText = await runner.run('ip', ['route', 'show', 'default']);
  } catch (error) {
    throw new NetworkDetectionError(
      'detection-failed',
      `Cannot read the default route: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const route = parseIpRouteDefault(routeText);
  if (!route) return { type: 'none' };
  const dev = route.device;

  const fromNm = await tryNetworkManager(runner, dev);
  const details = fromNm ?? (await withoutNetworkManager(runner, dev));
  const gatewayIp = route.gateway ?? details.gateway;
  const gatewayMac = gatewayIp ? await gatewayMacOf(runner, gatewayIp, dev) : undefined;

  return {
    type: details.type,
    interface: dev,
    ...(details.ssid !== undefined ? { ssid: details.ssid } : {}),
    ...(details.bssid !== undefined ? { bssid: details.bssid } : {}),
    ...(details.open !== undefined ? { open: details.open } : {}),
    ...(gatewayIp ? { gatewayIp } : {}),
    ...(gatewayMac ? { gatewayMac } : {}),
    ...(details.dnsSuffix ? { dnsSuffix: details.dnsSuffix } : {}),
  };
}

interface Details {
  type: InterfaceType;
  ssid?: string | undefined;
  bssid?: string | undefined;
  open?: boolean | undefined;
  gateway?: string | undefined;
  dnsSuffix?: string | undefined;
}

function interfaceType(nmType: string | undefined): InterfaceType {
  return nmType === 'wifi' ? 'wifi' : nmType === 'ethernet' ? 'ethernet' : 'other';
}

/** undefined when NetworkManager is not installed or not running (then the fallback is used). */
async function tryNetworkManager(runner: CommandRunner, dev: string): Promise<Details | undefined> {
  let statusText: string;
  try {
    statusText = await runner.run('nmcli', [
      '-t',
      '-f',
      'DEVICE,TYPE,STATE,CONNECTION',
      'device',
      'status',
    ]);
  } catch (error) {
    if (error instanceof CommandError) return undefined;
    throw error;
  }
  const device = parseNmcliDeviceStatus(statusText).find((d) => d.device === dev);
  // NetworkManager does not manage this interface (e.g. a VPN or container bridge).
  if (!device || device.state.startsWith('unmanaged')) return undefined;

  const show = parseNmcliDeviceShow(
    await runner
      .run('nmcli', [
        '-t',
        '-f',
        'GENERAL.TYPE,IP4.GATEWAY,IP4.DOMAIN,IP6.GATEWAY,IP6.DOMAIN',
        'device',
        'show',
        dev,
      ])
      .catch(() => ''),
  );
  const type = interfaceType(device.type);
  const details: Details = { type, gateway: show.gateway, dnsSuffix: show.domains[0] };
  if (type !== 'wifi') return details;

  const list = parseNmcliWifiList(
    await runner
      .run('nmcli', [
        '-t',
        '-f',
        'ACTIVE,SSID,BSSID,SECURITY',
        'device',
        'wifi',
        'list',
        'ifname',
        dev,
        '--rescan',
        'no',
      ])
      .catch(() => ''),
  );
  const active = list.find((ap) => ap.active);
  if (active) {
    return { ...details, ssid: active.ssid, bssid: active.bssid, open: active.open };
  }
  // NetworkManager lists no active AP (rare, right after roaming): ask the driver.
  const link = await iwLink(runner, dev);
  return link?.connected ? { ...details, ssid: link.ssid, bssid: link.bssid } : details;
}

async function iwLink(runner: CommandRunner, dev: string) {
  try {
    return parseIwLink(await runner.run('iw', ['dev', dev, 'link']));
  } catch {
    return undefined;
  }
}

async function iwScanOpen(
  runner: CommandRunner,
  dev: string,
  bssid: string,
): Promise<boolean | undefined> {
  try {
    return parseIwScanOpen(await runner.run('iw', ['dev', dev, 'scan', 'dump']), bssid);
  } catch {
    return undefined;
  }
}

async function withoutNetworkManager(runner: CommandRunner, dev: string): Promise<Details> {
  const uevent = (await runner.readText(`/sys/class/net/${dev}/uevent`)) ?? '';
  const devtype = /^DEVTYPE=(\S+)/m.exec(uevent)?.[1];
  const resolv = await runner.readText('/etc/resolv.conf');
  const dnsSuffix = resolv === undefined ? undefined : parseResolvConfSuffix(resolv);
  if (devtype === 'wlan') {
    const link = await iwLink(runner, dev);
    if (!link?.connected) return { type: 'wifi', dnsSuffix };
    // Security is not in `iw link`: the cached scan has it; without it `open` stays unknown
    // rather than guessed.
    const open = link.bssid === undefined ? undefined : await iwScanOpen(runner, dev, link.bssid);
    return { type: 'wifi', ssid: link.ssid, bssid: link.bssid, open, dnsSuffix };
  }
  // A plain Ethernet device has no DEVTYPE; bridges, VLANs, tun… have one.
  const isEthernet = uevent !== '' && devtype === undefined;
  return { type: isEthernet ? 'ethernet' : 'other', dnsSuffix };
}

async function gatewayMacOf(
  runner: CommandRunner,
  ip: string,
  dev: string,
): Promise<string | undefined> {
  try {
    return parseIpNeigh(await runner.run('ip', ['neigh', 'show', ip, 'dev', dev]), ip);
  } catch {
    return undefined;
  }
}
