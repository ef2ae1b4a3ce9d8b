/**
 * The app end to end, as a user meets it: the built renderer in a real Chromium, the real main
 * logic behind the bridge (test/support/ui-bridge.ts: IPC handlers, TunnelController, keychain
 * reads), a real helper (`tsunagi helper`, as root, with its nftables kill switch) in the test
 * bed's client namespace, and a real strongSwan gateway. The user creates a profile in the
 * editor, connects, sees the virtual IP and the timeline, sees bytes move while the client pings
 * through the tunnel, and disconnects. Screenshots of the live views are saved (light and dark).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonFileProfileStore } from '../../electron/main/profile-store.js';
import {
  CHROMIUM_ARGS,
  installUiBridge,
  RENDERER_INDEX,
  RENDERER_URL,
  REPO_ROOT,
  type UiBridge,
} from '../support/ui-bridge.js';
import { createPki, GATEWAY_ID } from './support/pki.js';
import { PSK, PSK_CLIENT_ID, startGateway, type Gateway } from './support/strongswan.js';
import { ADDR, createTestbed, type Testbed } from './support/testbed.js';

const isRoot = process.getuid?.() === 0;
const missing = [
  !isRoot && 'root',
  !existsSync('/usr/lib/ipsec/charon') && 'strongSwan (/usr/lib/ipsec/charon)',
  !existsSync('/usr/sbin/nft') && 'nft',
  !existsSync('/usr/bin/chromium') && 'chromium',
  !existsSync(RENDERER_INDEX) && 'dist/renderer (npm run build)',
  !existsSync('dist/native-helper/cli.js') && 'dist/ (node esbuild.config.mjs)',
  !existsSync('native-helper/native/build/Release/tsunagi_peercred.node') && 'the native addons',
].filter(Boolean);
if (missing.length) console.warn(`app-e2e: skipped, missing ${missing.join(', ')}`);

const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots');
const WIDTH = 1100;
const HEIGHT = 760;

describe.skipIf(missing.length > 0)('the app against a real helper and strongSwan', () => {
  let bed: Testbed;
  let gateway: Gateway;
  let helper: ChildProcess;
  let helperLog = '';
  let context: BrowserContext;
  let page: Page;
  let bridge: UiBridge;
  const problems: string[] = [];

  const screenshots = async (name: string) => {
    for (const colorScheme of ['light', 'dark'] as const) {
      // no transitions: the shot shows the scheme, not a fade between the two
      await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
      // the pointer off the page: no button is shot in its hover colour
      await page.mouse.move(0, 0);
      const height = await page.evaluate(() => {
        const content = document.querySelector('.shell__content');
        return 60 + (content ? content.scrollHeight : 0);
      });
      await page.setViewportSize({ width: WIDTH, height: Math.max(HEIGHT, height) });
      await page.screenshot({
        path: join(SCREENSHOTS, `${name}-${colorScheme}.png`),
        animations: 'disabled',
      });
    }
    await page.setViewportSize({ width: WIDTH, height: HEIGHT });
    await page.emulateMedia({ colorScheme: 'light' });
  };

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    bed = await createTestbed();
    const pki = await createPki(bed.tempDir('pki'));
    gateway = await startGateway(bed, { pki });
    const dir = bed.tempDir('app');
    const socket = join(dir, 'helper.sock');
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
    for (let i = 0; !helperLog.includes('listening on'); i++) {
      if (i > 200 || helper.exitCode !== null)
        throw new Error(`helper did not start: ${helperLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    context = await chromium.launchPersistentContext(bed.tempDir('chromium'), {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      viewport: { width: WIDTH, height: HEIGHT },
      deviceScaleFactor: 1,
      // no CSS transitions at all: a screenshot never catches a button mid-fade
      reducedMotion: 'reduce',
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) problems.push(`network request: ${r.url()}`);
    });
    bridge = await installUiBridge(page, {
      profileStore: new JsonFileProfileStore(join(dir, 'profiles.json')),
      helperSocket: socket,
      version: '0.1.0',
    });
    await page.goto(RENDERER_URL);
  }, 240_000);

  afterAll(async () => {
    bridge?.dispose();
    await context?.close().catch(() => undefined);
    if (helper && helper.exitCode === null) {
      const exited = new Promise((r) => helper.once('exit', r));
      helper.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    await gateway?.stop().catch(() => undefined);
    await bed?.destroy();
  });

  it('create a profile, connect, see the virtual IP and bytes move, disconnect', async () => {
    // The helper is found: no "service not running" banner, the profile list is empty.
    await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
    await expect.poll(() => bridge.controller.snapshot().helper.status).toBe('ready');

    // A profile, typed into the editor like a user would; the PSK goes to the keychain.
    await page.getByRole('button', { name: 'New profile' }).click();
    await page.getByRole('heading', { name: 'New profile' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Lab');
    await page.getByLabel('Server', { exact: true }).fill(ADDR.gateway.outer);
    await page.getByLabel('Gateway identity', { exact: true }).fill(GATEWAY_ID);
    await page.getByLabel('Your identity', { exact: true }).fill(PSK_CLIENT_ID);
    await page.getByLabel('Method', { exact: true }).selectOption('psk');
    await page.getByLabel('Pre-shared key', { exact: true }).fill(PSK);
    await page.getByLabel('Only these networks').check();
    await page.getByLabel('Networks', { exact: true }).fill('10.99.0.0/24');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('list', { name: 'Profiles' }).getByText('Lab').waitFor();
    expect([...bridge.secrets.entries.values()]).toContain(PSK);

    // Connect from the connection view.
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('button', { name: 'Connection' })
      .click();
    await page.getByRole('heading', { name: 'Disconnected', level: 3 }).waitFor();
    const started = Date.now();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page
      .getByRole('heading', { name: 'Connected', level: 3 })
      .waitFor({ timeout: 30_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message}\nhelper log:\n${helperLog}`);
      });
    const connectMs = Date.now() - started;

    const tunnel = page.getByRole('region', { name: 'Tunnel' });
    const fact = (label: string) =>
      tunnel.locator('.facts__row', { has: page.locator('dt', { hasText: label }) }).locator('dd');
    const virtualIp = (await fact('Virtual IP').first().textContent()) ?? '';
    expect(virtualIp).toMatch(/^10\.10\.10\.\d+$/);
    // the helper put that address on its TUN device in the client namespace
    const addrs = await bed.exec(bed.ns.client, ['ip', '-4', '-o', 'addr', 'show'], {
      timeoutMs: 10_000,
    });
    expect(addrs.stdout).toContain(`inet ${virtualIp}/`);

    // The timeline tells the story in order.
    const timeline = page.getByRole('list', { name: 'Connection timeline' });
    const kinds = await timeline.locator('.timeline__text').allTextContents();
    expect(kinds.length).toBeGreaterThanOrEqual(3);
    const snapshot = bridge.controller.snapshot();
    const order = snapshot.timeline.map((e) => e.kind);
    expect(order[0]).toBe('ike-sa-init-sent');
    expect(order.indexOf('authenticated')).toBeGreaterThan(0);
    expect(order.indexOf('virtual-ip')).toBeGreaterThan(order.indexOf('authenticated'));

    // Bytes move: ping the protected host through the tunnel and watch the counters.
    const received = page
      .getByRole('region', { name: 'Traffic' })
      .locator('.totals__item', { has: page.locator('dt', { hasText: 'Received' }) })
      .locator('dd');
    const before = (await received.textContent()) ?? '';
    const ping = await bed.ping({ count: 20, intervalSec: 0.1 });
    expect(ping.received).toBeGreaterThanOrEqual(18);
    await expect.poll(() => received.textContent(), { timeout: 5_000 }).not.toBe(before);
    await expect.poll(() => bridge.controller.snapshot().stats.bytesIn).toBeGreaterThan(1_000);
    // the gateway sees the same tunnel
    const [sa] = await gateway.listSas();
    expect(sa?.state).toBe('ESTABLISHED');

    // a few seconds of a download (and pings the other way), so the live graph the screenshot
    // shows has both directions in it, as a user's would
    const [download] = await Promise.all([
      bed.iperf3({ reverse: true, seconds: 6, udpBitrate: '3M' }),
      bed.ping({ count: 30, intervalSec: 0.2 }),
    ]);
    expect(download).toBeDefined();
    const graph = page.getByRole('img', { name: /^Throughput over the last/ });
    await expect
      .poll(async () => ((await graph.locator('.graph__line--in').getAttribute('d')) ?? '').length)
      .toBeGreaterThan(0);
    await screenshots('e2e-connected');

    // Disconnect: the state goes back, the address is gone, the gateway has no SA left.
    await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await page
      .getByRole('heading', { name: 'Disconnected', level: 3 })
      .waitFor({ timeout: 15_000 });
    await expect.poll(async () => (await gateway.listSas()).length, { timeout: 10_000 }).toBe(0);
    const after = await bed.exec(bed.ns.client, ['ip', '-4', '-o', 'addr', 'show'], {
      timeoutMs: 10_000,
    });
    expect(after.stdout).not.toContain(`inet ${virtualIp}/`);

    // The logs view has the helper's lines of this session.
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('button', { name: 'Logs' })
      .click();
    await page.getByRole('heading', { name: 'Logs', level: 2 }).waitFor();
    await page
      .getByRole('region', { name: 'Log lines' })
      .getByText(/state connected/)
      .first()
      .waitFor();
    await screenshots('e2e-logs');

    expect(problems).toEqual([]);
    console.log(`app-e2e: connected in ${connectMs} ms (click → "Connected" in the window)`);
  });
});
