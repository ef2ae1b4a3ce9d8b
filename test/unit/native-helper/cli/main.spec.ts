import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import pkg from '../../../../package.json' with { type: 'json' };
import { main, type CliIo } from '../../../../native-helper/cli/main.js';

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

describe('tsunagi CLI', () => {
  it('prints the usage for --help and exits 0', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/^tsunagi \d+\.\d+\.\d+ — IKEv2\/IPsec VPN client/);
    expect(io.stdout).toContain('Usage:');
  });

  it('prints the package version for --version', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout).toBe(`${pkg.version}\n`);
  });

  it('rejects an unknown command with exit code 2 and a pointer to --help', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr).toContain("unknown command 'frobnicate'");
    expect(io.stderr).toContain('tsunagi --help');
  });

  it.skipIf(!existsSync('dist/native-helper/cli.js'))(
    'runs as `npx tsunagi --help` from the checkout',
    () => {
      const r = spawnSync('npx', ['--no-install', 'tsunagi', '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage:');
    },
  );
});
