// The app window: a sandboxed page with no Node, our preload as its only bridge, and nowhere to
// go. It shows dist/renderer/index.html and nothing else: navigation and new windows are refused.

import { BrowserWindow } from 'electron';
import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import type { AppPaths } from './app-paths.js';

export const WINDOW_TITLE = 'Tsunagi';

export function mainWindowOptions(paths: AppPaths): BrowserWindowConstructorOptions {
  return {
    title: WINDOW_TITLE,
    width: 960,
    height: 640,
    minWidth: 720,
    minHeight: 480,
    // Shown on ready-to-show, so the user never sees an empty white frame.
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** The parts of a WebContents hardenWebContents touches (a real one, or the test fake). */
export interface HardenableContents {
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-attach-webview',
    listener: (event: { preventDefault(): void }) => void,
  ): unknown;
  setWindowOpenHandler: WebContents['setWindowOpenHandler'];
}

/**
 * Applied to every WebContents the app creates (app 'web-contents-created'): the page can neither
 * navigate away, nor open windows, nor attach a <webview>.
 */
export function hardenWebContents(contents: HardenableContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function createMainWindow(paths: AppPaths): BrowserWindow {
  const window = new BrowserWindow(mainWindowOptions(paths));
  hardenWebContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  // Rejects only if the built page is missing; reported by the caller's log.
  window.loadFile(paths.rendererIndex).catch((error: unknown) => {
    console.error(`Cannot load ${paths.rendererIndex}:`, error);
  });
  return window;
}
