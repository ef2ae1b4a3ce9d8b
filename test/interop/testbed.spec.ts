/**
 * The interop bed's self-check: namespaces + a real strongSwan 5.9.8 gateway + strongSwan as the
 * reference initiator. Every assertion looks at what really happened (echo replies through the
 * tunnel, the gateway's own SA counters, the namespace's resolv.conf, leftover namespaces and
 * processes), and the negative controls (ping with the tunnel down) make sure it can fail.
 */
import { execFileSync, spawn as spawnChild } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON } from './support/icmp.js';
import {
  NetnsRegistry,
  RUNS_DIR,
  isAlive,
  listNamespaces,
  newRunId,
  sweepStaleRuns,
  waitFor,
} from './support/netns.js';
import { createPki } from './support/pki.js';
import type { LabPki } from './support/pki.js';
import { startReferenceClient } from './support/reference-client.js';
import type { ReferenceClient } from './support/reference-client.js';
import { clientProfile } from './support/scenarios.js';
import {
  CHARON,
  killGateway,
  listSas,
  restartGateway,
  startGateway,
} from './support/strongswan.js';
import type { Gateway, IkeSaInfo } from './support/strongswan.js';
import { ADDR, createTestbed } from './support/testbed.js';
import type { Testbed } from './support/testbed.js';

function missing(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
  for (const f of [
    CHARON,
    '/usr/sbin/swanctl',
    '/usr/bin/pki',
    '/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so',
    '/usr/lib/ipsec/plugins/libstrongswan-eap-mschapv2.so',
  ]) {
    if (!existsSync(f)) return `${f} missing (run .ci/provision)`;
  }
  try {
    execFileSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' });
  } catch {
    return 'python3 missing (the bed pings with a python3 raw socket)';
  }
  return undefined;
}

const reason = missing();
if (reason !== undefined) console.warn(`interop testbed self-check skipped: ${reason}`);

function charonPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'charon'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function waitNoSa(gw: Gateway, name?: string): Promise<void> {
  await waitFor(
    'gateway to drop the SA',
    async () => (await gw.listSas(name !== undefined ? { ike: name } : {})).length === 0,
    10_000,
    50,
  );
}

