import { beforeEach, describe, expect, it, vi } from 'vitest';

const { fakeElectron } = await vi.hoisted(() => import('../../../support/fake-electron.js'));
vi.mock('electron', () => fakeElectron.module);

import { resolveAppPaths } from '../../../../electron/main/app-paths.js';
import {
  createMainWindow,
  hardenWebContents,
  mainWindowOptions,
} from '../../../../electron/main/window.js';
import { FakeWebContents } from '../../../support/fake-electron.js';

const paths = resolveAppPaths('/opt/tsunagi/dist/electron');

beforeEach(() => fakeElectron.reset());

describe('mainWindowOptions', () => {
  it('isolates the page: sandbox, context isolation, no Node, web security on', () => {
    const prefs = mainWindowOptions(paths).webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
    expect(prefs?.preload).toBe(paths.preload);
    expect(prefs).not.toHaveProperty('experimentalFeatures');
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
  });

  it('starts hidden so the first frame shown is the rendered page', () => {
    expect(mainWindowOptions(paths)).toMatchObject({ show: false, title: 'Tsunagi' });
  });
});

describe('hardenWebContents', () => {
  it('blocks every navigation, redirect and webview', () => {
    const contents = new FakeWebContents();
    hardenWebContents(contents);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'about:blank']) {
      expect(contents.tryNavigate(url), url).toBe(true);
      expect(contents.tryNavigate(url, 'will-redirect'), url).toBe(true);
    }
    const attach = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    contents.emit('will-attach-webview', attach, {}, {});
    expect(attach.defaultPrevented).toBe(true);
  });

  it('denies every window.open', () => {
    const contents = new FakeWebContents();
    expect(contents.tryOpenWindow('https://example.com/')).toEqual({ action: 'allow' });
    hardenWebContents(contents);
    for (const url of ['https://example.com/', 'file:///opt/tsunagi/dist/renderer/index.html']) {
      expect(contents.tryOpenWindow(url)).toEqual({ action: 'deny' });
    }
  });
});

describe('createMainWindow', () => {
  it('loads only the built renderer page, hardened, and shows it when ready', async () => {
    const window = createMainWindow(paths);
    expect(fakeElectron.windows).toEqual([window]);
    const fake = fakeElectron.windows[0]!;
    await vi.waitFor(() => expect(fake.loadedFile).toBe(paths.rendererIndex));
    expect(fake.options.webPreferences?.sandbox).toBe(true);
    expect(fake.visible).toBe(true);
    expect(fake.webContents.tryNavigate('https://evil.example/')).toBe(true);
    expect(fake.webContents.tryOpenWindow('https://evil.example/')).toEqual({ action: 'deny' });
  });
});
