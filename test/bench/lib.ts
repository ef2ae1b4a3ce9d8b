/**
 * Shared by the headless demo (test/demo/demo.ts) and the benchmarks (test/bench/bench.ts): checks
 * that the machine can run the bed, drives our real CLI in the bed's client namespace, measures
 * "start → first echo reply through the tunnel" the same way for both initiators, and reads a
 * process's CPU time and RSS from /proc.
 */
import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pingArgv } from '../interop/support/icmp.js';
import { CERT_CLIENT_ID, GATEWAY_ID, type LabPki } from '../interop/support/pki.js';
import { PSK, PSK_CLIENT_ID } from '../interop/support/strongswan.js';
import { ADDR, type Testbed } from '../interop/support/testbed.js';

export const CLI = 'native-helper/bin/tsunagi.js';
export const CLI_BUNDLE = 'dist/native-helper/cli.js';
export const TUN_ADDON = 'native-helper/native/build/Release/tsunagi_tun.node';
/** What both initiators propose (strongSwan syntax); the reference client's defaults. */
export const IKE_PROPOSAL = 'aes256gcm16-prfsha256-x25519';
export const ESP_PROPOSAL = 'aes256gcm16';
/** The median (of an even count, the mean of the middle two; NaN for none). */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The certificate case of the connect benchmark: ECDSA P-256 client certificate, ecp256. */
export const CERT_IKE_PROPOSAL = 'aes256gcm16-prfsha256-ecp256';

/** Why the bed cannot run here (one line each), or [] if it can. */
export function missingPrerequisites(): string[] {
  const out: string[] = [];
  if (process.getuid?.() !== 0) out.push('must run as root (network namespaces, TUN)');
  if (!existsSync('/usr/lib/ipsec/charon') || !existsSync('/usr/sbin/swanctl')) {
    out.push('strongSwan is not installed: run `sudo bash .ci/provision`');
  }
  for (const tool of ['/usr/bin/iperf3', '/usr/bin/python3']) {
    if (!existsSync(tool)) out.push(`${tool} is missing: run \`sudo bash .ci/provision\``);
  }
  if (!existsSync(CLI_BUNDLE)) out.push(`${CLI_BUNDLE} is missing: run \`npm run build\``);
  if (!existsSync(TUN_ADDON)) out.push(`${TUN_ADDON} is missing: run \`npm ci\``);
  return out;
}

/** Newest mtime (ms) of the .ts files under a directory. */
function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'build') newest = Math.max(newest, newestTs(p));
    } else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** A warning if the CLI bundle is older than the sources it is built from. */
export function staleBuildWarning(): string | undefined {
  if (!existsSync(CLI_BUNDLE)) return undefined;
  const built = statSync(CLI_BUNDLE).mtimeMs;
  return newestTs('native-helper') > built
    ? `${CLI_BUNDLE} is older than native-helper/**/*.ts: numbers are for the old build (run \`npm run build\`)`
    : undefined;
}

/** Writes a PSK profile for the bed's gateway and returns its path. */
export function writePskProfile(bed: Testbed, extra: Record<string, unknown> = {}): string {
  const path = join(bed.tempDir('profile'), 'lab.json');
  writeFileSync(
    path,
    JSON.stringify(
      {
        version: 1,
        name: 'Lab (PSK)',
        server: ADDR.gateway.outer,
        remoteId: GATEWAY_ID,
        localId: PSK_CLIENT_ID,
        auth: { method: 'psk', secret: PSK },
        routes: [ADDR.protectedNet],
        ike: IKE_PROPOSAL,
        esp: ESP_PROPOSAL,
        dpdDelay: 30,
        ...extra,
      },
      null,
      2,
    ),
  );
  return path;
}

/** The profile of the certificate case: the lab's ECDSA client certificate, ecp256. */
export function writeCertProfile(bed: Testbed, pki: LabPki): string {
  const path = join(bed.tempDir('profile'), 'lab-cert.json');
  writeFileSync(
    path,
    JSON.stringify(
      {
        version: 1,
        name: 'Lab (certificate)',
        server: ADDR.gateway.outer,
        remoteId: GATEWAY_ID,
        localId: CERT_CLIENT_ID,
        ca: [pki.ca.cert],
        auth: {
          method: 'cert',
          certificate: pki.clientEcdsa.cert,
          privateKey: pki.clientEcdsa.keyPkcs8,
        },
        routes: [ADDR.protectedNet],
        ike: CERT_IKE_PROPOSAL,
        esp: ESP_PROPOSAL,
        dpdDelay: 30,
      },
      null,
      2,
    ),
  );
  return path;
}

