#!/usr/bin/env node
// `npm test`: runs every suite this machine can run, in order, and says loudly what it could not.
//
//   format     prettier --check
//   lint       eslint (architecture rules included)
//   typecheck  tsc for the helper, electron, renderer and test projects
//   build      esbuild (helper/CLI, main, preload) + vite (renderer)
//   unit       vitest projects `unit` (node) and `renderer` (happy-dom)
//   ui         vitest project `ui`: the built renderer in Debian's Chromium (playwright-core)
//   interop    vitest project `interop`: real strongSwan in network namespaces (root)
//
// A suite whose needs are missing is provisioned when we are root on Debian/Ubuntu
// (.ci/provision, apt-get); otherwise it prints `SKIPPED <suite>: <reason> — <how to enable>`.
// Tests that skip themselves inside vitest are listed the same way. Exit code 1 on any failure.
// Options: --only a,b   run only these suites;  --no-provision   never install packages.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, 'test-results');
mkdirSync(resultsDir, { recursive: true });

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]?.split(',') : undefined;
const mayProvision = !args.includes('--no-provision');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const hasSpecs = (dir) => {
  const walk = (d) =>
    existsSync(d) &&
    readdirSync(d, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : /\.spec\.tsx?$/.test(e.name),
    );
  return walk(join(root, dir));
};

/** @type {{ name: string, run: string[], vitest?: boolean, needs?: () => string | undefined, enable?: string, when?: () => boolean }[]} */
const SUITES = [
  { name: 'format', run: ['npx', 'prettier', '--check', '--log-level', 'warn', '.'] },
  { name: 'lint', run: ['npx', 'eslint', '--max-warnings', '0', '.'] },
  { name: 'typecheck', run: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'build', run: ['npm', 'run', '--silent', 'build'] },
  {
    name: 'unit',
    vitest: true,
    run: ['npx', 'vitest', 'run', '--project', 'unit', '--project', 'renderer'],
  },
  {
    name: 'ui',
    vitest: true,
    when: () => hasSpecs('test/ui'),
    run: ['npx', 'vitest', 'run', '--project', 'ui'],
    needs: () => (existsSync('/usr/bin/chromium') ? undefined : 'Debian chromium is not installed'),
    enable: 'sudo bash .ci/provision (installs chromium), then npm test',
  },
  {
    name: 'interop',
    vitest: true,
    when: () => hasSpecs('test/interop'),
    run: ['npx', 'vitest', 'run', '--project', 'interop'],
    needs: () => {
      if (!isRoot) return 'needs root (network namespaces, TUN devices, nftables)';
      if (!existsSync('/usr/lib/ipsec/charon') || !has('swanctl'))
        return 'strongSwan (charon, swanctl) is not installed';
      if (!has('nft') || !has('iperf3')) return 'nftables/iperf3 are not installed';
      return undefined;
    },
    enable: 'run as root: sudo npm test (it provisions strongSwan itself via .ci/provision)',
  },
];

function provision() {
  if (!mayProvision || !isRoot || !has('apt-get')) return false;
  console.log('\n▶ provision: installing missing Debian packages (.ci/provision)');
  return spawnSync('bash', [join(root, '.ci/provision')], { stdio: 'inherit' }).status === 0;
}

/** @type {{ name: string, status: 'passed' | 'failed' | 'skipped', passed: number, failed: number, skipped: number, seconds: number, note?: string }[]} */
const results = [];
const skippedLines = [];

for (const suite of SUITES) {
  if (only && !only.includes(suite.name)) continue;
  if (suite.when && !suite.when()) continue;
  let missing = suite.needs?.();
  if (missing && provision()) missing = suite.needs?.();
  if (missing) {
    const line = `SKIPPED ${suite.name}: ${missing} — to run it: ${suite.enable}`;
    skippedLines.push(line);
    console.log(`\n${'!'.repeat(100)}\n${line}\n${'!'.repeat(100)}`);
    results.push({
      name: suite.name,
      status: 'skipped',
      passed: 0,
      failed: 0,
      skipped: 1,
      seconds: 0,
    });
    continue;
  }

  console.log(`\n▶ ${suite.name}: ${suite.run.join(' ')}`);
  const jsonFile = join(resultsDir, `${suite.name}.json`);
  const argv = suite.vitest
    ? [...suite.run, '--reporter=default', '--reporter=json', `--outputFile.json=${jsonFile}`]
    : suite.run;
  const started = Date.now();
  const proc = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: 'inherit', env: process.env });
  const seconds = (Date.now() - started) / 1000;
  const ok = proc.status === 0;

  if (suite.vitest) {
    let report;
    try {
      report = JSON.parse(readFileSync(jsonFile, 'utf8'));
    } catch {
      report = undefined;
    }
    const passed = report?.numPassedTests ?? 0;
    const failed = report?.numFailedTests ?? 0;
    const skipped = (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0);
    if (skipped > 0 && report) {
      for (const file of report.testResults ?? []) {
        for (const t of file.assertionResults ?? []) {
          if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
            const line = `SKIPPED ${suite.name}: ${t.fullName} (${file.name.replace(root, '')})`;
            skippedLines.push(line);
          }
        }
      }
    }
    const noTests = report !== undefined && passed + failed + skipped === 0;
    results.push({
      name: suite.name,
      status: ok && !noTests && failed === 0 ? 'passed' : 'failed',
      passed,
      failed: ok ? failed : Math.max(failed, 1),
      skipped,
      seconds,
      note: noTests ? 'ran no test' : report ? undefined : 'no report written',
    });
  } else {
    results.push({
      name: suite.name,
      status: ok ? 'passed' : 'failed',
      passed: ok ? 1 : 0,
      failed: ok ? 0 : 1,
      skipped: 0,
      seconds,
    });
  }
}

const total = results.reduce(
  (acc, r) => ({
    passed: acc.passed + r.passed,
    failed: acc.failed + r.failed,
    skipped: acc.skipped + r.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);

console.log('\n══ Tsunagi test summary ══════════════════════════════════════════════');
for (const r of results) {
  const counts = `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
  console.log(
    `${r.status.toUpperCase().padEnd(8)} ${r.name.padEnd(10)} ${counts.padEnd(36)} ${r.seconds.toFixed(1)} s${r.note ? `  (${r.note})` : ''}`,
  );
}
for (const line of skippedLines) console.log(line);
console.log('(static checks count as one test each)');
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = results.some((r) => r.status === 'failed') ? 1 : 0;
