// One tiny hook per thing a component reads, so components never see the store's layout.

import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppState, AppStore } from './app-store';
import {
  selectChosenProfileId,
  selectConnectAction,
  selectTunnelProfileName,
  selectVisibleLogs,
} from './selectors';

export const StoreContext = createContext<AppStore | null>(null);

function useAppState<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppState outside <StoreContext.Provider>');
  return useStore(store, selector);
}

export const useConnection = () => useAppState((s) => s.connection);
export const useRateHistory = () => useAppState((s) => s.rateHistory);
export const useConnectAction = () => useAppState(selectConnectAction);
export const useChosenProfileId = () => useAppState(selectChosenProfileId);
export const useChooseProfile = () => useAppState((s) => s.chooseProfile);
export const useTunnelProfileName = () => useAppState(selectTunnelProfileName);
export const useLogCount = () => useAppState((s) => s.logs.length);
export const useVisibleLogs = () => useAppState(selectVisibleLogs);
export const useLogFilter = () => useAppState((s) => s.logFilter);
export const useSetLogFilter = () => useAppState((s) => s.setLogFilter);
export const useProfiles = () => useAppState((s) => s.profiles);
export const useSettings = () => useAppState((s) => s.settings);
export const useBoot = () => useAppState((s) => s.boot);
export const useView = () => useAppState((s) => s.view);
export const useSetView = () => useAppState((s) => s.setView);
export const useAppInfo = () => useAppState((s) => s.appInfo);
