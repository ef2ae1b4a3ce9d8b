/**
 * The interop test bed: four namespaces wired like a road-warrior deployment.
 *
 *   client ──(203.0.113.0/24)── router ──(198.51.100.0/24)── gateway ──(10.99.0.0/24)── host
 *         └─(192.0.2.0/24, optional second uplink)─┘  (NAT optional)
 *
 * Addresses are fixed (ADDR) so every suite agrees; names are unique per run. Nothing here talks
 * to the host's namespace: the client's default route points at the router namespace, which has
 * no default route at all.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parsePing, pingArgv } from './icmp.js';
import { NetnsRegistry, exec as nsExec, spawn as nsSpawn, sweepStaleRuns } from './netns.js';
import type { ExecOptions, ExecResult, SpawnOptions } from './netns.js';

export const ADDR = {
  client: { uplink0: '203.0.113.2', uplink1: '192.0.2.2' },
  router: { client0: '203.0.113.1', client1: '192.0.2.1', gateway: '198.51.100.1' },
  gateway: { outer: '198.51.100.10', inner: '10.99.0.1' },
  host: '10.99.0.10',
  clientNet0: '203.0.113.0/24',
  clientNet1: '192.0.2.0/24',
  transitNet: '198.51.100.0/24',
  protectedNet: '10.99.0.0/24',
  pool: '10.10.10.0/24',
  dns: '10.99.0.53',
} as const;

export interface TestbedOptions {
  /** Masquerade the client networks out of the router's gateway-side interface. */
  nat?: boolean;
  /** conntrack UDP timeouts (both `udp_timeout` and `udp_timeout_stream`) in the router. */
  natUdpTimeoutSec?: number;
  /** A second client uplink (192.0.2.2 ⇄ router 192.0.2.1), for MOBIKE. */
  secondUplink?: boolean;
}

export interface PingResult {
  ok: boolean;
  transmitted: number;
  received: number;
  rttMs: number[];
  output: string;
}

export interface IperfResult {
  /** Receiver's rate. */
  bitsPerSecond: number;
  /** Bytes the sender sent (iperf3's receiver summary can undercount the tail of a -n run). */
  bytes: number;
  bytesReceived: number;
  seconds: number;
  retransmits: number | undefined;
  json: unknown;
}

