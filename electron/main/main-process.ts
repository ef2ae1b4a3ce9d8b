// The main process's life: one instance, one window, a tray, IPC handlers, quit. Kept apart from
// index.ts so unit tests drive it with the fake `electron` module.

import path from 'node:path';
import { app, dialog, ipcMain, session } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AppSettings, ProfileSummary, TunnelState } from '../shared/ipc-schema.js';
import { createSenderPolicy, type AppPaths } from './app-paths.js';
import { registerIpcHandlers, type MainIpc, type ProfileFileDialogs } from './ipc-handlers.js';
import { detectNetwork } from './network/detect-network.js';
import { NotificationController } from './notifications/notification-controller.js';
import { ProfileEditor } from './profile-editor.js';
import { JsonFileProfileStore, PROFILE_FILE_NAME, type ProfileStore } from './profile-store.js';
import { KeytarSecretStore } from './secrets/keytar-secret-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { SETTINGS_FILE_NAME, SettingsStore } from './settings-store.js';
import { TrayController } from './tray/tray-controller.js';
import type { TrayAction } from './tray/tray-model.js';
import { createMainWindow, hardenWebContents } from './window.js';

export { DEFAULT_SETTINGS } from '../shared/settings-schema.js';

/** Until the helper daemon is wired in, the app cannot start or stop a tunnel. */
const TUNNEL_CONTROL_UNAVAILABLE = 'Connecting needs the Tsunagi service, not wired in yet';

export interface MainProcess {
  readonly ipc: MainIpc;
  readonly profileStore: ProfileStore;
  readonly settings: SettingsStore;
  readonly tray: TrayController;
  readonly notifications: NotificationController;
  window(): BrowserWindow | null;
}

export interface MainProcessOptions {
  /** The keychain; the keytar one by default. */
  readonly secretStore?: SecretStore;
}

/** Resolves to undefined when another instance already runs (this one then quits). */
export async function startMainProcess(
  paths: AppPaths,
  options: MainProcessOptions = {},
): Promise<MainProcess | undefined> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }

  let window: BrowserWindow | null = null;
  const openWindow = (): BrowserWindow => {
    const created = createMainWindow(paths);
    created.on('closed', () => {
      window = null;
    });
    window = created;
    return created;
  };
  const showWindow = () => {
    if (!window) {
      openWindow();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  app.on('second-instance', () => {
    if (window) showWindow();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // The tray keeps the app (and, later, the tunnel's status) alive when the window closes;
  // "Quit" in the tray menu ends it.
  app.on('window-all-closed', () => {});

  await app.whenReady();

  // The page needs no camera, notifications, geolocation, …: refuse every permission.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);

  const userData = app.getPath('userData');
  const profileStore = new JsonFileProfileStore(path.join(userData, PROFILE_FILE_NAME));
  const settings = new SettingsStore(path.join(userData, SETTINGS_FILE_NAME));
  await settings.load();
  const profileEditor = new ProfileEditor(
    profileStore,
    options.secretStore ?? new KeytarSecretStore(),
  );
  // No helper connection yet: the tunnel is down until the helper protocol says otherwise.
  const connection: TunnelState = { state: 'disconnected' };
  let profiles: readonly ProfileSummary[] = await profileStore.list().catch(() => []);

  const notifications = new NotificationController({
    enabled: () => settings.get().notifications,
    profiles: () => profiles,
  });

  const onTrayAction = (action: TrayAction): void => {
    switch (action.type) {
      case 'open-window':
        showWindow();
        return;
      case 'quit':
        app.quit();
        return;
      case 'set-kill-switch':
        settings
          .update({ killSwitch: action.enabled })
          .then((next) => onSettingsChanged(next, true))
          .catch((error: unknown) => console.error('Cannot save the kill switch setting:', error));
        return;
      case 'connect':
      case 'disconnect':
        // Disabled in the menu until the daemon is wired in (TUNNEL_CONTROL_UNAVAILABLE).
        return;
    }
  };
  const tray = new TrayController(
    paths.trayIcons,
    {
      state: connection,
      profiles,
      settings: settings.get(),
      capabilities: { tunnelControl: false, tunnelControlUnavailable: TUNNEL_CONTROL_UNAVAILABLE },
    },
    onTrayAction,
  );
  const onSettingsChanged = (next: AppSettings, notifyWindow = false) => {
    tray.update({ settings: next });
    app.setLoginItemSettings({ openAtLogin: next.launchAtLogin });
    if (notifyWindow) ipc.notify.settings.changed(next);
  };

  const dialogs: ProfileFileDialogs = {
    chooseProfileToImport: async () => {
      const options = {
        title: 'Import a Tsunagi profile',
        properties: ['openFile' as const],
        filters: [{ name: 'Tsunagi profile', extensions: ['json'] }],
      };
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options);
      return result.canceled ? undefined : result.filePaths[0];
    },
    chooseExportPath: async (suggestedName) => {
      const options = {
        title: 'Export the profile (without secrets)',
        defaultPath: suggestedName,
        filters: [{ name: 'Tsunagi profile', extensions: ['json'] }],
      };
      const result = window
        ? await dialog.showSaveDialog(window, options)
        : await dialog.showSaveDialog(options);
      return result.canceled ? undefined : result.filePath;
    },
  };

  const ipc = registerIpcHandlers({
    ipcMain,
    getWebContents: () => (window && !window.isDestroyed() ? window.webContents : null),
    isAllowedSender: createSenderPolicy(paths.rendererIndex),
    profileStore,
    profileEditor,
    dialogs,
    settings,
    detectNetwork: () => detectNetwork(process.platform),
    appInfo: { version: app.getVersion(), platform: process.platform },
    getConnection: () => connection,
    onSettingsChanged: (next) => onSettingsChanged(next),
    onProfilesChanged: (next) => {
      profiles = next;
      tray.update({ profiles: next });
    },
    onUnexpectedError: (channel, error) => console.error(`IPC ${channel} failed:`, error),
  });
  app.on('will-quit', () => {
    ipc.dispose();
    tray.dispose();
  });

  openWindow();
  app.on('activate', () => {
    if (!window) openWindow();
  });

  return {
    ipc,
    profileStore,
    settings,
    tray,
    notifications,
    window: () => window,
  };
}
