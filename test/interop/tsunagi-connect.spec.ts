/**
 * Our client (`tsunagi connect`, the real CLI with the real engine, userspace ESP and TUN) against
 * a real strongSwan 5.9.8 gateway in network namespaces. Each test asserts on what crossed the
 * tunnel and on what the gateway reports, not only on exit codes.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki, GATEWAY_ID } from './support/pki.js';
import { PSK, PSK_CLIENT_ID, startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';

const isRoot = process.getuid?.() === 0;
const canRun =
  isRoot &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

interface Line {
  type: string;
  state?: string;
  [k: string]: unknown;
}

/** Runs `tsunagi connect` in the client namespace and collects its JSON lines. */
class Client {
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

describe.skipIf(!canRun)('tsunagi connect ⇄ strongSwan 5.9.8 (namespaces)', () => {
  let bed: Testbed;
  let gateway: Gateway;

  beforeAll(async () => {
    bed = await createTestbed();
    const pki = await createPki(bed.tempDir('pki'));
    gateway = await startGateway(bed, { pki });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  function profile(extra: Record<string, unknown> = {}): string {
    const path = join(bed.tempDir('profile'), 'office.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        name: 'Lab',
        server: ADDR.gateway.outer,
        remoteId: GATEWAY_ID,
        localId: PSK_CLIENT_ID,
        auth: { method: 'psk', secret: PSK },
        routes: ['10.99.0.0/24'],
        dpdDelay: 30,
        ...extra,
      }),
    );
    return path;
  }

  function connect(path: string): Client {
    return new Client(
      bed.spawn(
        bed.ns.client,
        [process.execPath, 'native-helper/bin/tsunagi.js', 'connect', path, '--json'],
        {
          stdio: 'pipe',
        },
      ),
    );
  }

  it('PSK: connects, pings the protected host through the tunnel, and tears down cleanly', async () => {
    const resolvBefore = bed.readClientResolvConf();
    const routesBefore = (await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout;
    const client = connect(profile());
    try {
      const up = await client.state(['connected', 'error'], 30_000);
      expect(up, JSON.stringify(client.lines)).toMatchObject({
        state: 'connected',
        virtualIp: expect.stringMatching(/^10\.10\.10\./),
      });
      expect(up.dns).toEqual(['10.99.0.53']);
      expect(bed.readClientResolvConf()).toContain('nameserver 10.99.0.53');

      const sas = await gateway.listSas();
      expect(sas).toHaveLength(1);
      expect(sas[0]!.state).toBe('ESTABLISHED');

      const ping = await bed.ping({ count: 5, intervalSec: 0.2, deadlineSec: 10 });
      expect(ping.received, JSON.stringify(ping)).toBe(5);
      const after = await gateway.listSas();
      const child = after[0]!.childSas[0]!;
      expect(Number(child.bytesIn)).toBeGreaterThan(0);
      expect(Number(child.bytesOut)).toBeGreaterThan(0);
    } finally {
      client.proc.kill('SIGINT');
    }
    expect(await client.exited).toBe(0);
    expect(client.lines.at(-1)).toMatchObject({ type: 'state', state: 'disconnected' });
    expect(await gateway.listSas()).toEqual([]);
    expect(bed.readClientResolvConf()).toBe(resolvBefore);
    expect((await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout).toBe(routesBefore);
  });

  it('wrong PSK: exits non-zero with authentication-failed and leaves routes and DNS untouched', async () => {
    const resolvBefore = bed.readClientResolvConf();
    const client = connect(profile({ auth: { method: 'psk', secret: 'not-the-secret' } }));
    const end = await client.state(['connected', 'error'], 30_000);
    expect(end).toMatchObject({ state: 'error', code: 'authentication-failed' });
    expect(await client.exited).toBe(1);
    expect(bed.readClientResolvConf()).toBe(resolvBefore);
  });
});
