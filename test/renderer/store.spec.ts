import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../electron/shared/settings-schema';
import { LOG_LIMIT } from '../../renderer/lib/log-view';
import { GRAPH_SAMPLES } from '../../renderer/lib/throughput-graph';
import { createAppStore, startsNewConnection } from '../../renderer/store/app-store';
import {
  selectChosenProfileId,
  selectConnectAction,
  selectTunnelProfileName,
  selectVisibleLogs,
} from '../../renderer/store/selectors';
import { syncStoreWithMain } from '../../renderer/store/sync';
import { createFakeTsunagi, EMPTY_SNAPSHOT, IDLE_CONNECTION } from './fake-tsunagi';
import {
  AUTH_ERROR,
  CONNECTED,
  CONNECTING,
  connectedSnapshot,
  LOG_LINES,
  RECONNECTING,
  statsSeries,
} from './fixtures';

const office = {
  id: 'office',
  name: 'Office',
  server: 'vpn.example.com',
  authMethod: 'psk' as const,
};
const lab = { id: 'lab', name: 'Lab', server: '192.0.2.10', authMethod: 'cert' as const };

async function synced(snapshot = EMPTY_SNAPSHOT) {
  const fake = createFakeTsunagi(snapshot);
  const store = createAppStore();
  const sync = syncStoreWithMain(fake.api, store);
  await sync.reload();
  return { fake, store, sync };
}

