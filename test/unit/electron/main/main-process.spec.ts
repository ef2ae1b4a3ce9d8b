// Drives the main process end to end through the fake `electron`: window, preload, IPC.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import { resolveAppPaths } from '../../../../electron/main/app-paths.js';
import { DEFAULT_SETTINGS, startMainProcess } from '../../../../electron/main/main-process.js';
import { MemorySecretStore } from '../../../../electron/main/secrets/secret-store.js';
import type { ConnectionSnapshot, TsunagiApi } from '../../../../electron/shared/ipc-schema.js';
import {
  SERVICE_NOT_RUNNING,
  ZERO_STATS,
} from '../../../../electron/main/tunnel/tunnel-controller.js';
import { startHelper, type RunningHelper } from '../../../../native-helper/daemon/main.js';
import { FakeDriver, MemoryFirewall, UP } from '../../native-helper/tunnel/doubles.js';

/** Waits for the assertion: generous, the machine runs other suites at the same time. */
const until = <T>(check: () => T) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

const paths = resolveAppPaths('/opt/tsunagi/dist/electron');
let userData: string;
let running: Awaited<ReturnType<typeof startMainProcess>>;
let helper: RunningHelper | undefined;
const savedXdg = process.env.XDG_CONFIG_HOME;

beforeEach(async () => {
  fakeElectron.reset();
  userData = await mkdtemp(path.join(tmpdir(), 'tsunagi-user-data-'));
  fakeElectron.app.userDataDir = userData;
  fakeElectron.app.version = '1.2.3';
  // launch at login writes an XDG autostart entry: into the test's folder, never the real one
  process.env.XDG_CONFIG_HOME = path.join(userData, 'xdg');
});

afterEach(async () => {
  running?.core.dispose();
  running = undefined;
  await helper?.shutdown();
  helper = undefined;
  delete process.env.TSUNAGI_CONFIG_DIR;
  delete process.env.TSUNAGI_STATE_DIR;
  if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = savedXdg;
  await rm(userData, { recursive: true, force: true });
});

/** A real helper (in-process, recording firewall, scripted tunnels) on a socket in userData. */
async function runHelper(): Promise<{ socket: string; fake: FakeDriver }> {
  process.env.TSUNAGI_CONFIG_DIR = path.join(userData, 'helper-config');
  process.env.TSUNAGI_STATE_DIR = path.join(userData, 'helper-state');
  const socket = path.join(userData, 'helper.sock');
  const fake = new FakeDriver();
  helper = await startHelper({ socketPath: socket, group: undefined, allowUids: [] }, 'test', {
    firewall: new MemoryFirewall(),
    driver: fake.driver,
    resolve: (h) => Promise.resolve(h),
    log: () => undefined,
  });
  return { socket, fake };
}

/** Loads the real preload into the fake page and returns what it exposed as window.tsunagi. */
async function loadPreloadInto(window: (typeof fakeElectron.windows)[number]): Promise<TsunagiApi> {
  fakeElectron.ipcRenderer.attach(window.webContents);
  vi.resetModules();
  await import('../../../../electron/preload/index.js');
  return fakeElectron.contextBridge.mainWorld['tsunagi'] as TsunagiApi;
}

async function start(
  options: { helperSocket?: string; argv?: string[]; secrets?: MemorySecretStore } = {},
) {
  const main = await startMainProcess(paths, {
    secretStore: options.secrets ?? new MemorySecretStore(),
    // no helper unless the test starts one
    helperSocket: options.helperSocket ?? path.join(userData, 'no-helper.sock'),
    argv: options.argv ?? ['electron', '.'],
  });
  expect(main).toBeDefined();
  running = main;
  await until(() => expect(main!.controller.snapshot().helper.status).not.toBe('connecting'));
  const window = fakeElectron.windows[0]!;
  if (window) await until(() => expect(window.loadedFile).toBe(paths.rendererIndex));
  return { main: main!, window };
}

