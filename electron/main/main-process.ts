// The main process's life: one instance, one window, IPC handlers, quit. Kept apart from index.ts
// so unit tests drive it with the fake `electron` module.

import path from 'node:path';
import { app, ipcMain, session } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AppSettings, TunnelState } from '../shared/ipc-schema.js';
import { createSenderPolicy, type AppPaths } from './app-paths.js';
import { registerIpcHandlers, type MainIpc } from './ipc-handlers.js';
import { JsonFileProfileStore, PROFILE_FILE_NAME, type ProfileStore } from './profile-store.js';
import { createMainWindow, hardenWebContents } from './window.js';

export const DEFAULT_SETTINGS: AppSettings = { theme: 'system' };

export interface MainProcess {
  readonly ipc: MainIpc;
  readonly profileStore: ProfileStore;
  window(): BrowserWindow | null;
}

/** Resolves to undefined when another instance already runs (this one then quits). */
export async function startMainProcess(paths: AppPaths): Promise<MainProcess | undefined> {
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

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  // No tray yet: closing the window ends the app, except on macOS where the dock keeps it.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  await app.whenReady();

  // The page needs no camera, notifications, geolocation, …: refuse every permission.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.setPermissionCheckHandler(() => false);

  const profileStore = new JsonFileProfileStore(
    path.join(app.getPath('userData'), PROFILE_FILE_NAME),
  );
  // No helper connection yet: the tunnel is down until the helper protocol says otherwise.
  const connection: TunnelState = { state: 'disconnected' };
  const ipc = registerIpcHandlers({
    ipcMain,
    getWebContents: () => (window && !window.isDestroyed() ? window.webContents : null),
    isAllowedSender: createSenderPolicy(paths.rendererIndex),
    profileStore,
    appInfo: { version: app.getVersion(), platform: process.platform },
    getConnection: () => connection,
    getSettings: () => DEFAULT_SETTINGS,
    onUnexpectedError: (channel, error) => console.error(`IPC ${channel} failed:`, error),
  });
  app.on('will-quit', () => ipc.dispose());

  openWindow();
  app.on('activate', () => {
    if (!window) openWindow();
  });

  return { ipc, profileStore, window: () => window };
}