describe('app store', () => {
  it('starts empty and loading: nothing is shown as known before the snapshot', () => {
    const state = createAppStore().getState();
    expect(state.connection).toBeNull();
    expect(state.settings).toBeNull();
    expect(state.logs).toEqual([]);
    expect(state.rateHistory).toEqual([]);
    expect(state.boot).toEqual({ status: 'loading' });
    expect(selectConnectAction(state)).toBeUndefined();
  });

  it('takes the snapshot, then applies connection.changed as a delta', async () => {
    const { fake, store, sync } = await synced({ ...EMPTY_SNAPSHOT, logs: LOG_LINES.slice(0, 2) });
    expect(store.getState()).toMatchObject({
      connection: IDLE_CONNECTION,
      profiles: [],
      settings: DEFAULT_SETTINGS,
      appInfo: { version: '0.1.0', platform: 'linux' },
      boot: { status: 'ready' },
      view: 'profiles',
    });
    expect(store.getState().logs.map((l) => [l.seq, l.text])).toEqual([
      [0, LOG_LINES[0]!.text],
      [1, LOG_LINES[1]!.text],
    ]);
    const reconnecting = { ...IDLE_CONNECTION, tunnel: RECONNECTING, profileId: 'office' };
    fake.events.connection.emit(reconnecting);
    expect(store.getState().connection).toEqual(reconnecting);
    sync.dispose();
    fake.events.connection.emit(IDLE_CONNECTION);
    expect(store.getState().connection?.tunnel.state).toBe('reconnecting');
  });

  it('lets the snapshot supersede an event that arrived before it', async () => {
    const fake = createFakeTsunagi();
    const store = createAppStore();
    const sync = syncStoreWithMain(fake.api, store);
    const loading = sync.reload();
    fake.events.connection.emit({ ...IDLE_CONNECTION, tunnel: CONNECTING });
    await loading;
    expect(store.getState().connection).toEqual(IDLE_CONNECTION);
  });

  it('keeps the view the user chose when a later snapshot arrives', async () => {
    const { store, sync } = await synced();
    store.getState().setView('logs');
    await sync.reload();
    expect(store.getState().view).toBe('logs');
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

describe('connection slice: stats history', () => {
  it('records stats events as graph samples and as the snapshot’s current stats', async () => {
    const { fake, store } = await synced({ ...EMPTY_SNAPSHOT, connection: connectedSnapshot() });
    // A snapshot taken while connected starts the graph with its stats.
    expect(store.getState().rateHistory).toHaveLength(1);
    const series = statsSeries(4, CONNECTED.since + 5_000);
    for (const stats of series) fake.events.stats.emit(stats);
    const state = store.getState();
    expect(state.rateHistory.map((s) => s.at)).toEqual([
      connectedSnapshot().stats.at,
      ...series.map((s) => s.at),
    ]);
    expect(state.rateHistory.at(-1)).toEqual({
      at: series[3]!.at,
      rateIn: series[3]!.rateIn,
      rateOut: series[3]!.rateOut,
    });
    expect(state.connection?.stats).toEqual(series[3]);
  });

  it(`keeps the last ${GRAPH_SAMPLES} samples and ignores one older than the newest`, () => {
    const store = createAppStore();
    store.getState().setConnection(connectedSnapshot());
    const series = statsSeries(GRAPH_SAMPLES + 30);
    for (const stats of series) store.getState().addStats(stats);
    const history = store.getState().rateHistory;
    expect(history).toHaveLength(GRAPH_SAMPLES);
    expect(history[0]!.at).toBe(series[30]!.at);
    store.getState().addStats(series[5]!);
    expect(store.getState().rateHistory).toBe(history);
  });

  it('starts an empty graph for a new connection, and keeps it through a reconnect', () => {
    const store = createAppStore();
    const { setConnection, addStats } = store.getState();
    setConnection(connectedSnapshot());
    for (const stats of statsSeries(3)) addStats(stats);
    setConnection({ ...connectedSnapshot(), tunnel: RECONNECTING });
    setConnection(connectedSnapshot());
    expect(store.getState().rateHistory).toHaveLength(3);
    setConnection({ ...IDLE_CONNECTION, tunnel: AUTH_ERROR });
    expect(store.getState().rateHistory).toHaveLength(3);
    setConnection({ ...IDLE_CONNECTION, tunnel: CONNECTING });
    expect(store.getState().rateHistory).toEqual([]);
  });

  it('decides what a new connection is', () => {
    expect(startsNewConnection(undefined, CONNECTING)).toBe(true);
    expect(startsNewConnection(IDLE_CONNECTION.tunnel, CONNECTING)).toBe(true);
    expect(startsNewConnection(AUTH_ERROR, CONNECTED)).toBe(true);
    expect(startsNewConnection(CONNECTED, RECONNECTING)).toBe(false);
    expect(startsNewConnection(RECONNECTING, CONNECTED)).toBe(false);
    expect(startsNewConnection(CONNECTED, AUTH_ERROR)).toBe(false);
  });
});

describe('logs slice', () => {
  it(`keeps the newest ${LOG_LIMIT} lines with stable, never-repeating keys`, () => {
    const store = createAppStore();
    const line = LOG_LINES[3]!;
    for (let i = 0; i < LOG_LIMIT + 25; i++) store.getState().addLogs([{ ...line, at: i }]);
    const logs = store.getState().logs;
    expect(logs).toHaveLength(LOG_LIMIT);
    expect(logs[0]).toMatchObject({ seq: 25, at: 25 });
    expect(logs.at(-1)).toMatchObject({ seq: LOG_LIMIT + 24, at: LOG_LIMIT + 24 });
  });

  it('applies logs.entry events and the filter; the selector answers the same array until either changes', async () => {
    const { fake, store } = await synced();
    for (const entry of LOG_LINES) fake.events.logs.emit(entry);
    const first = selectVisibleLogs(store.getState());
    expect(first.map((l) => l.level)).not.toContain('debug');
    expect(selectVisibleLogs(store.getState())).toBe(first);
    store.getState().setLogFilter({ levels: ['error'] });
    const errors = selectVisibleLogs(store.getState());
    expect(errors.map((l) => l.text)).toEqual([LOG_LINES.at(-1)!.text]);
    store.getState().setLogFilter({ levels: ['debug', 'info'], text: 'SA' });
    expect(selectVisibleLogs(store.getState()).map((l) => l.component)).toEqual(['ike', 'esp']);
  });
});

describe('selectors', () => {
  it('picks the connect profile: the user’s choice, the tunnel’s, auto-connect, then the first', async () => {
    const { store } = await synced({
      ...EMPTY_SNAPSHOT,
      profiles: [office, lab],
      settings: { ...DEFAULT_SETTINGS, autoConnectProfileId: 'lab' },
    });
    expect(selectChosenProfileId(store.getState())).toBe('lab');
    store.getState().setConnection({ ...connectedSnapshot(), profileId: 'office' });
    expect(selectChosenProfileId(store.getState())).toBe('office');
    store.getState().chooseProfile('lab');
    expect(selectChosenProfileId(store.getState())).toBe('lab');
    store.getState().chooseProfile('deleted');
    store.getState().setConnection(IDLE_CONNECTION);
    expect(selectChosenProfileId(store.getState())).toBe('lab');
    store.getState().setSettings(DEFAULT_SETTINGS);
    expect(selectChosenProfileId(store.getState())).toBe('office');
  });

  it('names the tunnel’s profile by the app’s name, else the helper’s', async () => {
    const { store } = await synced({ ...EMPTY_SNAPSHOT, profiles: [{ ...office, name: 'Work' }] });
    store.getState().setConnection(connectedSnapshot());
    expect(selectTunnelProfileName(store.getState())).toBe('Work');
    store.getState().setConnection({ ...connectedSnapshot(), profileId: null });
    expect(selectTunnelProfileName(store.getState())).toBe('Office');
    store.getState().setConnection(IDLE_CONNECTION);
    expect(selectTunnelProfileName(store.getState())).toBeUndefined();
  });
});
