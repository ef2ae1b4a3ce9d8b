// The connection and logs views in a real Chromium against main's real code (ui-bridge.ts). No
// helper runs here, so main reports "service not running" by itself; the states a helper would
// produce (connecting, connected with traffic, failed) are pushed through main's own notify
// endpoints, typed by the IPC schema. Every view is saved in light and dark to
// test-results/screenshots/.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JsonFileProfileStore } from '../../electron/main/profile-store';
import type {
  ConnectionSnapshot,
  LogEntry,
  Stats,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import { parseProfile } from '../../native-helper/profile/profile';
import { IDLE_CONNECTION } from '../renderer/fake-tsunagi';
import {
  AUTH_ERROR,
  connectedSince,
  FAILED_TIMELINE,
  LOG_LINES,
  shownTimelineTexts,
  statsSeries,
  T0,
  TIMELINE,
} from '../renderer/fixtures';
import {
  assertRendererBuilt,
  CHROMIUM_ARGS,
  installUiBridge,
  RENDERER_URL,
  REPO_ROOT,
  type UiBridge,
} from '../support/ui-bridge';

const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');
const WIDTH = 960;
const HEIGHT = 720;

let workDir: string;
let browserDir: string;
let context: BrowserContext;
let page: Page;
let bridge: UiBridge;
let store: JsonFileProfileStore;
let problems: string[];

beforeAll(async () => {
  assertRendererBuilt();
  await mkdir(SCREENSHOTS, { recursive: true });
  browserDir = await mkdtemp(path.join(tmpdir(), 'tsunagi-chromium-'));
  context = await chromium.launchPersistentContext(browserDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: { width: WIDTH, height: HEIGHT },
    deviceScaleFactor: 1,
    // no CSS transitions at all: a screenshot never catches a button or a selection mid-fade
    reducedMotion: 'reduce',
  });
});

afterAll(async () => {
  await context?.close();
  await rm(browserDir, { recursive: true, force: true });
});

beforeEach(async () => {
  problems = [];
  workDir = await mkdtemp(path.join(tmpdir(), 'tsunagi-ui-config-'));
  store = new JsonFileProfileStore(path.join(workDir, 'profiles.json'));
  // Two profiles, so the connect button comes with a picker.
  await store.save({
    id: 'office',
    profile: parseProfile({
      version: 1,
      name: 'Office',
      server: 'vpn.example.com',
      auth: { method: 'psk', secret: { keychain: 'profile/office/secret' } },
      ike: 'aes256gcm16-prfsha384-x25519',
    }),
  });
  await store.save({
    id: 'lab',
    profile: parseProfile({
      version: 1,
      name: 'Lab',
      server: '192.0.2.10',
      auth: {
        method: 'eap-mschapv2',
        username: 'alice',
        password: { keychain: 'profile/lab/password' },
      },
      routes: ['10.0.0.0/8'],
    }),
  });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) problems.push(`network request: ${request.url()}`);
  });
  bridge = await installUiBridge(page, {
    profileStore: store,
    version: '0.1.0',
    // what the settings view shows: the office Wi-Fi, as NetworkManager would report it
    network: OFFICE_WIFI,
  });
  await bridge.secrets.set('profile/office/secret', 'office psk');
  await page.goto(RENDERER_URL);
  await page.getByRole('heading', { name: 'Connection', level: 2 }).waitFor();
});

afterEach(async () => {
  bridge.dispose();
  await page.close();
  await rm(workDir, { recursive: true, force: true });
});

