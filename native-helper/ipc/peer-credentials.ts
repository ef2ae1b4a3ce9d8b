/**
 * SO_PEERCRED for an accepted Unix socket (native-helper/native/src/peercred_linux.c), and the
 * access rule: who may drive the privileged helper. The same addon sends systemd's readiness
 * datagram (daemon/sd-notify.ts): Node has no datagram Unix sockets.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
  /** The peer's supplementary groups at connect time (SO_PEERGROUPS); absent when unknown. */
  groups?: readonly number[];
}

export interface PeercredAddon {
  peerCredentials(fd: number): PeerCredentials;
  /** One datagram to a Unix socket path (`@name`: abstract), as sd_notify(3) sends. */
  notify(path: string, message: string): void;
}

const ADDON = join('native-helper', 'native', 'build', 'Release', 'tsunagi_peercred.node');
let addon: PeercredAddon | undefined;

export function loadAddon(): PeercredAddon {
  if (addon) return addon;
  const override = process.env.TSUNAGI_PEERCRED_ADDON;
  let path: string | undefined = override ? resolve(override) : undefined;
  for (let dir = dirname(fileURLToPath(import.meta.url)); !path; dir = dirname(dir)) {
    if (existsSync(join(dir, ADDON))) path = join(dir, ADDON);
    else if (dirname(dir) === dir) break;
  }
  if (!path || !existsSync(path))
    throw new Error(`the peer-credentials addon (${ADDON}) is not built: run npm ci`);
  addon = createRequire(import.meta.url)(path) as PeercredAddon;
  return addon;
}

/** The credentials the kernel recorded when the peer connected. */
export function peerCredentials(socket: Socket): PeerCredentials {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no file descriptor');
  return loadAddon().peerCredentials(fd);
}

export interface AccessPolicy {
  /** Always allowed in addition to root. */
  uids: ReadonlySet<number>;
  /**
   * A peer in this group: as its primary gid, among its supplementary groups (what the kernel
   * recorded at connect: the same groups the socket's 0660 root:gid mode let in), or listed as a
   * member in /etc/group (memberUids, read at start).
   */
  gid?: number;
  /** Supplementary members of that group (user names from /etc/group), with their uids. */
  memberUids?: ReadonlySet<number>;
}

export function isAllowed(peer: PeerCredentials, policy: AccessPolicy): boolean {
  if (peer.uid === 0) return true;
  if (policy.uids.has(peer.uid)) return true;
  if (policy.gid !== undefined) {
    if (peer.gid === policy.gid || peer.groups?.includes(policy.gid)) return true;
  }
  return policy.memberUids?.has(peer.uid) ?? false;
}

/** Resolves a group name to its gid and member uids from /etc/group and /etc/passwd text. */
export function groupAccess(
  name: string,
  groupText: string,
  passwdText: string,
): { gid: number; memberUids: Set<number> } | undefined {
  for (const line of groupText.split('\n')) {
    const [gname, , gid, members] = line.split(':');
    if (gname !== name || gid === undefined || !/^\d+$/.test(gid)) continue;
    const names = new Set((members ?? '').split(',').filter(Boolean));
    const memberUids = new Set<number>();
    for (const p of passwdText.split('\n')) {
      const [user, , uid] = p.split(':');
      if (user && names.has(user) && uid && /^\d+$/.test(uid)) memberUids.add(Number(uid));
    }
    return { gid: Number(gid), memberUids };
  }
  return undefined;
}
