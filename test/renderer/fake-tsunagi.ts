// A fake `window.tsunagi` for component tests: typed as the preload's API, so a schema change that
// the fake does not follow fails to compile. Snapshot answers are programmable, events are emitted
// by the test.

import type { IpcResult } from '../../electron/shared/ipc-helpers';
import type {
  AppSettings,
  AppSnapshot,
  ProfileSummary,
  TsunagiApi,
  TunnelState,
} from '../../electron/shared/ipc-schema';
import type {
  CurrentNetwork,
  ProfileDetails,
  ProfileDraft,
  ProfileFieldIssue,
  ProfileSaveResult,
  SettingsPatch,
} from '../../electron/shared/ipc-schema';
import { DEFAULT_SETTINGS } from '../../electron/shared/settings-schema';

export const EMPTY_SNAPSHOT: AppSnapshot = {
  version: '0.1.0',
  platform: 'linux',
  connection: { state: 'disconnected' },
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
  const connection = new Channel<TunnelState>();
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
    network: { detected: false, reason: 'not detected in tests' } as CurrentNetwork,
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
    connection: { listenChanged: connection.listen },
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
        return ok(programmed.validate);
      },
      save: async (draft: ProfileDraft) => {
        record('profiles.save', draft);
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
      trustCurrent: async () => {
        record('network.trustCurrent');
        return ok(currentSettings);
      },
    },
  };

  return {
    api,
    events: { connection, profiles, settings },
    /** The next getSnapshot calls answer these, in order, before falling back to `snapshot`. */
    queueSnapshotAnswers: (...queued: IpcResult<AppSnapshot>[]) => answers.push(...queued),
    snapshotCalls: () => snapshotCalls,
    calls,
    details,
    programmed,
    listenerCount: () =>
      connection.listeners.size + profiles.listeners.size + settings.listeners.size,
  };
}
