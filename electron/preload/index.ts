// The preload (bundled to dist/electron/preload.cjs; runs sandboxed). It exposes exactly one
// object to the page, `window.tsunagi`, built from the schema: no other channel is reachable.

import { contextBridge, ipcRenderer } from 'electron';
import { createIpcRenderer } from '../shared/ipc-helpers.js';
import { ipcSchema, type TsunagiApi } from '../shared/ipc-schema.js';

export const TSUNAGI_GLOBAL = 'tsunagi';

const api: TsunagiApi = createIpcRenderer(ipcSchema, ipcRenderer);
contextBridge.exposeInMainWorld(TSUNAGI_GLOBAL, api);
