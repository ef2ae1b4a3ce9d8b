// Launch at login, started hidden (tray only).
//   macOS, Windows: Electron's login items (app.setLoginItemSettings); Windows passes `--hidden`,
//     macOS cannot pass arguments to a login item, so there "opened at login" means hidden.
//   Linux: an XDG autostart entry, $XDG_CONFIG_HOME/autostart/tsunagi.desktop (default
//     ~/.config/autostart), Exec=<the app> --hidden; written atomically, deleted when turned off.
// Electron stays out of this module: what it needs from `app` and `process` comes in as deps, so
// the logic runs and is tested under plain Node.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The argument that starts the app in the tray without opening its window. */
export const HIDDEN_FLAG = '--hidden';
/** The autostart entry's file name (in $XDG_CONFIG_HOME/autostart). */
export const AUTOSTART_FILE_NAME = 'tsunagi.desktop';

/** What this module needs from Electron's `app` (a subset of its types, so the real one fits). */
export interface LoginItemApp {
  setLoginItemSettings(settings: { openAtLogin: boolean; path?: string; args?: string[] }): void;
  getLoginItemSettings(options?: { path?: string; args?: string[] }): {
    openAtLogin: boolean;
    /** macOS only */
    wasOpenedAtLogin?: boolean;
    /** macOS 13+: `requires-approval` until the user allows it in System Settings */
    status?: string;
  };
}

export interface LoginItemDeps {
  readonly platform: NodeJS.Platform;
  readonly app: LoginItemApp;
  /** process.execPath: the app's executable (inside a packaged app, the app itself). */
  readonly execPath: string;
  /** app.isPackaged: a development run (`electron .`) must also name the app directory. */
  readonly isPackaged: boolean;
  /** app.getAppPath(): the app directory, needed only when not packaged. */
  readonly appPath: string;
  /** process.env: XDG_CONFIG_HOME, HOME and APPIMAGE are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** os.homedir(), used when HOME is unset. */
  readonly homedir: string;
}

/**
 * The deps for this process, from Electron's `app` (passed in: this module never imports
 * Electron): main-process.ts calls `applyLoginItem(enabled, loginItemDeps(app))`.
 */
export function loginItemDeps(
  app: LoginItemApp & { readonly isPackaged: boolean; getAppPath(): string },
  proc: Pick<NodeJS.Process, 'platform' | 'execPath' | 'env'> = process,
): LoginItemDeps {
  return {
    platform: proc.platform,
    app,
    execPath: proc.execPath,
    isPackaged: app.isPackaged,
    appPath: app.getAppPath(),
    env: proc.env,
    homedir: os.homedir(),
  };
}

export type LoginItemState =
  | {
      readonly status: 'enabled';
      readonly mechanism: 'xdg-autostart';
      readonly file: string;
      readonly command: readonly string[];
    }
  | {
      readonly status: 'enabled';
      readonly mechanism: 'login-item';
      /** macOS 13+: the user still has to allow it (System Settings → General → Login Items). */
      readonly requiresApproval: boolean;
    }
  | {
      readonly status: 'disabled';
      readonly mechanism: 'xdg-autostart' | 'login-item';
    }
  | { readonly status: 'unsupported'; readonly message: string };

export class LoginItemError extends Error {
  override readonly name = 'LoginItemError';
}

/**
 * Turns launch at login on or off and reports what is now in place. Unsupported platforms get
 * `{ status: 'unsupported' }` (nothing is changed); a file that cannot be written throws
 * LoginItemError naming the file and the cause.
 */
export async function applyLoginItem(
  enabled: boolean,
  deps: LoginItemDeps,
): Promise<LoginItemState> {
  if (deps.platform === 'darwin') {
    deps.app.setLoginItemSettings({ openAtLogin: enabled });
    return readNativeLoginItem(deps);
  }
  if (deps.platform === 'win32') {
    deps.app.setLoginItemSettings({ openAtLogin: enabled, ...windowsLoginItemOptions(deps) });
    return readNativeLoginItem(deps);
  }
  if (deps.platform !== 'linux') return unsupported(deps.platform);
  const file = autostartFilePath(deps.env, deps.homedir);
  if (!enabled) {
    await removeAutostartEntry(file);
    return { status: 'disabled', mechanism: 'xdg-autostart' };
  }
  const command = [...launchCommand(deps), HIDDEN_FLAG];
  await writeFileAtomically(file, autostartDesktopEntry(command));
  return { status: 'enabled', mechanism: 'xdg-autostart', file, command };
}

/** What is in place now, without changing anything. */
export async function readLoginItem(deps: LoginItemDeps): Promise<LoginItemState> {
  if (deps.platform === 'darwin' || deps.platform === 'win32') return readNativeLoginItem(deps);
  if (deps.platform !== 'linux') return unsupported(deps.platform);
  const file = autostartFilePath(deps.env, deps.homedir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { status: 'disabled', mechanism: 'xdg-autostart' };
    throw new LoginItemError(`cannot read the autostart entry ${file}: ${describe(error)}`);
  }
  const command = [...launchCommand(deps), HIDDEN_FLAG];
  // Only our own, current entry counts: one left by an older install (another path) does not.
  return text === autostartDesktopEntry(command)
    ? { status: 'enabled', mechanism: 'xdg-autostart', file, command }
    : { status: 'disabled', mechanism: 'xdg-autostart' };
}

