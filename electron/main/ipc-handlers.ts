// Main's answers to the renderer's calls. Plain Node: no `electron` import at run time, so unit
// tests and the UI-test bridge run this very module with a fake ipcMain.

import {
  createIpcMain,
  IpcCallError,
  type IpcMainEndpoints,
  type IpcMainLike,
  type SenderFrameLike,
  type WebContentsLike,
} from '../shared/ipc-helpers.js';
import {
  ipcSchema,
  type AppSettings,
  type AppSnapshot,
  type ConnectionSnapshot,
  type ConnectResult,
  type CurrentNetwork,
  type IpcSchema,
  type LogEntry,
  type ProfileFileKind,
  type ProfileSummary,
  type SettingsPatch,
} from '../shared/ipc-schema.js';
import { describeCurrentNetwork, trustNetwork } from './network/current-network.js';
import type { NetworkInfo } from './network/network-info.js';
import { validateDraft, type ProfileEditor } from './profile-editor.js';
import { ProfileStoreError, type ProfileStore } from './profile-store.js';

/** The file dialogs (Electron's `dialog` in the app; scripted in tests). undefined = cancelled. */
export interface ProfileFileDialogs {
  chooseProfileToImport(): Promise<string | undefined>;
  chooseExportPath(suggestedName: string): Promise<string | undefined>;
  /** Where to save the exported log. */
  chooseLogExportPath(suggestedName: string): Promise<string | undefined>;
  /** A certificate, private key or CA file for the profile editor (an absolute path). */
  chooseProfileFile(kind: ProfileFileKind): Promise<string | undefined>;
}

/** The tunnel as main holds it (the TunnelController in the app). */
export interface ConnectionAccess {
  snapshot(): ConnectionSnapshot;
  logs(): readonly LogEntry[];
  connect(profileId: string): Promise<ConnectResult>;
  disconnect(): Promise<ConnectResult>;
}

export interface SettingsAccess {
  get(): AppSettings;
  update(patch: SettingsPatch): Promise<AppSettings>;
}

export interface IpcHandlerDeps {
  readonly ipcMain: IpcMainLike;
  /** The window's WebContents, when there is a window. */
  readonly getWebContents: () => WebContentsLike | null | undefined;
  readonly isAllowedSender: (frame: SenderFrameLike) => boolean;
  readonly profileStore: ProfileStore;
  readonly profileEditor: ProfileEditor;
  readonly dialogs: ProfileFileDialogs;
  readonly settings: SettingsAccess;
  readonly detectNetwork: () => Promise<NetworkInfo>;
  readonly appInfo: { readonly version: string; readonly platform: string };
  readonly connection: ConnectionAccess;
  /** Writes the exported log (node:fs in the app). */
  readonly writeTextFile: (file: string, text: string) => Promise<void>;
  /** Told after settings changed (tray, notifications, trust agent follow). */
  readonly onSettingsChanged?: (settings: AppSettings) => void;
  readonly onProfilesChanged?: (profiles: readonly ProfileSummary[]) => void;
  readonly onUnexpectedError?: (channel: string, error: unknown) => void;
}

export type MainIpc = IpcMainEndpoints<IpcSchema>;

