/**
 * RFC 5685 redirect through the helper daemon with its nftables kill switch on (issue 5): the
 * kill switch lets IKE/ESP reach only the gateway the state names. When strongSwan 5.9.8
 * redirects the established IKE SA (`swanctl --redirect`) to a second address of the gateway
 * namespace, the machine must swap that address into the policy before the tunnel sends its first
 * packet there — otherwise the new IKE_SA_INIT is dropped and the tunnel never comes back. A
 * capture of the client's outer interface counts every IP packet that is not IKE/ESP to one of
 * the two gateway addresses (a leak) and the packets that went to the new one.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperClient } from '../../native-helper/ipc/client.js';
import type { HelperEvent, TimelineEntry, TunnelState } from '../../native-helper/ipc/protocol.js';
import { GATEWAY_ID, createPki } from './support/pki.js';
import { PSK, PSK_CLIENT_ID, startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';

const missing = [
  process.getuid?.() !== 0 && 'root',
  !existsSync('/usr/lib/ipsec/charon') && 'strongSwan (/usr/lib/ipsec/charon)',
  !existsSync('/usr/sbin/nft') && 'nft',
  !existsSync('/usr/bin/tcpdump') && 'tcpdump',
  !existsSync('dist/native-helper/cli.js') && 'dist/ (node esbuild.config.mjs)',
  !existsSync('native-helper/native/build/Release/tsunagi_peercred.node') && 'the native addons',
].filter(Boolean);
if (missing.length) console.warn(`tsunagi-redirect-helper: skipped, missing ${missing.join(', ')}`);

const SECOND = '198.51.100.11';
const esc = (a: string) => a.replace(/\./g, '\\.');

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

describe.skipIf(missing.length > 0)('tsunagi helper: redirect with the kill switch on', () => {
  let bed: Testbed;
  let gateway: Gateway;
  let helper: ChildProcess;
  let helperLog = '';
  let socket: string;

  beforeAll(async () => {
    bed = await createTestbed();
    await bed.exec(
      bed.ns.gateway,
      ['ip', 'addr', 'add', `${SECOND}/24`, 'dev', bed.ifaces.gateway.outer],
      { check: true },
    );
    gateway = await startGateway(bed, { pki: await createPki(bed.tempDir('pki')) });
    const dir = bed.tempDir('helper');
    socket = join(dir, 'helper.sock');
    helper = bed.spawn(
      bed.ns.client,
      [process.execPath, 'native-helper/bin/tsunagi.js', 'helper', '--socket', socket],
      {
        stdio: 'pipe',
        env: {
          ...process.env,
          TSUNAGI_STATE_DIR: join(dir, 'run'),
          TSUNAGI_CONFIG_DIR: join(dir, 'lib'),
        },
      },
    );
    helper.stderr!.on('data', (d: Buffer) => (helperLog += d.toString()));
    await until(
      'the helper listening',
      () => (helperLog.includes('listening on') ? true : undefined),
      10_000,
    );
  }, 120_000);

  afterAll(async () => {
    if (helper && helper.exitCode === null) helper.kill('SIGTERM');
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  it('the policy allows the new gateway before we send to it; no leak; the tunnel comes back there', async () => {
    const c = await HelperClient.open(socket, 'interop');
    const states: TunnelState[] = [];
    const timeline: TimelineEntry[] = [];
    c.onEvent((e: HelperEvent) => {
      if (e.event === 'state') states.push(e.state);
      if (e.event === 'timeline') timeline.push(e.entry);
    });
    await c.request({ method: 'subscribe', topics: ['state', 'timeline'] });
    await c.request({ method: 'set-settings', settings: { killSwitch: true, lockdown: false } });
    await c.request({
      method: 'connect',
      profile: {
        version: 1,
        name: 'Lab',
        server: ADDR.gateway.outer,
        remoteId: GATEWAY_ID,
        localId: PSK_CLIENT_ID,
        auth: { method: 'psk', secret: { keychain: 'lab-psk' } },
        routes: ['10.99.0.0/24'],
      },
      secrets: { 'lab-psk': PSK },
    });
    await until('connected', () => states.find((s) => s.state === 'connected'), 30_000);
    const rulesBefore = (await bed.exec(bed.ns.client, ['nft', 'list', 'table', 'inet', 'tsunagi']))
      .stdout;
    expect(rulesBefore).toContain(ADDR.gateway.outer);
    expect(rulesBefore).not.toContain(SECOND);

    // capture everything that leaves the client from here on
    const iface = bed.ifaces.client.uplink0;
    const dump = bed.spawn(bed.ns.client, ['tcpdump', '-n', '-l', '-Q', 'out', '-i', iface, 'ip'], {
      stdio: 'pipe',
    });
    let out = '';
    let err = '';
    dump.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    dump.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await until('tcpdump', () => (err.includes('listening on') ? true : undefined), 5_000);

    const [sa] = await gateway.listSas();
    const mark = states.length;
    await gateway.charon.swanctl(['--redirect', '--ike-id', sa!.uniqueId, '--gateway', SECOND]);
    const fresh = await until(
      'an IKE SA on the second address',
      async () =>
        (await gateway.listSas()).find(
          (s) =>
            s.state === 'ESTABLISHED' &&
            s.localHost === SECOND &&
            s.childSas.some((ch) => ch.state === 'INSTALLED'),
        ),
      30_000,
    );
    expect(fresh.uniqueId).not.toBe(sa!.uniqueId);
    const ping = await bed.ping({ count: 3, intervalSec: 0.2, deadlineSec: 5 });
    expect(ping.received, JSON.stringify(ping)).toBe(3);

    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => dump.on('exit', r));
    dump.kill('SIGINT');
    await exited;
    const lines = out.split('\n').filter(Boolean);
    const toGateway = (a: string) =>
      new RegExp(`^\\S+ IP ${esc(ADDR.client.uplink0)}\\.\\d+ > ${esc(a)}\\.(500|4500): `);
    const leaks = lines.filter(
      (l) => !toGateway(ADDR.gateway.outer).test(l) && !toGateway(SECOND).test(l),
    );
    const toSecond = lines.filter((l) => toGateway(SECOND).test(l));
    expect(leaks).toEqual([]);
    expect(toSecond.length).toBeGreaterThan(0);

    // the policy now names the new gateway, and only it
    const rulesAfter = (await bed.exec(bed.ns.client, ['nft', 'list', 'table', 'inet', 'tsunagi']))
      .stdout;
    expect(rulesAfter).toContain(SECOND);
    expect(rulesAfter).not.toContain(ADDR.gateway.outer);
    // clients saw the tunnel stay connected, now to the new gateway; never an error
    const seen = states.slice(mark);
    expect(seen.map((s) => s.state)).not.toContain('error');
    expect(seen.at(-1)).toMatchObject({ state: 'connected', gateway: SECOND, blocking: true });
    expect(timeline.map((t) => t.kind)).toContain('redirected');
    expect(helperLog).toContain(`redirected: the firewall now allows ${SECOND}`);
    console.log(
      `redirect with the kill switch on: ${toSecond.length} IKE/ESP packets to ${SECOND}, ` +
        `${lines.length - toSecond.length - leaks.length} to ${ADDR.gateway.outer}, 0 leaks of ${lines.length}; ` +
        `timeline: ${JSON.stringify(timeline.find((t) => t.kind === 'redirected')?.text)}`,
    );
    await c.request({ method: 'disconnect' });
    await until(
      'disconnected',
      () => states.slice(mark).find((s) => s.state === 'disconnected'),
      15_000,
    );
    c.close();
  }, 90_000);
});