/** Saves the whole view (the content pane scrolls, so the window grows to fit it) in both schemes. */
async function screenshots(name: string, options: { fitContent?: boolean } = {}) {
  const fit = options.fitContent ?? true;
  for (const colorScheme of ['light', 'dark'] as const) {
    // no transitions: the shot shows the scheme, not a fade between the two
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    // the pointer off the page: no button is shot in its hover colour
    await page.mouse.move(0, 0);
    if (fit) {
      const height = await page.evaluate(() => {
        const content = document.querySelector('.shell__content');
        return 60 + (content ? content.scrollHeight : 0);
      });
      await page.setViewportSize({ width: WIDTH, height: Math.max(HEIGHT, height) });
    }
    // nothing mid-transition or mid-animation: what is shot is the finished state
    expect(await page.evaluate(() => document.getAnimations().length)).toBe(0);
    await page.screenshot({
      path: path.join(SCREENSHOTS, `${name}-${colorScheme}.png`),
      animations: 'disabled',
    });
  }
  await page.setViewportSize({ width: WIDTH, height: HEIGHT });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
}

/** A connection that has been up for 1:02:03, with two minutes of traffic, as main would send it. */
function liveConnection(): { snapshot: ConnectionSnapshot; stats: Stats[] } {
  const now = Date.now();
  const since = now - 3_723_000;
  const shift = since - (T0 + 1_400);
  const timeline = TIMELINE.map((e) => ({ ...e, at: e.at + shift }));
  // as the helper reports them: the Child SA rekeyed when the timeline says, the IKE SA not yet
  const childRekeyed = timeline.find((e) => e.kind === 'child-rekeyed')!.at;
  const rekey = {
    ike: { last: null, next: since + 13_000_000 },
    child: { last: childRekeyed, next: childRekeyed + 3_240_000 },
  };
  const stats = statsSeries(120, now - 119_000).map((s) => ({ ...s, rekey }));
  return {
    snapshot: {
      helper: { status: 'ready', helperVersion: '0.1.0' },
      tunnel: connectedSince(since),
      profileId: 'office',
      stats: stats[0]!,
      timeline,
    },
    stats,
  };
}

const OFFICE_WIFI = {
  type: 'wifi',
  interface: 'wlp2s0',
  ssid: 'Office',
  bssid: '02:00:5e:10:00:01',
  open: false,
  gatewayIp: '192.0.2.1',
  gatewayMac: '02:00:5e:10:00:fe',
  dnsSuffix: 'corp.example.com',
} as const;

const READY = { ...IDLE_CONNECTION, helper: { status: 'ready' as const, helperVersion: '0.1.0' } };

