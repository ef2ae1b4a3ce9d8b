/**
 * Roaming without MOBIKE (issue 5): the gateway has `mobike = no`, so when our uplink goes away
 * the only way back is a new IKE SA from the new address. We must notice the change ourselves,
 * re-establish without any user action, keep the tunnel's routes in place, and stay up when the
 * gateway later drops the stale SA of the old address. The gap is measured and printed.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { Pinger } from './support/pinger.js';
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

const states = (client: TsunagiClient, from: number) =>
  client.lines.slice(from).filter((l) => l.type === 'state');
const eventsOf = (client: TsunagiClient, kind: string) =>
  client.lines.filter((l) => l.type === 'event' && (l.event as { kind: string }).kind === kind);

/**
 * The client namespace's routes that lead into our TUN (destination and device; the source
 * address follows the virtual IP, which a new IKE SA may change).
 */
async function tunnelRoutes(bed: Testbed): Promise<string[]> {
  const out = (await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout;
  return out
    .split('\n')
    .filter((l) => l.includes('tsunagi'))
    .map((l) => l.replace(/ src \S+/, '').trim())
    .sort();
}

/**
 * The gap of a re-establishment, measured the same way for every scenario: a 10/s pinger runs
 * while `move()` changes the network; waits for the traffic to move to a new IKE SA from
 * `expectFrom` (make-before-break: the old SA carries traffic meanwhile, no `reconnecting`),
 * then returns the longest silence around the move and the pings lost after it.
 */
async function reestablishAround(
  bed: Testbed,
  gateway: Gateway,
  client: TsunagiClient,
  move: () => Promise<void>,
  expectFrom: string,
): Promise<{
  gapMs: number;
  gapFromMs: number;
  lost: number;
  transmitted: number;
  lostAfterBack: number[];
  staleAtEnd: number;
  mark: number;
}> {
  const up = client.lines.filter((l) => l.type === 'state' && l.state === 'connected').at(-1)!;
  const tun = String(up.tun);
  const ifindex = async () =>
    (
      JSON.parse((await bed.exec(bed.ns.client, ['ip', '-j', 'link', 'show', tun])).stdout) as {
        ifindex: number;
      }[]
    )[0]!.ifindex;
  const deviceBefore = await ifindex();
  const before = await gateway.listSas();
  expect(before).toHaveLength(1);
  expect(before[0]!.remoteHost).toBe(ADDR.client.uplink0);
  const mark = client.lines.length;
  const pinger = await Pinger.start(bed, { intervalSec: 0.1, durationSec: 24 });
  const pingStartAt = performance.now();
  await new Promise((r) => setTimeout(r, 2_000));
  expect(pinger.replies.length, pinger.output).toBeGreaterThan(10);
  const movedAt = performance.now();
  await move();

  await until(
    'the traffic on the new IKE SA',
    () =>
      client.lines
        .slice(mark)
        .find(
          (l) =>
            l.type === 'event' &&
            (l.event as { kind: string; phase?: string }).kind === 'reestablish' &&
            (l.event as { phase?: string }).phase === 'switched',
        ),
    20_000,
  );
  const resumed = await pinger.firstReplyAfter(performance.now(), 10_000);
  expect(resumed, `no echo reply after the switch: ${pinger.output.slice(-400)}`).toBeDefined();
  const gap = pinger.longestSilence(movedAt - 1_000, resumed!.at);

  // a new IKE SA from the new path carries the traffic
  const sas = await gateway.listSas();
  const fresh = sas.filter((s) => s.state === 'ESTABLISHED' && s.remoteHost === expectFrom);
  expect(fresh, JSON.stringify(sas.map((s) => [s.uniqueId, s.state, s.remoteHost]))).toHaveLength(
    1,
  );
  expect(fresh[0]!.uniqueId).not.toBe(before[0]!.uniqueId);
  expect(fresh[0]!.childSas.filter((c) => c.state === 'INSTALLED')).toHaveLength(1);
  // no MOBIKE was attempted against a gateway that does not support it
  expect(eventsOf(client, 'mobike-update')).toHaveLength(0);
  // the device stayed (strongSwan gives the new SA another virtual IP while the old SA holds
  // the first: the device and its routes moved to it in place, never torn down)
  // the `connected` line follows the switch once the device's addresses are moved (async work
  // after the data plane already switched): wait for it rather than race it
  await until(
    'connected on the new IKE SA',
    () => states(client, mark).some((l) => l.state === 'connected'),
    10_000,
  );
  const again = states(client, mark).filter((l) => l.state === 'connected');
  expect(again).toHaveLength(1);
  expect(again[0]).toMatchObject({ tun });
  expect(await ifindex()).toBe(deviceBefore);
  const tunRoutes = (await bed.exec(bed.ns.client, ['ip', 'route', 'show', 'dev', tun])).stdout;
  expect(tunRoutes).toContain(`src ${String(again[0]!.virtualIp)}`);
  if (again[0]!.virtualIp !== up.virtualIp)
    expect(tunRoutes).not.toContain(`src ${String(up.virtualIp)}`);

  // the rest of the window: the old IKE SA goes (our delete, or the gateway's DPD), and the
  // new one keeps carrying every ping
  const summary = await pinger.finished({ ignoreTailSec: 0.5 });
  const lostAfterBack = summary.lostSeqs.filter((seq) => {
    const sentAt = pingStartAt + (seq - 1) * 100;
    return sentAt > gap.end + 200;
  });
  const stale = (await gateway.listSas()).filter((s) => s.remoteHost === ADDR.client.uplink0);
  return {
    gapMs: gap.ms,
    gapFromMs: gap.start - movedAt,
    lost: summary.transmitted - summary.received,
    transmitted: summary.transmitted,
    lostAfterBack,
    staleAtEnd: stale.length,
    mark,
  };
}

describe.skipIf(!canRun)(
  'tsunagi connect: re-establish when the gateway has no MOBIKE (strongSwan 5.9.8, mobike = no)',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed({ secondUplink: true });
      // The gateway drops an SA whose peer went quiet after 2 s + 0.5/0.75/1.125 s of retransmits:
      // the stale SA of the old address goes away while we watch.
      gateway = await startGateway(bed, {
        pki: await createPki(bed.tempDir('pki')),
        defaults: { mobike: false, dpdDelaySec: 2 },
        charon: { retransmitTimeoutSec: 0.5, retransmitBase: 1.5, retransmitTries: 2 },
      });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    for (const routes of ['split', 'all'] as const)
      it(`${routes === 'all' ? 'full tunnel: ' : ''}the first uplink goes down during a 10/s ping: a new IKE SA from the second uplink at once, no user action, routes kept`, async () => {
        // The profile allows MOBIKE: the gateway's missing MOBIKE_SUPPORTED is what must be handled.
        const client = spawnTsunagi(
          bed,
          writePskProfile(bed, `No MOBIKE ${routes}`, {
            mobike: true,
            ...(routes === 'all' ? { routes: 'all' } : {}),
          }),
        );
        try {
          const up = await client.state(['connected'], 30_000);
          const routesBefore = await tunnelRoutes(bed);
          expect(routesBefore.length).toBeGreaterThan(0);
          const resolv = bed.readClientResolvConf();
          expect(resolv).toContain(`nameserver ${ADDR.dns}`);
          const r = await reestablishAround(
            bed,
            gateway,
            client,
            () => bed.setUplink(0, false),
            ADDR.client.uplink1,
          );
          console.log(
            `re-establish without MOBIKE${routes === 'all' ? ', full tunnel' : ''} (make-before-break, no backoff): ` +
              `echo replies stopped for ${Math.round(r.gapMs)} ms around the move ` +
              `(from ${Math.round(r.gapFromMs)} ms after the uplink went down); ` +
              `${r.lost} of ${r.transmitted} pings lost at 10/s; ` +
              `stale SA of the old address on the gateway at the end: ${r.staleAtEnd} ` +
              `(the reconnect before make-before-break: gap 1.3–1.7 s)`,
          );
          expect(r.staleAtEnd, 'the gateway still holds the SA of the old address').toBe(0);
          expect(r.lostAfterBack, `pings lost after the tunnel was back`).toEqual([]);
          // the tunnel's routes stayed in place (nothing leaked around the TUN meanwhile)
          expect(await tunnelRoutes(bed)).toEqual(routesBefore);
          expect(bed.readClientResolvConf()).toBe(resolv);
          expect(states(client, r.mark).some((s) => s.state === 'reconnecting')).toBe(false);
          expect(states(client, r.mark).some((s) => s.state === 'error')).toBe(false);
          if (routes === 'all') {
            // IKE and ESP reach the gateway outside the tunnel, via the second uplink
            const via = (await bed.exec(bed.ns.client, ['ip', 'route', 'get', ADDR.gateway.outer]))
              .stdout;
            expect(via).not.toContain(String(up.tun));
            expect(via).toContain(`dev ${bed.ifaces.client.uplink1}`);
          }
          // no backoff any more: well under the 1 s the old reconnect waited before even starting
          expect(r.gapMs).toBeLessThan(1_500);
        } finally {
          expect(await client.stop()).toBe(0);
          await bed.setUplink(0, true).catch(() => undefined);
        }
      }, 90_000);

    // Make-before-break proper: the old path still works while the new IKE SA is built.
    it('a better uplink comes up while the first stays up: the tunnel moves to it with 0–1 pings lost', async () => {
      const c1 = bed.ifaces.client.uplink1!;
      await bed.setUplink(1, false);
      const client = spawnTsunagi(bed, writePskProfile(bed, 'Better uplink', { mobike: true }));
      try {
        await client.state(['connected'], 30_000);
        const r = await reestablishAround(
          bed,
          gateway,
          client,
          async () => {
            await bed.exec(bed.ns.router, ['ip', 'link', 'set', bed.ifaces.router.client1!, 'up']);
            await bed.exec(bed.ns.client, ['ip', 'link', 'set', c1, 'up']);
            await bed.exec(bed.ns.client, [
              'ip',
              'route',
              'replace',
              'default',
              'via',
              ADDR.router.client1,
              'metric',
              '50',
            ]);
          },
          ADDR.client.uplink1,
        );
        console.log(
          `re-establish without MOBIKE onto a better uplink, the old one still up: ` +
            `${r.lost} of ${r.transmitted} pings lost at 10/s, longest silence ${Math.round(r.gapMs)} ms; ` +
            `old SA on the gateway at the end: ${r.staleAtEnd}`,
        );
        expect(r.lost).toBeLessThanOrEqual(1);
        // we deleted the old IKE SA ourselves over its own (working) path
        expect(r.staleAtEnd).toBe(0);
        expect(
          eventsOf(client, 'reestablish').map((e) => (e.event as { phase: string }).phase),
        ).toEqual(['started', 'switched']);
        expect(states(client, r.mark).some((s) => s.state === 'reconnecting')).toBe(false);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.exec(bed.ns.client, ['ip', 'route', 'del', 'default', 'metric', '50'], {
          check: false,
        });
        await bed.setUplink(1, true).catch(() => undefined);
      }
    }, 90_000);
  },
);