describe('startMainProcess', () => {
  it('opens one hardened window on the built page', async () => {
    const { window } = await start();
    expect(fakeElectron.windows).toHaveLength(1);
    expect(window.options.webPreferences).toMatchObject({
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(window.visible).toBe(true);
    expect(window.webContents.tryNavigate('https://evil.example/')).toBe(true);
    expect(window.webContents.tryOpenWindow('https://evil.example/')).toEqual({ action: 'deny' });
  });

  it('hardens every WebContents the app creates, not only the window', async () => {
    await start();
    const { FakeWebContents } = await import('../../../support/fake-electron.js');
    const other = new FakeWebContents();
    fakeElectron.app.emit('web-contents-created', {}, other);
    expect(other.tryNavigate('https://evil.example/')).toBe(true);
    expect(other.tryOpenWindow('https://evil.example/')).toEqual({ action: 'deny' });
  });

  it('answers the snapshot through preload → ipcMain → handler (no helper, no profile file yet)', async () => {
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window);
    await expect(tsunagi.app.getSnapshot()).resolves.toEqual({
      ok: true,
      value: {
        version: '1.2.3',
        platform: process.platform,
        connection: {
          helper: { status: 'unavailable', ...SERVICE_NOT_RUNNING },
          tunnel: { state: 'disconnected', reason: 'no-helper', blocking: false },
          profileId: null,
          stats: ZERO_STATS,
          timeline: [],
        },
        logs: [
          expect.objectContaining({
            component: 'app',
            level: 'warn',
            text: `${SERVICE_NOT_RUNNING.reason}. ${SERVICE_NOT_RUNNING.fix}`,
          }),
        ],
        profiles: [],
        settings: DEFAULT_SETTINGS,
      },
    });
    await expect(tsunagi.profiles.list()).resolves.toEqual({ ok: true, value: [] });
  });

  it('reads profiles from profiles.json in the user data directory', async () => {
    await writeFile(
      path.join(userData, 'profiles.json'),
      JSON.stringify({
        version: 1,
        profiles: [
          {
            id: 'lab',
            profile: {
              version: 1,
              name: 'Lab',
              server: '192.0.2.10',
              auth: { method: 'psk', secret: { keychain: 'tsunagi/lab' } },
            },
          },
        ],
      }),
    );
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window);
    await expect(tsunagi.profiles.list()).resolves.toEqual({
      ok: true,
      value: [{ id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'psk' }],
    });
  });

  it('answers a corrupt profile file with a clear error value', async () => {
    const file = path.join(userData, 'profiles.json');
    await writeFile(file, 'not json');
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window);
    const answer = await tsunagi.app.getSnapshot();
    expect(answer).toMatchObject({ ok: false, error: { code: 'profile-store-corrupt' } });
    expect(!answer.ok && answer.error.message).toContain(`The profile file ${file} is corrupt`);
  });

  it('rejects calls from a page that is not ours', async () => {
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window);
    window.webContents.mainFrame.url = 'https://evil.example/';
    await expect(tsunagi.app.getSnapshot()).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden-sender' },
    });
  });

  it('sends events to the window, which the preload hands to listeners', async () => {
    const { main, window } = await start();
    const tsunagi = await loadPreloadInto(window);
    const states: unknown[] = [];
    const unsubscribe = tsunagi.connection.listenChanged((state) => states.push(state));
    const snapshot: ConnectionSnapshot = main.controller.snapshot();
    main.ipc.notify.connection.changed(snapshot);
    unsubscribe();
    main.ipc.notify.connection.changed({ ...snapshot, profileId: 'lab' });
    expect(states).toEqual([snapshot]);
  });

  it('the editor’s Choose… buttons open Electron’s open dialog on the window, per kind of file', async () => {
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window!);
    fakeElectron.dialog.openAnswers.push('/home/alice/vpn/alice.pem');
    await expect(tsunagi.profiles.chooseFile({ kind: 'certificate' })).resolves.toEqual({
      ok: true,
      value: { chosen: true, path: '/home/alice/vpn/alice.pem' },
    });
    // nothing queued: the user cancelled
    await expect(tsunagi.profiles.chooseFile({ kind: 'private-key' })).resolves.toEqual({
      ok: true,
      value: { chosen: false },
    });
    fakeElectron.dialog.openAnswers.push('/etc/ssl/office-ca.pem');
    await expect(tsunagi.profiles.chooseFile({ kind: 'ca' })).resolves.toMatchObject({
      value: { chosen: true, path: '/etc/ssl/office-ca.pem' },
    });
    expect(fakeElectron.dialog.parents).toEqual([true, true, true]);
    expect(fakeElectron.dialog.opened).toEqual([
      expect.objectContaining({
        title: 'Choose your certificate',
        properties: ['openFile', 'dontAddToRecent'],
        filters: [
          { name: 'Certificate (PEM)', extensions: ['pem', 'crt', 'cer'] },
          { name: 'All files', extensions: ['*'] },
        ],
      }),
      expect.objectContaining({
        title: 'Choose your private key',
        filters: expect.arrayContaining([
          { name: 'Private key (PEM)', extensions: ['pem', 'key'] },
        ]),
      }),
      expect.objectContaining({ title: expect.stringMatching(/^Choose the CA certificate/) }),
    ]);
    // a kind the schema does not know never reaches the dialog
    const bad = await (
      tsunagi.profiles.chooseFile as (
        args: unknown,
      ) => ReturnType<TsunagiApi['profiles']['chooseFile']>
    )({ kind: '/etc/shadow' });
    expect(bad.ok).toBe(false);
    expect(fakeElectron.dialog.opened).toHaveLength(3);
  });

  it('refuses every permission request from the page', async () => {
    await start();
    await expect(fakeElectron.defaultSession.requestPermission('notifications')).resolves.toBe(
      false,
    );
    await expect(fakeElectron.defaultSession.requestPermission('media')).resolves.toBe(false);
  });

  it('quits at once without a window when another instance holds the lock', async () => {
    fakeElectron.app.hasSingleInstanceLock = false;
    await expect(startMainProcess(paths)).resolves.toBeUndefined();
    expect(fakeElectron.app.quitCalls).toBe(1);
    expect(fakeElectron.windows).toHaveLength(0);
    expect(fakeElectron.ipcMain.handlers.size).toBe(0);
  });

  it('brings the window back when a second instance starts', async () => {
    const { window } = await start();
    window.minimize();
    window.visible = false;
    fakeElectron.app.emit('second-instance');
    expect(window.isMinimized()).toBe(false);
    expect(window.visible).toBe(true);
    expect(window.focused).toBe(true);
  });

  it('stays in the tray when the window closes; Quit in the tray quits and removes its IPC handlers', async () => {
    const { main, window } = await start();
    window.close();
    expect(main.window()).toBeNull();
    fakeElectron.app.emit('window-all-closed');
    expect(fakeElectron.app.quitCalls).toBe(0);
    const tray = fakeElectron.trays[0]!;
    // no service: the error icon, and the menu says how to start it
    expect(tray.image).toBe(path.join(paths.trayIcons, 'tray-error-light.png'));
    expect(tray.menu!.labels()[0]).toBe(SERVICE_NOT_RUNNING.reason);
    expect(tray.menu!.labels()).toContain('Open Tsunagi');
    tray.menu!.click('Open Tsunagi');
    expect(fakeElectron.windows).toHaveLength(2);
    tray.menu!.click('Quit');
    expect(fakeElectron.app.quitCalls).toBe(1);
    expect(fakeElectron.ipcMain.handlers.size).toBe(0);
    expect(tray.isDestroyed()).toBe(true);
  });

  it('persists settings from the window and from the tray, and tells the window', async () => {
    const { main, window } = await start();
    const tsunagi = await loadPreloadInto(window);
    const seen: unknown[] = [];
    tsunagi.settings.listenChanged((s) => seen.push(s.killSwitch));
    const updated = await tsunagi.settings.update({ launchAtLogin: true, notifications: false });
    expect(updated).toMatchObject({
      ok: true,
      value: { launchAtLogin: true, notifications: false },
    });
    // launch at login (login-item.ts): the XDG autostart entry, started --hidden
    const entry = path.join(userData, 'xdg', 'autostart', 'tsunagi.desktop');
    await until(() => expect(existsSync(entry)).toBe(true));
    expect(await readFile(entry, 'utf8')).toMatch(/^Exec=.* --hidden$/m);
    fakeElectron.trays[0]!.menu!.click('Kill switch');
    await until(() => expect(main.settings.get().killSwitch).toBe(false));
    await until(() => expect(seen).toEqual([true, false]));
    const file = JSON.parse(await readFile(path.join(userData, 'settings.json'), 'utf8'));
    expect(file).toMatchObject({ version: 1, killSwitch: false, launchAtLogin: true });
    await expect(tsunagi.settings.update({ killSwitch: 'yes' } as never)).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments' },
    });
  });

  it('--hidden (the login item) starts in the tray only; the tray opens the window', async () => {
    const { window } = await start({ argv: ['tsunagi', '--hidden'] });
    expect(window).toBeUndefined();
    expect(fakeElectron.windows).toHaveLength(0);
    fakeElectron.trays[0]!.menu!.click('Open Tsunagi');
    expect(fakeElectron.windows).toHaveLength(1);
  });

  it('the tray connects and disconnects through the real helper and agrees with the window', async () => {
    const { socket, fake } = await runHelper();
    await writeFile(
      path.join(userData, 'profiles.json'),
      JSON.stringify({
        version: 1,
        profiles: [
          {
            id: 'lab',
            profile: {
              version: 1,
              name: 'Lab',
              server: '192.0.2.10',
              auth: { method: 'psk', secret: { keychain: 'tsunagi/lab' } },
            },
          },
        ],
      }),
    );
    const secrets = new MemorySecretStore();
    await secrets.set('tsunagi/lab', 'lab-psk-value');
    const { main, window } = await start({ helperSocket: socket, secrets });
    const tsunagi = await loadPreloadInto(window!);
    const seen: ConnectionSnapshot[] = [];
    tsunagi.connection.listenChanged((s) => seen.push(s));
    const tray = fakeElectron.trays[0]!;
    await until(() => expect(tray.menu!.item('Connect Lab')).toMatchObject({ enabled: true }));
    tray.menu!.click('Connect Lab');
    await until(() => expect(fake.tunnels).toHaveLength(1));
    expect((fake.last.target.profile.auth as { secret: string }).secret).toBe('lab-psk-value');
    fake.last.callbacks.up(UP);
    await until(() => expect(tray.image).toMatch(/tray-connected-light\.png$/));
    expect(tray.menu!.labels()).toContain('Lab ✓');
    expect(seen.at(-1)).toMatchObject({ tunnel: { state: 'connected' }, profileId: 'lab' });
    const snapshot = await tsunagi.app.getSnapshot();
    expect(snapshot.ok && snapshot.value.connection.tunnel.state).toBe('connected');
    expect(fakeElectron.notifications.at(-1)).toMatchObject({ title: 'Connected to Lab' });

    tray.menu!.click('Disconnect');
    await until(() => expect(tray.image).toMatch(/tray-disconnected-light\.png$/));
    expect(seen.at(-1)).toMatchObject({ tunnel: { state: 'disconnected' }, profileId: null });
    expect(fakeElectron.notifications.at(-1)).toMatchObject({ title: 'Disconnected' });
    expect(main.controller.logs().some((l) => l.component === 'helper')).toBe(true);
  });

  it('the theme chosen in the app pins Electron’s nativeTheme, and the tray’s icons follow it', async () => {
    const { window } = await start();
    const tsunagi = await loadPreloadInto(window!);
    const tray = fakeElectron.trays[0]!;
    expect(fakeElectron.nativeTheme.themeSource).toBe('system');
    expect(tray.image).toMatch(/-light\.png$/);
    await tsunagi.settings.update({ theme: 'dark' });
    expect(fakeElectron.nativeTheme.themeSource).toBe('dark');
    expect(tray.image).toMatch(/-dark\.png$/);
    // pinned: the system going light or dark changes nothing
    fakeElectron.nativeTheme.setDark(false);
    expect(tray.image).toMatch(/-dark\.png$/);
    await tsunagi.settings.update({ theme: 'system' });
    expect(fakeElectron.nativeTheme.themeSource).toBe('system');
    expect(tray.image).toMatch(/-light\.png$/);
    fakeElectron.nativeTheme.setDark(true);
    expect(tray.image).toMatch(/-dark\.png$/);
  });

  it('a saved theme is pinned at start', async () => {
    await writeFile(
      path.join(userData, 'settings.json'),
      JSON.stringify({ version: 1, theme: 'light' }),
    );
    fakeElectron.nativeTheme.setDark(true);
    await start();
    expect(fakeElectron.nativeTheme.themeSource).toBe('light');
    expect(fakeElectron.trays[0]!.image).toMatch(/-light\.png$/);
  });

  it('notifications go through Electron’s Notification, once per event: a flapping tunnel and a repeated failure tell once', async () => {
    const { socket, fake } = await runHelper();
    await writeFile(
      path.join(userData, 'profiles.json'),
      JSON.stringify({
        version: 1,
        profiles: [
          {
            id: 'lab',
            profile: {
              version: 1,
              name: 'Lab',
              server: '192.0.2.10',
              auth: { method: 'psk', secret: { keychain: 'tsunagi/lab' } },
            },
          },
        ],
      }),
    );
    const secrets = new MemorySecretStore();
    await secrets.set('tsunagi/lab', 'lab-psk-value');
    const { main, window } = await start({ helperSocket: socket, secrets });
    const tsunagi = await loadPreloadInto(window!);
    const state = () => main.controller.snapshot().tunnel.state;
    const titles = () => fakeElectron.notifications.map((n) => n.title);

    // up and down three times in a row (a flapping link): told once each
    for (let i = 1; i <= 3; i++) {
      expect(await main.controller.connect('lab')).toEqual({ accepted: true });
      await until(() => expect(fake.tunnels).toHaveLength(i));
      fake.last.callbacks.up(UP);
      await until(() => expect(state()).toBe('connected'));
      await main.controller.disconnect();
      await until(() => expect(state()).toBe('disconnected'));
    }
    expect(titles()).toEqual(['Connected to Lab', 'Disconnected']);

    // the same failure twice: one critical notification with the fix
    const failure = {
      kind: 'error',
      code: 'auth-failed',
      message: 'The gateway did not accept the pre-shared key',
      fix: 'Check the pre-shared key in the profile',
    } as const;
    for (let i = 0; i < 2; i++) {
      await main.controller.connect('lab');
      await until(() => expect(fake.tunnels).toHaveLength(4 + i));
      fake.last.callbacks.closed(failure);
      await until(() => expect(state()).toBe('error'));
      await main.controller.disconnect();
      await until(() => expect(state()).toBe('disconnected'));
    }
    expect(fakeElectron.notifications.filter((n) => n.title === 'VPN connection failed')).toEqual([
      {
        title: 'VPN connection failed',
        body: 'The gateway did not accept the pre-shared key\nCheck the pre-shared key in the profile',
        urgency: 'critical',
        silent: false,
      },
    ]);
    // another failure is news; with notifications off, nothing is shown at all
    await main.controller.connect('lab');
    await until(() => expect(fake.tunnels).toHaveLength(6));
    fake.last.callbacks.closed({ ...failure, code: 'peer-unreachable', message: 'No answer' });
    await until(() =>
      expect(titles().filter((t) => t === 'VPN connection failed')).toHaveLength(2),
    );
    await main.controller.disconnect();
    await tsunagi.settings.update({ notifications: false });
    const shown = fakeElectron.notifications.length;
    await main.controller.connect('lab');
    await until(() => expect(fake.tunnels).toHaveLength(7));
    fake.last.callbacks.closed({ ...failure, message: 'Yet another failure' });
    await until(() => expect(state()).toBe('error'));
    expect(fakeElectron.notifications).toHaveLength(shown);
  });

  it('the window connects through connection.connect; a missing secret is a refusal with a fix', async () => {
    const { socket, fake } = await runHelper();
    await writeFile(
      path.join(userData, 'profiles.json'),
      JSON.stringify({
        version: 1,
        profiles: [
          {
            id: 'lab',
            profile: {
              version: 1,
              name: 'Lab',
              server: '192.0.2.10',
              auth: { method: 'psk', secret: { keychain: 'tsunagi/lab' } },
            },
          },
        ],
      }),
    );
    const { window } = await start({ helperSocket: socket });
    const tsunagi = await loadPreloadInto(window!);
    const answer = await tsunagi.connection.connect({ id: 'lab' });
    expect(answer).toMatchObject({
      ok: true,
      value: { accepted: false, fix: 'Open the profile in the editor and enter the secret again.' },
    });
    expect(fake.tunnels).toHaveLength(0);
    fakeElectron.dialog.saveAnswers.push(path.join(userData, 'exported.log'));
    await expect(tsunagi.logs.export({ text: 'line one\n' })).resolves.toEqual({
      ok: true,
      value: { exported: true, path: path.join(userData, 'exported.log') },
    });
    expect(await readFile(path.join(userData, 'exported.log'), 'utf8')).toBe('line one\n');
  });
});
