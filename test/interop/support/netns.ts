/**
 * Network namespaces for the interop bed: create namespaces, veths, addresses, routes and
 * sysctls; run commands inside them; and remember everything so it is removed again, even when a
 * test fails or the process is interrupted.
 *
 * Everything a run creates is named from one random run id (`ts` + 6 hex chars), so two runs never
 * collide and cleanup only ever touches this run's objects.
 */
import { spawn as spawnChild, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this many ms; default 30 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Throw (with stderr in the message) unless the exit code is 0. Default true. */
  check?: boolean;
}

/** Runs argv on the host (not in a namespace). */
export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('run: empty argv');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawnChild(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const res: ExecResult = {
        code,
        signal,
        stdout,
        stderr,
        timedOut,
        durationMs: performance.now() - started,
      };
      if ((opts.check ?? true) && code !== 0) {
        reject(
          new Error(
            `${argv.join(' ')} failed (${timedOut ? 'timed out' : `exit ${code ?? signal}`}): ${stderr.trim() || stdout.trim()}`,
          ),
        );
      } else {
        resolve(res);
      }
    });
    if (child.stdin) {
      child.stdin.on('error', () => {
        // the command exited without reading its input; its exit status tells the story
      });
      child.stdin.end(opts.input);
    }
  });
}

/** Runs argv inside namespace `ns` (via `ip netns exec`). */
export function exec(
  ns: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], opts);
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Where stdout/stderr go; default 'ignore'. */
  stdio?: 'ignore' | 'pipe';
  cwd?: string;
}

/**
 * Starts a long-running process inside `ns`. It is registered with the run's registry, so
 * destroy() (and the exit handlers) kill it. `ip netns exec` execs the command, so the pid is the
 * command's own.
 */