export interface JsonLine {
  type: string;
  state?: string;
  at?: number;
  /** performance.now() in this process when the line arrived. */
  receivedAt: number;
  event?: { kind: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * `tsunagi connect <profile> [--json]` in the client namespace. In JSON mode it collects the
 * lines; otherwise every output line goes to `onLine` (the demo prints them).
 */
export class TsunagiProcess {
  readonly lines: JsonLine[] = [];
  readonly text: string[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly spawnedAt: number;

  constructor(
    bed: Testbed,
    profilePath: string,
    readonly opts: {
      json: boolean;
      onLine?: (line: string, stream: 'out' | 'err') => void;
      /** Options for node itself, e.g. `--cpu-prof`. */
      nodeArgs?: string[];
    },
  ) {
    const argv = [
      process.execPath,
      ...(opts.nodeArgs ?? []),
      CLI,
      'connect',
      profilePath,
      ...(opts.json ? ['--json'] : []),
    ];
    this.spawnedAt = performance.now();
    this.proc = bed.spawn(bed.ns.client, argv, { stdio: 'pipe' });
    const split = (stream: 'out' | 'err') => {
      let buf = '';
      return (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          this.text.push(line);
          opts.onLine?.(line, stream);
          if (opts.json && stream === 'out') {
            try {
              const parsed = JSON.parse(line) as JsonLine;
              parsed.receivedAt = performance.now();
              this.lines.push(parsed);
            } catch {
              // not JSON: kept in text
            }
          }
        }
      };
    };
    this.proc.stdout!.on('data', split('out'));
    this.proc.stderr!.on('data', split('err'));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for a line matching `test` (JSON mode: a state line); throws on exit or timeout. */
  async waitFor<T>(test: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const start = performance.now();
    for (;;) {
      const v = test();
      if (v !== undefined) return v;
      if (!this.running) {
        throw new Error(
          `tsunagi exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${what}: ${this.text.slice(-6).join(' | ')}`,
        );
      }
      if (performance.now() - start > timeoutMs) {
        throw new Error(`no ${what} after ${timeoutMs} ms: ${this.text.slice(-6).join(' | ')}`);
      }
      await sleep(20);
    }
  }

  /** JSON mode: the first state line with one of `states`. */
  state(states: string[], timeoutMs: number): Promise<JsonLine> {
    return this.waitFor(
      () => this.lines.find((l) => l.type === 'state' && states.includes(l.state!)),
      `state ${states.join('/')}`,
      timeoutMs,
    );
  }

  /** JSON mode: ms from the first IKE_SA_INIT sent to "established" (the engine's own timeline). */
  engineMs(): number | undefined {
    const ev = (kind: string) =>
      this.lines.find((l) => l.type === 'event' && l.event?.kind === kind);
    const sent = ev('ike-sa-init-sent');
    const est = ev('established');
    return sent?.at !== undefined && est?.at !== undefined ? est.at - sent.at : undefined;
  }

  /** JSON mode: ms from the spawn to the arrival of the first line and of a given state. */
  sinceSpawn(state?: string): number | undefined {
    const l =
      state === undefined
        ? this.lines[0]
        : this.lines.find((x) => x.type === 'state' && x.state === state);
    return l === undefined ? undefined : l.receivedAt - this.spawnedAt;
  }

  /** SIGINT (clean disconnect), then the exit code; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.running) this.proc.kill('SIGINT');
    const timer = setTimeout(() => {
      if (this.running) this.proc.kill('SIGKILL');
    }, timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a pinger (every `intervalSec`) toward the protected host in the client namespace, waits
 * until its socket is open, then calls `start` and measures from that call to the first echo
 * reply. The pinger's own start-up is not counted; both initiators go through this same function.
 */
export async function timeToFirstReply<T>(
  bed: Testbed,
  start: () => T,
  opts: { intervalSec?: number; deadlineSec?: number } = {},
): Promise<{ ms: number; value: T }> {
  const deadlineSec = opts.deadlineSec ?? 30;
  const pinger = spawnChild(
    'ip',
    [
      'netns',
      'exec',
      bed.ns.client,
      ...pingArgv({
        target: ADDR.host,
        count: 0,
        // every 2 ms: a coarser pinger rounds every connect up to its next ping (at 20 ms both
        // sides fell into 20 ms buckets, hiding differences smaller than that)
        intervalSec: opts.intervalSec ?? 0.002,
        deadlineSec: deadlineSec + 5,
        untilFirstReply: true,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (pinger.pid !== undefined) bed.registry.trackProcess(pinger.pid);
  let out = '';
  let onReady: () => void = () => {};
  let onReply: (t: number) => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  const reply = new Promise<number>((r) => (onReply = r));
  pinger.stdout.setEncoding('utf8').on('data', (d: string) => {
    const now = performance.now();
    out += d;
    if (out.includes('started')) onReady();
    if (out.includes('reply seq=')) onReply(now);
  });
  const closed = new Promise<void>((r) => pinger.on('close', () => r()));
  try {
    await Promise.race([
      ready,
      closed.then(() => Promise.reject(new Error(`pinger did not start: ${out}`))),
    ]);
    const t0 = performance.now();
    const value = start();
    // start() may be async (strongSwan's initiate blocks until established): keep its errors.
    const failed = Promise.resolve(value).then(
      () => new Promise<never>(() => {}),
      (e: unknown) => Promise.reject(e instanceof Error ? e : new Error(String(e))),
    );
    const at = await Promise.race([
      reply,
      failed,
      closed.then(() =>
        Promise.race([
          reply,
          sleep(50).then(() => Promise.reject(new Error(`no echo reply: ${out.trim()}`))),
        ]),
      ),
      sleep(deadlineSec * 1000).then(() =>
        Promise.reject(new Error(`no echo reply through the tunnel within ${deadlineSec} s`)),
      ),
    ]);
    return { ms: at - t0, value };
  } finally {
    if (pinger.exitCode === null && pinger.signalCode === null) pinger.kill('SIGKILL');
    await closed;
    if (pinger.pid !== undefined) bed.registry.untrackProcess(pinger.pid);
  }
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86-64/arm64

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** VmRSS of a process in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

export function processName(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** Samples VmRSS every `everyMs` until stopped; returns the peak. */
export function rssSampler(pid: number, everyMs = 200): { stop(): number } {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      // process gone
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

/** Total size of the files under a directory (bytes). */
export function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}
