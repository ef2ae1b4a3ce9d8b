/**
 * A dual-stack gateway: strongSwan hands out IPv4 and IPv6 addresses (pool4 + pool6) and tunnels
 * 0.0.0.0/0 and ::/0; the protected network has IPv6 too (fd99::/64, the host at fd99::10).
 *
 * A full tunnel asks for both (CP INTERNAL_IP4/IP6_ADDRESS and _DNS, TSi 0.0.0.0/0 + ::/0, TSr
 * 0.0.0.0/0 + ::/0, as strongSwan's and Android's clients do): the IPv6 address goes on the TUN
 * and ping6 reaches the protected host through the tunnel. Then the same gateway without its
 * IPv6 pool: the client still connects (no IPv6 address is no failure), the tunnel is IPv4-only,
 * and IPv6 must not get around it: the full tunnel routes ::/1 and 8000::/1 into the TUN, where
 * no SA takes IPv6, and nothing for the protected IPv6 host appears on the underlay.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { DUAL_STACK_CHILD, startGateway, type Gateway } from './support/strongswan.js';
import { createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('/usr/bin/tcpdump') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

/** ICMPv6 echo (the kernel fills in the ICMPv6 checksum on raw sockets); prints the replies. */
const PING6 = `
import socket, struct, sys, time, select
dst, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
got = 0
for seq in range(count):
    try: s.sendto(struct.pack('!BBHHH', 128, 0, 0, 4242, seq) + b'tsunagi6', (dst, 0))
    except OSError as e: print('send-error', e.errno, flush=True); time.sleep(0.2); continue
    end = time.time() + 1
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r: break
        d, a = s.recvfrom(2048)
        if d[0] == 129 and struct.unpack('!H', d[4:6])[0] == 4242: got += 1; break
print('received', got, flush=True)
`;

const V6 = { gatewayInner: 'fd99::1', host: 'fd99::10', dns: 'fd99::53', pool: 'fd10:10::/112' };