describe('connection view', () => {
  it('without the service: main’s reason and command, Connect disabled with the reason', async () => {
    const banner = page
      .getByRole('alert')
      .filter({ hasText: 'The Tsunagi service is unavailable' });
    await banner.waitFor();
    await banner.getByText('The Tsunagi service is not running').waitFor();
    expect(await banner.locator('code').textContent()).toBe(
      'sudo systemctl enable --now tsunagi-helper',
    );
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    expect(await connect.isDisabled()).toBe(true);
    expect(await page.getByText('The Tsunagi service is not available (see above).').count()).toBe(
      1,
    );
    await expect(page.getByRole('status').first().textContent()).resolves.toBe(
      'Connection: Service unavailable',
    );
    await screenshots('helper-unavailable');
    expect(problems).toEqual([]);
  });

  it('disconnected with the service up: picker and Connect; main’s refusal is shown with its fix', async () => {
    bridge.main.notify.connection.changed(READY);
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    await page.getByRole('heading', { name: 'Disconnected', level: 3 }).waitFor();
    expect(await connect.isEnabled()).toBe(true);
    const picker = page.getByLabel('Profile', { exact: true });
    expect(await picker.inputValue()).toBe('office');
    await screenshots('connection-disconnected');

    // Main's controller knows there is no helper behind this pushed state: it refuses, in words.
    await picker.selectOption('lab');
    await connect.click();
    const refusal = page
      .getByRole('alert')
      .filter({ hasText: 'The Tsunagi service is not running' });
    await refusal.waitFor();
    await refusal.getByText('Start it: sudo systemctl enable --now tsunagi-helper').waitFor();
    expect(problems).toEqual([]);
  });

  it('connected: details, a ticking uptime, totals, a live graph and the timeline', async () => {
    const { snapshot, stats } = liveConnection();
    bridge.main.notify.connection.changed(snapshot);
    for (const s of stats.slice(1)) bridge.main.notify.connection.stats(s);
    const tunnel = page.getByRole('region', { name: 'Tunnel' });
    await tunnel.waitFor();
    const fact = (label: string) =>
      tunnel.locator('.facts__row', { has: page.getByText(label, { exact: true }) }).locator('dd');
    expect(await fact('Virtual IP').textContent()).toBe('10.10.1.2');
    expect(await fact('Virtual IPv6').textContent()).toBe('fd00:10::2');
    expect(await fact('IKE').textContent()).toBe('aes256gcm16-prfsha384-x25519');
    // the helper's rekey times
    expect(await fact('IKE SA rekeyed').textContent()).toMatch(/^not yet · next in 2 h 3\d min$/);
    expect(await fact('Child SA rekeyed').textContent()).toMatch(/^8 min ago · next in 4\d min$/);
    expect(await fact('Routes').locator('li').allTextContents()).toEqual(['0.0.0.0/0', '::/0']);

    // The graph fills as the stats arrive; its text alternative says the same in words.
    const graph = page.getByRole('img', { name: 'Throughput over the last 2 minutes' });
    await expect
      .poll(
        async () =>
          ((await graph.locator('.graph__line--in').getAttribute('d')) ?? '').split('L').length,
      )
      .toBe(120);
    const desc = await graph.locator('desc').textContent();
    expect(desc).toMatch(
      /^Now receiving .+ Over the last 1 minute 59 seconds: received on average/,
    );
    const box = await graph.boundingBox();
    expect(box!.width).toBeGreaterThan(500);
    expect(box!.height).toBe(140);

    // The uptime ticks in the page, without any event from main.
    const uptime = fact('Connected for').locator('span[aria-hidden="true"]');
    const first = await uptime.textContent();
    expect(first).toMatch(/^1:02:0[3-5]$/);
    await expect.poll(() => uptime.textContent(), { timeout: 3_000 }).not.toBe(first);

    const timeline = page.getByRole('list', { name: 'Connection timeline' });
    expect(await timeline.locator('.timeline__text').allTextContents()).toEqual(
      shownTimelineTexts(TIMELINE.length),
    );
    await page
      .getByText('Kill switch on: only traffic through the tunnel can leave this computer.')
      .waitFor();
    await screenshots('connection-connected');
    expect(problems).toEqual([]);
  });

  it('failed: the diagnosis, the fix and the kill switch are visible', async () => {
    bridge.main.notify.connection.changed({
      ...READY,
      tunnel: AUTH_ERROR,
      timeline: FAILED_TIMELINE,
    });
    await page.getByRole('heading', { name: 'Connection failed' }).waitFor();
    await page
      .locator('.hero')
      .getByText('The gateway did not accept the pre-shared key', { exact: false })
      .waitFor();
    await page.getByText('How to fix it').waitFor();
    await page
      .getByText(
        'Check the pre-shared key in the profile against the one configured on the gateway.',
      )
      .waitFor();
    expect(await page.getByRole('button', { name: 'Connect again' }).isEnabled()).toBe(true);
    // the timeline ends on the failure (red), not on a green step
    const last = page.getByRole('list', { name: 'Connection timeline' }).locator('li').last();
    expect(await last.getAttribute('data-kind')).toBe('closed');
    expect(await last.getAttribute('data-tone')).toBe('danger');
    expect(await page.getByRole('button', { name: 'Disconnect and unblock' }).isEnabled()).toBe(
      true,
    );
    await screenshots('connection-error');
    expect(problems).toEqual([]);
  });
});

