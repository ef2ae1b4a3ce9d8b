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
  type IpcSchema,
  type ProfileSummary,
  type TunnelState,
} from '../shared/ipc-schema.js';
import { ProfileStoreError, type ProfileStore } from './profile-store.js';

export interface IpcHandlerDeps {
  readonly ipcMain: IpcMainLike;
  /** The window's WebContents, when there is a window. */
  readonly getWebContents: () => WebContentsLike | null | undefined;
  readonly isAllowedSender: (frame: SenderFrameLike) => boolean;
  readonly profileStore: ProfileStore;
  readonly appInfo: { readonly version: string; readonly platform: string };
  readonly getConnection: () => TunnelState;
  readonly getSettings: () => AppSettings;
  readonly onUnexpectedError?: (channel: string, error: unknown) => void;
}

export type MainIpc = IpcMainEndpoints<IpcSchema>;

/** Registers a handler for every call in the schema; `dispose()` removes them. */
export function registerIpcHandlers(deps: IpcHandlerDeps): MainIpc {
  const ipc = createIpcMain(ipcSchema, deps.ipcMain, deps.getWebContents, {
    isAllowedSender: deps.isAllowedSender,
    ...(deps.onUnexpectedError ? { onUnexpectedError: deps.onUnexpectedError } : {}),
  });

  const listProfiles = async (): Promise<ProfileSummary[]> => {
    try {
      return await deps.profileStore.list();
    } catch (error) {
      throw toIpcError(error);
    }
  };

  ipc.handle.app.getSnapshot(async (): Promise<AppSnapshot> => ({
    version: deps.appInfo.version,
    platform: deps.appInfo.platform,
    connection: deps.getConnection(),
    profiles: await listProfiles(),
    settings: deps.getSettings(),
  }));
  ipc.handle.profiles.list(listProfiles);

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
