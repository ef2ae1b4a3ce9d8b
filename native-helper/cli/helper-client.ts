/**
 * What the helper-backed commands (up, down, status, events, killswitch, lockdown) share:
 * opening the helper's socket with a clear diagnosis when that fails, and printing states.
 */
import { HelperClient, HelperError } from '../ipc/client.js';
import {
  DEFAULT_SOCKET_PATH,
  type HelperEvent,
  type LogEntry,
  type TimelineEntry,
  type TunnelState,
} from '../ipc/protocol.js';
import type { CliIo } from './main.js';

export function socketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSUNAGI_SOCKET ?? DEFAULT_SOCKET_PATH;
}

/** Opens the helper connection, runs `fn`, closes; prints a diagnosis and returns 1 on failure. */
export async function withHelper(
  command: string,
  io: CliIo,
  fn: (client: HelperClient) => Promise<number>,
): Promise<number> {
  const path = socketPath();
  let client: HelperClient;
  try {
    client = await HelperClient.open(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ECONNREFUSED'
        ? `the helper is not running (no socket at ${path}): start it with 'systemctl start tsunagi-helper'`
        : code === 'EACCES' || (e instanceof HelperError && e.code === 'forbidden')
          ? `not allowed to control the helper: add your user to the 'tsunagi' group (then log in again)`
          : `cannot talk to the helper at ${path}: ${(e as Error).message}`;
    io.err(`tsunagi ${command}: ${why}\n`);
    return 1;
  }
  try {
    return await fn(client);
  } catch (e) {
    io.err(`tsunagi ${command}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}

export function describeState(s: TunnelState): string {
  const lock = s.blocking ? '  [blocking]' : '';
  switch (s.state) {
    case 'disconnected':
      return `disconnected  reason=${s.reason}${lock}`;
    case 'connecting':
      return `connecting  profile=${s.profile} server=${s.server} gateway=${s.gateway}${lock}`;
    case 'connected':
      return `connected  profile=${s.profile} server=${s.server} virtualIp=${s.virtualIp}${s.virtualIp6 ? ` virtualIp6=${s.virtualIp6}` : ''} dns=${s.dns.join(',')} tun=${s.tun} ike=${s.ike} esp=${s.esp}${lock}`;
    case 'reconnecting':
      return `reconnecting  profile=${s.profile} attempt=${s.attempt} reason=${s.reason}${lock}`;
    case 'disconnecting':
      return `disconnecting  profile=${s.profile}${lock}`;
    case 'error':
      return `error  code=${s.code} message=${s.message}${lock}\n  fix: ${s.fix}`;
  }
}

export function describeEvent(e: HelperEvent): string {
  switch (e.event) {
    case 'state':
      return describeState(e.state);
    case 'stats':
      return `stats  in=${e.stats.bytesIn}B/${e.stats.packetsIn}p out=${e.stats.bytesOut}B/${e.stats.packetsOut}p rate in=${Math.round(e.stats.rateIn)}B/s out=${Math.round(e.stats.rateOut)}B/s`;
    case 'log':
      return describeLog(e.entry);
    case 'timeline':
      return describeTimeline(e.entry);
    case 'settings':
      return `settings  killSwitch=${e.settings.killSwitch} lockdown=${e.settings.lockdown} allowLan=${e.settings.allowLan}`;
  }
}

/** "14:02:07" in local time: the CLI shows when, the date is today. */
function clock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

export function describeLog(e: LogEntry): string {
  return `log  ${clock(e.at)} ${e.level} [${e.component}] ${e.text}`;
}

export function describeTimeline(e: TimelineEntry): string {
  return `timeline  ${clock(e.at)} ${e.text}`;
}

/** Resolves with the first state event whose state is in `wanted`. */
export function waitForState(
  client: HelperClient,
  wanted: readonly TunnelState['state'][],
  onState: (s: TunnelState) => void,
): Promise<TunnelState> {
  return new Promise((resolve, reject) => {
    const off = client.onEvent((e) => {
      if (e.event !== 'state') return;
      onState(e.state);
      if (wanted.includes(e.state.state)) {
        off();
        resolve(e.state);
      }
    });
    client.onClose((e) => reject(e ?? new Error('the helper closed the connection')));
  });
}