/** Registers a handler for every call in the schema; `dispose()` removes them. */
export function registerIpcHandlers(deps: IpcHandlerDeps): MainIpc {
  const ipc = createIpcMain(ipcSchema, deps.ipcMain, deps.getWebContents, {
    isAllowedSender: deps.isAllowedSender,
    ...(deps.onUnexpectedError ? { onUnexpectedError: deps.onUnexpectedError } : {}),
  });

  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toIpcError(error);
    }
  };
  const listProfiles = () => guard(() => deps.profileStore.list());
  const profilesChanged = async () => {
    const profiles = await listProfiles();
    ipc.notify.profiles.changed(profiles);
    deps.onProfilesChanged?.(profiles);
  };
  const settingsChanged = (settings: AppSettings) => {
    ipc.notify.settings.changed(settings);
    deps.onSettingsChanged?.(settings);
    return settings;
  };
  const updateSettings = async (patch: SettingsPatch) => {
    try {
      return settingsChanged(await deps.settings.update(patch));
    } catch (error) {
      if (error instanceof Error && error.name === 'SettingsError') {
        throw new IpcCallError('settings-invalid', error.message);
      }
      throw error;
    }
  };
  const currentNetwork = async (): Promise<CurrentNetwork> => {
    try {
      return describeCurrentNetwork(
        await deps.detectNetwork(),
        deps.settings.get().trustedNetworks,
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'NetworkDetectionError') {
        return { detected: false, reason: error.message };
      }
      throw error;
    }
  };

  ipc.handle.app.getSnapshot(async (): Promise<AppSnapshot> => ({
    version: deps.appInfo.version,
    platform: deps.appInfo.platform,
    connection: deps.connection.snapshot(),
    logs: deps.connection.logs(),
    profiles: await listProfiles(),
    settings: deps.settings.get(),
  }));

  ipc.handle.connection.connect(({ id }) => deps.connection.connect(id));
  ipc.handle.connection.disconnect(() => deps.connection.disconnect());
  ipc.handle.logs.export(async ({ text }) => {
    const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
    const file = await deps.dialogs.chooseLogExportPath(`tsunagi-log-${stamp}.txt`);
    if (file === undefined) return { exported: false };
    await deps.writeTextFile(file, text);
    return { exported: true, path: file };
  });

  ipc.handle.profiles.list(listProfiles);
  ipc.handle.profiles.get(({ id }) => guard(() => deps.profileEditor.get(id)));
  ipc.handle.profiles.validate((draft) => validateDraft(draft));
  ipc.handle.profiles.save(async (draft) => {
    const result = await guard(() => deps.profileEditor.save(draft));
    if (result.saved) await profilesChanged();
    return result;
  });
  ipc.handle.profiles.delete(async ({ id }) => {
    await guard(() => deps.profileEditor.delete(id));
    await profilesChanged();
  });
  ipc.handle.profiles.duplicate(async ({ id }) => {
    const copy = await guard(() => deps.profileEditor.duplicate(id));
    await profilesChanged();
    return copy;
  });
  ipc.handle.profiles.import(async () => {
    const file = await deps.dialogs.chooseProfileToImport();
    if (file === undefined) return { imported: false };
    const profile = await guard(() => deps.profileEditor.importFile(file));
    await profilesChanged();
    return { imported: true, profile };
  });
  ipc.handle.profiles.export(async ({ id }) => {
    await guard(() => deps.profileEditor.get(id));
    const file = await deps.dialogs.chooseExportPath(`${id}.tsunagi.json`);
    if (file === undefined) return { exported: false };
    await guard(() => deps.profileEditor.exportFile(id, file));
    return { exported: true, path: file };
  });

  ipc.handle.profiles.chooseFile(async ({ kind }) => {
    const file = await deps.dialogs.chooseProfileFile(kind);
    return file === undefined ? { chosen: false } : { chosen: true, path: file };
  });

  ipc.handle.settings.update(updateSettings);
  ipc.handle.network.current(currentNetwork);
  ipc.handle.network.trustCurrent(async ({ pinBssid }) => {
    const current = await currentNetwork();
    if (!current.detected) throw new IpcCallError('not-supported', current.reason);
    if (!current.trustable) {
      throw new IpcCallError(
        'not-supported',
        current.untrustableReason ?? 'This network cannot be trusted',
      );
    }
    const trusted = deps.settings.get().trustedNetworks;
    return updateSettings({ trustedNetworks: trustNetwork(trusted, current, { pinBssid }) });
  });

  const missing = ipc.unhandled();
  if (missing.length > 0) throw new Error(`IPC calls without a handler: ${missing.join(', ')}`);
  return ipc;
}

function toIpcError(error: unknown): unknown {
  if (!(error instanceof ProfileStoreError)) return error;
  switch (error.code) {
    case 'corrupt':
      return new IpcCallError('profile-store-corrupt', error.message);
    case 'unreadable':
      return new IpcCallError('profile-store-unreadable', error.message);
  }
}