describe.skipIf(reason !== undefined)('interop test bed (strongSwan 5.9.8 in namespaces)', () => {
  let bed: Testbed;
  let pki: LabPki;
  let gateway: Gateway;
  let ref: ReferenceClient;

  beforeAll(async () => {
    const t0 = performance.now();
    bed = await createTestbed();
    const t1 = performance.now();
    pki = await createPki(bed.tempDir('pki'));
    const t2 = performance.now();
    gateway = await startGateway(bed, { pki });
    const t3 = performance.now();
    ref = await startReferenceClient(bed, { pki });
    const t4 = performance.now();
    console.log(
      `bed up: namespaces ${(t1 - t0).toFixed(0)} ms, pki ${(t2 - t1).toFixed(0)} ms, ` +
        `gateway ${(t3 - t2).toFixed(0)} ms, reference client ${(t4 - t3).toFixed(0)} ms`,
    );
  });

  // One failed test must not leave an SA that breaks the next one.
  afterEach(async () => {
    if (!ref?.charon.running) return;
    if ((await ref.listSas()).length > 0) {
      await ref.disconnect(undefined, { force: true, timeoutMs: 2000 }).catch(() => undefined);
    }
    if (gateway?.charon.running && (await gateway.listSas()).length > 0) {
      await gateway.terminateAll().catch(() => undefined);
    }
  });

  afterAll(async () => {
    await bed?.destroy();
  });

  it('wires the namespaces as planned and reaches nothing behind the gateway without a tunnel', async () => {
    expect(listNamespaces()).toEqual(expect.arrayContaining(Object.values(bed.ns)));
    const addrs = (await bed.exec(bed.ns.client, ['ip', '-4', '-o', 'addr', 'show'])).stdout;
    expect(addrs).toContain(`${ADDR.client.uplink0}/24`);
    const gwRoutes = (await bed.exec(bed.ns.gateway, ['ip', 'route', 'show'])).stdout;
    expect(gwRoutes).toContain(`${ADDR.clientNet0} via ${ADDR.router.gateway}`);
    // Through the router: the client reaches the gateway's outer address…
    expect((await bed.ping({ target: ADDR.gateway.outer, count: 1 })).received).toBe(1);
    // …but not the protected host: no route past the gateway without the tunnel.
    const blocked = await bed.ping({ count: 2, intervalSec: 0.1, deadlineSec: 1 });
    expect(blocked.transmitted).toBe(2);
    expect(blocked.received).toBe(0);
    expect(bed.readClientResolvConf()).not.toContain(ADDR.dns);
  });

  it('PSK (aes256gcm16-prfsha256-x25519 / aes256gcm16): tunnel up, ping through it, DNS, clean teardown', async () => {
    const r = await ref.connect('psk');
    console.log(
      `reference PSK connect: established ${r.establishMs.toFixed(0)} ms, first ping reply ${r.firstPingMs.toFixed(0)} ms`,
    );
    expect(r.sa.localVips).toHaveLength(1);
    expect(r.sa.localVips[0]).toMatch(/^10\.10\.10\.\d+$/);

    const ping = await bed.ping({ count: 5, intervalSec: 0.05 });
    expect(ping.received, ping.output).toBe(5);
    // And the other way: the protected host reaches the client's virtual IP.
    const back = await bed.ping({
      from: bed.ns.host,
      target: r.sa.localVips[0]!,
      count: 2,
      intervalSec: 0.05,
    });
    expect(back.received, back.output).toBe(2);

    const sas = await gateway.listSas();
    expect(sas).toHaveLength(1);
    const sa = sas[0]!;
    expect(sa).toMatchObject({
      name: 'psk',
      state: 'ESTABLISHED',
      remoteId: 'client1@psk.lab.test',
      localId: 'vpn.lab.test',
      remoteHost: ADDR.client.uplink0,
      remotePort: 4500, // encap = yes fakes a NAT, so IKE floats to 4500
      encrAlg: 'AES_GCM_16',
      encrKeySize: 256,
      prfAlg: 'PRF_HMAC_SHA2_256',
      dhGroup: 'CURVE_25519',
      remoteVips: r.sa.localVips,
    });
    expect(sa.childSas).toHaveLength(1);
    const child = sa.childSas[0]!;
    expect(child).toMatchObject({
      name: 'net',
      state: 'INSTALLED',
      protocol: 'ESP',
      encap: true,
      encrAlg: 'AES_GCM_16',
      encrKeySize: 256,
      localTs: [ADDR.protectedNet],
      remoteTs: [`${r.sa.localVips[0]}/32`],
    });
    expect(child.spiIn).toMatch(/^[0-9a-f]{8}$/);
    expect(child.spiOut).toMatch(/^[0-9a-f]{8}$/);
    // The gateway's own counters saw our echo requests and its replies (84-byte IP packets).
    expect(child.packetsIn).toBeGreaterThanOrEqual(8);
    expect(child.bytesIn).toBeGreaterThanOrEqual(6 * 84);
    expect(child.bytesOut).toBeGreaterThanOrEqual(6 * 84);
    // The client's SPIs are the gateway's, crossed.
    const refChild = r.sa.childSas[0]!;
    expect(refChild.spiIn).toBe(child.spiOut);
    expect(refChild.spiOut).toBe(child.spiIn);

    // DNS from the CP payload went to the namespace's resolv.conf copy.
    expect(bed.readClientResolvConf()).toMatch(/^nameserver 10\.99\.0\.53\b/m);

    await ref.disconnect('psk');
    await waitNoSa(gateway);
    expect(await ref.listSas()).toEqual([]);
    const after = await bed.ping({ count: 2, intervalSec: 0.1, deadlineSec: 1 });
    expect(after.received, after.output).toBe(0);
    expect(bed.readClientResolvConf()).not.toContain(ADDR.dns);
  });

  it.each([
    ['cert-ecdsa', 'ECDSA_WITH_SHA256_DER'],
    ['cert-rsa', 'RSA_EMSA_PKCS1_SHA2_256'],
    ['eap', 'ECDSA_WITH_SHA256_DER'],
  ] as const)(
    '%s: connects, the gateway signs with the matching certificate, ping goes through',
    async (name, gwScheme) => {
      const r = await ref.connect(name);
      console.log(
        `reference ${name} connect: established ${r.establishMs.toFixed(0)} ms, first ping reply ${r.firstPingMs.toFixed(0)} ms`,
      );
      const ping = await bed.ping({ count: 3, intervalSec: 0.05 });
      expect(ping.received, ping.output).toBe(3);
      const [sa] = await gateway.listSas();
      expect(sa).toBeDefined();
      const profile = clientProfile(pki, name);
      expect(sa!.name).toBe(name);
      expect(sa!.remoteId).toBe(profile.localId);
      // charon lists remote-eap-id only when it differs from the IKE identity (both 'eve' here).
      if (name === 'eap') expect(sa!.remoteEapId ?? sa!.remoteId).toBe('eve');
      expect(sa!.childSas[0]!.bytesIn).toBeGreaterThan(0);
      // Which certificate the gateway used (constraint-based config switch for RSA clients).
      expect(gateway.log()).toMatch(
        new RegExp(
          `<${name}\\|${sa!.uniqueId}> authentication of 'vpn.lab.test' \\(myself\\) with ${gwScheme} successful`,
        ),
      );
      if (name.startsWith('cert')) {
        expect(r.sa.remoteId).toBe('vpn.lab.test');
      }
      await ref.disconnect(name);
      await waitNoSa(gateway);
    },
  );

  it('full tunnel through a NAT-less bed: the full child narrows to 0.0.0.0/0 === the virtual IP', async () => {
    const r = await ref.connect('psk', { child: 'full' });
    const [sa] = await gateway.listSas();
    expect(sa!.childSas[0]).toMatchObject({ name: 'full', localTs: ['0.0.0.0/0'] });
    expect((await bed.ping({ count: 2, intervalSec: 0.05 })).received).toBe(2);
    expect(r.sa.childSas[0]!.remoteTs).toEqual(['0.0.0.0/0']);
    await ref.disconnect('psk');
    await waitNoSa(gateway);
  });

  it('killGateway (SIGKILL) takes the tunnel down without a DELETE; restartGateway brings it back', async () => {
    await ref.connect('psk');
    const oldPid = gateway.charon.pid!;
    await killGateway(gateway);
    expect(isAlive(oldPid)).toBe(false);
    const dead = await bed.ping({ count: 2, intervalSec: 0.1, deadlineSec: 1 });
    expect(dead.received).toBe(0);
    // The reference client got no DELETE: it still believes in its SA.
    expect((await ref.listSas()).map((s: IkeSaInfo) => s.state)).toEqual(['ESTABLISHED']);
    // The DELETE goes unanswered: force the client to drop its SA after 1 s.
    await ref.disconnect('psk', { force: true, timeoutMs: 1000 }).catch(() => undefined);
    await waitFor(
      'reference client to drop its SA',
      async () => (await ref.listSas()).length === 0,
      10_000,
      100,
    );

    await restartGateway(gateway);
    expect(gateway.charon.pid).not.toBe(oldPid);
    expect(await listSas(gateway)).toEqual([]);
    await ref.connect('psk');
    expect((await bed.ping({ count: 2, intervalSec: 0.05 })).received).toBe(2);
    await ref.disconnect('psk');
    await waitNoSa(gateway);
  });

  it('destroy() leaves no SA, namespace, /etc/netns dir, private dir or charon behind', async () => {
    const pids = [gateway.charon.pid!, ref.charon.pid!];
    const dirs = [gateway.charon.dir, ref.charon.dir, pki.dir, `/etc/netns/${bed.ns.client}`];
    expect(pids.every(isAlive)).toBe(true);
    expect(charonPids()).toEqual(expect.arrayContaining(pids));
    expect(await gateway.listSas()).toEqual([]);
    await bed.destroy();
    const left = listNamespaces().filter((n) => n.startsWith(bed.runId));
    expect(left).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(charonPids().filter((p) => pids.includes(p))).toEqual([]);
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
    expect(bed.registry.processes).toEqual([]);
  });
});

