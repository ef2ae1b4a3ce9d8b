// Main's logic without Electron (app-core.ts) against a REAL helper (startHelper on a temp
// socket, recording firewall, scripted tunnels): a network change the trust agent acts on ends
// in a real `connect` at the helper, a trusted network in a real `disconnect`, auto-connect at
// start connects, and every step reaches the renderer and the notifications.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startAppCore, type AppCore } from '../../../../electron/main/app-core.js';
import type { NetworkInfo } from '../../../../electron/main/network/network-info.js';
import type { NotificationContent } from '../../../../electron/main/notifications/notification-controller.js';
import { JsonFileProfileStore } from '../../../../electron/main/profile-store.js';
import { MemorySecretStore } from '../../../../electron/main/secrets/secret-store.js';
import type { AppSettings, SettingsPatch } from '../../../../electron/shared/ipc-schema.js';
import { DEFAULT_SETTINGS } from '../../../../electron/shared/settings-schema.js';
import { startHelper, type RunningHelper } from '../../../../native-helper/daemon/main.js';
import { FakeDriver, MemoryFirewall, UP } from '../../native-helper/tunnel/doubles.js';
import { FakeIpcMain } from '../../../support/fake-electron.js';

/** Waits for the assertion: generous, the machine runs other suites at the same time. */
const until = <T>(check: () => T) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

let dir: string;
let socketPath: string;
let helper: RunningHelper;
let fake: FakeDriver;
let core: AppCore | undefined;
let network: NetworkInfo;
let settings: AppSettings;
let shown: NotificationContent[];
let sent: [string, unknown][];

const cafe: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Cafe', open: false };
const home: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Home', open: false };

async function startCore(withSecret = true): Promise<AppCore> {
  const profiles = new JsonFileProfileStore(join(dir, 'profiles.json'));
  await profiles.save({
    id: 'office',
    profile: {
      version: 1,
      name: 'Office',
      server: '198.51.100.10',
      auth: { method: 'psk', secret: { keychain: 'profile/office/psk' } },
    } as never,
  });
  const secrets = new MemorySecretStore();
  if (withSecret) await secrets.set('profile/office/psk', 'office-psk-123');
  core = await startAppCore({
    ipcMain: new FakeIpcMain(),
    getWebContents: () => ({
      send: (channel: string, ...args: unknown[]) => sent.push([channel, args[0]]),
      isDestroyed: () => false,
    }),
    isAllowedSender: () => true,
    profileStore: profiles,
    profileDir: dir,
    secretStore: secrets,
    dialogs: {
      chooseProfileToImport: async () => undefined,
      chooseExportPath: async () => undefined,
      chooseLogExportPath: async () => undefined,
      chooseProfileFile: async () => undefined,
    },
    writeTextFile: async () => undefined,
    settings: {
      get: () => settings,
      update: async (patch: SettingsPatch) => (settings = { ...settings, ...patch }),
    },
    detectNetwork: async () => network,
    appInfo: { version: 't', platform: 'linux' },
    helperSocket: socketPath,
    showNotification: (c) => shown.push(c),
    trustPollMs: 20,
    debounce: { settleMs: 40, minIntervalMs: 0 },
    helperRetry: { firstMs: 20, maxMs: 50 },
  });
  return core;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-core-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 'helper.sock');
  process.env.TSUNAGI_CONFIG_DIR = join(dir, 'config');
  process.env.TSUNAGI_STATE_DIR = join(dir, 'state');
  fake = new FakeDriver();
  helper = await startHelper({ socketPath, group: undefined, allowUids: [] }, 'test', {
    firewall: new MemoryFirewall(),
    driver: fake.driver,
    resolve: (h) => Promise.resolve(h),
    log: () => undefined,
  });
  shown = [];
  sent = [];
  network = cafe;
  settings = {
    ...DEFAULT_SETTINGS,
    autoConnect: true,
    autoConnectProfileId: 'office',
    trustedNetworks: {
      ...DEFAULT_SETTINGS.trustedNetworks,
      enabled: true,
      wifi: [{ ssid: 'Home' }],
      onTrusted: 'disconnect',
      onUntrusted: 'connect',
    },
  };
});

