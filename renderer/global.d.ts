// `window.tsunagi` is the one object the preload exposes (electron/preload/index.ts), typed from
// the same schema it is built from.
import type { TsunagiApi } from '../electron/shared/ipc-schema';

declare global {
  interface Window {
    readonly tsunagi: TsunagiApi;
  }
}

export {};
