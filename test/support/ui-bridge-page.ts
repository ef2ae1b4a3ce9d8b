// The page half of the UI-test bridge: the stand-in for electron/preload/index.ts in a plain
// Chromium. Bundled by ui-bridge.ts and run as an init script before the page's own scripts. It
// builds `window.tsunagi` with the very createIpcRenderer and schema the preload uses; its
// "ipcRenderer" goes to the test process through a Playwright binding.

import { createIpcRenderer, type IpcRendererLike } from '../../electron/shared/ipc-helpers';
import { ipcSchema } from '../../electron/shared/ipc-schema';

type Listener = (event: unknown, ...args: unknown[]) => void;

interface BridgeWindow {
  __tsunagiIpcInvoke(channel: string, args: unknown[]): Promise<unknown>;
  __tsunagiIpcDeliver?: (channel: string, args: unknown[]) => void;
}

const bridgeWindow = window as unknown as BridgeWindow;
const listeners = new Map<string, Set<Listener>>();

const ipcRenderer: IpcRendererLike = {
  invoke: (channel, ...args) => bridgeWindow.__tsunagiIpcInvoke(channel, args),
  on(channel, listener) {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
  },
  removeListener(channel, listener) {
    listeners.get(channel)?.delete(listener);
  },
};

bridgeWindow.__tsunagiIpcDeliver = (channel, args) => {
  for (const listener of listeners.get(channel) ?? []) listener({}, ...args);
};

// contextBridge hands the page a frozen copy; so does the bridge.
Object.defineProperty(window, 'tsunagi', {
  value: Object.freeze(createIpcRenderer(ipcSchema, ipcRenderer)),
  enumerable: true,
});
