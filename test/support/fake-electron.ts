// A typed fake of the parts of `electron` Tsunagi uses, so main, preload and IPC run end to end
// under plain Node (no Electron binary can be had here: see PLATFORM.md).
//
// Each fake class `implements Pick<Electron.X, …>` for the members production code calls, so a
// signature that drifts from electron.d.ts fails to compile. Values crossing the fake bridge are
// structured-cloned, as Electron does, so a function or class instance slipping into a payload
// fails here too.
//
// Use with vi.mock:
//   vi.mock('electron', () => import('../../support/fake-electron').then((m) => m.fakeElectron.module));
//   beforeEach(() => fakeElectron.reset());

import { EventEmitter } from 'node:events';
import { pathToFileURL } from 'node:url';
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  ContextBridge,
  HandlerDetails,
  IpcMain,
  IpcMainInvokeEvent,
  IpcRenderer,
  IpcRendererEvent,
  MenuItemConstructorOptions,
  NativeTheme,
  Notification,
  NotificationConstructorOptions,
  Session,
  Tray,
  WebContents,
  WindowOpenHandlerResponse,
} from 'electron';

/** What Electron hands to 'will-navigate' & co.: the parts our listeners use. */
export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** A WebFrameMain as far as the sender check reads it. */
export interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}

type InvokeListener = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export class FakeIpcMain implements Pick<IpcMain, 'handle' | 'removeHandler'> {
  readonly handlers = new Map<string, InvokeListener>();

  handle(channel: string, listener: InvokeListener): void {
    // Electron refuses a second handler for a channel; so do we.
    if (this.handlers.has(channel)) {
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    }
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** Delivers one invoke as Electron would: rejects when no handler is registered. */
  async dispatch(
    channel: string,
    sender: object,
    frame: FakeFrame | null,
    args: unknown[],
  ): Promise<unknown> {
    const listener = this.handlers.get(channel);
    if (!listener) throw new Error(`No handler registered for '${channel}'`);
    const event = {
      frameId: 1,
      processId: 1,
      sender,
      senderFrame: frame,
      preventDefault() {},
      defaultPrevented: false,
    };
    // The one cast of the fake: a real IpcMainInvokeEvent carries a WebContents and a
    // WebFrameMain; ours carries their fakes, which have what the handlers read.
    return listener(event as unknown as IpcMainInvokeEvent, ...structuredClone(args));
  }

  reset(): void {
    this.handlers.clear();
  }
}

// Electron's listener type; `on`/`removeListener` take Electron's parameters (their return type is
// Electron's whole IpcRenderer, which the code under test never uses).
type RendererListener = Parameters<IpcRenderer['on']>[1];

/** The renderer end of one page: invokes go to ipcMain, `webContents.send` comes back here. */
export class FakeIpcRenderer implements Pick<IpcRenderer, 'invoke'> {
  private readonly listeners = new Map<string, Set<RendererListener>>();
  private target: { contents: FakeWebContents; frame: FakeFrame } | null = null;

  constructor(private readonly ipcMain: FakeIpcMain) {}

  /** Binds this renderer to a page (a frame of a WebContents). */
  attach(contents: FakeWebContents, frame: FakeFrame = contents.mainFrame): this {
    this.target?.contents.renderers.delete(this);
    this.target = { contents, frame };
    contents.renderers.add(this);
    return this;
  }

  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    if (!this.target) throw new Error('FakeIpcRenderer is not attached to a page');
    const answer = await this.ipcMain.dispatch(
      channel,
      this.target.contents,
      this.target.frame,
      args,
    );
    return structuredClone(answer);
  }

  on(...[channel, listener]: Parameters<IpcRenderer['on']>): this {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return this;
  }

  removeListener(...[channel, listener]: Parameters<IpcRenderer['removeListener']>): this {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }

  listenerCount(channel: string): number {
    return this.listeners.get(channel)?.size ?? 0;
  }

  /** Called by FakeWebContents.send. */
  deliver(channel: string, args: unknown[]): void {
    const event = { sender: this } as unknown as IpcRendererEvent;
    for (const listener of this.listeners.get(channel) ?? []) {
      listener(event, ...structuredClone(args));
    }
  }

  reset(): void {
    this.listeners.clear();
    this.target = null;
  }
}

