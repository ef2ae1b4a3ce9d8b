/**
 * A network namespace for unit tests of code that changes the kernel (routes, nftables): the
 * namespace is created here and deleted by dispose(), and the code under test runs in a child
 * process inside it (netns-child.ts, bundled by esbuild), so this process and the machine's own
 * namespace are never touched. The addons are found through their env overrides, since the
 * bundle lives in a temporary directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ChildOp, ChildResult } from './netns-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../../..');
const RELEASE = join(REPO, 'native-helper', 'native', 'build', 'Release');

/** Why this machine cannot run namespace tests (root and `ip` are needed), or undefined. */
export function netnsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'root';
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'the ip command';
  return undefined;
}

export interface TestNamespace {
  readonly name: string;
  /** `ip -n NAME …` (or any command with `ip netns exec`), throwing with stderr on failure. */
  sh(argv: string[]): string;
  /** Runs the operations in one child inside the namespace, with extra environment. */
  run(ops: ChildOp[], env?: Record<string, string>): Promise<ChildResult[]>;
  dispose(): void;
}

export async function createTestNamespace(prefix: string): Promise<TestNamespace> {
  const name = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'tsn-netns-'));
  const bundle = join(dir, 'child.mjs');
  await build({
    entryPoints: [join(HERE, 'netns-child.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`ip netns add ${name} failed: ${add.stderr}`);
  }
  const sh = (argv: string[]): string => {
    const r = spawnSync('ip', ['netns', 'exec', name, ...argv], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${name} failed: ${r.stderr}`);
    return r.stdout;
  };
  sh(['ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    sh,
    run: (ops, env = {}) =>
      new Promise((done, reject) => {
        const child = spawn(
          'ip',
          ['netns', 'exec', name, process.execPath, bundle, JSON.stringify(ops)],
          {
            env: {
              ...process.env,
              TSUNAGI_ROUTE_ADDON: join(RELEASE, 'tsunagi_route.node'),
              TSUNAGI_NFT_ADDON: join(RELEASE, 'tsunagi_nft.node'),
              ...env,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        let err = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          const lines = out.split('\n').filter((l) => l !== '');
          if (code !== 0 || lines.length !== ops.length)
            return reject(new Error(`child exited ${code}: ${err}\n${out}`));
          done(lines.map((l) => JSON.parse(l) as ChildResult));
        });
      }),
    dispose: () => {
      spawnSync('ip', ['netns', 'del', name]);
      rmSync(dir, { recursive: true, force: true });
      if (existsSync(`/run/netns/${name}`)) throw new Error(`namespace ${name} is still there`);
    },
  };
}
