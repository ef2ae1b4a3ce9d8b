/**
 * Drives our real CLI (`tsunagi connect … --json`) inside the bed's client namespace and collects
 * its JSON lines, for the interop suites.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_ID } from './pki.js';
import { PSK, PSK_CLIENT_ID } from './strongswan.js';
import { ADDR, type Testbed } from './testbed.js';

export interface Line {
  type: string;
  state?: string;
  [k: string]: unknown;
}

/** Runs `tsunagi connect` in the client namespace and collects its JSON lines. */
export class TsunagiClient {
  readonly lines: Line[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly proc: ChildProcess) {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line) as Line);
        } catch {
          this.stderr.push(`(stdout) ${line}`);
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  }

  /** SIGINT, then the exit code (always awaited, so the next test finds the ports free). */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGINT');
    const code = await this.exited;
    if (code !== 0)
      console.error(
        'client exit',
        code,
        JSON.stringify(this.lines.slice(-4)),
        this.stderr.join(''),
      );
    return code;
  }

  async state(wanted: string[], timeoutMs: number): Promise<Line> {
    const start = Date.now();
    for (;;) {
      const s = this.lines.find((l) => l.type === 'state' && wanted.includes(l.state!));
      if (s) return s;
      if (Date.now() - start > timeoutMs)
        throw new Error(
          `no state ${wanted.join('/')} after ${timeoutMs} ms: ${JSON.stringify(this.lines)} ${this.stderr.join('')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Spawns `tsunagi connect <profile> --json` in the client namespace. */
export function spawnTsunagi(bed: Testbed, profilePath: string): TsunagiClient {
  return new TsunagiClient(
    bed.spawn(
      bed.ns.client,
      [process.execPath, 'native-helper/bin/tsunagi.js', 'connect', profilePath, '--json'],
      {
        stdio: 'pipe',
      },
    ),
  );
}

/** Writes a PSK profile for the bed's gateway (split tunnel to the protected net) plus `extra`. */
export function writePskProfile(
  bed: Testbed,
  name: string,
  extra: Record<string, unknown> = {},
): string {
  const path = join(
    bed.tempDir('profile'),
    `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.json`,
  );
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      name,
      server: ADDR.gateway.outer,
      remoteId: GATEWAY_ID,
      localId: PSK_CLIENT_ID,
      auth: { method: 'psk', secret: PSK },
      routes: ['10.99.0.0/24'],
      ...extra,
    }),
  );
  return path;
}
