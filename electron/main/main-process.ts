// The main process's life: one instance, one window, a tray, IPC handlers, quit. Kept apart from
// index.ts so unit tests drive it with the fake `electron` module.

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { app, dialog, ipcMain, nativeTheme, Notification, session } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AppSettings } from '../shared/ipc-schema.js';
import { startAppCore, type AppCore } from './app-core.js';
import { createSenderPolicy, type AppPaths } from './app-paths.js';
import { electronFileDialogs } from './file-dialogs.js';
import type { MainIpc } from './ipc-handlers.js';
import { applyLoginItem, launchedHidden, loginItemDeps } from './login-item.js';
import { detectNetwork } from './network/detect-network.js';
import type {
  NotificationContent,
  NotificationController,
} from './notifications/notification-controller.js';
import { JsonFileProfileStore, PROFILE_FILE_NAME, type ProfileStore } from './profile-store.js';
import { KeytarSecretStore } from './secrets/keytar-secret-store.js';
import type { SecretStore } from './secrets/secret-store.js';
import { SETTINGS_FILE_NAME, SettingsStore } from './settings-store.js';
import { TrayController } from './tray/tray-controller.js';
import type { TrayAction } from './tray/tray-model.js';
import { helperSocketPath, type TunnelController } from './tunnel/tunnel-controller.js';
import { createMainWindow, hardenWebContents } from './window.js';

export { DEFAULT_SETTINGS } from '../shared/settings-schema.js';

export interface MainProcess {
  readonly ipc: MainIpc;
  readonly profileStore: ProfileStore;
  readonly settings: SettingsStore;
  readonly tray: TrayController;
  readonly notifications: NotificationController;
  readonly controller: TunnelController;
  readonly core: AppCore;
  window(): BrowserWindow | null;
}

export interface MainProcessOptions {
  /** The keychain; the keytar one by default. */
  readonly secretStore?: SecretStore;
  /** The helper's socket; TSUNAGI_HELPER_SOCKET or the system helper's by default. */
  readonly helperSocket?: string;
  /** The command line (process.argv by default): `--hidden` starts in the tray only. */
  readonly argv?: readonly string[];
}

function showWithElectron(content: NotificationContent): void {
  if (!Notification.isSupported()) return;
  new Notification({
    title: content.title,
    body: content.body,
    urgency: content.urgency,
    silent: content.urgency !== 'critical',
  }).show();
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

  app.on('second-instance', () => showWindow());
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // The tray keeps the app (and the tunnel's status) alive when the window closes;
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

  const dialogs = electronFileDialogs(dialog, () => window);

  // Launch at login follows the setting whenever it changes (login-item.ts: XDG autostart on
  // Linux, Electron's login items elsewhere; the entry starts the app with --hidden).
  let launchAtLogin = settings.get().launchAtLogin;
  const followLoginItem = (next: AppSettings) => {
    if (next.launchAtLogin === launchAtLogin) return;
    launchAtLogin = next.launchAtLogin;
    applyLaunchAtLogin(next.launchAtLogin);
  };
  const applyLaunchAtLogin = (enabled: boolean) => {
    applyLoginItem(enabled, loginItemDeps(app))
      .then((state) => {
        if (state.status === 'unsupported') core.controller.appLog('warn', state.message);
      })
      .catch((error: unknown) =>
        core.controller.appLog(
          'error',
          `cannot change launch at login: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  };

  // The app's pinned theme (Settings › Appearance) is Electron's too: native dialogs, menus and
  // the tray's icons (TrayController picks them by nativeTheme) follow it.
  nativeTheme.themeSource = settings.get().theme;

  const holder: { tray?: TrayController } = {};
  const core = await startAppCore({
    ipcMain,
    getWebContents: () => (window && !window.isDestroyed() ? window.webContents : null),
    isAllowedSender: createSenderPolicy(paths.rendererIndex),
    profileStore,
    profileDir: path.dirname(profileStore.filePath),
    secretStore: options.secretStore ?? new KeytarSecretStore(),
    dialogs,
    writeTextFile: (file, text) => writeFile(file, text, { encoding: 'utf8', mode: 0o600 }),
    settings,
    detectNetwork: () => detectNetwork(process.platform),
    appInfo: { version: app.getVersion(), platform: process.platform },
    helperSocket: options.helperSocket ?? helperSocketPath(),
    showNotification: showWithElectron,
    onSettingsChanged: (next) => {
      // before the tray renders: its icons follow nativeTheme ('updated' re-renders it too)
      nativeTheme.themeSource = next.theme;
      holder.tray?.update({ settings: next });
      followLoginItem(next);
    },
    onConnectionChanged: (connection) => holder.tray?.update({ connection }),
    onProfilesChanged: (profiles) => holder.tray?.update({ profiles }),
    onUnexpectedError: (channel, error) => console.error(`IPC ${channel} failed:`, error),
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
          .then((next) => core.settingsChanged(next))
          .catch((error: unknown) =>
            core.controller.appLog(
              'error',
              `cannot save the kill switch setting: ${error instanceof Error ? error.message : String(error)}`,
            ),
          );
        return;
      case 'connect':
        void core.controller.connect(action.profileId).then((result) => {
          if (!result.accepted)
            core.notifications.handle({
              type: 'connect-failed',
              profileId: action.profileId,
              message: result.message,
              fix: result.fix,
            });
        });
        return;
      case 'disconnect':
        void core.controller.disconnect();
        return;
    }
  };
  const tray = new TrayController(
    paths.trayIcons,
    {
      connection: core.controller.snapshot(),
      profiles: core.profiles(),
      settings: settings.get(),
    },
    onTrayAction,
  );
  holder.tray = tray;
  // the entry names the app's path: written again at each start, so a moved app still starts
  if (launchAtLogin) applyLaunchAtLogin(true);

  app.on('will-quit', () => {
    core.dispose();
    tray.dispose();
  });

  // Started at login (--hidden): the tray only; the window opens from the tray.
  if (!launchedHidden(options.argv ?? process.argv, process.platform, app)) openWindow();
  app.on('activate', () => {
    if (!window) openWindow();
  });

  return {
    ipc: core.ipc,
    profileStore,
    settings,
    tray,
    notifications: core.notifications,
    controller: core.controller,
    core,
    window: () => window,
  };
}
