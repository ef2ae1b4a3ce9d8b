/**
 * The TUN read rate with no processing, next to the data-plane rows: a sender fills a TUN device's
 * queue with 1400-byte UDP datagrams while reading is paused, then our reader (the tsunagi_tun
 * addon through TunDevice, batches of up to 64) drains it and counts. The device lives in a
 * network namespace made for this and deleted after; the scenario is the TUN spec's own
 * (test/unit/native-helper/platform/tun/fixtures/tun-child.mjs, "rate").
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type * as Esbuild from 'esbuild';
import { findTunAddon, TUN_ADDON_ENV } from '../../native-helper/platform/tun/native-addon.js';

export interface TunRateResult {
  /** packets per second, one per round */
  pps: number[];
  packetBytes: number;
  cpuUsPerPacket: number[];
  meanBatch: number[];
}

/** Undefined with a reason when it cannot run here (not root, no addon). */
export async function benchTunRead(
  count: number,
  rounds: number,
): Promise<TunRateResult | { skipped: string }> {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (a TUN device in a namespace)' };
  const root = process.cwd();
  const found = findTunAddon(join(root, 'native-helper', 'platform', 'tun'), {});
  if (found.path === undefined) return { skipped: 'the TUN addon is not built' };
  const dir = mkdtempSync(join(tmpdir(), 'tsn-bench-tun-'));
  chmodSync(dir, 0o755);
  const ns = `tsn-bench-tun-${process.pid}-${randomBytes(2).toString('hex')}`;
  try {
    const addon = join(dir, 'tsunagi_tun.node');
    copyFileSync(found.path, addon);
    const child = join(dir, 'tun-child.mjs');
    copyFileSync(
      resolve(root, 'test/unit/native-helper/platform/tun/fixtures/tun-child.mjs'),
      child,
    );
    const bundle = join(dir, 'tun.mjs');
    // esbuild from the repository's node_modules (the bench itself runs as a bundle in a temp dir)
    const { build } = createRequire(join(root, 'package.json'))('esbuild') as typeof Esbuild;
    await build({
      entryPoints: [join(root, 'native-helper', 'platform', 'tun', 'index.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    });
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
    const out = await new Promise<string>((resolvePromise, reject) => {
      const p = spawn(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          child,
          'rate',
          JSON.stringify({ bundle, name: 'tsnbench0', count, payloadSize: 1400, rounds }),
        ],
        {
          cwd: dir,
          env: { ...process.env, [TUN_ADDON_ENV]: addon },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
      p.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolvePromise(stdout);
        else reject(new Error(`TUN rate child exited ${code}: ${stderr.trim().slice(-400)}`));
      });
    });
    const rate = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; packetBytes?: number; results?: unknown })
      .find((e) => e.event === 'rate');
    if (!rate) throw new Error(`no rate line from the TUN child: ${out.slice(-400)}`);
    const results = rate.results as { pps: number; cpuUsPerPacket: number; meanBatch: number }[];
    return {
      pps: results.map((r) => r.pps),
      packetBytes: rate.packetBytes!,
      cpuUsPerPacket: results.map((r) => r.cpuUsPerPacket),
      meanBatch: results.map((r) => r.meanBatch),
    };
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
}
