// A fake `window.tsunagi` for component tests: typed as the preload's API, so a schema change that
// the fake does not follow fails to compile. Snapshot answers are programmable, events are emitted
// by the test.

import type { IpcResult } from '../../electron/shared/ipc-helpers';
import type {
  AppSettings,
  AppSnapshot,
  ConnectionSnapshot,
  ConnectResult,
  LogEntry,
  ProfileSummary,
  Stats,
  TsunagiApi,
} from '../../electron/shared/ipc-schema';
import type {
  CurrentNetwork,
  LogExportResult,
  ProfileDetails,
  ProfileDraft,
  ProfileFieldIssue,
  ProfileSaveResult,
  SettingsPatch,
} from '../../electron/shared/ipc-schema';
import { DEFAULT_SETTINGS } from '../../electron/shared/settings-schema';

export const ZERO_STATS: Stats = {
  at: 0,
  bytesIn: 0,
  bytesOut: 0,
  packetsIn: 0,
  packetsOut: 0,
  drops: 0,
  rateIn: 0,
  rateOut: 0,
  ike: '',
  esp: '',
};

/** A fresh helper, reachable, with no tunnel. */
export const IDLE_CONNECTION: ConnectionSnapshot = {
  helper: { status: 'ready', helperVersion: '0.1.0' },
  tunnel: { state: 'disconnected', reason: 'not-started', blocking: false },
  profileId: null,
  stats: ZERO_STATS,
  timeline: [],
};

export const EMPTY_SNAPSHOT: AppSnapshot = {
  version: '0.1.0',
  platform: 'linux',
  connection: IDLE_CONNECTION,
  logs: [],
  profiles: [],
  settings: DEFAULT_SETTINGS,
};

class Channel<T> {
  readonly listeners = new Set<(value: T) => void>();
  listen = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
  emit(value: T) {
    for (const listener of this.listeners) listener(value);
  }
}

export function createFakeTsunagi(snapshot: AppSnapshot = EMPTY_SNAPSHOT) {
  const connection = new Channel<ConnectionSnapshot>();
  const stats = new Channel<Stats>();
  const logs = new Channel<LogEntry>();
  const profiles = new Channel<readonly ProfileSummary[]>();
  const settings = new Channel<AppSettings>();
  const answers: IpcResult<AppSnapshot>[] = [];
  let snapshotCalls = 0;
  /** Every call other than getSnapshot, in order, with its arguments. */
  const calls: { name: string; args?: unknown }[] = [];
  const details = new Map<string, ProfileDetails>();
  const programmed = {
    validate: [] as ProfileFieldIssue[],
    save: undefined as ProfileSaveResult | undefined,
    /**
     * When set, validate and save answer what this finds in the draft (a test passes main's own
     * validateDraft here), instead of `validate` and `save`.
     */
    validateWith: undefined as ((draft: ProfileDraft) => ProfileFieldIssue[]) | undefined,
    network: { detected: false, reason: 'not detected in tests' } as CurrentNetwork,
    connect: { accepted: true } as ConnectResult,
    disconnect: { accepted: true } as ConnectResult,
    logExport: { exported: true, path: '/tmp/tsunagi.log' } as LogExportResult,
    /** What the next "Choose…" file dialogs answer (cancelled when empty). */
    files: [] as string[],
  };
  let currentSettings: AppSettings = snapshot.settings;
  const ok = <T>(value: T): IpcResult<T> => ({ ok: true, value });
  const record = (name: string, args?: unknown) =>
    calls.push({ name, ...(args === undefined ? {} : { args }) });

  const api: TsunagiApi = {
    app: {
      getSnapshot: async () => {
        snapshotCalls += 1;
        return answers.shift() ?? { ok: true, value: snapshot };
      },
    },
    connection: {
      connect: async (args) => {
        record('connection.connect', args);
        return ok(programmed.connect);
      },
      disconnect: async () => {
        record('connection.disconnect');
        return ok(programmed.disconnect);
      },
      listenChanged: connection.listen,
      listenStats: stats.listen,
    },
    logs: {
      export: async (args) => {
        record('logs.export', args);
        return ok(programmed.logExport);
      },
      listenEntry: logs.listen,
    },
    profiles: {
      list: async () => ({ ok: true, value: snapshot.profiles }),
      get: async ({ id }) => {
        record('profiles.get', { id });
        const found = details.get(id);
        return found
          ? ok(found)
          : {
              ok: false,
              error: { code: 'profile-not-found', message: `There is no profile "${id}"` },
            };
      },
      validate: async (draft: ProfileDraft) => {
        record('profiles.validate', draft);
        return ok(programmed.validateWith ? programmed.validateWith(draft) : programmed.validate);
      },
      save: async (draft: ProfileDraft) => {
        record('profiles.save', draft);
        const issues = programmed.validateWith?.(draft) ?? [];
        if (issues.length > 0) return ok({ saved: false, issues });
        return ok(
          programmed.save ?? {
            saved: true,
            profile: {
              id: draft.id ?? 'new',
              name: draft.profile.name,
              server: draft.profile.server,
              authMethod: draft.profile.auth.method,
            },
          },
        );
      },
      delete: async ({ id }) => {
        record('profiles.delete', { id });
        return ok(undefined);
      },
      duplicate: async ({ id }) => {
        record('profiles.duplicate', { id });
        return ok({ id: `${id}-copy`, name: 'copy', server: 'x', authMethod: 'psk' });
      },
      import: async () => {
        record('profiles.import');
        return ok({ imported: false });
      },
      export: async ({ id }) => {
        record('profiles.export', { id });
        return ok({ exported: true, path: `/tmp/${id}.tsunagi.json` });
      },
      chooseFile: async ({ kind }) => {
        record('profiles.chooseFile', { kind });
        const path = programmed.files.shift();
        return ok(path === undefined ? { chosen: false } : { chosen: true, path });
      },
      listenChanged: profiles.listen,
    },
    settings: {
      update: async (patch: SettingsPatch) => {
        record('settings.update', patch);
        currentSettings = { ...currentSettings, ...patch };
        return ok(currentSettings);
      },
      listenChanged: settings.listen,
    },
    network: {
      current: async () => {
        record('network.current');
        return ok(programmed.network);
      },
      trustCurrent: async (args) => {
        record('network.trustCurrent', args);
        return ok(currentSettings);
      },
    },
  };

  return {
    api,
    events: { connection, stats, logs, profiles, settings },
    /** The next getSnapshot calls answer these, in order, before falling back to `snapshot`. */
    queueSnapshotAnswers: (...queued: IpcResult<AppSnapshot>[]) => answers.push(...queued),
    snapshotCalls: () => snapshotCalls,
    calls,
    details,
    programmed,
    listenerCount: () =>
      [connection, stats, logs, profiles, settings].reduce((n, c) => n + c.listeners.size, 0),
  };
}