export function spawn(
  registry: NetnsRegistry,
  ns: string,
  argv: readonly string[],
  opts: SpawnOptions = {},
): ChildProcess {
  const stdio = opts.stdio ?? 'ignore';
  const child = spawnChild('ip', ['netns', 'exec', ns, ...argv], {
    env: opts.env ?? process.env,
    stdio: ['ignore', stdio, stdio],
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${argv.join(' ')} in ${ns}`);
  registry.trackProcess(child.pid);
  child.on('exit', () => {
    if (child.pid !== undefined) registry.untrackProcess(child.pid);
  });
  return child;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function newRunId(): string {
  return `ts${randomBytes(3).toString('hex')}`;
}

/** Which of our namespaces exist right now (for leak checks). */
export function listNamespaces(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

/**
 * Each live run leaves a marker here (owner pid + its start time, namespaces, dirs), so a later
 * run can clean up after one that was SIGKILLed (no exit handler runs then).
 */
export const RUNS_DIR = join(tmpdir(), 'tsunagi-interop-runs');

function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

interface RunMarker {
  runId: string;
  ownerPid: number;
  ownerStart: string | undefined;
  namespaces: string[];
  dirs: string[];
}

/**
 * Removes what runs whose owning process no longer exists left behind: kills every process in
 * their namespaces, deletes the namespaces and their dirs. Never touches a live run.
 * Returns the run ids it cleaned.
 */
export function sweepStaleRuns(): string[] {
  let files: string[];
  try {
    files = readdirSync(RUNS_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const cleaned: string[] = [];
  for (const f of files) {
    const path = join(RUNS_DIR, f);
    let m: RunMarker;
    try {
      m = JSON.parse(readFileSync(path, 'utf8')) as RunMarker;
    } catch {
      continue;
    }
    const start = procStartTime(m.ownerPid);
    if (start !== undefined && start === m.ownerStart) continue; // owner alive
    const stale = new NetnsRegistry(m.runId, { marker: false });
    stale.namespaces.push(...m.namespaces.filter((n) => n.startsWith(m.runId)));
    for (const d of m.dirs.filter((x) => x.includes(m.runId))) stale.trackDir(d);
    stale.destroySync();
    rmSync(path, { force: true });
    cleaned.push(m.runId);
  }
  return cleaned;
}

const allRegistries = new Set<NetnsRegistry>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const r of allRegistries) r.destroySync();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const r of allRegistries) r.destroySync();
      // Re-raise with the default disposition so the exit status says what happened.
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Everything one run created. Cleanup order: processes (SIGTERM, then SIGKILL), namespaces (which
 * takes their veths with them), /etc/netns/<ns> dirs, temp dirs. Idempotent; never throws.
 */
export class NetnsRegistry {
  readonly runId: string;
  readonly namespaces: string[] = [];
  private readonly pids = new Set<number>();
  private readonly dirs: string[] = [];
  private destroyed = false;
  private readonly markerPath: string | undefined;

  constructor(runId = newRunId(), opts: { marker?: boolean } = {}) {
    this.runId = runId;
    if (opts.marker ?? true) {
      mkdirSync(RUNS_DIR, { recursive: true });
      this.markerPath = join(RUNS_DIR, `${runId}.json`);
      this.writeMarker();
    }
    allRegistries.add(this);
    installExitHandlers();
  }

  private writeMarker(): void {
    if (this.markerPath === undefined || this.destroyed) return;
    const m: RunMarker = {
      runId: this.runId,
      ownerPid: process.pid,
      ownerStart: procStartTime(process.pid),
      namespaces: this.namespaces,
      dirs: this.dirs,
    };
    writeFileSync(this.markerPath, JSON.stringify(m));
  }

  /** A fresh temp dir removed on destroy. */
  tempDir(label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `${this.runId}-${label}-`));
    this.dirs.push(dir);
    this.writeMarker();
    return dir;
  }

  trackDir(dir: string): void {
    this.dirs.push(dir);
    this.writeMarker();
  }

  trackProcess(pid: number): void {
    this.pids.add(pid);
  }

  untrackProcess(pid: number): void {
    this.pids.delete(pid);
  }

  get processes(): number[] {
    return [...this.pids];
  }

  /** `ip netns add` + loopback up; also /etc/netns/<ns>/ with an empty resolv.conf if asked. */
  async addNamespace(name: string, opts: { resolvConf?: string } = {}): Promise<string> {
    if (this.destroyed) throw new Error('registry already destroyed');
    if (!name.startsWith(this.runId))
      throw new Error(`namespace ${name} must start with ${this.runId}`);
    this.namespaces.push(name);
    this.writeMarker();
    if (opts.resolvConf !== undefined) {
      const dir = `/etc/netns/${name}`;
      mkdirSync(dir, { recursive: true });
      this.dirs.push(dir);
      this.writeMarker();
      writeFileSync(join(dir, 'resolv.conf'), opts.resolvConf);
    }
    await run(['ip', 'netns', 'add', name]);
    await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Several `ip` commands in one namespace in one process (`ip -n NS -batch -`). */
  async ipBatch(ns: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await run(['ip', '-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n' });
  }

  /** A veth pair between two of our namespaces, both ends down. Names must be ≤ 15 chars. */
  async addVethPair(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
    for (const n of [ifA, ifB]) {
      if (n.length > 15) throw new Error(`interface name ${n} longer than 15 chars`);
    }
    // Created inside nsA, so nothing ever appears in the host namespace.
    await run([
      'ip',
      '-n',
      nsA,
      'link',
      'add',
      ifA,
      'type',
      'veth',
      'peer',
      'name',
      ifB,
      'netns',
      nsB,
    ]);
  }

  /** A veth pair between two of our namespaces, both ends up. Names must be ≤ 15 chars. */
  async addVeth(nsA: string, ifA: string, nsB: string, ifB: string): Promise<void> {
    await this.addVethPair(nsA, ifA, nsB, ifB);
    await run(['ip', '-n', nsA, 'link', 'set', ifA, 'up']);
    await run(['ip', '-n', nsB, 'link', 'set', ifB, 'up']);
  }

  async addAddress(ns: string, ifname: string, cidr: string): Promise<void> {
    await run(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', ifname]);
  }

  async addRoute(
    ns: string,
    dest: string,
    via: string,
    extra: readonly string[] = [],
  ): Promise<void> {
    await run(['ip', '-n', ns, 'route', 'add', dest, 'via', via, ...extra]);
  }

  async sysctl(ns: string, key: string, value: string | number): Promise<void> {
    await this.sysctls(ns, { [key]: value });
  }

  /** Several sysctls in one `ip netns exec`. */
  async sysctls(ns: string, values: Record<string, string | number>): Promise<void> {
    const args = Object.entries(values).map(([k, v]) => `${k}=${v}`);
    await exec(ns, ['sysctl', '-q', '-w', ...args]);
  }

  /** Async cleanup; same as destroySync but lets charon exit cleanly first. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        this.pids.delete(pid);
      }
    }
    const pids = [...this.pids];
    const deadline = performance.now() + 3000;
    while (pids.some(isAlive) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    this.destroySync();
    // SIGKILLed children need a moment to be reaped.
    const reaped = performance.now() + 2000;
    while (pids.some(isAlive) && performance.now() < reaped) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Anything still running inside our namespaces (e.g. a child a test forgot): kill it too.
    for (const ns of this.namespaces) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: 'pipe' })
          .split('\n')
          .map((s) => Number(s.trim()))
          .filter((n) => Number.isInteger(n) && n > 0);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      } catch {
        // namespace not there
      }
    }
    this.pids.clear();
    for (const ns of [...this.namespaces].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // not there (never created, or already deleted)
      }
    }
    for (const dir of [...this.dirs].reverse()) {
      try {
        if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    if (this.markerPath !== undefined) rmSync(this.markerPath, { force: true });
    allRegistries.delete(this);
  }
}
