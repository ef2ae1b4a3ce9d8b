/**
 * DNS on Linux with a stubbed command runner: the systemd-resolved branch (resolvectl dns/domain,
 * revert on teardown, failures named with the command and its complaint, nothing left half-set)
 * and the managed resolv.conf branch on a temporary file (never the host's).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyDns,
  execCommand,
  inPath,
  RESOLV_CONF,
  type CommandRunner,
} from '../../../../../native-helper/platform/dns/dns-linux.js';

/** A resolvectl double: records every call; `fail` decides which calls reject and how. */
function fakeResolvectl(fail: (args: readonly string[]) => Error | undefined = () => undefined) {
  const calls: string[] = [];
  const runner: CommandRunner = async (file, args, timeoutMs) => {
    calls.push([file, ...args].join(' '));
    expect(timeoutMs).toBeGreaterThan(0);
    const e = fail(args);
    if (e) throw e;
  };
  return { calls, runner };
}

/** What execFile rejects with when the command exits non-zero. */
function exitError(args: readonly string[], stderr: string): Error {
  return Object.assign(new Error(`Command failed: resolvectl ${args.join(' ')}\n${stderr}`), {
    code: 1,
    stderr,
  });
}

describe('applyDns with systemd-resolved (resolvectl)', () => {
  it('sets the servers and the catch-all routing domain on the TUN link; dispose reverts the link', async () => {
    const r = fakeResolvectl();
    const applied = await applyDns(['10.99.0.53', '10.99.0.54'], 'tsn0', RESOLV_CONF, r.runner);
    expect(applied).toMatchObject({ kind: 'resolved', interface: 'tsn0' });
    expect(r.calls).toEqual([
      'resolvectl status',
      'resolvectl dns tsn0 10.99.0.53 10.99.0.54',
      'resolvectl domain tsn0 ~.',
    ]);
    await applied.dispose();
    expect(r.calls.at(-1)).toBe('resolvectl revert tsn0');
    expect(r.calls).toHaveLength(4);
  });

  it('a failing `resolvectl dns`: a clear error naming the command and its complaint, nothing more run', async () => {
    const r = fakeResolvectl((args) =>
      args[0] === 'dns'
        ? exitError(args, 'Failed to set DNS configuration: Access denied\n')
        : undefined,
    );
    await expect(applyDns(['10.99.0.53'], 'tsn0', RESOLV_CONF, r.runner)).rejects.toThrow(
      "cannot give tsn0 the gateway's DNS servers through systemd-resolved: `resolvectl dns tsn0 10.99.0.53` failed: Failed to set DNS configuration: Access denied",
    );
    expect(r.calls).toEqual(['resolvectl status', 'resolvectl dns tsn0 10.99.0.53']);
  });

  it('a failing `resolvectl domain`: the servers already set are reverted, then the error', async () => {
    const r = fakeResolvectl((args) =>
      args[0] === 'domain' ? exitError(args, 'Link tsn0 not known.\n') : undefined,
    );
    await expect(applyDns(['10.99.0.53'], 'tsn0', RESOLV_CONF, r.runner)).rejects.toThrow(
      '`resolvectl domain tsn0 ~.` failed: Link tsn0 not known.',
    );
    expect(r.calls).toEqual([
      'resolvectl status',
      'resolvectl dns tsn0 10.99.0.53',
      'resolvectl domain tsn0 ~.',
      'resolvectl revert tsn0',
    ]);
  });

  it('a resolvectl that hangs is named as such (killed after the timeout)', async () => {
    const r = fakeResolvectl((args) =>
      args[0] === 'dns' ? Object.assign(new Error('Command failed'), { killed: true }) : undefined,
    );
    await expect(applyDns(['10.99.0.53'], 'tsn0', RESOLV_CONF, r.runner)).rejects.toThrow(
      '`resolvectl dns tsn0 10.99.0.53` failed: no answer within 5 s',
    );
  });

  it('a failing revert on teardown rejects with the command and why (the caller decides)', async () => {
    const r = fakeResolvectl((args) =>
      args[0] === 'revert' ? exitError(args, 'Link tsn0 not known.') : undefined,
    );
    const applied = await applyDns(['10.99.0.53'], 'tsn0', RESOLV_CONF, r.runner);
    await expect(applied.dispose()).rejects.toThrow(
      'cannot restore the DNS settings of tsn0: `resolvectl revert tsn0` failed: Link tsn0 not known.',
    );
  });

  it('no servers from the gateway: nothing is run or written', async () => {
    const r = fakeResolvectl();
    const applied = await applyDns([], 'tsn0', RESOLV_CONF, r.runner);
    expect(applied.kind).toBe('none');
    expect(r.calls).toEqual([]);
  });
});

describe('applyDns with a managed resolv.conf', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsunagi-dns-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('another path than /etc/resolv.conf never asks resolvectl; the file is rewritten and restored exactly', async () => {
    const path = join(dir, 'resolv.conf');
    const original = 'nameserver 192.0.2.53\nsearch lab.test\noptions edns0\n';
    writeFileSync(path, original);
    const r = fakeResolvectl(() => new Error('must not be called'));
    const applied = await applyDns(['10.99.0.53'], 'tsn0', path, r.runner);
    expect(r.calls).toEqual([]);
    expect(applied.kind).toBe('resolv-conf');
    const during = readFileSync(path, 'utf8');
    expect(during).toMatch(/^# Generated by Tsunagi/);
    expect(during).toContain('nameserver 10.99.0.53\nsearch lab.test\noptions edns0\n');
    expect(during).not.toContain('192.0.2.53');
    await applied.dispose();
    expect(readFileSync(path, 'utf8')).toBe(original);
  });

  it('restore leaves a file someone else rewrote meanwhile alone', async () => {
    const path = join(dir, 'resolv.conf');
    writeFileSync(path, 'nameserver 192.0.2.53\n');
    const applied = await applyDns(['10.99.0.53'], 'tsn0', path, fakeResolvectl().runner);
    writeFileSync(path, 'nameserver 198.51.100.53\n');
    await applied.dispose();
    expect(readFileSync(path, 'utf8')).toBe('nameserver 198.51.100.53\n');
  });
});

describe('execCommand: a command that is not installed fails without a process start', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tsunagi-path-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('inPath finds executables in $PATH (and absolute paths), not plain files or absent ones', async () => {
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'data'), 'not a program\n');
    expect(inPath('tool', `/nonexistent:${dir}`)).toBe(true);
    expect(inPath('data', dir)).toBe(false);
    expect(inPath('absent', dir)).toBe(false);
    expect(inPath(join(dir, 'tool'), '')).toBe(true);
    expect(inPath('tool', '')).toBe(false);
  });

  it('rejects with ENOENT as execFile does (applyDns then takes the resolv.conf branch), and runs what is there', async () => {
    const missing = `tsunagi-no-such-command-${process.pid}`;
    await expect(execCommand(missing, ['status'], 1_000)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    const marker = join(dir, 'ran');
    writeFileSync(join(dir, 'tool'), `#!/bin/sh\necho "$@" > ${marker}\n`);
    chmodSync(join(dir, 'tool'), 0o755);
    await execCommand(join(dir, 'tool'), ['a', 'b'], 5_000);
    expect(readFileSync(marker, 'utf8')).toBe('a b\n');
  });
});
