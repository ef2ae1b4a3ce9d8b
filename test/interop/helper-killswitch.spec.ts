/**
 * The helper daemon (`tsunagi helper`) with its real nftables kill switch in the bed's client
 * namespace, against a real strongSwan. Every test captures what leaves the client's outer
 * interface (tcpdump -Q out, IPv4 and IPv6) while a generator keeps probing many destinations
 * (IPv4 and IPv6 on the uplink, which this suite turns on), and counts every packet that is not
 * IKE/ESP-in-UDP to the gateway or IPv6 neighbour discovery. Each scenario also runs with the
 * kill switch off and must then see leaks, so every one of them can fail. ARP is not IP and not
 * filtered by an inet table: it is not counted.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderNftables } from '../../native-helper/firewall/nftables.js';
import { planFirewall, type FirewallPolicy } from '../../native-helper/firewall/policy.js';
import { HelperClient } from '../../native-helper/ipc/client.js';
import type { HelperEvent, TunnelState } from '../../native-helper/ipc/protocol.js';
import {
  captureOutbound,
  leaksBetween,
  startTraffic,
  type CaptureResult,
  type TrafficGenerator,
} from './support/leak-capture.js';
import { createPki, GATEWAY_ID, type LabPki } from './support/pki.js';
import { PSK, PSK_CLIENT_ID, startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';

const isRoot = process.getuid?.() === 0;
const missing = [
  !isRoot && 'root',
  !existsSync('/usr/lib/ipsec/charon') && 'strongSwan (/usr/lib/ipsec/charon)',
  !existsSync('/usr/sbin/nft') && 'nft',
  !existsSync('/usr/bin/tcpdump') && 'tcpdump',
  !existsSync('dist/native-helper/cli.js') && 'dist/ (node esbuild.config.mjs)',
  !existsSync('native-helper/native/build/Release/tsunagi_peercred.node') && 'the native addons',
].filter(Boolean);
if (missing.length) console.warn(`helper-killswitch: skipped, missing ${missing.join(', ')}`);

/** IPv6 on the client's uplink (the bed keeps IPv6 off; this suite turns it on there). */
const V6 = { client: '2001:db8:c0::2', router: '2001:db8:c0::1' };
const DESTINATIONS = [
  ADDR.router.client0, // 203.0.113.1, on-link
  ADDR.router.gateway, // 198.51.100.1
  ADDR.gateway.outer, // the gateway itself, but not IKE
  ADDR.host, // 10.99.0.10: through the tunnel when it is up
  '8.8.8.8',
  '1.1.1.1',
  '192.0.2.77',
  '100.64.1.1',
  V6.router, // on-link IPv6
  '2001:db8:99::1',
  '2606:4700::1111',
];
/** How long the helper may take to put back a flushed table (nft monitor; else a check every 2 s). */
const RESTORE_WITHIN_MS = 6_000;

/** UDP responder on the host: echoes, and remembers who asked (printed as lines). */
const RESPONDER = `
import socket, sys, select
socks = []
for a in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((a, 53)); socks.append(s)
print('ready', flush=True)
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        d, src = s.recvfrom(2048); s.sendto(d, src)
        print(s.getsockname()[0], src[0], flush=True)
`;

/** Asks a DNS-port question over UDP; true when the echo came back within the timeout. */
const ASK = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1.5)
try:
    s.sendto(b'query', (sys.argv[1], 53)); s.recvfrom(2048); print('answered')
