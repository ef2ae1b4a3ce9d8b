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

    it('the first uplink goes down during a 10/s ping: a new IKE SA from the second uplink, no user action, routes kept', async () => {
      // The profile allows MOBIKE: the gateway's missing MOBIKE_SUPPORTED is what must be handled.
      const client = spawnTsunagi(bed, writePskProfile(bed, 'No MOBIKE', { mobike: true }));
      try {
        await client.state(['connected'], 30_000);
        const before = await gateway.listSas();
        expect(before).toHaveLength(1);
        expect(before[0]!.remoteHost).toBe(ADDR.client.uplink0);
        const routesBefore = await tunnelRoutes(bed);
        expect(routesBefore.length).toBeGreaterThan(0);

        const mark = client.lines.length;
        const pinger = await Pinger.start(bed, { intervalSec: 0.1, durationSec: 24 });
        const pingStartAt = performance.now();
        await new Promise((r) => setTimeout(r, 2_000));
        expect(pinger.replies.length, pinger.output).toBeGreaterThan(10);
        const movedAt = performance.now();
        await bed.setUplink(0, false);

        await until(
          'reconnecting after the move',
          () => states(client, mark).find((s) => s.state === 'reconnecting'),
          15_000,
        );
        await until(
          'connected again',
          () => {
            const s = states(client, mark);
            const r = s.findIndex((x) => x.state === 'reconnecting');
            return s.slice(r + 1).find((x) => x.state === 'connected');
          },
          30_000,
        );
        // replies resumed: the gap is the longest silence around the move
        const resumed = await pinger.firstReplyAfter(performance.now(), 10_000);
        expect(
          resumed,
          `no echo reply after reconnecting: ${pinger.output.slice(-400)}`,
        ).toBeDefined();
        const gap = pinger.longestSilence(movedAt - 1_000, resumed!.at);
        const gapMs = gap.ms;

        // a new IKE SA from the second uplink carries the traffic
        const sas = await gateway.listSas();
        const fresh = sas.filter(
          (s) => s.state === 'ESTABLISHED' && s.remoteHost === ADDR.client.uplink1,
        );
        expect(
          fresh,
          JSON.stringify(sas.map((s) => [s.uniqueId, s.state, s.remoteHost])),
        ).toHaveLength(1);
        expect(fresh[0]!.uniqueId).not.toBe(before[0]!.uniqueId);
        expect(fresh[0]!.childSas.filter((c) => c.state === 'INSTALLED')).toHaveLength(1);
        // no MOBIKE was attempted against a gateway that does not support it
        expect(eventsOf(client, 'mobike-update')).toHaveLength(0);
        // the tunnel's routes stayed in place (nothing leaked around the TUN meanwhile)
        expect(await tunnelRoutes(bed)).toEqual(routesBefore);

        // the rest of the window: the gateway drops the stale SA of the old address (its DPD),
        // and our new SA keeps carrying every ping
        const summary = await pinger.finished({ ignoreTailSec: 0.5 });
        const afterBack = summary.lostSeqs.filter((seq) => {
          const sentAt = pingStartAt + (seq - 1) * 100;
          return sentAt > gap.end + 200;
        });
        const stale = (await gateway.listSas()).filter((s) => s.remoteHost === ADDR.client.uplink0);
        console.log(
          `re-establish without MOBIKE: echo replies stopped for ${Math.round(gapMs)} ms around the move ` +
            `(from ${Math.round(gap.start - movedAt)} ms to ${Math.round(gap.end - movedAt)} ms after the uplink went down); ` +
            `${summary.transmitted - summary.received} of ${summary.transmitted} pings lost at 10/s; ` +
            `stale SA of the old address on the gateway at the end: ${stale.length}`,
        );
        expect(stale, 'the gateway still holds the SA of the old address').toHaveLength(0);
        expect(afterBack, `pings lost after the tunnel was back: ${afterBack.join(',')}`).toEqual(
          [],
        );
        expect(states(client, mark).filter((s) => s.state === 'reconnecting')).toHaveLength(1);
        expect(states(client, mark).some((s) => s.state === 'error')).toBe(false);
        // recovers without user action well within the budget a user would notice
        expect(gapMs).toBeLessThan(5_000);
      } finally {
        expect(await client.stop()).toBe(0);
        await bed.setUplink(0, true).catch(() => undefined);
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
