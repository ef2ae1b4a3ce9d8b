// Drives the main process end to end through the fake `electron`: window, preload, IPC.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import { resolveAppPaths } from '../../../../electron/main/app-paths.js';
import { DEFAULT_SETTINGS, startMainProcess } from '../../../../electron/main/main-process.js';
import { MemorySecretStore } from '../../../../electron/main/secrets/secret-store.js';
import type { TsunagiApi } from '../../../../electron/shared/ipc-schema.js';

const paths = resolveAppPaths('/opt/tsunagi/dist/electron');
let userData: string;

beforeEach(async () => {
  fakeElectron.reset();
  userData = await mkdtemp(path.join(tmpdir(), 'tsunagi-user-data-'));
  fakeElectron.app.userDataDir = userData;
  fakeElectron.app.version = '1.2.3';
});

afterEach(async () => {
  await rm(userData, { recursive: true, force: true });
});

/** Loads the real preload into the fake page and returns what it exposed as window.tsunagi. */
async function loadPreloadInto(window: (typeof fakeElectron.windows)[number]): Promise<TsunagiApi> {
  fakeElectron.ipcRenderer.attach(window.webContents);
  vi.resetModules();
  await import('../../../../electron/preload/index.js');
  return fakeElectron.contextBridge.mainWorld['tsunagi'] as TsunagiApi;
}

async function start() {
  const main = await startMainProcess(paths, { secretStore: new MemorySecretStore() });
  expect(main).toBeDefined();
  const window = fakeElectron.windows[0]!;
  await vi.waitFor(() => expect(window.loadedFile).toBe(paths.rendererIndex));
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
        connection: { state: 'disconnected' },
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
    main.ipc.notify.connection.changed({ state: 'connecting', profileId: 'lab' });
    unsubscribe();
    main.ipc.notify.connection.changed({ state: 'disconnected' });
    expect(states).toEqual([{ state: 'connecting', profileId: 'lab' }]);
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
    expect(tray.image).toBe(path.join(paths.trayIcons, 'tray-disconnected-light.png'));
    // Connecting is disabled until the daemon is wired in, and says so.
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
    expect(fakeElectron.app.loginItemSettings.at(-1)).toEqual({ openAtLogin: true });
    fakeElectron.trays[0]!.menu!.click('Kill switch');
    await vi.waitFor(() => expect(main.settings.get().killSwitch).toBe(false));
    await vi.waitFor(() => expect(seen).toEqual([true, false]));
    const file = JSON.parse(await readFile(path.join(userData, 'settings.json'), 'utf8'));
    expect(file).toMatchObject({ version: 1, killSwitch: false, launchAtLogin: true });
    await expect(tsunagi.settings.update({ killSwitch: 'yes' } as never)).resolves.toMatchObject({
      ok: false,
      error: { code: 'invalid-arguments' },
    });
  });
});