describe.skipIf(!canRun)(
  'tsunagi connect: re-establish after a gateway restart whose configuration loads late',
  () => {
    let bed: Testbed;
    let gateway: Gateway;

    beforeAll(async () => {
      bed = await createTestbed();
      gateway = await startGateway(bed, {
        pki: await createPki(bed.tempDir('pki')),
        connections: [{ name: 'psk', auth: 'psk' }],
      });
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    // A restarting strongSwan (systemd: charon starts, then `swanctl --load-all`) answers
    // IKE_SA_INIT with NO_PROPOSAL_CHOSEN until its connections are loaded. For a tunnel that was
    // up a moment ago with the same proposals that is transient: with keyingTries 0 (forever)
    // we must keep retrying and come back once the configuration is there. (strongSwan 5.9.8's
    // own initiator does not: with keyingtries 0 and dpd_action restart it stops at the first
    // NO_PROPOSAL_CHOSEN — measured on this bed; issue 5 asks for retries until keyingTries.)
    it('the gateway refuses our proposals for a few seconds while it restarts: we keep retrying and come back', async () => {
      const client = spawnTsunagi(
        bed,
        writePskProfile(bed, 'Late config', {
          dpdDelay: 2,
          retransmit: { timeout: 0.5, base: 1.5, tries: 2 },
          keyingTries: 0,
        }),
      );
      try {
        await client.state(['connected'], 30_000);
        const mark = client.lines.length;
        await gateway.kill();
        await until(
          'reconnecting',
          () => states(client, mark).find((s) => s.state === 'reconnecting'),
          15_000,
        );
        // charon comes back without any connection loaded: it refuses every proposal
        gateway.config.connections = [];
        await gateway.restart();
        const refusedFrom = client.lines.length;
        await new Promise((r) => setTimeout(r, 5_000));
        const meanwhile = client.lines.slice(refusedFrom).map((l) => JSON.stringify(l));
        const loadedAt = Date.now();
        await gateway.reconfigure([{ name: 'psk', auth: 'psk' }]);
        const back = await until(
          'connected again after the configuration loaded',
          () =>
            states(client, mark).find((s) => s.state === 'connected') ??
            (client.proc.exitCode !== null ? { state: 'exited' } : undefined),
          30_000,
        ).catch((e: Error) => ({ state: `timeout: ${e.message}` }));
        expect(
          back.state,
          `after ${meanwhile.length} lines while refused:\n${meanwhile.slice(-6).join('\n')}`,
        ).toBe('connected');
        console.log(
          `late gateway config: tunnel back ${Date.now() - loadedAt} ms after the connections loaded`,
        );
        const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(ping.received).toBe(3);
        expect(states(client, mark).some((s) => s.state === 'error')).toBe(false);
        expect(await client.stop()).toBe(0);
      } finally {
        gateway.config.connections = [{ name: 'psk', auth: 'psk' }];
        await client.stop(); // already stopped on success; a failure above is the one reported
      }
    }, 90_000);
  },
);
