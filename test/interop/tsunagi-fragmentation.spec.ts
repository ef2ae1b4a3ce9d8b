/**
 * IKE fragmentation in practice (RFC 7383): a gateway with an RSA-4096 certificate and an
 * intermediate CA answers IKE_AUTH with ~3.4 KB, and the router between us drops IP fragments
 * (prerouting, before conntrack reassembles them). With fragmentation our client gets through;
 * without it, it fails with the diagnosis that points at fragmentation.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERT_CLIENT_ID, createPki, GATEWAY_ID, type LabPki } from './support/pki.js';
import { startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';
import { spawnTsunagi } from './support/tsunagi-client.js';

const canRun =
  process.getuid?.() === 0 &&
  existsSync('/usr/lib/ipsec/charon') &&
  existsSync('dist/native-helper/cli.js') &&
  existsSync('native-helper/native/build/Release/tsunagi_tun.node');

describe.skipIf(!canRun)(
  'tsunagi connect: IKE fragmentation through a fragment-dropping router',
  () => {
    let bed: Testbed;
    let gateway: Gateway;
    let pki: LabPki;

    beforeAll(async () => {
      bed = await createTestbed({ nat: true });
      pki = await createPki(bed.tempDir('pki'), { rsa4096Chain: true });
      gateway = await startGateway(bed, {
        pki,
        connections: [{ name: 'big', auth: 'cert', gatewayCert: 'rsa4096', clientKey: 'any' }],
      });
      await bed.setFragmentDrop(true);
    }, 120_000);

    afterAll(async () => {
      await gateway?.stop().catch(() => undefined);
      await bed?.destroy();
    });

    function profile(fragmentation: boolean): string {
      const path = join(bed.tempDir('profile'), `frag-${fragmentation}.json`);
      writeFileSync(
        path,
        JSON.stringify({
          version: 1,
          name: 'Big chain',
          server: ADDR.gateway.outer,
          remoteId: GATEWAY_ID,
          localId: CERT_CLIENT_ID,
          ca: [pki.ca.cert],
          auth: {
            method: 'cert',
            certificate: pki.clientEcdsa.cert,
            privateKey: pki.clientEcdsa.keyPkcs8,
          },
          routes: ['10.99.0.0/24'],
          fragmentation,
          retransmit: { timeout: 0.5, base: 1.5, tries: 2 },
        }),
      );
      return path;
    }

    it('without fragmentation: IKE_AUTH gets no answer and the diagnosis says to enable fragmentation', async () => {
      const client = spawnTsunagi(bed, profile(false));
      const end = await client.state(['connected', 'error'], 30_000);
      expect(end, JSON.stringify(end)).toMatchObject({ state: 'error', code: 'peer-unreachable' });
      expect(String(end.message)).toContain('large messages are likely being dropped');
      expect(String(end.fix)).toContain('enable fragmentation');
      expect(await client.exited).toBe(1);
      const drops = (await bed.exec(bed.ns.router, ['nft', 'list', 'table', 'ip', 'tsunagi_frag']))
        .stdout;
      expect(drops).toMatch(/counter packets [1-9]/);
      await gateway.terminateAll().catch(() => undefined);
    });

    it('with fragmentation: the fragmented IKE_AUTH answer is reassembled and the tunnel carries traffic', async () => {
      const client = spawnTsunagi(bed, profile(true));
      try {
        const up = await client.state(['connected', 'error'], 30_000);
        expect(up, JSON.stringify(client.lines)).toMatchObject({ state: 'connected' });
        expect(gateway.log()).toMatch(/splitting IKE message .* into \d+ fragments/);
        const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 10 });
        expect(ping.received).toBe(3);
      } finally {
        expect(await client.stop()).toBe(0);
      }
    });
  },
);