type WindowOpenHandler = (details: HandlerDetails) => WindowOpenHandlerResponse;

export class FakeWebContents
  extends EventEmitter
  implements Pick<WebContents, 'send' | 'isDestroyed' | 'setWindowOpenHandler' | 'loadFile'>
{
  readonly mainFrame: FakeFrame = { url: 'about:blank', parent: null };
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly renderers = new Set<FakeIpcRenderer>();
  windowOpenHandler: WindowOpenHandler | null = null;
  destroyed = false;

  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, args: structuredClone(args) });
    for (const renderer of this.renderers) renderer.deliver(channel, args);
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }

  async loadFile(filePath: string): Promise<void> {
    this.mainFrame.url = pathToFileURL(filePath).href;
    this.emit('did-finish-load');
  }

  /** Simulates the page trying to navigate; tells whether a listener prevented it. */
  tryNavigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    const navigation = new FakeEvent();
    this.emit(event, navigation, url);
    return navigation.defaultPrevented;
  }

  /** Simulates window.open from the page; returns what the handler decided. */
  tryOpenWindow(url: string): WindowOpenHandlerResponse {
    // Electron allows the window when no handler is set.
    if (!this.windowOpenHandler) return { action: 'allow' };
    return this.windowOpenHandler({
      url,
      frameName: '',
      features: '',
      disposition: 'new-window',
      referrer: { url: '', policy: 'default' },
    } as HandlerDetails);
  }
}