describe.skipIf(reason !== undefined)('interop test bed with NAT and a second uplink', () => {
  let bed: Testbed;
  let gateway: Gateway;
  let ref: ReferenceClient;

  beforeAll(async () => {
    bed = await createTestbed({ nat: true, natUdpTimeoutSec: 25, secondUplink: true });
    const pki = await createPki(bed.tempDir('pki'));
    gateway = await startGateway(bed, {
      pki,
      connections: [{ name: 'psk', auth: 'psk', dpdDelaySec: 5 }],
    });
    ref = await startReferenceClient(bed, {
      pki,
      connections: [{ name: 'psk', scenario: 'psk' }],
    });
  });

  afterAll(async () => {
    await bed?.destroy();
  });

  it('the router masquerades: the gateway sees the router address; conntrack timeout applied', async () => {
    const sysctl = await bed.exec(bed.ns.router, [
      'sysctl',
      '-n',
      'net.netfilter.nf_conntrack_udp_timeout',
    ]);
    expect(sysctl.stdout.trim()).toBe('25');
    const routes = (await bed.exec(bed.ns.client, ['ip', 'route', 'show', 'default'])).stdout;
    expect(routes).toContain(`via ${ADDR.router.client0}`);
    expect(routes).toContain(`via ${ADDR.router.client1}`);

    await ref.connect('psk');
    expect((await bed.ping({ count: 3, intervalSec: 0.05 })).received).toBe(3);
    const [sa] = await gateway.listSas();
    expect(sa!.remoteHost).toBe(ADDR.router.gateway);
    expect(sa!.natRemote).toBe(true);
    await ref.disconnect('psk');
    await waitNoSa(gateway);

    // Without the masquerade rule the gateway sees the client's own address.
    await bed.setNat(false);
    await ref.connect('psk');
    const [plain] = await gateway.listSas();
    expect(plain!.remoteHost).toBe(ADDR.client.uplink0);
    await ref.disconnect('psk');
    await waitNoSa(gateway);
  });

  it('the second uplink carries IKE when the first one is down', async () => {
    await bed.setUplink(0, false);
    try {
      await ref.connect('psk');
      const [sa] = await gateway.listSas();
      expect(sa!.remoteHost).toBe(ADDR.client.uplink1);
      expect((await bed.ping({ count: 2, intervalSec: 0.05 })).received).toBe(2);
      await ref.disconnect('psk');
      await waitNoSa(gateway);
    } finally {
      await bed.setUplink(0, true);
    }
    const routes = (await bed.exec(bed.ns.client, ['ip', 'route', 'show', 'default'])).stdout;
    expect(routes).toContain(`via ${ADDR.router.client0}`);
  });

  it('reconfigure(): a 3 s child rekey_time makes the gateway rekey the Child SA, traffic still flows', async () => {
    await gateway.reconfigure([{ name: 'psk', auth: 'psk', childRekeySec: 3, randSec: 0 }]);
    await ref.connect('psk');
    const [before] = await gateway.listSas();
    const spi = before!.childSas[0]!.spiIn;
    expect(before!.childSas[0]!.rekeyTimeSec).toBeLessThanOrEqual(3);
    const rekeyed = await waitFor(
      'the gateway to rekey the Child SA',
      async () => {
        const [sa] = await gateway.listSas();
        const child = sa?.childSas.find((c) => c.state === 'INSTALLED' && c.spiIn !== spi);
        return child;
      },
      15_000,
      100,
    );
    expect(rekeyed.spiIn).not.toBe(spi);
    expect((await bed.ping({ count: 3, intervalSec: 0.05 })).received).toBe(3);
    expect(gateway.log()).toMatch(/CREATE_CHILD_SA/);
    await ref.disconnect('psk');
    await waitNoSa(gateway);
    await gateway.reconfigure([{ name: 'psk', auth: 'psk', dpdDelaySec: 5 }]);
  });

  it('iperf3/transfer: bulk data crosses the tunnel (and does not without it)', async () => {
    await expect(bed.transfer(64 * 1024, { connectTimeoutSec: 2 })).rejects.toThrow();
    await ref.connect('psk');
    const bytes = 4 * 1024 * 1024;
    const res = await bed.transfer(bytes);
    expect(res.bytes).toBeGreaterThanOrEqual(bytes);
    expect(res.bitsPerSecond).toBeGreaterThan(0);
    const timed = await bed.iperf3({ seconds: 1 });
    console.log(
      `reference tunnel throughput: ${(res.bitsPerSecond / 1e6).toFixed(0)} Mbit/s (4 MiB), ` +
        `${(timed.bitsPerSecond / 1e6).toFixed(0)} Mbit/s (1 s)`,
    );
    const [sa] = await gateway.listSas();
    // The gateway decrypted at least the payload we sent (plus TCP/IP headers).
    expect(sa!.childSas[0]!.bytesIn).toBeGreaterThan(bytes);
    await ref.disconnect('psk');
    await waitNoSa(gateway);
  });
});