describe('keyboard', () => {
  it('reaches the picker, Connect and the log filters by Tab, with a visible focus ring', async () => {
    bridge.main.notify.connection.changed(READY);
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    await connect.waitFor();
    const focusedName = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el?.getAttribute('aria-label') ?? el?.textContent ?? '';
      });
    // From the page start: four sections, then the picker, then Connect.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
    expect(await focusedName()).toBe('Connect');
    const outline = await connect.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe('solid');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('SELECT');
    await page.keyboard.press('ArrowDown');
    expect(await page.getByLabel('Profile', { exact: true }).inputValue()).toBe('lab');

    await page.getByRole('button', { name: 'Logs' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Logs', level: 2 }).waitFor();
    const debug = page
      .getByRole('group', { name: 'Levels' })
      .getByRole('button', { name: 'Debug' });
    await debug.focus();
    await page.keyboard.press('Space');
    expect(await debug.getAttribute('aria-pressed')).toBe('true');
    expect(problems).toEqual([]);
  });
});

describe('logs view', () => {
  // After the lines main logged itself at start-up, as they would be.
  let base = 0;
  const line = (i: number): LogEntry => ({
    at: base + 60_000 + i * 37,
    level: i % 50 === 49 ? 'error' : i % 10 === 9 ? 'warn' : i % 3 === 0 ? 'debug' : 'info',
    component: (['ike', 'esp', 'tunnel', 'helper', 'firewall'] as const)[i % 5]!,
    text: `line ${i}: ${i % 50 === 49 ? 'DPD: no answer from 203.0.113.7 after 5 retransmits' : 'IKE_SA rekey checked, nothing to do'}`,
  });

  it('is live and filterable, follows new lines until scrolled up, copies and exports', async () => {
    base = Date.now() + 10_000;
    await page.getByRole('button', { name: 'Logs' }).click();
    await page.getByRole('heading', { name: 'Logs', level: 2 }).waitFor();
    // The story the lines tell, and the state that goes with it: the service came up, the
    // tunnel ran, the gateway stopped answering, reconnecting failed: main logged the failure
    // with the helper's diagnosis (as TunnelController does) and the state is that error.
    const unreachable = {
      state: 'error',
      code: 'peer-unreachable',
      message: 'no answer from 203.0.113.7 during IKE_SA_INIT after 30 s',
      fix: 'check the server address and that UDP ports 500 and 4500 are not blocked on this network',
      blocking: true,
    } as const;
    bridge.main.notify.connection.changed({ ...READY, tunnel: unreachable, profileId: 'office' });
    const failedAt = LOG_LINES.at(-1)!.at + 31_000;
    const story: LogEntry[] = [
      LOG_LINES[0]!,
      {
        at: LOG_LINES[0]!.at + 400,
        level: 'info',
        component: 'app',
        text: 'connected to the Tsunagi service 0.1.0',
      },
      ...LOG_LINES.slice(1),
      {
        at: failedAt,
        level: 'warn',
        component: 'helper',
        text: `state error: ${unreachable.message}`,
      },
      {
        at: failedAt + 2,
        level: 'error',
        component: 'app',
        text: `connection failed: ${unreachable.message}`,
        diagnosis: { code: unreachable.code, fix: unreachable.fix },
      },
    ];
    for (const entry of story) {
      bridge.main.notify.logs.entry({ ...entry, at: entry.at - T0 + base });
    }
    const box = page.getByRole('region', { name: 'Log lines' });
    const rows = box.locator('li');
    // Main's own line about the missing service is in the log too (it came with the snapshot).
    await box
      .getByText('DPD: no answer from 203.0.113.7 after 5 retransmits; reconnecting')
      .waitFor();
    const error = box.locator('li[data-level="error"]').last();
    expect(
      await error.evaluate(
        (li) => getComputedStyle(li.querySelector('.log-line__text')!).fontWeight,
      ),
    ).toBe('650');
    await page.getByRole('status').filter({ hasText: 'Connection failed' }).first().waitFor();
    // the failure comes with its diagnosis and fix, as in the connection view
    const failure = box.locator('li', { hasText: 'connection failed: no answer' });
    await failure.getByText('How to fix it (peer-unreachable)').waitFor();
    await failure.getByText(/UDP ports 500 and 4500/).waitFor();
    await screenshots('logs', { fitContent: false });

    // Filters: level, component, text.
    await page
      .getByRole('group', { name: 'Levels' })
      .getByRole('button', { name: 'Debug' })
      .click();
    await page
      .getByRole('group', { name: 'Components' })
      .getByRole('button', { name: 'App' })
      .click();
    await page
      .getByRole('group', { name: 'Components' })
      .getByRole('button', { name: 'Service' })
      .click();
    await expect
      .poll(() => rows.count())
      .toBe(LOG_LINES.filter((l) => l.component !== 'app' && l.component !== 'helper').length);
    await page.getByLabel('Filter the lines by text').fill('pre-shared');
    await expect
      .poll(() => rows.allTextContents())
      .toEqual([
        expect.stringContaining('authentication of vpn.example.com with pre-shared key successful'),
      ]);
    await page.getByLabel('Filter the lines by text').fill('');
    await page
      .getByRole('group', { name: 'Components' })
      .getByRole('button', { name: 'Service' })
      .click();

    // Auto-scroll: at the bottom while following...
    for (let i = 0; i < 400; i++) bridge.main.notify.logs.entry(line(i));
    await box.getByText('line 399:', { exact: false }).waitFor();
    const gap = () => box.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    await expect.poll(gap).toBeLessThanOrEqual(1);
    // ...and staying put once the user scrolls up.
    await box.evaluate((el) => el.scrollBy(0, -600));
    // rows that scrolled into view take their real height (content-visibility) in the next
    // frames and Chrome's scroll anchoring settles the position: read it once that is done
    const settled = () =>
      page.evaluate(
        () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
      );
    await settled();
    const top = await box.evaluate((el) => el.scrollTop);
    for (let i = 400; i < 420; i++) bridge.main.notify.logs.entry(line(i));
    await page.getByRole('button', { name: /^Jump to latest \(\d+ new\)$/ }).waitFor();
    expect(await box.evaluate((el) => el.scrollTop)).toBe(top);
    await page.getByRole('button', { name: /^Jump to latest/ }).click();
    await expect.poll(gap).toBeLessThanOrEqual(1);

    // 1000 lines at most, and a filter over them answers quickly.
    for (let i = 420; i < 1_300; i++) bridge.main.notify.logs.entry(line(i));
    await box.getByText('line 1299:', { exact: false }).waitFor();
    expect(await page.locator('.log-line').count()).toBeLessThanOrEqual(1_000);
    const started = Date.now();
    await page.getByLabel('Filter the lines by text').fill('DPD');
    await expect.poll(() => rows.count()).toBeLessThan(40);
    expect(Date.now() - started).toBeLessThan(2_000);

    // Export goes through main's save dialog and writes the shown lines.
    const exported = path.join(workDir, 'tsunagi.log');
    bridge.logExportAnswers.push(exported);
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.getByText(`to ${exported}.`, { exact: false }).waitFor();
    const text = await readFile(exported, 'utf8');
    const written = text.trim().split('\n');
    expect(written.length).toBe(await rows.count());
    expect(written.every((l) => l.includes('DPD'))).toBe(true);
    expect(written.at(-1)).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ERROR firewall line 1299: DPD/,
    );

    // Copy uses the clipboard (granted to the app's page here, as Electron allows it).
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText(/^Copied \d+ lines\.$/).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
    expect(problems).toEqual([]);
  });
});

