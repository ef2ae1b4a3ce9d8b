/**
 * The long rekey runs of issue 5: two minutes of continuous ping with the lifetimes
 * (Child SA 20 s, IKE SA 45 s), once on each side.
 *
 *   - Gateway side: the gateway's Child SA 20 s and IKE SA 45 s (rand_time 0), our profile's
 *     defaults (Child 1 h, IKE 4 h): every rekey is started by the gateway (Child ≥ 5×, IKE ≥ 2×
 *     in 130 s), and we answer them.
 *   - Client side: our Child SA 20 s and IKE SA 45 s, the gateway's hours: we start every rekey.
 *
 * Every rekey must complete at both ends (the gateway's list of SAs agrees with our timeline),
 * the connection never leaves `connected`, and at most one ping is lost per rekey, never two in a
 * row. (tsunagi-rekey.spec.ts covers mixed pairings in shorter runs.)
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { Pinger } from './support/pinger.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile, type TsunagiClient } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

type RekeyCount = 'childByGateway' | 'childByUs' | 'ikeByUs' | 'ikeByGateway';

// Not a multiple of 20 s: the run does not end right on a gateway Child rekey.
const RUN_SEC = 130;

function events(client: TsunagiClient, kind: string): Record<string, unknown>[] {
  return client.lines
    .filter((l) => l.type === 'event' && (l.event as { kind: string }).kind === kind)
    .map((l) => l.event as Record<string, unknown>);
}

describe.skipIf(!canRun)('tsunagi connect: two minutes of rekeying under ping (issue 5)', () => {
  let bed: Testbed;
  let gateway: Gateway;

  beforeAll(async () => {
    bed = await createTestbed();
    gateway = await startGateway(bed, {
      pki: await createPki(bed.tempDir('pki')),
      connections: [{ name: 'psk', auth: 'psk', childRekeySec: 20, ikeRekeySec: 45, randSec: 0 }],
    });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  /** One run: our profile's lifetimes, the least rekeys of each kind it must see. */
  async function longRun(
    label: string,
    lifetimes: { ikeLifetime?: number; childLifetime?: number },
    want: Partial<Record<RekeyCount, number>>,
    exactly: Partial<Record<RekeyCount, number>> = {},
  ): Promise<void> {
    const client = spawnTsunagi(bed, writePskProfile(bed, 'Long run', lifetimes));
    try {
      await client.state(['connected'], 30_000);
      const mark = client.lines.length;

      // What the gateway sees, once a second: every IKE SA and every Child SA (by inbound SPI).
      const ikeSas = new Set<string>();
      const childSas = new Set<string>();
      let maxIke = 0;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const sas = await gateway.listSas();
          maxIke = Math.max(maxIke, sas.length);
          for (const sa of sas) {
            if (sa.state === 'ESTABLISHED') ikeSas.add(sa.uniqueId);
            for (const c of sa.childSas) if (c.state === 'INSTALLED') childSas.add(c.spiIn);
          }
          await new Promise((r) => setTimeout(r, 1_000));
        }
      })();

      const pinger = await Pinger.start(bed, { intervalSec: 0.1, durationSec: RUN_SEC });
      const ping = await pinger.finished({ ignoreTailSec: 0.5 });
      polling = false;
      await poller;
      for (const sa of await gateway.listSas()) {
        if (sa.state === 'ESTABLISHED') ikeSas.add(sa.uniqueId);
        for (const c of sa.childSas) if (c.state === 'INSTALLED') childSas.add(c.spiIn);
      }

      const childRekeys = events(client, 'child-rekeyed');
      const ikeRekeys = events(client, 'ike-rekeyed');
      const byGateway = childRekeys.filter((e) => e.initiator === 'peer').length;
      const byUs = ikeRekeys.filter((e) => e.initiator === 'us').length;
      const rekeys = childRekeys.length + ikeRekeys.length;
      const lost = ping.lostSeqs;
      const consecutive = lost.filter((s, i) => i > 0 && lost[i - 1] === s - 1);
      console.log(
        `long run ${RUN_SEC} s (${label}): ${childRekeys.length} Child rekeys (${byGateway} by the gateway), ` +
          `${ikeRekeys.length} IKE rekeys (${byUs} by us, ${ikeRekeys.length - byUs} by the gateway); gateway saw ${childSas.size} Child SAs and ` +
          `${ikeSas.size} IKE SAs; ${lost.length} of ${ping.transmitted} pings lost (seq ${lost.join(',') || '–'})`,
      );

      // as many rekeys as the lifetimes give in two minutes, started by the side they belong to
      const childByUs = childRekeys.filter((e) => e.initiator === 'us').length;
      const ikeByGateway = ikeRekeys.filter((e) => e.initiator === 'peer').length;
      const counts = { childByGateway: byGateway, childByUs, ikeByUs: byUs, ikeByGateway };
      for (const [k, min] of Object.entries(want))
        expect(
          counts[k as keyof typeof counts],
          `${k}: ${JSON.stringify(counts)}`,
        ).toBeGreaterThanOrEqual(min);
      for (const [k, n] of Object.entries(exactly))
        expect(counts[k as keyof typeof counts], `${k}: ${JSON.stringify(counts)}`).toBe(n);
      // every rekey completed at both ends: the gateway saw exactly one new SA per rekey of ours
      expect(childSas.size).toBe(childRekeys.length + 1);
      expect(ikeSas.size).toBe(ikeRekeys.length + 1);
      expect(maxIke).toBeLessThanOrEqual(2); // old and new only during an IKE rekey
      // the connection never left `connected`
      expect(client.lines.slice(mark).filter((l) => l.type === 'state')).toEqual([]);
      // at most one ping per rekey, never two in a row
      expect(lost.length).toBeLessThanOrEqual(rekeys);
      expect(consecutive, `consecutive losses: ${lost.join(',')}`).toEqual([]);

      const sas = await gateway.listSas();
      expect(sas).toHaveLength(1);
      expect(sas[0]!.state).toBe('ESTABLISHED');
      expect(sas[0]!.childSas.filter((c) => c.state === 'INSTALLED')).toHaveLength(1);
    } finally {
      expect(await client.stop()).toBe(0);
    }
    expect(await gateway.listSas()).toEqual([]);
  }

  it(`gateway Child 20 s / IKE 45 s, our defaults: ${RUN_SEC} s at 10/s, the gateway starts every rekey, each completes, ≤ 1 ping lost each`, async () => {
    // no lifetimes in our profile: 1 h / 4 h, so none of the rekeys below is ours
    await longRun(
      'gateway Child 20 s / IKE 45 s, ours the defaults',
      {},
      {
        childByGateway: 5,
        ikeByGateway: 2,
      },
      { childByUs: 0, ikeByUs: 0 },
    );
  }, 200_000);

  it(`our Child 20 s / IKE 45 s, the gateway's long: ${RUN_SEC} s at 10/s, every rekey completes, ≤ 1 ping lost each`, async () => {
    await gateway.reconfigure([{ name: 'psk', auth: 'psk' }]);
    await longRun(
      'ours Child 20 s / IKE 45 s',
      { childLifetime: 20, ikeLifetime: 45 },
      {
        childByUs: 6,
        ikeByUs: 2,
      },
      { childByGateway: 0, ikeByGateway: 0 },
    );
  }, 200_000);
});
