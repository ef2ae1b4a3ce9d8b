// Runs a TypeScript entry (test/demo/demo.ts, test/bench/bench.ts) under plain Node: esbuild's API
// bundles it (with test/interop/support/*.ts and native-helper/** it imports) into a temp dir,
// then node runs the bundle with the repo root as cwd. The exit code (or signal) is passed on.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export async function bundleAndRun(entry, args) {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagi-run-'));
  const outfile = join(dir, 'main.mjs');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    await build({
      entryPoints: [join(root, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'inline',
      logLevel: 'warning',
      external: ['*.node', 'esbuild'],
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
  } catch (err) {
    cleanup();
    process.stderr.write(`could not bundle ${entry}: ${err.message}\n`);
    return 2;
  }
  const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  // Ctrl-C reaches the child directly (same process group) and it tears its test bed down; this
  // launcher only waits for it. A SIGTERM/SIGHUP sent to the launcher alone is passed on.
  const forward = (sig) => () => {
    if (child.exitCode === null) child.kill(sig);
  };
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGHUP', forward('SIGHUP'));
  const code = await new Promise((r) =>
    child.on('exit', (c, signal) =>
      r(c ?? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15)),
    ),
  );
  cleanup();
  return code;
}