describe.skipIf(reason !== undefined)('stale-run sweeper', () => {
  it('removes the namespaces, processes and dirs of a run whose owner died, and spares live runs', async () => {
    const deadId = newRunId();
    const liveId = newRunId();
    const deadNs = `${deadId}-gw`;
    const liveNs = `${liveId}-gw`;
    const deadDir = mkdtempSync(join(tmpdir(), `${deadId}-gw-`));
    mkdirSync(RUNS_DIR, { recursive: true });
    execFileSync('ip', ['netns', 'add', deadNs]);
    execFileSync('ip', ['netns', 'add', liveNs]);
    const sleeper = spawnChild('ip', ['netns', 'exec', deadNs, 'sleep', '300'], {
      stdio: 'ignore',
    });
    try {
      await waitFor('sleeper in the namespace', () =>
        execFileSync('ip', ['netns', 'pids', deadNs], { encoding: 'utf8' }).trim() !== ''
          ? true
          : undefined,
      );
      // A marker as a SIGKILLed owner leaves it: pid 1 with a start time that cannot match.
      writeFileSync(
        join(RUNS_DIR, `${deadId}.json`),
        JSON.stringify({
          runId: deadId,
          ownerPid: 1,
          ownerStart: 'never',
          namespaces: [deadNs],
          dirs: [deadDir],
        }),
      );
      // A live run: this very process owns it.
      const live = new NetnsRegistry(liveId);
      live.namespaces.push(liveNs);
      live.trackDir(mkdtempSync(join(tmpdir(), `${liveId}-x-`)));

      const swept = sweepStaleRuns();
      expect(swept).toContain(deadId);
      expect(swept).not.toContain(liveId);
      expect(listNamespaces()).not.toContain(deadNs);
      expect(listNamespaces()).toContain(liveNs);
      expect(existsSync(deadDir)).toBe(false);
      expect(existsSync(join(RUNS_DIR, `${deadId}.json`))).toBe(false);
      await waitFor('sleeper to die', () =>
        sleeper.exitCode !== null || sleeper.signalCode !== null ? true : undefined,
      );
      expect(sleeper.signalCode).toBe('SIGKILL');

      await live.destroy();
      expect(listNamespaces()).not.toContain(liveNs);
    } finally {
      sleeper.kill('SIGKILL');
      for (const n of [deadNs, liveNs]) {
        if (listNamespaces().includes(n))
          execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      }
    }
  });
});

