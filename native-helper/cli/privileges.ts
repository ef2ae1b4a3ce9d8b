/**
 * What `tsunagi connect` needs from the system, checked before it touches anything, so that a
 * missing privilege is one clear line instead of a half-made tunnel:
 *
 *   - CAP_NET_ADMIN: the TUN device, its addresses and the routes;
 *   - CAP_NET_BIND_SERVICE: UDP port 500 (IKE), unless the namespace lets anyone bind it
 *     (net.ipv4.ip_unprivileged_port_start ≤ 500);
 *   - write access to /etc/resolv.conf (DNS from the gateway, when the profile wants it) and to
 *     the crash journal's folder (/run/tsunagi), both root's.
 *
 * Capabilities on the node binary (setcap) are not a way out: addresses and routes are set by the
 * `ip` command, which does not inherit file capabilities, and the files above are root's. So the
 * fix for an ordinary user is sudo; root without a capability (a container) needs it granted.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Capability numbers (linux/capability.h). */
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_NET_ADMIN = 12;

export interface PrivilegeFacts {
  uid: number;
  /** The effective capability set (CapEff in /proc/self/status). */
  capEff: bigint;
  /** net.ipv4.ip_unprivileged_port_start of this network namespace (1024 by default). */
  unprivilegedPortStart: number;
  /** Whether we may write the paths we change (checked with access(2), as the kernel would). */
  canWriteResolvConf: boolean;
  canWriteStateDir: boolean;
}

export interface PrivilegeNeeds {
  /** The local IKE port we bind (500). */
  ikePort: number;
  /** The profile wants the gateway's DNS servers applied. */
  dns: boolean;
  resolvConf: string;
  stateDir: string;
}

export interface PrivilegeProblem {
  /** What is missing, e.g. ["CAP_NET_ADMIN (TUN device, routes)"]. */
  missing: string[];
  message: string;
  fix: string;
}

/** The CapEff mask from /proc/<pid>/status text; undefined when the line is absent or malformed. */
export function parseCapEff(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]{1,16})\s*$/m.exec(status);
  return m ? BigInt(`0x${m[1]!}`) : undefined;
}

export function hasCapability(capEff: bigint, cap: number): boolean {
  return ((capEff >> BigInt(cap)) & 1n) === 1n;
}

/** What is missing for `needs`, or undefined when nothing is. Pure: the facts are read elsewhere. */
export function privilegeProblem(
  facts: PrivilegeFacts,
  needs: PrivilegeNeeds,
  command = 'tsunagi connect',
): PrivilegeProblem | undefined {
  const caps: string[] = [];
  if (!hasCapability(facts.capEff, CAP_NET_ADMIN)) caps.push('CAP_NET_ADMIN (TUN device, routes)');
  if (
    needs.ikePort < facts.unprivilegedPortStart &&
    !hasCapability(facts.capEff, CAP_NET_BIND_SERVICE)
  )
    caps.push(`CAP_NET_BIND_SERVICE (UDP port ${needs.ikePort})`);
  const files: string[] = [];
  if (needs.dns && !facts.canWriteResolvConf) files.push(needs.resolvConf);
  if (!facts.canWriteStateDir) files.push(needs.stateDir);
  const missing = [...caps, ...(files.length ? [`write access to ${files.join(' and ')}`] : [])];
  if (!missing.length) return undefined;
  const list =
    missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)!}` : missing[0]!;
  if (facts.uid === 0)
    return {
      missing,
      message: `${command} runs as root but without ${list}`,
      fix: caps.length
        ? `grant ${caps.map((c) => c.split(' ')[0]).join(' and ')} to where it runs (e.g. docker run --cap-add ${caps.map((c) => c.split(' ')[0]!.replace('CAP_', '')).join(' --cap-add ')})`
        : `make ${files.join(' and ')} writable for root (a read-only mount?)`,
    };
  return {
    missing,
    message: `${command} needs root: missing ${list}`,
    fix: `run it with sudo: sudo ${command} …`,
  };
}

/** The facts about this process, read from /proc and with access(2). */
export async function readPrivilegeFacts(needs: PrivilegeNeeds): Promise<PrivilegeFacts> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const portStart = Number(
    (
      await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').catch(() => '1024')
    ).trim(),
  );
  return {
    uid: process.getuid?.() ?? -1,
    capEff: parseCapEff(status) ?? 0n,
    unprivilegedPortStart: Number.isFinite(portStart) ? portStart : 1024,
    canWriteResolvConf: await writable(needs.resolvConf),
    canWriteStateDir: await writable(needs.stateDir),
  };
}

/** Writable, or (for a path that does not exist yet) its nearest existing folder is. */
async function writable(path: string): Promise<boolean> {
  for (let p = path; ; p = dirname(p)) {
    try {
      await access(p, constants.W_OK);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) return false;
    }
  }
}
