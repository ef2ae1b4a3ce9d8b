// Keeps the store in step with main: listen first, then ask for the snapshot. Main answers the
// snapshot after any event it sent before, so an event that arrives before the snapshot is older
// than it and is overwritten by it; every later event is a delta on top.

import type { TsunagiApi } from '../../electron/shared/ipc-schema';
import type { AppStore } from './app-store';

export interface StoreSync {
  /** Asks main for a fresh snapshot (start-up, and "Try again" after a failure). */
  reload(): Promise<void>;
  /** Unsubscribes every listener; a snapshot still in flight is then ignored. */
  dispose(): void;
}

export function syncStoreWithMain(api: TsunagiApi, store: AppStore): StoreSync {
  let disposed = false;
  const state = () => store.getState();
  const unsubscribers = [
    api.connection.listenChanged((connection) => state().setConnection(connection)),
    api.connection.listenStats((stats) => state().addStats(stats)),
    api.logs.listenEntry((entry) => state().addLogs([entry])),
    api.profiles.listenChanged((profiles) => state().setProfiles(profiles)),
    api.settings.listenChanged((settings) => state().setSettings(settings)),
  ];

  const reload = async (): Promise<void> => {
    state().setBootLoading();
    const answer = await api.app.getSnapshot();
    if (disposed) return;
    if (answer.ok) state().applySnapshot(answer.value);
    else state().setBootFailed(answer.error);
  };

  return {
    reload,
    dispose: () => {
      disposed = true;
      for (const unsubscribe of unsubscribers) unsubscribe();
    },
  };
}
