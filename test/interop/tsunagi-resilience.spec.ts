/**
 * Dead-peer detection and recovery against strongSwan: the gateway is SIGKILLed (no DELETE reaches
 * us); we must notice within DPD delay + the retransmission budget, go `reconnecting`, keep the
 * tunnel's routes (fail closed), and come back by ourselves once the gateway is back.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile, type TsunagiClient } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

async function until<T>(what: string, f: () => T | undefined, timeoutMs: number): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function statesAfter(client: TsunagiClient, index: number, state: string) {
  return client.lines.slice(index).find((l) => l.type === 'state' && l.state === state);
}

function eventsAfter(client: TsunagiClient, index: number, kind: string) {
  return client.lines
    .slice(index)
    .filter((l) => l.type === 'event' && (l.event as { kind: string }).kind === kind)
    .map((l) => l.event as Record<string, unknown>);
}

describe.skipIf(!canRun)(
  'tsunagi connect: dead peer detection and recovery (strongSwan 5.9.8)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed();
      gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('gateway SIGKILLed: reconnecting within DPD + retransmit budget, back by itself after restart', async () => {
      // DPD after 2 s of silence; retransmits at 0.5 s, 0.75 s, then give up after 1.125 s more.
      const budgetMs = 2_000 + 500 + 750 + 1_125;
      const path = writePskProfile(bed, 'DPD', {
        dpdDelay: 2,
        retransmit: { timeout: 0.5, base: 1.5, tries: 2 },
      });
      const client = spawnTsunagi(bed, path);
      try {
        const up = await client.state(['connected'], 30_000);
        const routesUp = (await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout;

        const mark = client.lines.length;
        const killedAt = Date.now();
        await gateway.kill();
        await until('reconnecting', () => statesAfter(client, mark, 'reconnecting'), 30_000);
        const detectedMs = Date.now() - killedAt;
        // the tunnel's routes stay while we reconnect: nothing for 10.99.0.0/24 leaks around it
        expect((await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout).toBe(routesUp);

        const restartAt = Date.now();
        await gateway.restart();
        const back = await until(
          'connected again',
          () => statesAfter(client, mark, 'connected'),
          60_000,
        );
        const recoveredMs = Date.now() - restartAt;
        expect(back).toMatchObject({ virtualIp: up.virtualIp });
        const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(ping.received).toBe(3);

        console.log(
          `DPD: dead peer detected ${detectedMs} ms after SIGKILL (budget ${budgetMs} ms + 1 s check); ` +
            `tunnel back ${recoveredMs} ms after the gateway restart began`,
        );
        expect(detectedMs).toBeLessThan(budgetMs + 2_000);
      } finally {
        expect(await client.stop()).toBe(0);
      }
    });
  },
);

describe.skipIf(!canRun)(
  'tsunagi connect: wake from sleep (process suspended past the gateway DPD)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed();
      // The gateway declares us dead quickly: DPD after 2 s, one retransmit of 0.5 s.
      gateway = await startGateway(bed, {
        pki: await createPki(bed.tempDir('pki')),
        defaults: { dpdDelaySec: 2 },
        charon: { retransmitTimeoutSec: 0.5, retransmitTries: 1, retransmitBase: 1 },
      });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('after SIGSTOP for 12 s and SIGCONT the client notices the jump and recovers without user action', async () => {
      const path = writePskProfile(bed, 'Wake', {
        dpdDelay: 30,
        retransmit: { timeout: 0.5, base: 1.5, tries: 2 },
      });
      const client = spawnTsunagi(bed, path);
      try {
        await client.state(['connected'], 30_000);
        const mark = client.lines.length;
        process.kill(client.proc.pid!, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 12_000));
        // meanwhile the gateway gave up on us and cleared the SA
        expect(await gateway.listSas()).toEqual([]);
        const resumedAt = Date.now();
        process.kill(client.proc.pid!, 'SIGCONT');
        await until('connected again', () => statesAfter(client, mark, 'connected'), 40_000);
        const recoveredMs = Date.now() - resumedAt;
        expect(statesAfter(client, mark, 'reconnecting')).toBeDefined();
        // the jump itself is in the --json timeline, with how long we were gone
        const wake = eventsAfter(client, mark, 'wake');
        expect(wake, JSON.stringify(client.lines.slice(mark, mark + 12))).toHaveLength(1);
        expect(Number(wake[0]!.sleptMs)).toBeGreaterThanOrEqual(11_000);
        const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(ping.received).toBe(3);
        console.log(
          `wake: tunnel back ${recoveredMs} ms after the process resumed (its DPD delay is 30 s)`,
        );
        // without the wake check it would wait for its 30 s DPD first
        expect(recoveredMs).toBeLessThan(15_000);
      } finally {
        process.kill(client.proc.pid!, 'SIGCONT');
        expect(await client.stop()).toBe(0);
      }
    });
  },
);

describe.skipIf(!canRun)(
  'tsunagi connect: MOBIKE roaming to another uplink (strongSwan 5.9.8)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed({ secondUplink: true });
      gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('the first uplink goes down during a 10/s ping: the SA moves to the second, the ping resumes', async () => {
      const path = writePskProfile(bed, 'MOBIKE', { mobike: true });
      const client = spawnTsunagi(bed, path);
      try {
        const up = await client.state(['connected'], 30_000);
        expect(up).toBeDefined();
        expect((await gateway.listSas())[0]!.remoteHost).toBe(ADDR.client.uplink0);

        const pinging = bed.ping({ count: 100, intervalSec: 0.1, deadlineSec: 20 });
        await new Promise((r) => setTimeout(r, 2_000));
        await bed.setUplink(0, false);
        const ping = await pinging;

        const moved = client.lines.find(
          (l) => l.type === 'event' && (l.event as { kind: string }).kind === 'mobike-update',
        );
        expect(moved, JSON.stringify(client.lines.slice(-8))).toBeDefined();
        const sas = await gateway.listSas();
        expect(sas).toHaveLength(1);
        expect(sas[0]!.remoteHost).toBe(ADDR.client.uplink1);
        const lost = ping.transmitted - ping.received;
        console.log(
          `MOBIKE: ${lost} of ${ping.transmitted} pings lost at 10/s → gap ≈ ${lost * 100} ms`,
        );
        expect(lost).toBeLessThanOrEqual(10); // goal < 1 s
        const after = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(after.received).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.setUplink(0, true).catch(() => undefined);
      }
    });

    // With "routes": "all" the gateway is kept outside the tunnel by a host route via the first
    // uplink, which the kernel deletes with that link: the new path must be found outside the
    // tunnel (not through 0.0.0.0/1 on our TUN, which would bind IKE to our own virtual IP), and
    // the gateway pinned again via the second uplink.
    it('full tunnel: the first uplink goes down during a 10/s ping: MOBIKE to the second, the gateway re-pinned outside the tunnel', async () => {
      const client = spawnTsunagi(
        bed,
        writePskProfile(bed, 'MOBIKE full', { mobike: true, routes: 'all' }),
      );
      try {
        const up = await client.state(['connected'], 30_000);
        const tun = String(up.tun);
        expect((await gateway.listSas())[0]!.remoteHost).toBe(ADDR.client.uplink0);
        const routeGet = async () =>
          (await bed.exec(bed.ns.client, ['ip', 'route', 'get', ADDR.gateway.outer])).stdout;
        expect(await routeGet()).toContain(`dev ${bed.ifaces.client.uplink0}`);
        const tunnelRoutes = (await bed.exec(bed.ns.client, ['ip', 'route', 'show', 'dev', tun]))
          .stdout;
        const resolv = bed.readClientResolvConf();
        expect(resolv).toContain(`nameserver ${ADDR.dns}`);

        const mark = client.lines.length;
        const pinging = bed.ping({ count: 100, intervalSec: 0.1, deadlineSec: 20 });
        await new Promise((r) => setTimeout(r, 2_000));
        await bed.setUplink(0, false);
        const ping = await pinging;

        const moved = eventsAfter(client, mark, 'mobike-update');
        expect(moved, JSON.stringify(client.lines.slice(mark))).toHaveLength(1);
        expect(moved[0]!.local).toMatchObject({ address: ADDR.client.uplink1 });
        const sas = await gateway.listSas();
        expect(sas).toHaveLength(1);
        expect(sas[0]!.remoteHost).toBe(ADDR.client.uplink1);
        const lost = ping.transmitted - ping.received;
        console.log(
          `MOBIKE, full tunnel: ${lost} of ${ping.transmitted} pings lost at 10/s → gap ≈ ${lost * 100} ms`,
        );
        expect(lost).toBeLessThanOrEqual(10); // goal < 1 s
        // the gateway is reached outside the tunnel, via the second uplink now
        const via = await routeGet();
        expect(via).not.toContain(tun);
        expect(via).toContain(`via ${ADDR.router.client1} dev ${bed.ifaces.client.uplink1}`);
        // the tunnel's routes stayed, and nothing went to the gateway from our virtual IP
        expect((await bed.exec(bed.ns.client, ['ip', 'route', 'show', 'dev', tun])).stdout).toBe(
          tunnelRoutes,
        );
        expect(bed.readClientResolvConf()).toBe(resolv);
        expect(statesAfter(client, mark, 'reconnecting')).toBeUndefined();
        const after = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(after.received).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.setUplink(0, true).catch(() => undefined);
      }
      // our pin went with the tunnel: the gateway is reached by the default route again
      expect(
        (await bed.exec(bed.ns.client, ['ip', 'route', 'show', `${ADDR.gateway.outer}/32`])).stdout,
      ).toBe('');
    });

    // The wording: the old address is removed, a new one appears a moment later on
    // another interface, and the default route moves there (nothing pre-configured on it).
    it('the address goes away, a new one comes up later on another interface with the default route: MOBIKE follows', async () => {
      const c0 = bed.ifaces.client.uplink0;
      const c1 = bed.ifaces.client.uplink1!;
      await bed.exec(bed.ns.client, ['ip', 'addr', 'flush', 'dev', c1]);
      const client = spawnTsunagi(bed, writePskProfile(bed, 'MOBIKE readdress', { mobike: true }));
      try {
        await client.state(['connected'], 30_000);
        expect((await gateway.listSas())[0]!.remoteHost).toBe(ADDR.client.uplink0);
        const mark = client.lines.length;
        const pinging = bed.ping({ count: 100, intervalSec: 0.1, deadlineSec: 20 });
        await new Promise((r) => setTimeout(r, 2_000));
        await bed.exec(bed.ns.client, [
          'ip',
          'addr',
          'del',
          `${ADDR.client.uplink0}/24`,
          'dev',
          c0,
        ]);
        await new Promise((r) => setTimeout(r, 500));
        await bed.exec(bed.ns.client, [
          'ip',
          'addr',
          'add',
          `${ADDR.client.uplink1}/24`,
          'dev',
          c1,
        ]);
        await bed.exec(bed.ns.client, [
          'ip',
          'route',
          'replace',
          'default',
          'via',
          ADDR.router.client1,
          'metric',
          '200',
        ]);
        const ping = await pinging;
        const moved = eventsAfter(client, mark, 'mobike-update');
        expect(moved, JSON.stringify(client.lines.slice(mark))).toHaveLength(1);
        expect(moved[0]!.local).toMatchObject({ address: ADDR.client.uplink1 });
        const sas = await gateway.listSas();
        expect(sas).toHaveLength(1);
        expect(sas[0]!.remoteHost).toBe(ADDR.client.uplink1);
        const lost = ping.transmitted - ping.received;
        console.log(
          `MOBIKE, address replaced (0.5 s without any address): ${lost} of ${ping.transmitted} pings lost at 10/s → gap ≈ ${lost * 100} ms`,
        );
        expect(lost).toBeLessThanOrEqual(10);
        expect((await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 })).received).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.exec(
          bed.ns.client,
          ['ip', 'addr', 'add', `${ADDR.client.uplink0}/24`, 'dev', c0],
          {
            check: false,
          },
        );
        await bed.exec(
          bed.ns.client,
          ['ip', 'addr', 'add', `${ADDR.client.uplink1}/24`, 'dev', c1],
          {
            check: false,
          },
        );
        await bed.setUplink(0, true).catch(() => undefined);
        await bed.setUplink(1, true).catch(() => undefined);
      }
    });

    // A change under an unchanged path (the default route's next hop moves to another router
    // address on the same link): the source stays, so no MOBIKE, but the path is checked.
    for (const routes of ['split', 'all'] as const)
      it(`${routes === 'all' ? 'full tunnel: ' : ''}the next hop changes, the local address does not: a liveness check on the current path`, async () => {
        const r0 = bed.ifaces.router.client0;
        const c0 = bed.ifaces.client.uplink0;
        const nextHop = '203.0.113.254';
        await bed.exec(bed.ns.router, ['ip', 'addr', 'add', `${nextHop}/24`, 'dev', r0]);
        const client = spawnTsunagi(
          bed,
          writePskProfile(bed, `Next hop ${routes}`, {
            mobike: true,
            ...(routes === 'all' ? { routes: 'all' } : {}),
          }),
        );
        try {
          await client.state(['connected'], 30_000);
          // past the quiet time after our own TUN and routes
          await new Promise((r) => setTimeout(r, 3_500));
          const mark = client.lines.length;
          await bed.exec(bed.ns.client, [
            'ip',
            'route',
            'replace',
            'default',
            'via',
            nextHop,
            'dev',
            c0,
            'metric',
            '100',
          ]);
          await until('a liveness check', () => eventsAfter(client, mark, 'dpd-sent')[0], 5_000);
          expect(eventsAfter(client, mark, 'network-changed')[0]).toMatchObject({
            path: 'unchanged',
            local: ADDR.client.uplink0,
          });
          expect(eventsAfter(client, mark, 'mobike-update')).toHaveLength(0);
          if (routes === 'all')
            // the gateway's pin follows the new next hop (it stays outside the tunnel)
            expect(
              (await bed.exec(bed.ns.client, ['ip', 'route', 'show', `${ADDR.gateway.outer}/32`]))
                .stdout,
            ).toContain(`via ${nextHop} dev ${c0}`);
          const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
          expect(ping.received).toBe(3);
          expect(statesAfter(client, mark, 'reconnecting')).toBeUndefined();
        } finally {
          expect(await client.stop()).toBe(0);
          await bed.exec(bed.ns.client, [
            'ip',
            'route',
            'replace',
            'default',
            'via',
            ADDR.router.client0,
            'dev',
            c0,
            'metric',
            '100',
          ]);
          await bed.exec(bed.ns.router, ['ip', 'addr', 'del', `${nextHop}/24`, 'dev', r0], {
            check: false,
          });
        }
      });
  },
);

describe.skipIf(!canRun)(
  'tsunagi connect: behind a NAT with a short UDP timeout (keepalives)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed({ nat: true, natUdpTimeoutSec: 30 });
      // no DPD from the gateway: only our NAT keepalives (every 20 s) may keep the mapping alive
      gateway = await startGateway(bed, {
        pki: await createPki(bed.tempDir('pki')),
        defaults: { dpdDelaySec: 0 },
      });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('NAT detected, everything on 4500; after 70 s idle the gateway can still reach us (mapping kept)', async () => {
      const path = writePskProfile(bed, 'NAT', { dpdDelay: 0 });
      const client = spawnTsunagi(bed, path);
      try {
        const up = await client.state(['connected'], 30_000);
        const nat = client.lines.find(
          (l) => l.type === 'event' && (l.event as { kind: string }).kind === 'nat-detected',
        );
        expect(nat?.event).toMatchObject({ local: true });
        const sa = (await gateway.listSas())[0]!;
        expect(sa.remoteHost).toBe(ADDR.router.gateway); // we are seen from behind the masquerade
        expect(sa.remotePort).not.toBe(500);

        await new Promise((r) => setTimeout(r, 70_000));
        // from the protected host to our virtual IP: only works if the NAT still maps the gateway's
        // ESP-in-UDP back to us
        const ping = await bed.ping({
          from: bed.ns.host,
          target: String(up.virtualIp),
          count: 3,
          intervalSec: 0.3,
        });
        expect(ping.received, ping.output).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
      }
    }, 150_000);
  },
);

describe.skipIf(!canRun)(
  'tsunagi connect: MOBIKE across a NAT (the mapping changes with the path)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed({ secondUplink: true, nat: true });
      gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    it('behind the masquerading router, the uplink moves: the gateway follows the new mapping, ping resumes', async () => {
      const path = writePskProfile(bed, 'MOBIKE NAT');
      const client = spawnTsunagi(bed, path);
      try {
        await client.state(['connected'], 30_000);
        const before = (await gateway.listSas())[0]!;
        expect(before.remoteHost).toBe(ADDR.router.gateway);

        const pinging = bed.ping({ count: 100, intervalSec: 0.1, deadlineSec: 20 });
        await new Promise((r) => setTimeout(r, 2_000));
        await bed.setUplink(0, false);
        const ping = await pinging;

        const moved = client.lines.find(
          (l) => l.type === 'event' && (l.event as { kind: string }).kind === 'mobike-update',
        );
        expect(moved, JSON.stringify(client.lines.slice(-8))).toBeDefined();
        const after = (await gateway.listSas())[0]!;
        expect(after.remoteHost).toBe(ADDR.router.gateway);
        // the new path is a new NAT mapping: the gateway now answers another port
        expect(after.remotePort).not.toBe(before.remotePort);
        const lost = ping.transmitted - ping.received;
        console.log(
          `MOBIKE via NAT: gateway saw ${before.remoteHost}:${before.remotePort} → ${after.remoteHost}:${after.remotePort}; ` +
            `${lost} of ${ping.transmitted} pings lost at 10/s → gap ≈ ${lost * 100} ms`,
        );
        expect(lost).toBeLessThanOrEqual(10);
        expect((await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 })).received).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.setUplink(0, true).catch(() => undefined);
      }
    });
  },
);
