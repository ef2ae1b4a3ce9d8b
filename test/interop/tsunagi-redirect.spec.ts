/**
 * RFC 5685 redirect against strongSwan 5.9.8 (issue 5): the gateway redirects an established
 * IKE SA with `swanctl --redirect` (charon's redirect manager; 5.9.8 ships no plugin that
 * redirects during IKE_SA_INIT, so that stage is covered in memory only). The second gateway is a
 * second address on the gateway namespace's outer interface, served by the same charon (local_addrs
 * = %any). Without any user action `tsunagi connect` must delete the old IKE SA, start a new one
 * to the new address carrying REDIRECTED_FROM, and carry traffic again through it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPki } from './support/pki.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi, writePskProfile } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

/** The second gateway address, on the same /24 as the first. */
const SECOND = '198.51.100.11';

async function until<T>(
  what: string,
  f: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!canRun)('tsunagi connect: RFC 5685 redirect (strongSwan 5.9.8)', () => {
  let bed: Testbed;
  let gateway: Gateway;

  beforeAll(async () => {
    bed = await createTestbed();
    await bed.exec(
      bed.ns.gateway,
      ['ip', 'addr', 'add', `${SECOND}/24`, 'dev', bed.ifaces.gateway.outer],
      { check: true },
    );
    gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  it('an established tunnel redirected to another address follows it by itself and carries traffic', async () => {
    const client = spawnTsunagi(bed, writePskProfile(bed, 'Redirect'));
    try {
      await client.state(['connected'], 30_000);
      const before = await gateway.listSas();
      expect(before).toHaveLength(1);
      expect(before[0]!.localHost).toBe(ADDR.gateway.outer);
      expect((await bed.ping({ count: 2 })).received).toBeGreaterThan(0);

      const out = await gateway.charon.swanctl([
        '--redirect',
        '--ike-id',
        before[0]!.uniqueId,
        '--gateway',
        SECOND,
      ]);
      const movedAt = performance.now();

      const fresh = await until(
        'an IKE SA on the second address',
        async () =>
          (await gateway.listSas()).find(
            (s) =>
              s.state === 'ESTABLISHED' &&
              s.localHost === SECOND &&
              s.childSas.some((c) => c.state === 'INSTALLED'),
          ),
        30_000,
      );
      const tookMs = performance.now() - movedAt;
      expect(fresh.uniqueId).not.toBe(before[0]!.uniqueId);
      // the old IKE SA is gone (we deleted it), so exactly the new one is left
      await until(
        'the old IKE SA deleted',
        async () => ((await gateway.listSas()).length === 1 ? true : undefined),
        15_000,
      );

      // traffic flows through the new SA
      const ping = await bed.ping({ count: 3 });
      expect(ping.received, JSON.stringify(ping)).toBeGreaterThan(0);
      const after = (await gateway.listSas()).find((s) => s.uniqueId === fresh.uniqueId)!;
      const child = after.childSas.find((c) => c.state === 'INSTALLED')!;
      expect(child.packetsIn).toBeGreaterThan(0);

      // what the gateway saw: the new IKE_SA_INIT named where we came from
      const log = gateway.log();
      expect(log).toMatch(/IKE_SA_INIT request 0 \[[^\]]*N\(REDIR_FROM\)/);

      // what the client said: the timeline milestone, and no error or disconnect in between
      const events = client.lines.filter((l) => l.type === 'event');
      expect(
        events.some((l) => {
          const e = l.event as { kind: string; to?: string };
          return e.kind === 'redirected' && e.to === SECOND;
        }),
      ).toBe(true);
      const states = client.lines.filter((l) => l.type === 'state').map((l) => l.state);
      expect(states).not.toContain('error');
      expect(states).not.toContain('disconnected');
      console.log(
        `redirect: swanctl said ${JSON.stringify(out.trim().split('\n').at(-1))}; ` +
          `new IKE SA #${fresh.uniqueId} on ${SECOND} established ${Math.round(tookMs)} ms after the redirect; ` +
          `ping through it ${ping.received}/${ping.transmitted}`,
      );
    } finally {
      expect(await client.stop()).toBe(0);
    }
  }, 90_000);

  it('a redirect to a name: resolved by the client (outside the engine), then followed the same way', async () => {
    // the client namespace's /etc/hosts (ip netns exec binds /etc/netns/<ns>/hosts over it)
    writeFileSync(
      `/etc/netns/${bed.ns.client}/hosts`,
      `127.0.0.1 localhost\n${SECOND} gw2.lab.test\n`,
    );
    const client = spawnTsunagi(bed, writePskProfile(bed, 'Redirect by name'));
    try {
      await client.state(['connected'], 30_000);
      const [sa] = await gateway.listSas();
      expect(sa!.localHost).toBe(ADDR.gateway.outer);
      await gateway.charon.swanctl([
        '--redirect',
        '--ike-id',
        sa!.uniqueId,
        '--gateway',
        'gw2.lab.test',
      ]);
      const fresh = await until(
        'an IKE SA on the second address',
        async () =>
          (await gateway.listSas()).find(
            (s) =>
              s.state === 'ESTABLISHED' &&
              s.localHost === SECOND &&
              s.childSas.some((c) => c.state === 'INSTALLED'),
          ),
        30_000,
      );
      expect(fresh.uniqueId).not.toBe(sa!.uniqueId);
      const ping = await bed.ping({ count: 3 });
      expect(ping.received, JSON.stringify(ping)).toBeGreaterThan(0);
      const redirected = client.lines.find(
        (l) => l.type === 'event' && (l.event as { kind: string }).kind === 'redirected',
      );
      expect(redirected?.event).toEqual({ kind: 'redirected', to: 'gw2.lab.test' });
    } finally {
      expect(await client.stop()).toBe(0);
    }
  }, 90_000);

  it('full tunnel: the new gateway gets its host route outside the tunnel (removed at the end)', async () => {
    const client = spawnTsunagi(bed, writePskProfile(bed, 'Redirect full', { routes: 'all' }));
    const routes = async () =>
      (await bed.exec(bed.ns.client, ['ip', 'route', 'show'])).stdout.split('\n');
    try {
      await client.state(['connected'], 30_000);
      const before = await routes();
      expect(before.some((l) => l.startsWith('0.0.0.0/1 dev tsunagi'))).toBe(true);
      expect(before.some((l) => l.startsWith(`${ADDR.gateway.outer} via`))).toBe(true);
      const [sa] = await gateway.listSas();
      await gateway.charon.swanctl(['--redirect', '--ike-id', sa!.uniqueId, '--gateway', SECOND]);
      await until(
        'an IKE SA on the second address',
        async () =>
          (await gateway.listSas()).find(
            (s) =>
              s.state === 'ESTABLISHED' &&
              s.localHost === SECOND &&
              s.childSas.some((c) => c.state === 'INSTALLED'),
          ),
        30_000,
      );
      const after = await routes();
      const pinned = after.find((l) => l.startsWith(`${SECOND} via`));
      expect(pinned, after.join('\n')).toBeDefined();
      expect(pinned).toContain(`via ${ADDR.router.client0} dev ${bed.ifaces.client.uplink0}`);
      // the kernel sends to the new gateway outside the tunnel, from the uplink
      const get = (await bed.exec(bed.ns.client, ['ip', 'route', 'get', SECOND])).stdout;
      expect(get).toContain(`dev ${bed.ifaces.client.uplink0}`);
      const ping = await bed.ping({ count: 3 });
      expect(ping.received, JSON.stringify(ping)).toBeGreaterThan(0);
    } finally {
      expect(await client.stop()).toBe(0);
    }
    const left = await routes();
    expect(left.filter((l) => l.includes('tsunagi') || l.startsWith(`${SECOND} `))).toEqual([]);
  }, 90_000);
});
