// The renderer's state: a snapshot from main at start, then deltas from events (ARCHITECTURE.md,
// "Renderer"). One slice per domain; main's values are stored as received, never reinterpreted.

import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';
import type {
  AppSettings,
  AppSnapshot,
  ConnectionSnapshot,
  LogEntry,
  ProfileSummary,
  Stats,
  TunnelState,
} from '../../electron/shared/ipc-schema';
import type { IpcError } from '../../electron/shared/ipc-helpers';
import {
  appendCapped,
  DEFAULT_LOG_FILTER,
  LOG_LIMIT,
  type LogFilter,
  type LogLine,
} from '../lib/log-view';
import { GRAPH_SAMPLES, type RateSample } from '../lib/throughput-graph';

export type ViewId = 'connection' | 'profiles' | 'logs' | 'settings';

export type BootStatus =
  | { readonly status: 'loading' }
  | { readonly status: 'ready' }
  | { readonly status: 'failed'; readonly error: IpcError };

export interface ConnectionSlice {
  /** null until the snapshot arrives. */
  connection: ConnectionSnapshot | null;
  /** The rates of the current connection's last stats events, oldest first (the graph). */
  rateHistory: readonly RateSample[];
  setConnection(connection: ConnectionSnapshot): void;
  addStats(stats: Stats): void;
}

export interface LogsSlice {
  /** The newest LOG_LIMIT lines, oldest first. */
  logs: readonly LogLine[];
  logFilter: LogFilter;
  /** The next line's seq. */
  nextLogSeq: number;
  addLogs(entries: readonly LogEntry[]): void;
  setLogFilter(patch: Partial<LogFilter>): void;
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
  /** The profile the connect picker shows; null until the user picks one. */
  chosenProfileId: string | null;
  setView(view: ViewId): void;
  chooseProfile(id: string): void;
  setBootLoading(): void;
  setBootFailed(error: IpcError): void;
}

export interface SnapshotActions {
  /** Replaces every slice with main's snapshot; the first one also picks the opening view. */
  applySnapshot(snapshot: AppSnapshot): void;
}

export type AppState = ConnectionSlice &
  LogsSlice &
  ProfilesSlice &
  SettingsSlice &
  UiSlice &
  SnapshotActions;
export type AppStore = StoreApi<AppState>;

type Slice<T> = StateCreator<AppState, [], [], T>;

/**
 * Whether `next` starts a new connection (so the graph starts empty): leaving an idle state
 * (disconnected, error) for an active one. Reconnecting keeps the graph: it is the same session.
 */
export function startsNewConnection(previous: TunnelState | undefined, next: TunnelState): boolean {
  const idle = (s: TunnelState | undefined) =>
    s === undefined || s.state === 'disconnected' || s.state === 'error';
  return idle(previous) && !idle(next);
}

const sample = (stats: Stats): RateSample => ({
  at: stats.at,
  rateIn: stats.rateIn,
  rateOut: stats.rateOut,
});

const createConnectionSlice: Slice<ConnectionSlice> = (set) => ({
  connection: null,
  rateHistory: [],
  setConnection: (connection) =>
    set((s) => {
      const history = startsNewConnection(s.connection?.tunnel, connection.tunnel)
        ? []
        : s.rateHistory;
      // A snapshot of a connected tunnel carries its newest stats: a sample like any other.
      const last = history.at(-1);
      const fresh =
        connection.tunnel.state === 'connected' &&
        connection.stats.at > 0 &&
        (!last || connection.stats.at > last.at);
      return {
        connection,
        rateHistory: fresh
          ? appendCapped(history, [sample(connection.stats)], GRAPH_SAMPLES)
          : history,
      };
    }),
  addStats: (stats) =>
    set((s) => {
      const last = s.rateHistory.at(-1);
      // Stats are sampled in order; one from before the newest (a replay) changes nothing.
      const history =
        last && stats.at <= last.at
          ? s.rateHistory
          : appendCapped(s.rateHistory, [sample(stats)], GRAPH_SAMPLES);
      return {
        rateHistory: history,
        connection: s.connection ? { ...s.connection, stats } : s.connection,
      };
    }),
});

const createLogsSlice: Slice<LogsSlice> = (set) => ({
  logs: [],
  logFilter: DEFAULT_LOG_FILTER,
  nextLogSeq: 0,
  addLogs: (entries) =>
    set((s) => ({
      logs: appendCapped(
        s.logs,
        entries.map((entry, i) => ({ ...entry, seq: s.nextLogSeq + i })),
        LOG_LIMIT,
      ),
      nextLogSeq: s.nextLogSeq + entries.length,
    })),
  setLogFilter: (patch) => set((s) => ({ logFilter: { ...s.logFilter, ...patch } })),
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
  chosenProfileId: null,
  setView: (view) => set({ view }),
  chooseProfile: (id) => set({ chosenProfileId: id }),
  setBootLoading: () => set({ boot: { status: 'loading' } }),
  setBootFailed: (error) => set({ boot: { status: 'failed', error } }),
});

const createSnapshotActions: Slice<SnapshotActions> = (set, get) => ({
  applySnapshot: (snapshot) => {
    const first = get().appInfo === null;
    const seq = get().nextLogSeq;
    const logs = appendCapped<LogLine>(
      [],
      snapshot.logs.map((entry, i) => ({ ...entry, seq: seq + i })),
      LOG_LIMIT,
    );
    const previous = get().connection;
    set({
      connection: snapshot.connection,
      // The snapshot's stats are the newest sample; a later snapshot of the same connection
      // (Try again) keeps the graph.
      rateHistory:
        previous && !startsNewConnection(previous.tunnel, snapshot.connection.tunnel)
          ? get().rateHistory
          : snapshot.connection.tunnel.state === 'connected'
            ? [sample(snapshot.connection.stats)]
            : [],
      logs,
      nextLogSeq: seq + snapshot.logs.length,
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
    ...createLogsSlice(...a),
    ...createProfilesSlice(...a),
    ...createSettingsSlice(...a),
    ...createUiSlice(...a),
    ...createSnapshotActions(...a),
  }));
}