describe('other views', () => {
  it('profiles, the editor with its timers, and settings (screenshots)', async () => {
    bridge.main.notify.connection.changed({ ...liveConnection().snapshot });
    await page.getByRole('button', { name: 'Profiles' }).click();
    const list = page.getByRole('list', { name: 'Profiles' });
    await list.getByText('Connected').waitFor();
    await screenshots('profiles');

    await page.getByRole('button', { name: 'Edit Office' }).click();
    await page.getByRole('heading', { name: 'Edit Office' }).waitFor();
    // A stored profile carries the format's defaults: the editor shows them as values.
    expect(await page.getByLabel('First timeout (seconds)').inputValue()).toBe('4');
    expect(await page.getByLabel('IKE SA lifetime (seconds)').inputValue()).toBe('14400');
    // The rekey times and jitter are not stored: the placeholders are what the helper will use.
    expect(await page.getByLabel('IKE SA rekey time (seconds)').inputValue()).toBe('');
    expect(await page.getByLabel('IKE SA rekey time (seconds)').getAttribute('placeholder')).toBe(
      '12960',
    );
    expect(await page.getByLabel('Rekey jitter (seconds)').getAttribute('placeholder')).toBe(
      '1296 (IKE), 324 (Child)',
    );
    const askForIdr = page.getByRole('checkbox', { name: /^Ask the gateway for this identity/ });
    expect(await askForIdr.isChecked()).toBe(true);
    await page.getByLabel('Backoff factor').fill('9');
    await page.getByLabel('Backoff factor').blur();
    await page.getByText('must be at most 4').waitFor();
    expect(await page.getByLabel('Backoff factor').getAttribute('aria-invalid')).toBe('true');
    await screenshots('editor');

    await page.getByLabel('Backoff factor').fill('2');
    await page.getByLabel('Child SA lifetime (seconds)').fill('1800');
    // a rekey time at its lifetime: main's check (the helper's schema) answers on that field
    const childRekey = page.getByLabel('Child SA rekey time (seconds)');
    await childRekey.fill('1800');
    await childRekey.blur();
    await page
      .getByText(
        '1800 s must be below "childLifetime" (1800 s, the hard limit): lower "childRekeyTime" or raise "childLifetime"',
      )
      .waitFor();
    expect(await childRekey.getAttribute('aria-invalid')).toBe('true');
    await childRekey.fill('1500');
    await page.getByLabel('Rekey jitter (seconds)').fill('60');
    await askForIdr.uncheck();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved “Office”.').waitFor();
    const saved = await store.read('office');
    expect(saved?.profile.retransmit).toEqual({ timeout: 4, base: 2, tries: 5 });
    expect(saved?.profile).toMatchObject({
      childLifetime: 1800,
      childRekeyTime: 1500,
      rekeyJitter: 60,
      sendRemoteId: false,
    });
    expect(saved?.profile.ikeRekeyTime).toBeUndefined();

    // settings as a user who set them up has them, changed through main like the window does
    await page.evaluate(() =>
      (window as unknown as { tsunagi: TsunagiApi }).tsunagi.settings.update({
        autoConnect: true,
        autoConnectProfileId: 'office',
        trustedNetworks: {
          enabled: true,
          wifi: [{ ssid: 'Home' }, { ssid: 'Lab', bssids: ['02:00:5e:30:00:01'] }],
          wired: [{ gatewayMac: '02:00:5e:20:00:fe', dnsSuffix: 'lab.example.com' }],
          onTrusted: 'disconnect',
          onUntrusted: 'connect',
          alwaysConnectOnOpenWifi: true,
          killSwitchOnUntrusted: true,
        },
      }),
    );
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    // on the office Wi-Fi (what detection reports): not trusted, so the VPN is up, as the pill says
    await page.getByText('Current network:').waitFor();
    await page.getByText('Only this access point').waitFor();
    await page.getByText('only access point 02:00:5e:30:00:01').waitFor();
    await screenshots('settings');
    expect(problems).toEqual([]);
  });
});