export class FakeBrowserWindow
  extends EventEmitter
  implements
    Pick<
      BrowserWindow,
      | 'loadFile'
      | 'show'
      | 'focus'
      | 'isMinimized'
      | 'restore'
      | 'isDestroyed'
      | 'close'
      | 'minimize'
    >
{
  readonly webContents = new FakeWebContents();
  visible = false;
  focused = false;
  minimized = false;
  destroyed = false;
  loadedFile: string | null = null;

  constructor(readonly options: BrowserWindowConstructorOptions = {}) {
    super();
    this.visible = options.show ?? true;
  }

  async loadFile(filePath: string): Promise<void> {
    this.loadedFile = filePath;
    await this.webContents.loadFile(filePath);
    this.emit('ready-to-show');
  }

  show(): void {
    this.visible = true;
  }

  focus(): void {
    this.focused = true;
  }

  minimize(): void {
    this.minimized = true;
  }

  isMinimized(): boolean {
    return this.minimized;
  }

  restore(): void {
    this.minimized = false;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export class FakeApp
  extends EventEmitter
  implements
    Pick<
      App,
      | 'requestSingleInstanceLock'
      | 'quit'
      | 'exit'
      | 'whenReady'
      | 'getPath'
      | 'getVersion'
      | 'setLoginItemSettings'
      | 'getLoginItemSettings'
      | 'getAppPath'
      | 'isPackaged'
    >
{
  isPackaged = false;
  hasSingleInstanceLock = true;
  quitCalls = 0;
  exitCodes: number[] = [];
  version = '0.1.0';
  userDataDir = '/nonexistent/tsunagi-user-data';

  requestSingleInstanceLock(): boolean {
    return this.hasSingleInstanceLock;
  }

  quit(): void {
    this.quitCalls += 1;
    this.emit('will-quit', new FakeEvent());
  }

  exit(exitCode = 0): void {
    this.exitCodes.push(exitCode);
  }

  async whenReady(): Promise<void> {}

  getPath(name: Parameters<App['getPath']>[0]): string {
    if (name !== 'userData') throw new Error(`FakeApp.getPath: ${name} is not faked`);
    return this.userDataDir;
  }

  getVersion(): string {
    return this.version;
  }

  loginItemSettings: Parameters<App['setLoginItemSettings']>[0][] = [];

  setLoginItemSettings(settings: Parameters<App['setLoginItemSettings']>[0]): void {
    this.loginItemSettings.push(settings);
  }

  getLoginItemSettings(): ReturnType<App['getLoginItemSettings']> {
    const last = this.loginItemSettings.at(-1);
    return {
      openAtLogin: last?.openAtLogin ?? false,
      wasOpenedAtLogin: false,
      status: 'not-registered',
      executableWillLaunchAtLogin: false,
      launchItems: [],
    };
  }

  getAppPath(): string {
    return '/opt/tsunagi/resources/app';
  }

  reset(): void {
    this.removeAllListeners();
    this.hasSingleInstanceLock = true;
    this.quitCalls = 0;
    this.exitCodes = [];
    this.version = '0.1.0';
    this.userDataDir = '/nonexistent/tsunagi-user-data';
    this.loginItemSettings = [];
    this.isPackaged = false;
  }
}

type PermissionRequestHandler = Parameters<Session['setPermissionRequestHandler']>[0];
type PermissionCheckHandler = Parameters<Session['setPermissionCheckHandler']>[0];

export class FakeSession implements Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler'
> {
  requestHandler: PermissionRequestHandler = null;
  checkHandler: PermissionCheckHandler = null;

  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler;
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler;
  }

  /** What the app answers when the page asks for `permission` (Electron grants without a handler). */
  async requestPermission(permission: 'notifications' | 'media' | 'geolocation'): Promise<boolean> {
    const handler = this.requestHandler;
    if (!handler) return true;
    return new Promise((resolve) => {
      handler(new FakeWebContents() as unknown as WebContents, permission, resolve, {} as never);
    });
  }

  reset(): void {
    this.requestHandler = null;
    this.checkHandler = null;
  }
}

export class FakeContextBridge implements Pick<ContextBridge, 'exposeInMainWorld'> {
  readonly mainWorld: Record<string, unknown> = {};

  exposeInMainWorld(apiKey: string, api: unknown): void {
    if (apiKey in this.mainWorld) {
      throw new Error(`Cannot bind an API on top of an existing property on the window object`);
    }
    this.mainWorld[apiKey] = api;
  }

  reset(): void {
    for (const key of Object.keys(this.mainWorld)) delete this.mainWorld[key];
  }
}

/** A built menu: keeps its template so tests read labels and click items. */
export class FakeMenu {
  constructor(readonly template: readonly MenuItemConstructorOptions[]) {}

  static buildFromTemplate(template: MenuItemConstructorOptions[]): FakeMenu {
    return new FakeMenu(
      structuredClone(template.map(({ click: _c, ...rest }) => rest)).map((item, i) => ({
        ...item,
        ...(template[i]!.click ? { click: template[i]!.click } : {}),
      })),
    );
  }

  /** The item with this label (throws when none). */
  item(label: string): MenuItemConstructorOptions {
    const found = this.template.find((i) => i.label === label);
    if (!found) throw new Error(`No menu item "${label}" in [${this.labels().join(', ')}]`);
    return found;
  }

  labels(): string[] {
    return this.template.map((i) => (i.type === 'separator' ? '---' : (i.label ?? '')));
  }

  /** Clicks an item as Electron would: nothing happens when it is disabled. */
  click(label: string): void {
    const item = this.item(label);
    if (item.enabled === false) return;
    (item.click as (() => void) | undefined)?.();
  }
}

export class FakeTray
  extends EventEmitter
  implements Pick<Tray, 'setImage' | 'setToolTip' | 'destroy' | 'isDestroyed'>
{
  image: string;
  toolTip = '';
  menu: FakeMenu | null = null;
  destroyed = false;

  constructor(image: string) {
    super();
    this.image = image;
  }

  setImage(image: string): void {
    this.image = image;
  }

  setToolTip(toolTip: string): void {
    this.toolTip = toolTip;
  }

  setContextMenu(menu: FakeMenu | null): void {
    this.menu = menu;
  }

  destroy(): void {
    this.destroyed = true;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeNativeTheme
  extends EventEmitter
  implements Pick<NativeTheme, 'shouldUseDarkColors' | 'themeSource'>
{
  private systemDark = false;
  private source: NativeTheme['themeSource'] = 'system';

  /** As Electron: the pinned theme when the app pins one, else the system's. */
  get shouldUseDarkColors(): boolean {
    return this.source === 'system' ? this.systemDark : this.source === 'dark';
  }

  get themeSource(): NativeTheme['themeSource'] {
    return this.source;
  }

  /** As Electron: setting it re-evaluates the colours and emits 'updated' when they change. */
  set themeSource(source: NativeTheme['themeSource']) {
    const before = this.shouldUseDarkColors;
    this.source = source;
    if (this.shouldUseDarkColors !== before) this.emit('updated');
  }

  /** Simulates the system switching between light and dark. */
  setDark(dark: boolean): void {
    const before = this.shouldUseDarkColors;
    this.systemDark = dark;
    if (this.shouldUseDarkColors !== before) this.emit('updated');
  }

  reset(): void {
    this.removeAllListeners();
    this.systemDark = false;
    this.source = 'system';
  }
}

export class FakeNotification implements Pick<Notification, 'show'> {
  static supported = true;
  static readonly shown: NotificationConstructorOptions[] = [];

  static isSupported(): boolean {
    return FakeNotification.supported;
  }

  constructor(readonly options: NotificationConstructorOptions = {}) {}

  show(): void {
    FakeNotification.shown.push(this.options);
  }

  static reset(): void {
    FakeNotification.supported = true;
    FakeNotification.shown.length = 0;
  }
}

/** Electron's dialog: answers are scripted by the test (queue), cancelled when none is queued. */
export class FakeDialog {
  readonly openAnswers: string[] = [];
  readonly saveAnswers: string[] = [];
  /** The options of every dialog shown, in order. */
  readonly opened: unknown[] = [];
  /** Whether each dialog was attached to a window (modal to it), in order. */
  readonly parents: boolean[] = [];

  async showOpenDialog(...args: unknown[]): Promise<{ canceled: boolean; filePaths: string[] }> {
    this.opened.push(args.at(-1));
    this.parents.push(args.length > 1);
    const answer = this.openAnswers.shift();
    return answer === undefined
      ? { canceled: true, filePaths: [] }
      : { canceled: false, filePaths: [answer] };
  }

  async showSaveDialog(...args: unknown[]): Promise<{ canceled: boolean; filePath: string }> {
    this.opened.push(args.at(-1));
    this.parents.push(args.length > 1);
    const answer = this.saveAnswers.shift();
    return answer === undefined
      ? { canceled: true, filePath: '' }
      : { canceled: false, filePath: answer };
  }

  reset(): void {
    this.openAnswers.length = 0;
    this.saveAnswers.length = 0;
    this.opened.length = 0;
    this.parents.length = 0;
  }
}

export function createFakeElectron() {
  const app = new FakeApp();
  const ipcMain = new FakeIpcMain();
  const ipcRenderer = new FakeIpcRenderer(ipcMain);
  const contextBridge = new FakeContextBridge();
  const defaultSession = new FakeSession();
  const windows: FakeBrowserWindow[] = [];
  const trays: FakeTray[] = [];
  const nativeTheme = new FakeNativeTheme();
  const dialog = new FakeDialog();

  class TrackedTray extends FakeTray {
    constructor(image: string) {
      super(image);
      trays.push(this);
    }
  }

  class TrackedBrowserWindow extends FakeBrowserWindow {
    constructor(options?: BrowserWindowConstructorOptions) {
      super(options);
      windows.push(this);
    }
  }

  /** What `import … from 'electron'` gives the code under test. */
  const module = {
    app,
    BrowserWindow: TrackedBrowserWindow,
    ipcMain,
    ipcRenderer,
    contextBridge,
    session: { defaultSession },
    Tray: TrackedTray,
    Menu: FakeMenu,
    Notification: FakeNotification,
    nativeTheme,
    dialog,
  };

  return {
    module,
    app,
    ipcMain,
    ipcRenderer,
    contextBridge,
    defaultSession,
    windows,
    trays,
    nativeTheme,
    notifications: FakeNotification.shown,
    dialog,
    /** A further renderer (another page or frame) talking to the same ipcMain. */
    connectRenderer(contents: FakeWebContents, frame?: FakeFrame): FakeIpcRenderer {
      return new FakeIpcRenderer(ipcMain).attach(contents, frame);
    },
    reset(): void {
      app.reset();
      ipcMain.reset();
      ipcRenderer.reset();
      contextBridge.reset();
      defaultSession.reset();
      windows.length = 0;
      trays.length = 0;
      nativeTheme.reset();
      FakeNotification.reset();
      dialog.reset();
    },
  };
}

export type FakeElectron = ReturnType<typeof createFakeElectron>;

/** The instance `vi.mock('electron', …)` hands out; reset it in beforeEach. */
export const fakeElectron: FakeElectron = createFakeElectron();
