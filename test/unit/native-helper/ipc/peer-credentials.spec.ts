/**
 * Who may drive the helper: the group lookup from /etc/group and /etc/passwd text, the access
 * rule (root, explicit uids, the group as primary gid, as a supplementary group the kernel
 * reported, or as a listed member), and the kernel's own record of a real peer.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  groupAccess,
  isAllowed,
  peerCredentials,
  type AccessPolicy,
  type PeerCredentials,
} from '../../../../native-helper/ipc/peer-credentials.js';

const GROUP = `root:x:0:
users:x:100:
tsunagi2:x:998:mallory
tsunagi:x:999:alice,bob,ghost
broken:x:notanumber:alice
`;
const PASSWD = `root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000::/home/alice:/bin/bash
bob:x:1001:1001::/home/bob:/bin/bash
carol:x:1002:999::/home/carol:/bin/bash
mallory:x:1003:1003::/home/mallory:/bin/bash
`;

describe('groupAccess', () => {
  it('resolves the group by its exact name to its gid and its listed members to uids', () => {
    const g = groupAccess('tsunagi', GROUP, PASSWD);
    // ghost is listed but has no passwd entry: no uid to allow
    expect(g).toEqual({ gid: 999, memberUids: new Set([1000, 1001]) });
    expect(groupAccess('tsunagi2', GROUP, PASSWD)).toEqual({
      gid: 998,
      memberUids: new Set([1003]),
    });
  });

  it('no such group, an unreadable gid, or empty files: undefined', () => {
    expect(groupAccess('wheel', GROUP, PASSWD)).toBeUndefined();
    expect(groupAccess('broken', GROUP, PASSWD)).toBeUndefined();
    expect(groupAccess('tsunagi', '', '')).toBeUndefined();
    expect(groupAccess('users', GROUP, PASSWD)).toEqual({ gid: 100, memberUids: new Set() });
  });
});

describe('isAllowed', () => {
  const g = groupAccess('tsunagi', GROUP, PASSWD)!;
  const policy: AccessPolicy = { uids: new Set([4242]), gid: g.gid, memberUids: g.memberUids };
  const peer = (uid: number, gid: number, groups?: number[]): PeerCredentials => ({
    pid: 1,
    uid,
    gid,
    ...(groups ? { groups } : {}),
  });

  it('root and explicitly allowed uids', () => {
    expect(isAllowed(peer(0, 0), policy)).toBe(true);
    expect(isAllowed(peer(4242, 4242), policy)).toBe(true);
    expect(isAllowed(peer(0, 0), { uids: new Set() })).toBe(true);
  });

  it('the group as primary gid (carol, not listed), as a supplementary group, or a listed member', () => {
    expect(isAllowed(peer(1002, 999), policy)).toBe(true);
    expect(isAllowed(peer(1003, 1003, [100, 999]), policy)).toBe(true);
    expect(isAllowed(peer(1000, 1000), policy)).toBe(true); // alice via /etc/group
    expect(isAllowed(peer(1001, 1001, []), policy)).toBe(true); // bob, not re-logged in yet
  });

  it('everyone else is refused, whatever other groups they have', () => {
    expect(isAllowed(peer(1003, 1003), policy)).toBe(false);
    expect(isAllowed(peer(1003, 1003, [100, 998]), policy)).toBe(false);
    expect(isAllowed(peer(65534, 65534, []), policy)).toBe(false);
    // without a group in the policy, group-ish credentials mean nothing
    expect(isAllowed(peer(1002, 999, [999]), { uids: new Set() })).toBe(false);
  });
});

describe('peerCredentials (the kernel, via the addon)', () => {
  it('reports uid, gid and supplementary groups as they were at connect', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagi-peercred-'));
    const path = join(dir, 'p.sock');
    try {
      let listening!: () => void;
      const ready = new Promise<void>((r) => (listening = r));
      const seen = new Promise<PeerCredentials>((resolve, reject) => {
        const server = createServer((socket) => {
          try {
            resolve(peerCredentials(socket));
          } catch (e) {
            reject(e as Error);
          }
          socket.destroy();
          server.close();
        }).listen(path, listening);
      });
      await ready;
      chmodSync(dir, 0o755);
      chmodSync(path, 0o666);
      const child = spawn('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--groups=100,47123',
        process.execPath,
        '-e',
        `require('node:net').connect(${JSON.stringify(path)}).on('error', () => {})`,
      ]);
      const creds = await seen;
      await new Promise((r) => child.on('exit', r));
      expect(creds).toMatchObject({ uid: 65534, gid: 65534 });
      expect(creds.pid).toBe(child.pid);
      expect([...(creds.groups ?? [])].sort()).toEqual([100, 47123]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
