// The renderer's state: a snapshot from main at start, then deltas from events (ARCHITECTURE.md,
// "Renderer"). One slice per domain; main's values are stored as received, never reinterpreted.

import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import type {
  AppSettings,
  AppSnapshot,
  ProfileSummary,
  TunnelState,
} from '../../electron/shared/ipc-schema';
import type { IpcError } from '../../electron/shared/ipc-helpers';

export type ViewId = 'connection' | 'profiles' | 'settings';

export type BootStatus =
  | { readonly status: 'loading' }
  | { readonly status: 'ready' }
  | { readonly status: 'failed'; readonly error: IpcError };

export interface ConnectionSlice {
  /** null until the snapshot arrives. */
  connection: TunnelState | null;
  setConnection(connection: TunnelState): void;
}

export interface ProfilesSlice {
  profiles: readonly ProfileSummary[];
  setProfiles(profiles: readonly ProfileSummary[]): void;
}

export interface SettingsSlice {
  settings: AppSettings | null;
  setSettings(settings: AppSettings): void;
}

export interface UiSlice {
  boot: BootStatus;
  view: ViewId;
  appInfo: { readonly version: string; readonly platform: string } | null;
  setView(view: ViewId): void;
  setBootLoading(): void;
  setBootFailed(error: IpcError): void;
}

export interface SnapshotActions {
  /** Replaces every slice with main's snapshot; the first one also picks the opening view. */
  applySnapshot(snapshot: AppSnapshot): void;
}

export type AppState = ConnectionSlice & ProfilesSlice & SettingsSlice & UiSlice & SnapshotActions;
export type AppStore = StoreApi<AppState>;

type Slice<T> = StateCreator<AppState, [], [], T>;

const createConnectionSlice: Slice<ConnectionSlice> = (set) => ({
  connection: null,
  setConnection: (connection) => set({ connection }),
});

const createProfilesSlice: Slice<ProfilesSlice> = (set) => ({
  profiles: [],
  setProfiles: (profiles) => set({ profiles }),
});

const createSettingsSlice: Slice<SettingsSlice> = (set) => ({
  settings: null,
  setSettings: (settings) => set({ settings }),
});

const createUiSlice: Slice<UiSlice> = (set) => ({
  boot: { status: 'loading' },
  view: 'connection',
  appInfo: null,
  setView: (view) => set({ view }),
  setBootLoading: () => set({ boot: { status: 'loading' } }),
  setBootFailed: (error) => set({ boot: { status: 'failed', error } }),
});

const createSnapshotActions: Slice<SnapshotActions> = (set, get) => ({
  applySnapshot: (snapshot) => {
    const first = get().appInfo === null;
    set({
      connection: snapshot.connection,
      profiles: snapshot.profiles,
      settings: snapshot.settings,
      appInfo: { version: snapshot.version, platform: snapshot.platform },
      boot: { status: 'ready' },
      // With nothing to connect to, the first useful place is the profile list.
      ...(first ? { view: snapshot.profiles.length === 0 ? 'profiles' : 'connection' } : {}),
    });
  },
});

export function createAppStore(): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createConnectionSlice(...a),
    ...createProfilesSlice(...a),
    ...createSettingsSlice(...a),
    ...createUiSlice(...a),
    ...createSnapshotActions(...a),
  }));
}