/**
 * True when the app should start in the tray without showing its window: `--hidden` on the
 * command line (Linux autostart, Windows login item), or, on macOS, opened as a login item
 * (macOS login items carry no arguments; Electron 45 reports this as `wasOpenedAtLogin`).
 */
export function launchedHidden(
  argv: readonly string[],
  platform: NodeJS.Platform,
  app?: Pick<LoginItemApp, 'getLoginItemSettings'>,
): boolean {
  if (argv.includes(HIDDEN_FLAG)) return true;
  if (platform === 'darwin' && app) return app.getLoginItemSettings().wasOpenedAtLogin === true;
  return false;
}

/**
 * The command that starts this app: the AppImage file for an AppImage (process.execPath points
 * into its temporary mount), the executable for a packaged app, the Electron binary and the app
 * directory for a development run.
 */
export function launchCommand(
  deps: Pick<LoginItemDeps, 'execPath' | 'isPackaged' | 'appPath' | 'env' | 'platform'>,
): string[] {
  const appImage = deps.env.APPIMAGE;
  if (deps.platform === 'linux' && appImage !== undefined && path.isAbsolute(appImage))
    return [appImage];
  return deps.isPackaged ? [deps.execPath] : [deps.execPath, deps.appPath];
}

/**
 * $XDG_CONFIG_HOME/autostart/tsunagi.desktop; the XDG base directory spec says a relative
 * XDG_CONFIG_HOME is invalid and must be ignored, falling back to $HOME/.config.
 */
export function autostartFilePath(
  env: Readonly<Record<string, string | undefined>>,
  homedir: string,
): string {
  const configHome = env.XDG_CONFIG_HOME;
  if (configHome !== undefined && path.isAbsolute(configHome))
    return path.join(configHome, 'autostart', AUTOSTART_FILE_NAME);
  const home = env.HOME !== undefined && path.isAbsolute(env.HOME) ? env.HOME : homedir;
  if (!path.isAbsolute(home))
    throw new LoginItemError(
      'cannot find the autostart directory: neither XDG_CONFIG_HOME nor HOME is an absolute path; set HOME',
    );
  return path.join(home, '.config', 'autostart', AUTOSTART_FILE_NAME);
}

/** The autostart entry (Desktop Entry Specification; Version is the spec version it keeps to). */
export function autostartDesktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=Tsunagi',
    'Comment=IKEv2/IPsec VPN client, started in the tray at login',
    `Exec=${desktopExec(command)}`,
    'Icon=tsunagi',
    'Terminal=false',
    'Categories=Network;',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

// Characters the spec reserves in Exec: an argument holding any of them must be double-quoted.
const RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * The Exec value for an argument vector: each argument quoted when needed (inside quotes `"`, `` ` ``,
 * `$` and `\` take a backslash), `%` doubled (field codes), then the string-value escaping that
 * every desktop-entry value gets (`\` → `\\`), in that order, as the spec requires.
 */
export function desktopExec(command: readonly string[]): string {
  if (command.length === 0) throw new LoginItemError('the autostart command is empty');
  const quoted = command.map((arg) => {
    if (/[\n\r\0]/.test(arg))
      throw new LoginItemError(
        `cannot start ${JSON.stringify(arg)} at login: a desktop entry cannot hold a line break in a path; move the app to a path without one`,
      );
    const needsQuotes = arg === '' || RESERVED.test(arg);
    const body = needsQuotes ? `"${arg.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : arg;
    return body.replace(/%/g, '%%');
  });
  return quoted.join(' ').replace(/\\/g, '\\\\');
}

function windowsLoginItemOptions(deps: LoginItemDeps): { path: string; args: string[] } {
  const [executable, ...rest] = launchCommand(deps);
  // Electron writes the args into the Run key as they are: paths with spaces need the quotes.
  const args = [...rest, HIDDEN_FLAG].map((a) => (/\s/.test(a) ? `"${a}"` : a));
  return { path: executable ?? deps.execPath, args };
}

function readNativeLoginItem(deps: LoginItemDeps): LoginItemState {
  const settings =
    deps.platform === 'win32'
      ? deps.app.getLoginItemSettings(windowsLoginItemOptions(deps))
      : deps.app.getLoginItemSettings();
  if (!settings.openAtLogin) return { status: 'disabled', mechanism: 'login-item' };
  return {
    status: 'enabled',
    mechanism: 'login-item',
    requiresApproval: settings.status === 'requires-approval',
  };
}

function unsupported(platform: string): LoginItemState {
  return {
    status: 'unsupported',
    message: `launch at login is not supported on this platform yet (${platform})`,
  };
}

async function writeFileAtomically(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new LoginItemError(
      `cannot write the autostart entry ${file}: ${describe(error)}; check that ${dir} is writable`,
    );
  }
}

async function removeAutostartEntry(file: string): Promise<void> {
  try {
    await rm(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new LoginItemError(
      `cannot remove the autostart entry ${file}: ${describe(error)}; delete it by hand to stop Tsunagi starting at login`,
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