export interface Testbed {
  readonly runId: string;
  readonly registry: NetnsRegistry;
  readonly options: Required<TestbedOptions>;
  readonly ns: { client: string; router: string; gateway: string; host: string };
  readonly ifaces: {
    /** client uplink(s); uplink1 only with secondUplink. */
    client: { uplink0: string; uplink1: string | undefined };
    router: { client0: string; client1: string | undefined; gateway: string };
    gateway: { outer: string; inner: string };
    host: { inner: string };
  };
  readonly addr: typeof ADDR;
  /** /etc/netns/<client ns>/resolv.conf: what the client namespace sees as /etc/resolv.conf. */
  readonly clientResolvConf: string;
  exec(ns: string, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(ns: string, argv: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** A temp dir removed on destroy(). */
  tempDir(label: string): string;
  readClientResolvConf(): string;
  /** ping from the client ns (default to the protected host 10.99.0.10). */
  ping(opts?: {
    /** Namespace to ping from (default the client's). */
    from?: string;
    target?: string;
    count?: number;
    intervalSec?: number;
    deadlineSec?: number;
  }): Promise<PingResult>;
  /** iperf3 from the client ns to a one-shot server on the protected host. */
  iperf3(opts?: {
    seconds?: number;
    bytes?: number;
    reverse?: boolean;
    udpBitrate?: string;
    /** TCP connect timeout (default 5 s): a missing tunnel fails fast instead of hanging. */
    connectTimeoutSec?: number;
  }): Promise<IperfResult>;
  /** Moves `bytes` over TCP from the client to the host (iperf3 -n) and times it. */
  transfer(
    bytes: number,
    opts?: { reverse?: boolean; connectTimeoutSec?: number },
  ): Promise<IperfResult>;
  /** Link up/down of a client uplink (both ends), e.g. to move a MOBIKE client. */
  setUplink(index: 0 | 1, up: boolean): Promise<void>;
  /** Adds/removes the router's masquerade rule at run time. */
  setNat(on: boolean): Promise<void>;
  /**
   * Makes the router drop every IP fragment (hooked in prerouting at priority -450, i.e. before
   * conntrack reassembles them, see PLATFORM.md): an IKE message larger than the path MTU then
   * only gets through with IKE fragmentation (RFC 7383).
   */
  setFragmentDrop(on: boolean): Promise<void>;
  destroy(): Promise<void>;
}

const NAT_TABLE = 'tsunagi_nat';
const FRAG_TABLE = 'tsunagi_frag';

export async function createTestbed(options: TestbedOptions = {}): Promise<Testbed> {
  const opts: Required<TestbedOptions> = {
    nat: options.nat ?? false,
    natUdpTimeoutSec: options.natUdpTimeoutSec ?? 0,
    secondUplink: options.secondUplink ?? false,
  };
  // A run that was SIGKILLed could not clean up: do it now (only runs whose owner is gone).
  sweepStaleRuns();
  const registry = new NetnsRegistry();
  const id = registry.runId;
  const ns = { client: `${id}-cli`, router: `${id}-rtr`, gateway: `${id}-gw`, host: `${id}-host` };
  const ifaces = {
    client: { uplink0: `${id}c0`, uplink1: opts.secondUplink ? `${id}c1` : undefined },
    router: {
      client0: `${id}r0`,
      client1: opts.secondUplink ? `${id}r1` : undefined,
      gateway: `${id}r2`,
    },
    gateway: { outer: `${id}g0`, inner: `${id}g1` },
    host: { inner: `${id}h0` },
  };
  const clientResolvConf = `/etc/netns/${ns.client}/resolv.conf`;

  try {
    await Promise.all([
      registry.addNamespace(ns.client, {
        resolvConf: '# tsunagi interop bed: client namespace copy\nnameserver 192.0.2.53\n',
      }),
      registry.addNamespace(ns.router),
      registry.addNamespace(ns.gateway),
      registry.addNamespace(ns.host),
    ]);
    const c1 = ifaces.client.uplink1;
    const r1 = ifaces.router.client1;
    await Promise.all([
      registry.addVethPair(ns.client, ifaces.client.uplink0, ns.router, ifaces.router.client0),
      registry.addVethPair(ns.router, ifaces.router.gateway, ns.gateway, ifaces.gateway.outer),
      registry.addVethPair(ns.gateway, ifaces.gateway.inner, ns.host, ifaces.host.inner),
      c1 !== undefined && r1 !== undefined
        ? registry.addVethPair(ns.client, c1, ns.router, r1)
        : Promise.resolve(),
    ]);
    const up = (i: string) => `link set ${i} up`;
    const addr = (i: string, a: string) => `addr add ${a}/24 dev ${i}`;
    // Keep IPv6 out of the picture (no router advertisements or DAD noise on the veths).
    const noV6 = { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 };
    await Promise.all([
      registry.ipBatch(ns.client, [
        up(ifaces.client.uplink0),
        addr(ifaces.client.uplink0, ADDR.client.uplink0),
        // The client's default route leads to the router namespace (a dead end past the gateway).
        `route add default via ${ADDR.router.client0} metric 100`,
        ...(c1 !== undefined
          ? [
              up(c1),
              addr(c1, ADDR.client.uplink1),
              `route add default via ${ADDR.router.client1} metric 200`,
            ]
          : []),
      ]),
      registry.ipBatch(ns.router, [
        up(ifaces.router.client0),
        addr(ifaces.router.client0, ADDR.router.client0),
        up(ifaces.router.gateway),
        addr(ifaces.router.gateway, ADDR.router.gateway),
        ...(r1 !== undefined ? [up(r1), addr(r1, ADDR.router.client1)] : []),
      ]),
      registry.ipBatch(ns.gateway, [
        up(ifaces.gateway.outer),
        addr(ifaces.gateway.outer, ADDR.gateway.outer),
        up(ifaces.gateway.inner),
        addr(ifaces.gateway.inner, ADDR.gateway.inner),
        `route add ${ADDR.clientNet0} via ${ADDR.router.gateway}`,
        `route add ${ADDR.clientNet1} via ${ADDR.router.gateway}`,
      ]),
      registry.ipBatch(ns.host, [
        up(ifaces.host.inner),
        addr(ifaces.host.inner, ADDR.host),
        `route add ${ADDR.pool} via ${ADDR.gateway.inner}`,
      ]),
      registry.sysctls(ns.client, noV6),
      registry.sysctls(ns.host, noV6),
      registry.sysctls(ns.router, { ...noV6, 'net.ipv4.ip_forward': 1 }),
      registry.sysctls(ns.gateway, { ...noV6, 'net.ipv4.ip_forward': 1 }),
    ]);
  } catch (err) {
    await registry.destroy();
    throw err;
  }

  const exec = (n: string, argv: readonly string[], o?: ExecOptions) => nsExec(n, argv, o);

  const setNat = async (on: boolean): Promise<void> => {
    await exec(ns.router, ['nft', 'delete', 'table', 'ip', NAT_TABLE], { check: false });
    if (!on) return;
    const script = [
      `table ip ${NAT_TABLE} {`,
      '  chain postrouting {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    oifname "${ifaces.router.gateway}" ip saddr { ${ADDR.clientNet0}, ${ADDR.clientNet1} } masquerade`,
      '  }',
      '}',
      '',
    ].join('\n');
    await exec(ns.router, ['nft', '-f', '-'], { input: script });
  };

  const bed: Testbed = {
    runId: id,
    registry,
    options: opts,
    ns,
    ifaces,
    addr: ADDR,
    clientResolvConf,
    exec,
    spawn: (n, argv, o) => nsSpawn(registry, n, argv, o),
    tempDir: (label) => registry.tempDir(label),
    readClientResolvConf: () => readFileSync(clientResolvConf, 'utf8'),

    async ping(o = {}) {
      const count = o.count ?? 3;
      const intervalSec = o.intervalSec ?? 0.2;
      const deadlineSec = o.deadlineSec ?? Math.max(2, count * intervalSec + 2);
      const res = await exec(
        o.from ?? ns.client,
        pingArgv({ target: o.target ?? ADDR.host, count, intervalSec, deadlineSec }),
        { check: false, timeoutMs: (deadlineSec + 10) * 1000 },
      );
      const p = parsePing(res.stdout);
      return { ok: res.code === 0 && p.received > 0, ...p, output: res.stdout + res.stderr };
    },

    async iperf3(o = {}) {
      const port = String(5201 + Math.floor(Math.random() * 500));
      const server = nsSpawn(registry, ns.host, [
        'iperf3',
        '-s',
        '-1',
        '-B',
        ADDR.host,
        '-p',
        port,
      ]);
      try {
        const argv = ['iperf3', '-c', ADDR.host, '-p', port, '-J'];
        argv.push('--connect-timeout', String(Math.round((o.connectTimeoutSec ?? 5) * 1000)));
        if (o.bytes !== undefined) argv.push('-n', String(o.bytes));
        else argv.push('-t', String(o.seconds ?? 3));
        if (o.reverse) argv.push('-R');
        if (o.udpBitrate !== undefined) argv.push('-u', '-b', o.udpBitrate);
        type IperfJson = {
          error?: string;
          end: {
            sum_received?: { bits_per_second: number; bytes: number; seconds: number };
            sum_sent?: { retransmits?: number; bytes: number };
            sum?: { bits_per_second: number; bytes: number; seconds: number };
          };
        };
        // The server needs a moment to listen: retry (only) while the connection is refused.
        // iperf3 3.12 with -J may exit 0 on errors and put them in the JSON's "error" field.
        let res: ExecResult | undefined;
        let json: IperfJson | undefined;
        for (let attempt = 0; attempt < 100; attempt++) {
          const r = await exec(ns.client, argv, { check: false, timeoutMs: 300_000 });
          let parsed: IperfJson | undefined;
          try {
            parsed = JSON.parse(r.stdout) as IperfJson;
          } catch {
            parsed = undefined;
          }
          const error = parsed?.error ?? (r.code === 0 ? undefined : r.stderr || r.stdout);
          if (error === undefined && parsed !== undefined) {
            res = r;
            json = parsed;
            break;
          }
          if (!/refused/i.test(error ?? '') || server.exitCode !== null) {
            throw new Error(`iperf3 failed (exit ${r.code}): ${error ?? r.stdout.slice(0, 800)}`);
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        if (res === undefined || json === undefined) {
          throw new Error('iperf3: server never accepted the connection');
        }
        const sum = json.end.sum_received ?? json.end.sum;
        if (!sum) {
          throw new Error(
            `iperf3: no summary in its JSON: ${res.stdout.slice(-1500)} ${res.stderr}`,
          );
        }
        return {
          bitsPerSecond: sum.bits_per_second,
          bytes: json.end.sum_sent?.bytes ?? sum.bytes,
          bytesReceived: sum.bytes,
          seconds: sum.seconds,
          retransmits: json.end.sum_sent?.retransmits,
          json,
        };
      } finally {
        if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      }
    },

    transfer(bytes, o = {}) {
      return bed.iperf3({
        bytes,
        reverse: o.reverse ?? false,
        ...(o.connectTimeoutSec !== undefined ? { connectTimeoutSec: o.connectTimeoutSec } : {}),
      });
    },

    async setUplink(index, up) {
      const c = index === 0 ? ifaces.client.uplink0 : ifaces.client.uplink1;
      const r = index === 0 ? ifaces.router.client0 : ifaces.router.client1;
      if (c === undefined || r === undefined) throw new Error('no second uplink in this bed');
      const state = up ? 'up' : 'down';
      await exec(ns.client, ['ip', 'link', 'set', c, state]);
      await exec(ns.router, ['ip', 'link', 'set', r, state]);
      if (up) {
        // Link down drops the default route with it; put it back.
        const via = index === 0 ? ADDR.router.client0 : ADDR.router.client1;
        const metric = index === 0 ? '100' : '200';
        await exec(ns.client, ['ip', 'route', 'replace', 'default', 'via', via, 'metric', metric]);
      }
    },

    setNat,

    async setFragmentDrop(on) {
      await exec(ns.router, ['nft', 'delete', 'table', 'ip', FRAG_TABLE], { check: false });
      if (!on) return;
      const script = [
        `table ip ${FRAG_TABLE} {`,
        '  chain prerouting {',
        '    type filter hook prerouting priority -450; policy accept;',
        '    ip frag-off & 0x3fff != 0 counter drop',
        '  }',
        '}',
        '',
      ].join('\n');
      await exec(ns.router, ['nft', '-f', '-'], { input: script });
    },

    destroy: () => registry.destroy(),
  };

  try {
    if (opts.nat) {
      await setNat(true);
      if (opts.natUdpTimeoutSec > 0) {
        await registry.sysctls(ns.router, {
          'net.netfilter.nf_conntrack_udp_timeout': opts.natUdpTimeoutSec,
          'net.netfilter.nf_conntrack_udp_timeout_stream': opts.natUdpTimeoutSec,
        });
      }
    }
  } catch (err) {
    await registry.destroy();
    throw err;
  }
  return bed;
}
