/**
 * The headless demo as the README runs it (`sudo npm run demo` = `npm run build` and then
 * `node test/demo/run.mjs`; this suite runs after the build, so it starts run.mjs): exit 0, every
 * step of the summary passed, and nothing of its test bed left behind.
 *
 * The demo runs in a process group of its own. Whatever ends the test first — the demo, our own
 * deadline, vitest's timeout (afterEach) — the group gets SIGINT, as from Ctrl-C in a terminal:
 * the demo tears its bed down (test/interop/support/netns.ts) and exits. A demo that does not
 * exit then is SIGKILLed, and the runs whose owner is gone are swept (namespaces, processes in
 * them, temp dirs). The second test exercises exactly that stop path in the middle of a run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { missingPrerequisites } from '../bench/lib.js';
import { sweepStaleRuns } from './support/netns.js';
import { ADDR } from './support/testbed.js';

const missing = missingPrerequisites();
if (missing.length) console.warn(`\n*** demo suite SKIPPED: ${missing.join('; ')} ***\n`);

/** The demo takes 5–20 s after the build (README); a loaded machine gets ample room. */
const DEMO_DEADLINE_MS = 150_000;
/** How long the demo may take to tear down after SIGINT before it is killed. */
const TEARDOWN_MS = 30_000;

const STEPS = [
  'create the test bed (4 network namespaces)',
  'lab PKI (strongSwan pki)',
  'start the strongSwan gateway (PSK, kernel-libipsec)',
  'tsunagi connect (in the client namespace)',
  `ping ${ADDR.host} through the tunnel`,
  'iperf3: 20 MB client → protected host through the tunnel',
  "the gateway's view (VICI list-sas)",
  "the client's view (routes, resolv.conf)",
  'Ctrl-C the client: DELETE, routes and DNS restored',
];

interface Demo {
  proc: ChildProcess;
  output(): string;
  /** Exit code (128 + n for a signal). */
  exited: Promise<number>;
}

let running: Demo | undefined;

function startDemo(): Demo {
  // detached: its own process group, so SIGINT reaches the launcher and the demo like a Ctrl-C
  const proc = spawn(process.execPath, ['test/demo/run.mjs'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number>((resolve) =>
    proc.on('exit', (code, signal) =>
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGINT' ? 2 : 15)),
    ),
  );
  const demo = { proc, output: () => text, exited };
  running = demo;
  void exited.then(() => {
    if (running === demo) running = undefined;
  });
  return demo;
}

const alive = (d: Demo) => d.proc.exitCode === null && d.proc.signalCode === null;

/** Ctrl-C for the whole group; SIGKILL and a sweep when it does not end in time. */
async function stopDemo(d: Demo): Promise<number> {
  const group = -d.proc.pid!;
  if (alive(d)) process.kill(group, 'SIGINT');
  const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), TEARDOWN_MS).unref());
  if ((await Promise.race([d.exited, timer])) === 'late') {
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // already gone
    }
    await d.exited;
  }
  // also whatever a killed demo could not remove (its marker names its owner, now gone)
  sweepStaleRuns();
  return d.exited;
}

/** The bed's run id, from the first step's line ("… run <id>: <ns>, …"). */
function runIdOf(output: string): string | undefined {
  return /create the test bed \(4 network namespaces\): run (\S+):/.exec(output)?.[1];
}

/** What is left of a run: its namespaces and /etc/netns dirs. */
function leftovers(runId: string): string[] {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(runId));
  const dirs = ['cli', 'rtr', 'gw', 'host']
    .map((s) => `/etc/netns/${runId}-${s}`)
    .filter((p) => existsSync(p));
  return [...ns, ...dirs];
}

async function waitForOutput(d: Demo, pattern: RegExp, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!pattern.test(d.output())) {
    if (!alive(d)) throw new Error(`the demo ended before ${pattern}:\n${d.output()}`);
    if (Date.now() - start > timeoutMs)
      throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${d.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(missing.length > 0)('the headless demo (node test/demo/run.mjs)', () => {
  afterEach(async () => {
    // vitest's timeout or a failed expectation: the demo must not outlive the test
    if (running && alive(running)) await stopDemo(running);
  });

  it('runs every step, prints the summary and exits 0, leaving nothing behind', async () => {
    const demo = startDemo();
    const deadline = setTimeout(() => void stopDemo(demo), DEMO_DEADLINE_MS);
    const code = await demo.exited.finally(() => clearTimeout(deadline));
    const out = demo.output();
    expect(code, out).toBe(0);
    const summary = out.slice(out.lastIndexOf('\nSummary\n'));
    expect(summary, out).toMatch(/^\nSummary\n/);
    for (const step of STEPS)
      expect(summary, `summary line for "${step}"`).toMatch(
        new RegExp(`^ {2}✓ ${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d+\\.\\d s {2}`, 'm'),
      );
    expect(summary).not.toContain('✗');
    expect(summary.trimEnd().split('\n').at(-1)).toBe('Demo OK.');
    // what it showed on the way: replies, the transfer's rate, the teardown
    expect(out).toMatch(/✓ ping .*: 5\/5 replies, rtt /);
    expect(out).toMatch(/✓ iperf3: .*: \d+\.\d MB sent .* Mbit\/s/);
    expect(out).toContain('exit 0, gateway has no SA, routes and resolv.conf as before');
    expect(out).toContain('✓ processes stopped, namespaces and temp dirs removed');
    const runId = runIdOf(out);
    expect(runId, out).toBeDefined();
    expect(leftovers(runId!)).toEqual([]);
  }, 200_000);

  it('stopped in the middle (as on a timeout): tears its bed down and exits', async () => {
    const demo = startDemo();
    // stop it while the tunnel is up: gateway, client and namespaces all exist then
    await waitForOutput(demo, /tsunagi │ connected/, DEMO_DEADLINE_MS);
    const runId = runIdOf(demo.output());
    expect(runId).toBeDefined();
    expect(leftovers(runId!).length).toBeGreaterThan(0);
    const code = await stopDemo(demo);
    expect(code, demo.output()).not.toBe(0);
    expect(leftovers(runId!)).toEqual([]);
    // the client and the gateway went with their namespaces
    const procs = spawnSync('pgrep', ['-f', runId!], { encoding: 'utf8' }).stdout.trim();
    expect(procs).toBe('');
  }, 200_000);
});
