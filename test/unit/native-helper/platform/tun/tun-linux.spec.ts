// The TUN device against the real kernel, inside a network namespace this file creates (and
// deletes, whatever happens). Each scenario runs in a child process started with
// `ip netns exec NS node fixtures/tun-child.mjs …`: a TUN device belongs to the namespace of the
// process that opens it, and a child keeps this test process (and its threads) in the root
// namespace; it also lets the tests see that the process ends by itself after close().
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findTunAddon,
  TUN_ADDON_ENV,
} from '../../../../../native-helper/platform/tun/native-addon.js';
import { buildUdpPacket, expandIpv6, parseUdpPacket } from './ip-packets.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../../../..');
const CHILD_SOURCE = join(HERE, 'fixtures', 'tun-child.mjs');

function hasIp(): boolean {
  return spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;
}
function hasTun(): boolean {
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
const missing = [
  process.getuid?.() === 0 ? undefined : 'root',
  hasTun() ? undefined : '/dev/net/tun',
  hasIp() ? undefined : 'the ip command (iproute2)',
].filter((m) => m !== undefined);
const canRun = missing.length === 0;
if (!canRun) {
  console.warn(
    `SKIPPED tun-linux.spec.ts: needs ${missing.join(', ')} (it creates a network namespace)`,
  );
}

interface ChildEvent {
  event: string;
  [key: string]: unknown;
}
interface ChildRun {
  events: ChildEvent[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** From the 'closed' line to the process's exit: nothing may keep it alive after close(). */
  exitAfterClosedMs: number | undefined;
}

describe.skipIf(!canRun)(
  canRun
    ? 'TUN device on Linux, in a test network namespace'
    : `TUN device on Linux — SKIPPED: needs ${missing.join(', ')}`,
  () => {
    const ns = `tsn-tun-${process.pid}-${randomBytes(3).toString('hex')}`;
    let workDir = '';
    let bundle = '';
    let addon = '';
    let childScript = '';

    beforeAll(async () => {
      const found = findTunAddon(join(REPO, 'native-helper', 'platform', 'tun'), {});
      if (found.path === undefined) {
        throw new Error(
          `the TUN addon is not built (${found.searched[0]}): run npm ci (needs g++, make, python3)`,
        );
      }
      // Everything the child runs is copied into one world-readable directory: the unprivileged
      // scenario runs as nobody, who may not be able to read the checkout (a mktemp clone is 0700).
      workDir = mkdtempSync(join(tmpdir(), 'tsn-tun-'));
      chmodSync(workDir, 0o755);
      addon = join(workDir, 'tsunagi_tun.node');
      copyFileSync(found.path, addon);
      childScript = join(workDir, 'tun-child.mjs');
      copyFileSync(CHILD_SOURCE, childScript);
      bundle = join(workDir, 'tun.mjs');
      await build({
        entryPoints: [join(REPO, 'native-helper', 'platform', 'tun', 'index.ts')],
        outfile: bundle,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
      });
      const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
      if (add.status !== 0) throw new Error(`ip netns add ${ns} failed: ${add.stderr}`);
    });

    afterAll(() => {
      spawnSync('ip', ['netns', 'del', ns]);
      if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
      expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    });

    function runChild(
      scenario: string,
      args: Record<string, unknown>,
      options: { prefix?: string[]; timeoutMs?: number } = {},
    ): Promise<ChildRun> {
      return new Promise((resolvePromise, reject) => {
        const child = spawn(
          'ip',
          [
            'netns',
            'exec',
            ns,
            ...(options.prefix ?? []),
            process.execPath,
            childScript,
            scenario,
            JSON.stringify({ bundle, ...args }),
          ],
          {
            cwd: workDir,
            env: { ...process.env, [TUN_ADDON_ENV]: addon },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const events: ChildEvent[] = [];
        let stdout = '';
        let stderr = '';
        let closedAt: number | undefined;
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `${scenario}: no exit within ${options.timeoutMs ?? 20_000} ms; stderr: ${stderr}`,
            ),
          );
        }, options.timeoutMs ?? 20_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          let nl: number;
          while ((nl = stdout.indexOf('\n')) >= 0) {
            const line = stdout.slice(0, nl);
            stdout = stdout.slice(nl + 1);
            const event = JSON.parse(line) as ChildEvent;
            if (event.event === 'closed') closedAt = performance.now();
            events.push(event);
          }
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('exit', (code, signal) => {
          clearTimeout(timer);
          const exitAfterClosedMs =
            closedAt === undefined ? undefined : performance.now() - closedAt;
          resolvePromise({ events, code, signal, stderr, exitAfterClosedMs });
        });
      });
    }

    function eventOf(run: ChildRun, name: string): ChildEvent {
      const event = run.events.find((e) => e.event === name);
      if (event === undefined) {
        throw new Error(
          `no '${name}' event; got ${JSON.stringify(run.events)}; exit ${run.code}; stderr: ${run.stderr}`,
        );
      }
      return event;
    }

    function linkInNamespace(name: string): boolean {
      return (
        spawnSync('ip', ['-n', ns, 'link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0
      );
    }

    function expectCleanExit(run: ChildRun): void {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.exitAfterClosedMs).toBeDefined();
      // Node's own shutdown takes tens of ms; a live handle would keep it up until the timeout.
      expect(run.exitAfterClosedMs).toBeLessThan(2_000);
    }

    it('reads a UDP datagram sent to the peer as one IPv4 packet (and IPv6), then close() removes the device', async () => {
      const run = await runChild('read-udp', { name: 'tsnread0' });
      const ready = eventOf(run, 'ready');
      expect(ready.name).toBe('tsnread0');
      expect(ready.link).toMatch(/mtu 1400/);
      expect(ready.link).toMatch(/UP/);
      expect(ready.link).toMatch(/inet 10\.200\.0\.1\/24/);
      expect(ready.link).toMatch(/inet6 2001:db8:200::1\/64/);
      expect(ready.link).toMatch(/tun type tun pi off/); // IFF_TUN | IFF_NO_PI

      const packets = eventOf(run, 'packets');
      const v4 = parseUdpPacket(Buffer.from(packets.v4 as string, 'hex'));
      expect(v4).toMatchObject({
        version: 4,
        protocol: 17,
        src: '10.200.0.1',
        dst: '10.200.0.2',
        dstPort: 5555,
      });
      expect(v4.declaredLength).toBe((packets.v4 as string).length / 2); // exactly one packet
      expect(Buffer.from(v4.payload).toString()).toBe('tsunagi-v4');
      expect(v4.headerChecksumOk && v4.udpChecksumOk).toBe(true);

      const v6 = parseUdpPacket(Buffer.from(packets.v6 as string, 'hex'));
      expect(v6).toMatchObject({
        version: 6,
        protocol: 17,
        src: expandIpv6('2001:db8:200::1'),
        dst: expandIpv6('2001:db8:200::2'),
        dstPort: 5556,
      });
      expect(v6.declaredLength).toBe((packets.v6 as string).length / 2);
      expect(Buffer.from(v6.payload).toString()).toBe('tsunagi-v6');
      expect(v6.udpChecksumOk).toBe(true);

      const closed = eventOf(run, 'closed');
      expect(closed.linkExists).toBe(false); // seen from inside, right after close()
      expect(linkInNamespace('tsnread0')).toBe(false);
      expectCleanExit(run); // after a second close() too
    });

    it('writes hand-built IPv4 and IPv6 UDP packets that sockets on the namespace addresses receive', async () => {
      const garbage = Uint8Array.from([0x00, 0x01, 0x02, 0x03]); // not IPv4/IPv6: refused by the kernel
      const v4 = buildUdpPacket({
        src: '10.200.0.2',
        dst: '10.200.0.1',
        srcPort: 4444,
        dstPort: 6000,
        payload: Buffer.from('from the tunnel, v4'),
      });
      const v6 = buildUdpPacket({
        src: '2001:db8:200::2',
        dst: '2001:db8:200::1',
        srcPort: 4445,
        dstPort: 6001,
        payload: Buffer.from('from the tunnel, v6'),
      });
      // Written first: if the kernel took a wrong checksum, it would arrive before the good one.
      const badChecksum = buildUdpPacket({
        src: '10.200.0.2',
        dst: '10.200.0.1',
        srcPort: 4444,
        dstPort: 6000,
        payload: Buffer.from('bad checksum'),
      });
      badChecksum[26] ^= 0x5a;
      expect(parseUdpPacket(badChecksum).udpChecksumOk).toBe(false);
      expect(parseUdpPacket(v4).udpChecksumOk && parseUdpPacket(v6).udpChecksumOk).toBe(true);

      const run = await runChild('write-udp', {
        name: 'tsnwrite0',
        packets: [garbage, badChecksum, v4, v6].map((p) => Buffer.from(p).toString('hex')),
      });
      const written = eventOf(run, 'written');
      expect(written.taken).toBe(4); // the refused one is dropped, the rest still go out
      expect(written.stats).toMatchObject({
        txPackets: 3,
        txBytes: badChecksum.length + v4.length + v6.length,
        txRejected: 1,
        txEagain: 0,
      });
      expect(eventOf(run, 'received')).toEqual({
        event: 'received',
        v4: [{ data: 'from the tunnel, v4', address: '10.200.0.2', port: 4444 }],
        v6: [{ data: 'from the tunnel, v6', address: '2001:db8:200::2', port: 4445 }],
      });
      const closed = eventOf(run, 'closed');
      expect(closed.afterClose).toMatchObject({ threw: true, name: 'TunError', code: 'closed' });
      expect(closed.linkExists).toBe(false);
      expectCleanExit(run);
    });

    it('delivers a 2,000-packet burst in batches of at most 64, in order, one packet per read', async () => {
      const count = 2000;
      const run = await runChild('burst', { name: 'tsnburst0', count });
      const burst = eventOf(run, 'burst');
      const batches = burst.batches as number[];
      const udp = burst.udp as [number, number, number][];
      expect(Math.max(...batches)).toBeLessThanOrEqual(64);
      expect(Math.min(...batches)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...batches)).toBeGreaterThan(1); // batching happens: the sender outruns one read
      expect(udp).toHaveLength(count);
      udp.forEach(([declared, length, seq], i) => {
        expect(seq).toBe(i); // in order, none lost or duplicated
        expect(length).toBe(declared); // never two packets in one read, never a truncated one
        expect(length).toBe(20 + 8 + 20 + (i % 50));
      });
      const stats = burst.stats as { rxPackets: number; rxBatches: number };
      expect(stats.rxPackets).toBe(count + (burst.other as number));
      expect(stats.rxBatches).toBe(batches.length);
      expect(eventOf(run, 'closed').linkExists).toBe(false);
      expectCleanExit(run);
    });

    it('close() inside the packet handler stops delivery at once and frees everything', async () => {
      const run = await runChild('close-in-callback', { name: 'tsncb0' });
      expect(run.events.filter((e) => e.event === 'error')).toEqual([]);
      const closed = eventOf(run, 'closed');
      const calls = closed.calls as number[];
      expect(calls).toHaveLength(1);
      expect(calls[0]).toBeGreaterThan(0);
      expect((closed.stats as { rxPackets: number }).rxPackets).toBe(calls[0]);
      expect(closed.linkExists).toBe(false);
      expect(linkInNamespace('tsncb0')).toBe(false);
      expectCleanExit(run);
    });

    it('environment teardown closes devices: a terminated reading Worker, and a process ending with a device open', async () => {
      const run = await runChild('teardown', { name: 'tsnexit0', workerName: 'tsnworker0' });
      expect(eventOf(run, 'worker')).toMatchObject({
        workerDevice: 'tsnworker0',
        beforeTerminate: true,
        afterTerminate: false,
        exitCode: 1, // terminate()d
      });
      expect(eventOf(run, 'closed').linkExists).toBe(true); // left open on purpose…
      expectCleanExit(run); // …and the process still ends by itself
      expect(linkInNamespace('tsnexit0')).toBe(false); // the kernel removed it with the fd
    });

    it('reports a device deleted under a reading device once, through onError', async () => {
      const run = await runChild('deleted', { name: 'tsndel0' });
      const closed = eventOf(run, 'closed');
      expect(closed.errors).toEqual([
        {
          name: 'TunError',
          code: 'io-failed',
          errno: 'EBADF',
          message: 'TUN device tsndel0: polling failed: EBADF — the device was probably deleted',
        },
      ]);
      expect(closed.packetsAfter).toBe(0);
      // The fd outlives its interface: writes fail (EBADFD) instead of vanishing.
      expect(closed.writeError).toEqual({ name: 'TunError', code: 'io-failed', errno: 'EBADFD' });
      expect(closed.linkExists).toBe(false);
      expectCleanExit(run);
    });

    it('the garbage collector closes an unreachable idle device, never one that is reading', async () => {
      const run = await runChild('gc', { name: 'tsngcread0', idleName: 'tsngcidle0' });
      expect(run.events.filter((e) => e.event === 'error')).toEqual([]);
      expect(eventOf(run, 'collected')).toMatchObject({ idleExists: false, readingExists: true });
      expect(eventOf(run, 'closed')).toMatchObject({ deliveredAfterGc: true, linkExists: false });
      expectCleanExit(run);
    });

    it('a configuration the kernel refuses: TunError configure-failed naming the step, nothing left', async () => {
      const run = await runChild('configure-fails', { name: 'tsnconf0' });
      expect(run.stderr).toBe('');
      expect(eventOf(run, 'result')).toEqual({
        event: 'result',
        created: false,
        name: 'TunError',
        code: 'configure-failed',
        message: expect.stringMatching(
          /^cannot configure TUN device tsnconf0: .*`ip address add 10\.201\.0\.1\/24 dev tsnconf0`.*EEXIST/,
        ) as unknown,
        linkExists: false,
      });
    });

    it('says how to fix a missing privilege (run as nobody)', async () => {
      const run = await runChild(
        'unprivileged',
        { name: 'tsnnobody0' },
        {
          prefix: [
            'setpriv',
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            '--inh-caps=-all',
            '--',
          ],
        },
      );
      expect(run.stderr).toBe('');
      expect(eventOf(run, 'result')).toMatchObject({
        opened: false,
        name: 'TunError',
        code: 'open-failed',
        errno: 'EPERM',
        message:
          "cannot create TUN device 'tsnnobody0': EPERM — run as root or grant CAP_NET_ADMIN",
      });
      expect(linkInNamespace('tsnnobody0')).toBe(false);
    });

    it('measures the read rate of a 20,000-packet burst from another process (printed, not asserted)', async () => {
      const count = 20_000;
      const run = await runChild(
        'rate',
        { name: 'tsnrate0', count, payloadSize: 1400, rounds: 3 },
        { timeoutMs: 90_000 },
      );
      const rate = eventOf(run, 'rate');
      const results = rate.results as {
        received: number;
        readWhilePaused: number;
        pps: number;
        cpuUsPerPacket: number;
        meanBatch: number;
      }[];
      const best = Math.max(...results.map((r) => r.pps));
      console.log(
        `TUN read rate, ${count} packets of ${rate.packetBytes} bytes drained from the queue, best of ${results.length}: ` +
          `${best} packets/s; rounds: ${JSON.stringify(results)}`,
      );
      for (const r of results) {
        expect(r.readWhilePaused).toBe(0); // pause() held them all in the kernel's queue
        expect(r.received).toBe(count);
      }
      expectCleanExit(run);
    }, 120_000);
  },
);
