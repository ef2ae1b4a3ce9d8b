/**
 * sd_notify(3) for the helper under `Type=notify` (tsunagi-helper.service): READY=1 once the
 * first firewall policy is in the kernel, so units ordered after it (network-pre.target, hence
 * the network) start only when lockdown already blocks. Sent from the helper's own process
 * through the native addon, so it works with NotifyAccess=main and cannot lose the race that a
 * short-lived `systemd-notify` child has (systemd may no longer know whose message it was).
 */
import { loadAddon } from '../ipc/peer-credentials.js';

export type NotifySender = (path: string, message: string) => void;

/**
 * Sends `fields` (e.g. { READY: '1', STATUS: '…' }) to $NOTIFY_SOCKET. Returns false when the
 * helper was not started by systemd with a notify socket (nothing to tell).
 */
export function sdNotify(
  fields: Readonly<Record<string, string>>,
  socket: string | undefined = process.env.NOTIFY_SOCKET,
  send: NotifySender = (path, message) => loadAddon().notify(path, message),
): boolean {
  if (!socket) return false;
  const message = Object.entries(fields)
    // one field per line: a newline inside a value would start another field
    .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)
    .join('\n');
  send(socket, message);
  return true;
}
