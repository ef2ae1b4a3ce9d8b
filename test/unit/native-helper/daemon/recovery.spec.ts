/**
 * Crash recovery in systemd-resolved mode: the dead helper's TUN link still there gets its DNS
 * reverted before it is deleted; a link that is gone needs nothing (resolved dropped it); a
 * failure is reported, not swallowed. Also through the real journal file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  recoverAfterCrash,
  type CommandRunner,
} from '../../../../native-helper/daemon/recovery.js';
import type { JournalEntry } from '../../../../native-helper/tunnel/journal.js';

/** A fake `ip`/`resolvectl`: records calls; `links` exist; `failing` commands fail. */
function system(links: string[], failing: string[] = []) {
  const calls: string[] = [];
  const run: CommandRunner = (command, args) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    if (failing.includes(command)) return Promise.reject(new Error(`${command} exploded`));
    if (command === 'ip' && args[1] === 'show' && !links.includes(args[3]!))
      return Promise.reject(new Error(`Device "${args[3]}" does not exist.`));
    return Promise.resolve();
  };
  return { calls, run };
}

const RESOLVED: JournalEntry = {
  pid: 999_999,
  tun: 'tsunagi0',
  routes: [],
  dns: { kind: 'resolved', interface: 'tsunagi0' },
};

describe('recoverAfterCrash', () => {
  it('resolved mode, link still there: resolvectl revert first, then the link is deleted', async () => {
    const sys = system(['tsunagi0']);
    const r = await recoverAfterCrash(sys.run, () => Promise.resolve(RESOLVED));
    expect(r).toMatchObject({ revertedDns: true, removedTun: true, problems: [] });
    expect(sys.calls).toEqual([
      'ip link show dev tsunagi0',
      'resolvectl revert tsunagi0',
      'ip link show dev tsunagi0',
      'ip link delete tsunagi0',
    ]);
  });

  it('resolved mode, link gone with its process: nothing to revert or delete', async () => {
    const sys = system([]);
    const r = await recoverAfterCrash(sys.run, () => Promise.resolve(RESOLVED));
    expect(r).toMatchObject({ revertedDns: false, removedTun: false, problems: [] });
    expect(sys.calls.filter((c) => !c.startsWith('ip link show'))).toEqual([]);
  });

  it('a revert that fails is reported; the link is still removed', async () => {
    const sys = system(['tsunagi0'], ['resolvectl']);
    const r = await recoverAfterCrash(sys.run, () => Promise.resolve(RESOLVED));
    expect(r?.revertedDns).toBe(false);
    expect(r?.removedTun).toBe(true);
    expect(r?.problems).toEqual(['resolvectl revert tsunagi0 failed: resolvectl exploded']);
  });

  it('resolv.conf mode and no journal: no resolvectl', async () => {
    const sys = system(['tsunagi0']);
    const entry: JournalEntry = {
      pid: 999_999,
      tun: 'tsunagi0',
      routes: [],
      dns: { kind: 'resolv-conf', path: '/nonexistent/resolv.conf', original: '' },
    };
    expect(await recoverAfterCrash(sys.run, () => Promise.resolve(entry))).toMatchObject({
      revertedDns: false,
      removedTun: true,
    });
    expect(sys.calls.some((c) => c.startsWith('resolvectl'))).toBe(false);
    expect(await recoverAfterCrash(sys.run, () => Promise.resolve(undefined))).toBeUndefined();
  });

  describe('through the journal file', () => {
    let dir: string;
    afterEach(() => {
      delete process.env.TSUNAGI_STATE_DIR;
      rmSync(dir, { recursive: true, force: true });
    });

    it("a dead helper's resolved-mode journal is replayed and cleared", async () => {
      dir = mkdtempSync(join(tmpdir(), 'tsunagi-recovery-'));
      process.env.TSUNAGI_STATE_DIR = dir;
      mkdirSync(dir, { recursive: true });
      const dead = spawnSync('true').pid!; // exited: its pid is free
      const file = join(dir, 'connection.journal.json');
      writeFileSync(file, JSON.stringify({ ...RESOLVED, pid: dead }));
      const sys = system(['tsunagi0']);
      const r = await recoverAfterCrash(sys.run);
      expect(r?.entry.pid).toBe(dead);
      expect(sys.calls).toContain('resolvectl revert tsunagi0');
      expect(existsSync(file)).toBe(false);
    });
  });
});
