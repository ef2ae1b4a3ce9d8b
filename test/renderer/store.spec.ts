import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../electron/shared/settings-schema';
import { createAppStore } from '../../renderer/store/app-store';
import { syncStoreWithMain } from '../../renderer/store/sync';
import { createFakeTsunagi, EMPTY_SNAPSHOT } from './fake-tsunagi';

describe('app store', () => {
  it('starts empty and loading: nothing is shown as known before the snapshot', () => {
    const state = createAppStore().getState();
    expect(state.connection).toBeNull();
    expect(state.settings).toBeNull();
    expect(state.boot).toEqual({ status: 'loading' });
  });

  it('takes the snapshot, then applies connection.changed as a delta', async () => {
    const fake = createFakeTsunagi();
    const store = createAppStore();
    const sync = syncStoreWithMain(fake.api, store);
    await sync.reload();
    expect(store.getState()).toMatchObject({
      connection: { state: 'disconnected' },
      profiles: [],
      settings: DEFAULT_SETTINGS,
      appInfo: { version: '0.1.0', platform: 'linux' },
      boot: { status: 'ready' },
      view: 'profiles',
    });
    fake.events.connection.emit({ state: 'reconnecting', profileId: 'office', attempt: 2 });
    expect(store.getState().connection).toEqual({
      state: 'reconnecting',
      profileId: 'office',
      attempt: 2,
    });
    sync.dispose();
    fake.events.connection.emit({ state: 'disconnected' });
    expect(store.getState().connection?.state).toBe('reconnecting');
  });

  it('lets the snapshot supersede an event that arrived before it', async () => {
    const fake = createFakeTsunagi({ ...EMPTY_SNAPSHOT, connection: { state: 'disconnected' } });
    const store = createAppStore();
    const sync = syncStoreWithMain(fake.api, store);
    const loading = sync.reload();
    fake.events.connection.emit({ state: 'disconnecting', profileId: 'office' });
    await loading;
    expect(store.getState().connection).toEqual({ state: 'disconnected' });
  });

  it('keeps the view the user chose when a later snapshot arrives', async () => {
    const fake = createFakeTsunagi();
    const store = createAppStore();
    const sync = syncStoreWithMain(fake.api, store);
    await sync.reload();
    store.getState().setView('connection');
    await sync.reload();
    expect(store.getState().view).toBe('connection');
  });

  it('ignores a snapshot that lands after dispose', async () => {
    const fake = createFakeTsunagi();
    const store = createAppStore();
    const sync = syncStoreWithMain(fake.api, store);
    const loading = sync.reload();
    sync.dispose();
    await loading;
    expect(store.getState().boot).toEqual({ status: 'loading' });
  });
});