describe.skipIf(reason !== undefined)(
  'RSA-4096 chain through a fragment-dropping NAT router',
  () => {
    let bed: Testbed;
    let gateway: Gateway;
    let ref: ReferenceClient;

    beforeAll(async () => {
      bed = await createTestbed({ nat: true });
      const pki = await createPki(bed.tempDir('pki'), { rsa4096Chain: true });
      gateway = await startGateway(bed, {
        pki,
        connections: [{ name: 'big', auth: 'cert', gatewayCert: 'rsa4096', clientKey: 'any' }],
      });
      ref = await startReferenceClient(bed, {
        pki,
        connections: [
          { name: 'frag', scenario: 'cert-ecdsa', fragmentation: 'yes' },
          { name: 'nofrag', scenario: 'cert-ecdsa', fragmentation: 'no' },
        ],
        // Fail fast when the IKE_AUTH answer is lost.
        charon: { retransmitTimeoutSec: 1, retransmitTries: 1, retransmitBase: 1.4 },
      });
      await bed.setFragmentDrop(true);
    });

    afterAll(async () => {
      await bed?.destroy();
    });

    it('needs IKE fragmentation: without it the gateway answer is lost, with it the tunnel comes up', async () => {
      await expect(ref.connect('nofrag')).rejects.toThrow(/failed/);
      const drops = (await bed.exec(bed.ns.router, ['nft', 'list', 'table', 'ip', 'tsunagi_frag']))
        .stdout;
      expect(drops).toMatch(/counter packets [1-9]/);
      await ref.disconnect(undefined, { force: true, timeoutMs: 1000 }).catch(() => undefined);
      await gateway.terminateAll().catch(() => undefined);

      await ref.connect('frag');
      expect((await bed.ping({ count: 2, intervalSec: 0.05 })).received).toBe(2);
      expect(gateway.log()).toMatch(/splitting IKE message .* into \d+ fragments/);
      expect(gateway.log()).toMatch(/authentication of 'vpn.lab.test' \(myself\) with RSA/);
      await ref.disconnect('frag');
    });
  },
);