except OSError: print('no-answer')
`;

describe.skipIf(missing.length > 0)('tsunagi helper: kill switch and IPC in namespaces', () => {
  let bed: Testbed;
  let pki: LabPki;
  let gateway: Gateway;
  let helper: ChildProcess;
  let helperLog = '';
  let allLogs = '';
  let socket: string;
  let stateDir: string;
  let configDir: string;
  let profile: Record<string, unknown>;

  const startHelperProcess = async (): Promise<void> => {
    allLogs += helperLog;
    helperLog = '';
    helper = bed.spawn(
      bed.ns.client,
      [process.execPath, 'native-helper/bin/tsunagi.js', 'helper', '--socket', socket],
      {
        stdio: 'pipe',
        env: { ...process.env, TSUNAGI_STATE_DIR: stateDir, TSUNAGI_CONFIG_DIR: configDir },
      },
    );
    helper.stderr!.on('data', (d: Buffer) => (helperLog += d.toString()));
    for (let i = 0; !helperLog.includes('listening on'); i++) {
      if (i > 200 || helper.exitCode !== null)
        throw new Error(`helper did not start: ${helperLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const killHelper = async (signal: NodeJS.Signals): Promise<void> => {
    const exited = new Promise((res) => helper.on('exit', res));
    helper.kill(signal);
    await exited;
  };

  const client = () => HelperClient.open(socket, 'interop');

  const exec = (ns: string, argv: string[]) => bed.exec(ns, argv, { timeoutMs: 30_000 });

  const capture = () =>
    captureOutbound(bed, bed.ns.client, [bed.ifaces.client.uplink0], ADDR.gateway.outer);

  /** Probes every destination (every `intervalSec`) for `ms`; resolves with the rounds sent. */
  const traffic = async (ms = 1_000, intervalSec = 0.1): Promise<number> => {
    const gen = await startTraffic(bed, bed.ns.client, DESTINATIONS, intervalSec);
    await new Promise((r) => setTimeout(r, ms));
    return gen.stop();
  };

  const report = (what: string, r: CaptureResult, rounds: number) =>
    console.log(
      `${what}: ${rounds} probe rounds (${rounds * DESTINATIONS.length} destinations), ` +
        `${r.allowed} IKE/ESP packets to the gateway, ${r.discovery} IPv6 ND, ${r.leaks.length} leaks`,
    );

  const settings = async (s: { killSwitch?: boolean; lockdown?: boolean }) => {
    const c = await client();
    await c.request({ method: 'set-settings', settings: s });
    c.close();
  };

  const waitState = async (
    seen: TunnelState[],
    wanted: TunnelState['state'][],
    ms: number,
  ): Promise<TunnelState> => {
    const start = Date.now();
    for (;;) {
      const s = seen.find((x) => wanted.includes(x.state));
      if (s) return s;
      if (Date.now() - start > ms)
        throw new Error(`no ${wanted.join('/')} in ${JSON.stringify(seen)}\n${helperLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** States as they arrive; `arrived` maps each to when it did (after its policy was applied). */
  const arrived = new WeakMap<TunnelState, number>();
  const subscribe = async (c: HelperClient) => {
    const states: TunnelState[] = [];
    c.onEvent((e: HelperEvent) => {
      if (e.event !== 'state') return;
      arrived.set(e.state, Date.now());
      states.push(e.state);
    });
    await c.request({ method: 'subscribe', topics: ['state'] });
    return states;
  };

  const since = (s: TunnelState): number => {
    if (!('since' in s)) throw new Error(`${s.state} has no since`);
    return s.since;
  };

  /**
   * Connects under continuous fast traffic (every 10 ms, so the short connecting state gets
   * probes too) and keeps probing for a second once connected. `connecting` is the window from
   * the connecting state's announcement (sent once its policy is in the kernel; before that the
   * machine is still disconnected, unprotected without lockdown) to the connected state's
   * `since` (the helper's clock, this machine's); `connected` runs from there to the end.
   * The router drops IKE for the first 700 ms of connecting, so the state lasts (until the next
   * retransmission) long enough to carry many probes, and includes a retransmission.
   */
  const connectUnderTraffic = async (c: HelperClient) => {
    const states = await subscribe(c);
    const cap = await capture();
    let gen: TrafficGenerator | undefined = await startTraffic(
      bed,
      bed.ns.client,
      DESTINATIONS,
      0.01,
    );
    const slow = () =>
      bed.exec(bed.ns.router, ['nft', '-f', '-'], {
        input:
          'table inet slowike {\n  chain slow {\n    type filter hook forward priority 0; policy accept;\n' +
          '    udp dport 500 drop\n  }\n}\n',
        timeoutMs: 10_000,
      });
    const unslow = () =>
      bed.exec(bed.ns.router, ['nft', 'delete', 'table', 'inet', 'slowike'], {
        check: false,
        timeoutMs: 10_000,
      });
    try {
      await slow();
      await c.request({
        method: 'connect',
        profile: { ...profile, retransmit: { timeout: 0.5, base: 1.5, tries: 5 } },
        secrets: { 'lab-psk': PSK },
      });
      await waitState(states, ['connecting'], 10_000);
      await new Promise((r) => setTimeout(r, 700));
      await unslow();
      const up = await waitState(states, ['connected', 'error'], 30_000);
      expect(up, helperLog).toMatchObject({ state: 'connected' });
      await new Promise((r) => setTimeout(r, 1_000));
      const rounds = gen.roundTimes();
      await gen.stop();
      gen = undefined;
      const r = await cap.stop();
      const connecting = arrived.get(states.find((s) => s.state === 'connecting')!)!;
      const connected = since(up);
      const windows = {
        connecting: [connecting, connected] as const,
        connected: [connected, Date.now()] as const,
      };
      const end = windows.connected[1];
      const inWindow = (w: readonly [number, number]) =>
        rounds.filter((t) => t >= w[0] && t < w[1]).length;
      return {
        up,
        r,
        rounds: rounds.length,
        connectingRounds: inWindow(windows.connecting),
        connectedRounds: inWindow(windows.connected),
        connectingLeaks: leaksBetween(r, ...windows.connecting),
        connectedLeaks: leaksBetween(r, ...windows.connected),
        /** Leaks while disconnected, before the connect (allowed without lockdown). */
        before: leaksBetween(r, 0, connecting).length,
        protectedLeaks: leaksBetween(r, connecting, end),
      };
    } finally {
      await gen?.stop();
      await unslow();
    }
  };

  const disconnect = async () => {
    const c = await client();
    const states = await subscribe(c);
    const r = await c.request({ method: 'disconnect' }).catch((e: Error) => e);
    if (!(r instanceof Error)) await waitState(states, ['disconnected'], 20_000);
    c.close();
  };

  const nftTable = async () =>
    (await bed.exec(bed.ns.client, ['nft', 'list', 'tables'], { timeoutMs: 10_000 })).stdout;

  beforeAll(async () => {
    bed = await createTestbed();
    pki = await createPki(bed.tempDir('pki'));
    gateway = await startGateway(bed, { pki });
    const dir = bed.tempDir('helper');
    socket = join(dir, 'helper.sock');
    stateDir = join(dir, 'run');
    configDir = join(dir, 'lib');
    profile = {
      version: 1,
      name: 'Lab',
      server: ADDR.gateway.outer,
      remoteId: GATEWAY_ID,
      localId: PSK_CLIENT_ID,
      auth: { method: 'psk', secret: { keychain: 'lab-psk' } },
      routes: ['10.99.0.0/24'],
      dpdDelay: 2,
    };
    await exec(bed.ns.host, ['ip', 'addr', 'add', `${ADDR.dns}/24`, 'dev', bed.ifaces.host.inner]);
    // IPv6 on the uplink, with a default route: IPv6 could leave if nothing stopped it
    const c0 = bed.ifaces.client.uplink0;
    await bed.registry.sysctls(bed.ns.client, {
      'net.ipv6.conf.all.disable_ipv6': 0,
      [`net.ipv6.conf.${c0}.disable_ipv6`]: 0,
    });
    for (const argv of [
      ['addr', 'add', `${V6.client}/64`, 'dev', c0, 'nodad'],
      ['route', 'add', 'default', 'via', V6.router, 'dev', c0],
      // a static neighbour: probes go straight out, no ND needed
      ['neigh', 'add', V6.router, 'lladdr', '02:00:00:00:00:01', 'dev', c0],
    ])
      await exec(bed.ns.client, ['ip', '-6', ...argv]);
    await startHelperProcess();
  }, 120_000);

  afterAll(async () => {
    if (helper && helper.exitCode === null) helper.kill('SIGTERM');
    if (bed) writeFileSync(join(bed.tempDir('helper-log'), 'helper.log'), allLogs + helperLog);
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  it('the kernel accepts every policy the plan can produce (IPv4 and IPv6, LAN, DNS)', async () => {
    const policies: FirewallPolicy[] = [
      { kind: 'blocked', allowLan: false },
      { kind: 'blocked', allowLan: true, gateway: { address: ADDR.gateway.outer } },
      { kind: 'blocked', allowLan: false, gateway: { address: '2001:db8::10' } },
      {
        kind: 'connected',
        gateway: { address: ADDR.gateway.outer },
        tun: 'tsunagi0',
        dns: [ADDR.dns, 'fd00::53'],
        allowLan: true,
      },
      { kind: 'allow-all' },
    ];
    for (const p of policies) {
      await bed.exec(bed.ns.client, ['nft', '-f', '-'], {
        input: renderNftables(planFirewall(p)),
        timeoutMs: 10_000,
      });
      const tables = await nftTable();
      if (p.kind === 'allow-all') expect(tables).not.toContain('tsunagi');
      else expect(tables).toContain('table inet tsunagi');
    }
  });

  it('kill switch off: the probes leak, IPv4 and IPv6 (the capture can see a leak)', async () => {
    await settings({ killSwitch: false, lockdown: false });
    const cap = await capture();
    const rounds = await traffic();
    const r = await cap.stop();
    report('disconnected, kill switch off', r, rounds);
    expect(r.leaks.length).toBeGreaterThan(DESTINATIONS.length);
    expect(r.leaks.some((l) => l.includes(' IP6 '))).toBe(true);
    expect(r.leaks.some((l) => / IP6 \S+ > 2606:4700::1111: ICMP6, echo request/.test(l))).toBe(
      true,
    );
    expect(await nftTable()).not.toContain('tsunagi');
  });

  it('lockdown with no tunnel: 0 leaks, also across a helper restart', async () => {
    await settings({ killSwitch: true, lockdown: true });
    expect(await nftTable()).toContain('table inet tsunagi');
    let cap = await capture();
    let rounds = await traffic();
    let r = await cap.stop();
    report('lockdown', r, rounds);
    expect(rounds).toBeGreaterThan(5);
    expect(r.leaks).toEqual([]);

    await killHelper('SIGTERM');
    // no helper at all: the rules are in the kernel
    cap = await capture();
    rounds = await traffic();
    r = await cap.stop();
    report('lockdown, no helper', r, rounds);
    expect(r.leaks).toEqual([]);
    await startHelperProcess();
    const c2 = await client();
    const st = await c2.request({ method: 'status' });
    expect(st).toMatchObject({
      status: { settings: { lockdown: true }, state: { blocking: true } },
    });
    c2.close();
  });

  it('lockdown: another firewall manager flushes the ruleset; the helper puts its table back, then 0 leaks', async () => {
    // still in lockdown from the previous test (or now, when run alone)
    await settings({ killSwitch: true, lockdown: true });
    expect(await nftTable()).toContain('table inet tsunagi');
    const cap = await capture();
    const gen = await startTraffic(bed, bed.ns.client, DESTINATIONS, 0.01);
    let r: CaptureResult;
    let rounds: number;
    const t = { flushed: 0, back: 0 };
    try {
      await new Promise((res) => setTimeout(res, 300));
      t.flushed = Date.now();
      await exec(bed.ns.client, ['nft', 'flush', 'ruleset']);
      while (!(await nftTable()).includes('table inet tsunagi')) {
        if (Date.now() - t.flushed > RESTORE_WITHIN_MS)
          throw new Error(`the table is not back after ${RESTORE_WITHIN_MS} ms\n${helperLog}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      t.back = Date.now();
      await new Promise((res) => setTimeout(res, 1_000));
    } finally {
      rounds = await gen.stop();
      r = await cap.stop();
    }
    const gap = leaksBetween(r, t.flushed, t.back);
    report('lockdown across a ruleset flush', r, rounds);
    console.log(
      `flush ruleset: the table was back within ${t.back - t.flushed} ms; ${gap.length} leaks in that gap`,
    );
    expect(helperLog).toContain("the kill switch's table is gone");
    expect(leaksBetween(r, 0, t.flushed)).toEqual([]);
    expect(leaksBetween(r, t.back, Date.now())).toEqual([]);
    expect(rounds).toBeGreaterThan(50);
    const c = await client();
    expect(await c.request({ method: 'status' })).toMatchObject({
      status: {
        state: { state: 'disconnected', blocking: true },
        firewall: { applied: 'blocked', wanted: 'blocked', restored: 1 },
      },
    });
    await c.request({ method: 'set-settings', settings: { lockdown: false } });
    c.close();
    expect(await nftTable()).not.toContain('tsunagi');
  });

  it('kill switch off: connecting and connected leak (so the kill-switch-on run can fail)', async () => {
    await settings({ killSwitch: false, lockdown: false });
    const c = await client();
    const run = await connectUnderTraffic(c);
    c.close();
    report('connect, kill switch off', run.r, run.rounds);
    console.log(
      `kill switch off: ${run.connectingRounds} rounds / ${run.connectingLeaks.length} leaks while connecting, ` +
        `${run.connectedRounds} rounds / ${run.connectedLeaks.length} leaks while connected`,
    );
    expect(run.up).toMatchObject({ state: 'connected', blocking: false });
    expect(run.connectingRounds).toBeGreaterThan(10);
    expect(run.connectingLeaks.length).toBeGreaterThan(0);
    expect(run.connectedLeaks.length).toBeGreaterThan(0);
    await disconnect();
  });

  it('kill switch on: 0 leaks while connecting and connected; the tunnel and its DNS work, other DNS does not', async () => {
    await settings({ killSwitch: true, lockdown: false });
    const responder = bed.spawn(bed.ns.host, ['python3', '-c', RESPONDER, ADDR.dns, ADDR.host], {
      stdio: 'pipe',
    });
    let asked = '';
    responder.stdout!.on('data', (d: Buffer) => (asked += d.toString()));
    const c = await client();
    const run = await connectUnderTraffic(c);
    report('connect, kill switch on', run.r, run.rounds);
    console.log(
      `kill switch on: ${run.connectingRounds} probe rounds while connecting, ${run.connectedRounds} while connected`,
    );
    expect(run.up, helperLog).toMatchObject({
      state: 'connected',
      blocking: true,
      dns: [ADDR.dns],
    });
    // probes were sent in both states, and none of them left
    expect(run.connectingRounds).toBeGreaterThan(10);
    expect(run.connectedRounds).toBeGreaterThan(5);
    expect(run.r.allowed).toBeGreaterThan(0);
    // before the connect the machine was disconnected without lockdown: not protected
    console.log(`kill switch on: ${run.before} leaks while still disconnected (not protected)`);
    expect(run.protectedLeaks).toEqual([]);

    const cap = await capture();
    const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 5 });
    expect(ping.received).toBe(3);
    for (let i = 0; !asked.includes('ready'); i++) {
      if (i > 100) throw new Error('responder did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    const ask = async (server: string) =>
      (await exec(bed.ns.client, ['python3', '-c', ASK, server])).stdout.trim();
    expect(await ask(ADDR.dns)).toBe('answered');
    expect(await ask(ADDR.host)).toBe('no-answer'); // a DNS server through the tunnel, not the tunnel's
    expect(await ask(ADDR.router.gateway)).toBe('no-answer'); // outside the tunnel
    expect((await cap.stop()).leaks).toEqual([]);
    expect(asked).toContain(`${ADDR.dns} 10.10.10.`);
    expect(asked).not.toContain(`${ADDR.host} `);

    // statistics from the real tunnel: counters, and when the SAs rekey next
    let st = await c.request({ method: 'status' });
    for (let i = 0; st.kind === 'status' && st.status.stats.at === 0 && i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      st = await c.request({ method: 'status' });
    }
    if (st.kind !== 'status') throw new Error(st.kind);
    expect(st.status.state.state).toBe('connected');
    expect(st.status.stats.packetsOut).toBeGreaterThan(0);
    expect(st.status.stats.rekey?.ike.next).toBeGreaterThan(Date.now());
    expect(st.status.stats.rekey?.child.next).toBeGreaterThan(Date.now());
    expect(st.status.firewall).toMatchObject({ applied: 'connected', wanted: 'connected' });
    expect(allLogs + helperLog).not.toContain(PSK);
    c.close();
    responder.kill();
  });

  it('SIGKILL while connected, then a restart, under one capture: 0 leaks; routes repaired from the journal, no TUN left', async () => {
    const journal = join(stateDir, 'connection.journal.json');
    expect(existsSync(journal)).toBe(true);
    const entry = JSON.parse(readFileSync(journal, 'utf8')) as { tun: string };
    const resolvBefore = bed.readClientResolvConf();
    expect(resolvBefore).toContain(`nameserver ${ADDR.dns}`);
    const cap = await capture();
    const gen = await startTraffic(bed, bed.ns.client, DESTINATIONS);
    let r: CaptureResult;
    let rounds: number;
    try {
      await new Promise((res) => setTimeout(res, 500));
      await killHelper('SIGKILL');
      // no helper: the connected policy stays in the kernel
      await new Promise((res) => setTimeout(res, 1_000));
      expect(await nftTable()).toContain('table inet tsunagi');
      await startHelperProcess();
      await new Promise((res) => setTimeout(res, 1_000));
    } finally {
      rounds = await gen.stop();
      r = await cap.stop();
    }
    report('SIGKILL and restart, kill switch on', r, rounds);
    expect(rounds).toBeGreaterThan(15);
    expect(r.leaks).toEqual([]);

    expect(existsSync(journal)).toBe(false);
    const links = (await exec(bed.ns.client, ['ip', '-o', 'link'])).stdout;
    expect(links).not.toContain(entry.tun);
    const routes = (await exec(bed.ns.client, ['ip', 'route'])).stdout;
    expect(routes).not.toContain('10.99.0.0/24');
    expect(bed.readClientResolvConf()).not.toContain(`nameserver ${ADDR.dns}`);
    const c = await client();
    const st = await c.request({ method: 'status' });
    expect(st).toMatchObject({
      status: { state: { state: 'error', code: 'helper-restarted', blocking: true } },
    });
    c.close();
  });

  it('kill switch off: SIGKILL while connected, then a restart, leaks', async () => {
    await settings({ killSwitch: false, lockdown: false });
    const c = await client();
    const states = await subscribe(c);
    await c.request({ method: 'connect', profile, secrets: { 'lab-psk': PSK } });
    expect(await waitState(states, ['connected', 'error'], 30_000)).toMatchObject({
      state: 'connected',
      blocking: false,
    });
    c.close();
    const cap = await capture();
    const gen = await startTraffic(bed, bed.ns.client, DESTINATIONS);
    let r: CaptureResult;
    let rounds: number;
    try {
      await new Promise((res) => setTimeout(res, 500));
      await killHelper('SIGKILL');
      await new Promise((res) => setTimeout(res, 1_000));
      await startHelperProcess();
      await new Promise((res) => setTimeout(res, 1_000));
    } finally {
      rounds = await gen.stop();
      r = await cap.stop();
    }
    report('SIGKILL and restart, kill switch off', r, rounds);
    expect(r.leaks.length).toBeGreaterThan(rounds);
    const c2 = await client();
    expect(await c2.request({ method: 'status' })).toMatchObject({
      status: { state: { state: 'error', code: 'helper-restarted', blocking: false } },
    });
    c2.close();
    await settings({ killSwitch: true });
  });

  it('the gateway dies: 0 leaks while the tunnel is dead', async () => {
    const c = await client();
    const states = await subscribe(c);
    await c.request({ method: 'connect', profile, secrets: { 'lab-psk': PSK } });
    await waitState(states, ['connected'], 30_000);
    const cap = await capture();
    await gateway.kill();
    // The engine notices a dead peer only after its DPD retransmission budget (~165 s), longer
    // than this test; until then the tunnel is a black hole and nothing may go around it.
    const rounds = await traffic(5_000);
    const r = await cap.stop();
    report('gateway dead', r, rounds);
    expect(r.allowed).toBeGreaterThan(0); // DPD probes to the dead gateway
    expect(r.leaks).toEqual([]);
    c.close();
  });
});