describe.skipIf(!canRun)('tsunagi connect: a dual-stack gateway (IPv6 pool)', () => {
  let bed: Testbed;
  let gateway: Gateway;
  let pki: Awaited<ReturnType<typeof createPki>>;

  const ping6 = async (ns: string, target: string, count: number): Promise<number> => {
    const r = await bed.exec(ns, ['python3', '-c', PING6, target, String(count)], {
      timeoutMs: 30_000,
    });
    return Number(/received (\d+)/.exec(r.stdout)?.[1] ?? -1);
  };

  const on6 = (ns: string, ifaces: string[]) =>
    bed.registry.sysctls(ns, {
      'net.ipv6.conf.all.disable_ipv6': 0,
      ...Object.fromEntries(ifaces.map((i) => [`net.ipv6.conf.${i}.disable_ipv6`, 0])),
    });

  beforeAll(async () => {
    bed = await createTestbed();
    await on6(bed.ns.client, [bed.ifaces.client.uplink0]);
    await on6(bed.ns.gateway, [bed.ifaces.gateway.inner]);
    await on6(bed.ns.host, [bed.ifaces.host.inner]);
    await bed.registry.sysctls(bed.ns.gateway, { 'net.ipv6.conf.all.forwarding': 1 });
    await bed.exec(bed.ns.gateway, [
      'ip',
      '-6',
      'addr',
      'add',
      `${V6.gatewayInner}/64`,
      'dev',
      bed.ifaces.gateway.inner,
      'nodad',
    ]);
    await bed.exec(bed.ns.host, [
      'ip',
      '-6',
      'addr',
      'add',
      `${V6.host}/64`,
      'dev',
      bed.ifaces.host.inner,
      'nodad',
    ]);
    await bed.exec(bed.ns.host, ['ip', '-6', 'route', 'add', V6.pool, 'via', V6.gatewayInner]);
    pki = await createPki(bed.tempDir('pki'));
    gateway = await startGateway(bed, {
      pki,
      pool6: { subnet: V6.pool, dns: [V6.dns] },
      connections: [{ name: 'psk', auth: 'psk', children: [DUAL_STACK_CHILD] }],
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  it('the protected host answers ping6 from the gateway (the IPv6 side of the bed works)', async () => {
    expect(await ping6(bed.ns.gateway, V6.host, 2)).toBe(2);
  });

  it('IPv6 inside the tunnel: the assigned address on the TUN, ping6 to the protected host', async () => {
    const client = spawnTsunagi(bed, writePskProfile(bed, 'Dual6', { routes: 'all' }));
    try {
      const up = await client.state(['connected', 'error'], 30_000);
      expect(up, JSON.stringify(client.lines)).toMatchObject({ state: 'connected' });
      expect(String(up.virtualIp6)).toMatch(/^fd10:10::/);
      expect(up.dns).toContain(V6.dns);
      const addr = (await bed.exec(bed.ns.client, ['ip', '-6', 'addr', 'show', String(up.tun)]))
        .stdout;
      expect(addr).toContain(`${String(up.virtualIp6)}/128`);
      const route = (await bed.exec(bed.ns.client, ['ip', '-6', 'route', 'get', V6.host])).stdout;
      expect(route).toContain(String(up.tun));
      expect(route).toContain(`src ${String(up.virtualIp6)}`);
      expect(await ping6(bed.ns.client, V6.host, 3)).toBe(3);
      // IPv4 still works next to it
      expect((await bed.ping({ count: 2, intervalSec: 0.2, deadlineSec: 5 })).received).toBe(2);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  });

  /** ping6 from the client while tcpdump watches its uplink: lines naming the protected host. */
  const probeUnderlay = async (): Promise<{ received: number; onWire: string[] }> => {
    const cap = bed.spawn(
      bed.ns.client,
      ['tcpdump', '-n', '-l', '-i', bed.ifaces.client.uplink0, 'ip6'],
      { stdio: 'pipe' },
    );
    let out = '';
    let err = '';
    cap.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    cap.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    for (let i = 0; !err.includes('listening on'); i++) {
      if (i > 200) throw new Error(`tcpdump did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const received = await ping6(bed.ns.client, V6.host, 3);
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => cap.on('exit', r));
    cap.kill('SIGINT');
    await exited;
    return { received, onWire: out.split('\n').filter((l) => l.includes(V6.host)) };
  };

  it('a gateway without an IPv6 pool: connected IPv4-only, IPv6 for the protected net never reaches the underlay', async () => {
    // The same gateway, its IPv6 pool gone: the request for an IPv6 address goes unanswered.
    await gateway.stop();
    gateway = await startGateway(bed, {
      pki,
      connections: [{ name: 'psk', auth: 'psk', children: [DUAL_STACK_CHILD] }],
    });
    // The client's uplink has IPv6 with a default route: without the tunnel, the probes leave.
    const c0 = bed.ifaces.client.uplink0;
    for (const argv of [
      ['addr', 'add', '2001:db8:c0::2/64', 'dev', c0, 'nodad'],
      ['route', 'add', 'default', 'via', '2001:db8:c0::1', 'dev', c0],
      ['neigh', 'add', '2001:db8:c0::1', 'lladdr', '02:00:00:00:00:01', 'dev', c0],
    ])
      await bed.exec(bed.ns.client, ['ip', '-6', ...argv]);
    const before = await probeUnderlay();
    expect(before.onWire.length).toBeGreaterThanOrEqual(3); // the capture sees them

    const client = spawnTsunagi(bed, writePskProfile(bed, 'Dual', { routes: 'all' }));
    try {
      const up = await client.state(['connected', 'error'], 30_000);
      expect(up, JSON.stringify(client.lines)).toMatchObject({ state: 'connected' });
      expect(up.virtualIp6).toBeUndefined(); // asked for, none given: no failure
      const v6route = (await bed.exec(bed.ns.client, ['ip', '-6', 'route', 'get', V6.host])).stdout;
      expect(v6route).toContain(String(up.tun));
      const during = await probeUnderlay();
      const ping4 = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 5 });
      expect(ping4.received).toBe(3);
      expect(during.received).toBe(0);
      expect(during.onWire).toEqual([]);
    } finally {
      expect(await client.stop()).toBe(0);
    }
  });
});
