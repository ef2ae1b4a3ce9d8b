// Runs the renderer in a real Chromium against the REAL main-process IPC handlers, which run here
// in the test process (no Electron binary can be had: PLATFORM.md).
//
//   page: window.tsunagi (ui-bridge-page.ts: createIpcRenderer + ipcSchema, like the preload)
//     │ invoke → Playwright binding __tsunagiIpcInvoke, with the calling frame's real URL
//   test process: FakeIpcMain → registerIpcHandlers (electron/main/ipc-handlers.ts)
//     │ notify → page.evaluate(__tsunagiIpcDeliver)
//   page: listeners
//
// The sender check is the production one, fed the frame URL Chromium reports.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Frame, Page } from 'playwright-core';
import { createSenderPolicy } from '../../electron/main/app-paths';
import { registerIpcHandlers, type MainIpc } from '../../electron/main/ipc-handlers';
import type { NetworkInfo } from '../../electron/main/network/network-info';
import { ProfileEditor } from '../../electron/main/profile-editor';
import type { ProfileStore } from '../../electron/main/profile-store';
import { MemorySecretStore } from '../../electron/main/secrets/secret-store';
import { DEFAULT_SETTINGS, settingsPatchProblem } from '../../electron/shared/settings-schema';
import type { SenderFrameLike } from '../../electron/shared/ipc-helpers';
import type { AppSettings, TunnelState } from '../../electron/shared/ipc-schema';
import { FakeIpcMain } from './fake-electron';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_INDEX = path.join(REPO_ROOT, 'dist', 'renderer', 'index.html');
export const RENDERER_URL = pathToFileURL(RENDERER_INDEX).href;

/**
 * Flags from PLATFORM.md, plus --allow-file-access-from-files: Vite emits `<script type="module"
 * crossorigin>`, which plain Chromium refuses to load from file:// (CORS, origin null) while
 * Electron's file: protocol allows it.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--allow-file-access-from-files',
];

export function assertRendererBuilt(): void {
  if (!existsSync(RENDERER_INDEX)) {
    throw new Error(`${RENDERER_INDEX} is missing: run npm run build first`);
  }
}

let pageScript: Promise<string> | undefined;

/** ui-bridge-page.ts bundled into one classic script (built once per test process). */
function bundlePageScript(): Promise<string> {
  pageScript ??= build({
    entryPoints: [fileURLToPath(new URL('./ui-bridge-page.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'chrome130',
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text);
  return pageScript;
}

function toSenderFrame(frame: Frame): SenderFrameLike {
  const parent = frame.parentFrame();
  return { url: frame.url(), parent: parent ? toSenderFrame(parent) : null };
}

export interface BridgeOptions {
  readonly profileStore: ProfileStore;
  readonly version?: string;
  readonly platform?: string;
  readonly connection?: TunnelState;
  readonly settings?: AppSettings;
  /** What network detection reports (default: no network). */
  readonly network?: NetworkInfo;
}

export interface UiBridge {
  /** The main side: `main.notify.connection.changed(…)` reaches the page. */
  readonly main: MainIpc;
  readonly ipcMain: FakeIpcMain;
  /** Changes what getSnapshot reports from now on (events are sent with main.notify). */
  setConnection(state: TunnelState): void;
  /** The keychain behind the profile editor (in memory). */
  readonly secrets: MemorySecretStore;
  /** Files the next import/export dialogs answer (cancelled when empty). */
  readonly importAnswers: string[];
  readonly exportAnswers: string[];
  settings(): AppSettings;
  dispose(): void;
}

/** Call before page.goto: installs window.tsunagi in the page and the handlers behind it. */
export async function installUiBridge(page: Page, options: BridgeOptions): Promise<UiBridge> {
  const ipcMain = new FakeIpcMain();
  let connection: TunnelState = options.connection ?? { state: 'disconnected' };

  const webContents = {
    send(channel: string, ...args: unknown[]) {
      page
        .evaluate(
          ([c, a]) =>
            (
              window as unknown as { __tsunagiIpcDeliver(c: string, a: unknown[]): void }
            ).__tsunagiIpcDeliver(c, a),
          [channel, args] as const,
        )
        .catch(() => {
          // The page went away: Electron drops messages to a destroyed WebContents too.
        });
    },
    isDestroyed: () => page.isClosed(),
  };

  const secrets = new MemorySecretStore();
  const importAnswers: string[] = [];
  const exportAnswers: string[] = [];
  let settings: AppSettings = options.settings ?? DEFAULT_SETTINGS;

  const main = registerIpcHandlers({
    ipcMain,
    getWebContents: () => webContents,
    isAllowedSender: createSenderPolicy(RENDERER_INDEX),
    profileStore: options.profileStore,
    profileEditor: new ProfileEditor(options.profileStore, secrets),
    dialogs: {
      chooseProfileToImport: async () => importAnswers.shift(),
      chooseExportPath: async () => exportAnswers.shift(),
    },
    settings: {
      get: () => settings,
      update: async (patch) => {
        const problem = settingsPatchProblem(patch);
        if (problem) throw new Error(problem);
        settings = { ...settings, ...patch };
        return settings;
      },
    },
    detectNetwork: async () => options.network ?? { type: 'none' },
    appInfo: { version: options.version ?? '0.1.0', platform: options.platform ?? 'linux' },
    getConnection: () => connection,
  });

  await page.exposeBinding('__tsunagiIpcInvoke', (source, channel: string, args: unknown[]) =>
    ipcMain.dispatch(channel, webContents, toSenderFrame(source.frame), args),
  );
  await page.addInitScript({ content: await bundlePageScript() });

  return {
    main,
    ipcMain,
    setConnection: (state) => {
      connection = state;
    },
    secrets,
    importAnswers,
    exportAnswers,
    settings: () => settings,
    dispose: () => main.dispose(),
  };
}
