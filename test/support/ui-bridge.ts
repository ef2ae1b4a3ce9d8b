// Runs the renderer in a real Chromium against the REAL main-process logic, which runs here in
// the test process (no Electron binary can be had: PLATFORM.md).
//
//   page: window.tsunagi (ui-bridge-page.ts: createIpcRenderer + ipcSchema, like the preload)
//     │ invoke → Playwright binding __tsunagiIpcInvoke, with the calling frame's real URL
//   test process: FakeIpcMain → startAppCore (electron/main/app-core.ts): the IPC handlers, the
//     │ TunnelController (helper socket), notifications, settings sync, trust agent — the app's
//     │ own code; only the window, tray, dialogs and keychain are stand-ins
//     │ notify → page.evaluate(__tsunagiIpcDeliver)
//   page: listeners
//
// The sender check is the production one, fed the frame URL Chromium reports.
//
// The API (what UI specs may rely on):
//   installUiBridge(page, options) before page.goto; options:
//     profileStore   the profile store (a JsonFileProfileStore in a temp folder)
//     profileDir     folder relative certificate/key/CA paths start from (default: the store
//                    file's folder, else the working directory)
//     helperSocket   a helper's socket: main connects to it as the app does (e.g. a real
//                    `tsunagi helper --socket <tmp> --allow-uid 0` in a test bed; Unix sockets
//                    work across network namespaces). Absent: no helper, the connection is
//                    `helper: unavailable` ("The Tsunagi service is not running") as in the app.
//     settings, network (what detection reports), version, platform
//   the bridge:
//     main           main's IPC endpoints: main.notify.connection.changed(snapshot) etc. reach
//                    the page directly (for states no helper is there to produce)
//     controller     the TunnelController: snapshot(), logs(), connect(id), disconnect()
//     secrets        the keychain (MemorySecretStore) the editor and connect read
//     importAnswers / exportAnswers / logExportAnswers / fileAnswers
//                    files the next file dialogs answer (cancelled when empty); fileAnswers
//                    answer the editor's "Choose…" buttons, fileRequests records their kinds
//     notifications  every desktop notification main showed, in order
//     settings()     the current settings
//     dispose()      closes the helper link and removes the handlers

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { Frame, Page } from 'playwright-core';
import { startAppCore, type AppCore } from '../../electron/main/app-core';
import { createSenderPolicy } from '../../electron/main/app-paths';
import type { MainIpc } from '../../electron/main/ipc-handlers';
import type { NetworkInfo } from '../../electron/main/network/network-info';
import type { NotificationContent } from '../../electron/main/notifications/notification-controller';
import type { ProfileStore } from '../../electron/main/profile-store';
import { MemorySecretStore } from '../../electron/main/secrets/secret-store';
import type { TunnelController } from '../../electron/main/tunnel/tunnel-controller';
import { DEFAULT_SETTINGS, settingsPatchProblem } from '../../electron/shared/settings-schema';
import type { SenderFrameLike } from '../../electron/shared/ipc-helpers';
import type { AppSettings, ProfileFileKind } from '../../electron/shared/ipc-schema';
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
  /** Where relative certificate/key/CA paths start (default: the store file's folder). */
  readonly profileDir?: string;
  /** The helper to drive; absent = no helper (the app's "service not running"). */
  readonly helperSocket?: string;
  readonly version?: string;
  readonly platform?: string;
  readonly settings?: AppSettings;
  /** What network detection reports (default: no network). */
  readonly network?: NetworkInfo;
}

export interface UiBridge {
  /** The main side: `main.notify.connection.changed(…)` reaches the page. */
  readonly main: MainIpc;
  readonly ipcMain: FakeIpcMain;
  /** Main's logic, as the app runs it. */
  readonly core: AppCore;
  /** The helper link: snapshot(), logs(), connect(id), disconnect(). */
  readonly controller: TunnelController;
  /** The keychain behind the profile editor and connect (in memory). */
  readonly secrets: MemorySecretStore;
  /** Files the next import/export dialogs answer (cancelled when empty). */
  readonly importAnswers: string[];
  readonly exportAnswers: string[];
  readonly logExportAnswers: string[];
  /** Files the next "Choose…" dialogs of the profile editor answer (cancelled when empty). */
  readonly fileAnswers: string[];
  /** Which kinds of file the editor asked for, in order. */
  readonly fileRequests: ProfileFileKind[];
  /** Every notification main showed (the app shows them on the desktop). */
  readonly notifications: NotificationContent[];
  settings(): AppSettings;
  dispose(): void;
}

/** Call before page.goto: installs window.tsunagi in the page and the handlers behind it. */
export async function installUiBridge(page: Page, options: BridgeOptions): Promise<UiBridge> {
  const ipcMain = new FakeIpcMain();

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
  const logExportAnswers: string[] = [];
  const fileAnswers: string[] = [];
  const fileRequests: ProfileFileKind[] = [];
  const notifications: NotificationContent[] = [];
  let settings: AppSettings = options.settings ?? DEFAULT_SETTINGS;
  const storeFile = (options.profileStore as { filePath?: unknown }).filePath;

  const core = await startAppCore({
    ipcMain,
    getWebContents: () => webContents,
    isAllowedSender: createSenderPolicy(RENDERER_INDEX),
    profileStore: options.profileStore,
    profileDir:
      options.profileDir ??
      (typeof storeFile === 'string' ? path.dirname(storeFile) : process.cwd()),
    secretStore: secrets,
    dialogs: {
      chooseProfileToImport: async () => importAnswers.shift(),
      chooseExportPath: async () => exportAnswers.shift(),
      chooseLogExportPath: async () => logExportAnswers.shift(),
      chooseProfileFile: async (kind) => {
        fileRequests.push(kind);
        return fileAnswers.shift();
      },
    },
    writeTextFile: (file, text) => writeFile(file, text, 'utf8'),
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
    // no helper: a socket path nobody listens on, so main sees what the app sees without one
    helperSocket:
      options.helperSocket ??
      path.join(tmpdir(), `tsunagi-ui-bridge-no-helper-${randomBytes(6).toString('hex')}.sock`),
    showNotification: (content) => notifications.push(content),
  });
  // the page's first getSnapshot finds the link settled (ready, or unavailable with its fix)
  await core.controller.settled();

  await page.exposeBinding('__tsunagiIpcInvoke', (source, channel: string, args: unknown[]) =>
    ipcMain.dispatch(channel, webContents, toSenderFrame(source.frame), args),
  );
  await page.addInitScript({ content: await bundlePageScript() });

  return {
    main: core.ipc,
    ipcMain,
    core,
    controller: core.controller,
    secrets,
    importAnswers,
    exportAnswers,
    logExportAnswers,
    fileAnswers,
    fileRequests,
    notifications,
    settings: () => settings,
    dispose: () => core.dispose(),
  };
}
