/**
 * Smoke test of the benchmark suite: `npm run bench -- --quick` (1 pair, 2 s iperf3, a few
 * thousand packets, one short recovery pair) must run every measurement and exit 0. Targets may MISS here: quick numbers
 * are not meaningful, only that nothing failed to run. Runs in the `interop` vitest project.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPrerequisites } from './lib.js';

const missing = missingPrerequisites();
if (missing.length) {
  console.warn(`\n*** bench smoke test SKIPPED: ${missing.join('; ')} ***\n`);
}

describe.skipIf(missing.length > 0)('npm run bench -- --quick', () => {
  it('runs every measurement and writes bench.json and bench.md', () => {
    const out = mkdtempSync(join(tmpdir(), 'tsunagi-bench-smoke-'));
    try {
      const r = spawnSync(process.execPath, ['test/bench/run.mjs', '--quick', '--out', out], {
        encoding: 'utf8',
        timeout: 420_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(existsSync(join(out, 'bench.md'))).toBe(true);
      const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as {
        failures: string[];
        pairs: unknown[];
        rows: { metric: string; verdict: string }[];
      };
      expect(report.failures).toEqual([]);
      expect(report.pairs).toHaveLength(1);
      const measured = report.rows
        .filter((row) => row.verdict !== 'not measured')
        .map((row) => row.metric);
      for (const prefix of [
        'connect: spawn/initiate → first echo reply',
        'connect, resident helper: connect request → first echo reply',
        'ESP seal AES-256-GCM (native',
        'TUN read, no processing',
        'iperf3 TCP client → host',
        'iperf3 TCP host → client',
        'CPU per GB, client → host',
        'RSS peak under iperf',
        'ESP seal AES-256-GCM',
        'ESP open ChaCha20-Poly1305',
        'MOBIKE gap',
        'DPD detection: gateway SIGKILLed',
        'reconnect: gateway restarted',
        'pings lost per Child SA rekey',
      ]) {
        expect(
          measured.some((m) => m.startsWith(prefix)),
          `${prefix} not measured: ${measured.join('; ')}`,
        ).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 480_000);
});