afterEach(async () => {
  core?.dispose();
  core = undefined;
  await helper.shutdown();
  delete process.env.TSUNAGI_CONFIG_DIR;
  delete process.env.TSUNAGI_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('app core with trusted networks', () => {
  it('an untrusted network connects at the helper; moving to a trusted one disconnects', async () => {
    const c = await startCore();
    await until(() => expect(fake.tunnels).toHaveLength(1));
    expect(fake.last.target.profile.name).toBe('Office');
    expect((fake.last.target.profile.auth as { secret: string }).secret).toBe('office-psk-123');
    expect(shown).toContainEqual({
      title: 'Connecting to Office',
      body: 'Untrusted network "Cafe"',
      urgency: 'normal',
    });
    fake.last.callbacks.up(UP);
    await until(() => expect(c.controller.snapshot().tunnel.state).toBe('connected'));
    expect(shown.at(-1)).toMatchObject({ title: 'Connected to Office' });
    // the renderer heard about it
    expect(
      sent.some(
        ([channel, s]) =>
          channel === 'connection.changed' &&
          (s as { tunnel: { state: string } }).tunnel.state === 'connected',
      ),
    ).toBe(true);
    expect(sent.some(([channel]) => channel === 'logs.entry')).toBe(true);
    expect(
      c.controller
        .logs()
        .some(
          (l) =>
            l.component === 'app' && l.text === 'auto-connect office: Untrusted network "Cafe"',
        ),
    ).toBe(true);

    network = home;
    await until(() => expect(fake.last.stopped).toBe(true));
    await until(() => expect(c.controller.snapshot().tunnel.state).toBe('disconnected'));
    expect(shown).toContainEqual({
      title: 'Disconnecting the VPN',
      body: 'Trusted network "Home"',
      urgency: 'normal',
    });
    expect(helper.machine.state.name).toBe('disconnected');
  });

  it('"keep the kill switch on there": an untrusted network blocks at the helper although the kill switch is off; a trusted one gives it back', async () => {
    // the user turned the kill switch off (the helper's own default is on), then the rules on
    const on = settings.trustedNetworks;
    settings = { ...settings, autoConnect: false, trustedNetworks: { ...on, enabled: false } };
    const c = await startCore();
    await until(() => expect(c.controller.snapshot().helper.status).toBe('ready'));
    settings = { ...settings, killSwitch: false };
    c.settingsChanged(settings);
    await until(() => expect(helper.machine.settings.killSwitch).toBe(false));
    settings = {
      ...settings,
      autoConnect: true,
      trustedNetworks: { ...on, killSwitchOnUntrusted: true },
    };
    c.settingsChanged(settings);
    // the helper enforces it before the tunnel comes up: connecting already blocks
    await until(() => expect(fake.tunnels).toHaveLength(1));
    expect(helper.machine.settings.killSwitch).toBe(true);
    await until(() => expect(c.controller.snapshot().tunnel).toMatchObject({ blocking: true }));
    // the user's own setting is untouched (and the helper's echo does not overwrite it)
    expect(settings.killSwitch).toBe(false);
    expect(c.controller.killSwitchKeptBy()).toBe('Untrusted network "Cafe"');
    expect(c.controller.logs().map((l) => l.text)).toContain(
      'kill switch on although it is off in the settings: Untrusted network "Cafe"',
    );
    fake.last.callbacks.up(UP);
    await until(() => expect(c.controller.snapshot().tunnel.state).toBe('connected'));

    network = home;
    await until(() => expect(helper.machine.settings.killSwitch).toBe(false));
    await until(() => expect(c.controller.snapshot().tunnel.state).toBe('disconnected'));
    expect(c.controller.killSwitchKeptBy()).toBeUndefined();
    expect(settings.killSwitch).toBe(false);

    // back on an untrusted network, then the user turns the choice off: the setting applies again
    network = cafe;
    await until(() => expect(helper.machine.settings.killSwitch).toBe(true));
    settings = {
      ...settings,
      trustedNetworks: { ...settings.trustedNetworks, killSwitchOnUntrusted: false },
    };
    c.settingsChanged(settings);
    await until(() => expect(helper.machine.settings.killSwitch).toBe(false));
  });

  it('a failing auto-connect (no keychain secret) is a notification with the fix, not a crash', async () => {
    await startCore(false);
    await until(() =>
      expect(shown.some((n) => n.title === 'Could not connect to Office')).toBe(true),
    );
    expect(shown.find((n) => n.title === 'Could not connect to Office')?.body).toContain(
      'Open the profile in the editor and enter the secret again.',
    );
    expect(fake.tunnels).toHaveLength(0);
  });
});

describe('app core without trusted networks', () => {
  it('auto-connect connects once when the helper is there at start', async () => {
    settings = { ...settings, trustedNetworks: { ...settings.trustedNetworks, enabled: false } };
    const c = await startCore();
    await until(() => expect(fake.tunnels).toHaveLength(1));
    expect(shown[0]).toMatchObject({
      title: 'Connecting to Office',
      body: 'Auto-connect when Tsunagi starts',
    });
    expect(c.controller.snapshot().profileId).toBe('office');
  });

  it('the kill switch from the window reaches the helper', async () => {
    settings = { ...settings, autoConnect: false };
    const c = await startCore();
    await until(() => expect(c.controller.snapshot().helper.status).toBe('ready'));
    settings = { ...settings, killSwitch: false, allowLan: true };
    c.settingsChanged(settings);
    await until(() =>
      expect(helper.machine.settings).toEqual({
        killSwitch: false,
        lockdown: false,
        allowLan: true,
      }),
    );
    expect(sent.some(([channel]) => channel === 'settings.changed')).toBe(true);
    expect(fake.tunnels).toHaveLength(0);
  });
});
