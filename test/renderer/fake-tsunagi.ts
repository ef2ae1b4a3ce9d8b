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

export const EMPTY_SNAPSHOT: AppSnapshot = {
  version: '0.1.0',
  platform: 'linux',
  connection: { state: 'disconnected' },
  profiles: [],
  settings: { theme: 'system' },
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
      listenChanged: profiles.listen,
    },
    settings: { listenChanged: settings.listen },
  };

  return {
    api,
    events: { connection, profiles, settings },
    /** The next getSnapshot calls answer these, in order, before falling back to `snapshot`. */
    queueSnapshotAnswers: (...queued: IpcResult<AppSnapshot>[]) => answers.push(...queued),
    snapshotCalls: () => snapshotCalls,
    listenerCount: () =>
      connection.listeners.size + profiles.listeners.size + settings.listeners.size,
  };
}
