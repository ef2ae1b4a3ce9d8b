/**
 * Rekeying against strongSwan, both ways, under continuous traffic: the gateway rekeys the Child
 * SA and the IKE SA on its own short lifetimes (we answer), and we rekey on ours (we start). Every
 * rekey must complete and cost at most one ping.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile, type TsunagiClient } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

function events(client: TsunagiClient, kind: string): Record<string, unknown>[] {
  return client.lines
    .filter((l) => l.type === 'event' && (l.event as { kind: string }).kind === kind)
    .map((l) => l.event as Record<string, unknown>);
}

describe.skipIf(!canRun)('tsunagi connect: rekeying under traffic (strongSwan 5.9.8)', () => {
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

  const profile = (extra: Record<string, unknown>): string => writePskProfile(bed, 'Rekey', extra);

  it('we rekey on our own lifetimes (Child 10 s, IKE 15 s): the gateway follows, ≤ 1 ping lost each', async () => {
    const client = spawnTsunagi(bed, profile({ childLifetime: 10, ikeLifetime: 15 }));
    try {
      await client.state(['connected'], 30_000);
      const ping = await bed.ping({ count: 150, intervalSec: 0.2, deadlineSec: 45 });
      const childRekeys = events(client, 'child-rekeyed').filter((e) => e.initiator === 'us');
      const ikeRekeys = events(client, 'ike-rekeyed').filter((e) => e.initiator === 'us');
      expect(childRekeys.length, JSON.stringify(client.lines.slice(-10))).toBeGreaterThanOrEqual(2);
      expect(ikeRekeys.length).toBeGreaterThanOrEqual(1);
      expect(ping.transmitted - ping.received).toBeLessThanOrEqual(
        childRekeys.length + ikeRekeys.length,
      );
      const sas = await gateway.listSas();
      expect(sas).toHaveLength(1);
      expect(sas[0]!.childSas.filter((c) => c.state === 'INSTALLED')).toHaveLength(1);
    } finally {
      expect(await client.stop()).toBe(0);
    }
    expect(await gateway.listSas()).toEqual([]);
  });

  it('rekey time from the profile (childRekeyTime 12 s, rekeyJitter 0, lifetime 60 s): our Child rekeys come every 12 s, not at 80–90 % of the lifetime', async () => {
    const client = spawnTsunagi(
      bed,
      profile({ childLifetime: 60, childRekeyTime: 12, rekeyJitter: 0 }),
    );
    try {
      const up = await client.state(['connected'], 30_000);
      const ping = await bed.ping({ count: 135, intervalSec: 0.2, deadlineSec: 45 });
      const at = client.lines
        .filter(
          (l) =>
            l.type === 'event' &&
            (l.event as { kind: string; initiator?: string }).kind === 'child-rekeyed' &&
            (l.event as { initiator?: string }).initiator === 'us',
        )
        .map((l) => Number(l.at));
      // started at 12 s and 24 s after the Child SA came up, each completed one round trip later
      expect(at.length, JSON.stringify(client.lines.slice(-10))).toBe(2);
      const since = Number(up.since);
      const steps = [at[0]! - since, at[1]! - at[0]!];
      console.log(`our Child rekeys ${steps.map((s) => `${s} ms`).join(', ')} apart`);
      expect(steps[0]).toBeGreaterThanOrEqual(11_500); // the SA is installed just before `since`
      expect(steps[0]).toBeLessThan(13_000);
      expect(steps[1]).toBeGreaterThan(11_000);
      expect(steps[1]).toBeLessThan(13_000);
      expect(ping.transmitted - ping.received).toBeLessThanOrEqual(at.length);
    } finally {
      expect(await client.stop()).toBe(0);
    }
    expect(await gateway.listSas()).toEqual([]);
  });

  it('the gateway rekeys the Child SA every 8 s and the IKE SA every 13 s: all answered, ≤ 1 ping lost each', async () => {
    await gateway.reconfigure([
      { name: 'psk', auth: 'psk', childRekeySec: 8, ikeRekeySec: 13, randSec: 0 },
    ]);
    const client = spawnTsunagi(bed, profile({}));
    try {
      await client.state(['connected'], 30_000);
      const ping = await bed.ping({ count: 150, intervalSec: 0.2, deadlineSec: 45 });
      const childRekeys = events(client, 'child-rekeyed').filter((e) => e.initiator === 'peer');
      const ikeRekeys = events(client, 'ike-rekeyed').filter((e) => e.initiator === 'peer');
      expect(childRekeys.length, JSON.stringify(client.lines.slice(-10))).toBeGreaterThanOrEqual(2);
      expect(ikeRekeys.length).toBeGreaterThanOrEqual(1);
      expect(ping.transmitted - ping.received).toBeLessThanOrEqual(
        childRekeys.length + ikeRekeys.length,
      );
      const sas = await gateway.listSas();
      expect(sas).toHaveLength(1);
      expect(sas[0]!.state).toBe('ESTABLISHED');
      expect(sas[0]!.childSas.filter((c) => c.state === 'INSTALLED')).toHaveLength(1);
    } finally {
      expect(await client.stop()).toBe(0);
      await gateway.reconfigure([{ name: 'psk', auth: 'psk' }]);
    }
    expect(await gateway.listSas()).toEqual([]);
  });

  it('the gateway lets the Child SA hard-expire: the IKE SA survives and a new Child SA carries traffic again', async () => {
    // rekey_time = life_time: libipsec reports the hard expiry, strongSwan deletes the Child SA
    await gateway.reconfigure([
      { name: 'psk', auth: 'psk', childRekeySec: 6, childLifeSec: 6, randSec: 0 },
    ]);
    const client = spawnTsunagi(bed, profile({}));
    try {
      await client.state(['connected'], 30_000);
      await new Promise((r) => setTimeout(r, 10_000));
      expect(
        events(client, 'peer-delete').length,
        JSON.stringify(client.lines.slice(-8)),
      ).toBeGreaterThanOrEqual(1);
      expect(client.lines.some((l) => l.type === 'state' && l.state === 'error')).toBe(false);
      const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
      expect(ping.received).toBeGreaterThanOrEqual(2);
      const sas = await gateway.listSas();
      expect(sas).toHaveLength(1);
      expect(sas[0]!.childSas.filter((c) => c.state === 'INSTALLED').length).toBeGreaterThanOrEqual(
        1,
      );
    } finally {
      expect(await client.stop()).toBe(0);
      await gateway.reconfigure([{ name: 'psk', auth: 'psk' }]);
    }
  });
});
