import { useEffect, useRef } from 'react';
import type { TsunagiApi } from '../electron/shared/ipc-schema';
import { AppHeader } from './components/app-header';
import { Sidebar } from './components/sidebar';
import { assertNever } from '../electron/shared/assert-never';
import type { AppStore, ViewId } from './store/app-store';
import {
  StoreContext,
  useAppInfo,
  useBoot,
  useProfiles,
  useConnection,
  useSetView,
  useSettings,
  useView,
} from './store/hooks';
import { syncStoreWithMain, type StoreSync } from './store/sync';
import { ConnectionView } from './views/connection-view';
import { LogsView } from './views/logs-view';
import { ProfilesView } from './views/profiles-view';
import { SettingsView } from './views/settings-view';
import { LoadingView, StartupErrorView } from './views/startup-views';

export function App({ api, store }: { api: TsunagiApi; store: AppStore }) {
  const sync = useRef<StoreSync | null>(null);
  useEffect(() => {
    const current = syncStoreWithMain(api, store);
    sync.current = current;
    void current.reload();
    return () => current.dispose();
  }, [api, store]);

  return (
    <StoreContext.Provider value={store}>
      <ThemeFromSettings />
      <Screen api={api} onRetry={() => void sync.current?.reload()} />
    </StoreContext.Provider>
  );
}

function Screen({ api, onRetry }: { api: TsunagiApi; onRetry: () => void }) {
  const boot = useBoot();
  switch (boot.status) {
    case 'loading':
      return <LoadingView />;
    case 'failed':
      return <StartupErrorView error={boot.error} onRetry={onRetry} />;
    case 'ready':
      return <Shell api={api} />;
  }
}

function Shell({ api }: { api: TsunagiApi }) {
  const connection = useConnection();
  const profiles = useProfiles();
  const view = useView();
  const setView = useSetView();
  const appInfo = useAppInfo();
  const settings = useSettings();
  if (!connection || !appInfo || !settings) return null;

  const content = (current: ViewId) => {
    switch (current) {
      case 'connection':
        return <ConnectionView api={api} onShowProfiles={() => setView('profiles')} />;
      case 'profiles':
        return <ProfilesView profiles={profiles} connection={connection} api={api} />;
      case 'logs':
        return <LogsView api={api} />;
      case 'settings':
        return (
          <SettingsView
            api={api}
            settings={settings}
            profiles={profiles}
            helper={connection.helper}
          />
        );
      default:
        return assertNever(current);
    }
  };

  return (
    <div className="shell">
      <AppHeader connection={connection} />
      <Sidebar view={view} onSelect={setView} version={appInfo.version} />
      <main className="shell__content" data-view={view}>
        {content(view)}
      </main>
    </div>
  );
}

/** `system` leaves prefers-color-scheme in charge; `light`/`dark` pin the palette. */
function ThemeFromSettings() {
  const theme = useSettings()?.theme ?? 'system';
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset['theme'];
    else root.dataset['theme'] = theme;
  }, [theme]);
  return null;
}
