import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from 'electron';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTOSTART_FILE_NAME,
  LoginItemError,
  applyLoginItem,
  autostartFilePath,
  desktopExec,
  launchCommand,
  launchedHidden,
  loginItemDeps,
  readLoginItem,
  type LoginItemApp,
  type LoginItemDeps,
} from '../../../../electron/main/login-item.js';

// Type-level check: Electron's real `app` is a LoginItemApp, so main-process.ts can pass it as is.
export const electronAppFits = (app: App): LoginItemApp => app;
export const electronAppMakesDeps = (app: App): LoginItemDeps => loginItemDeps(app);

let dir: string;
let configHome: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tsunagi-login-item-'));
  configHome = path.join(dir, 'config home');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A typed fake of the part of Electron's `app` the module uses, recording every call. */
class FakeApp implements LoginItemApp {
  readonly set: Parameters<LoginItemApp['setLoginItemSettings']>[0][] = [];
  readonly queried: (Parameters<LoginItemApp['getLoginItemSettings']>[0] | undefined)[] = [];
  openAtLogin = false;
  constructor(private readonly extra: { wasOpenedAtLogin?: boolean; status?: string } = {}) {}
  setLoginItemSettings(settings: Parameters<LoginItemApp['setLoginItemSettings']>[0]): void {
    this.set.push(settings);
    this.openAtLogin = settings.openAtLogin;
  }
  getLoginItemSettings(options?: Parameters<LoginItemApp['getLoginItemSettings']>[0]) {
    this.queried.push(options);
    return { openAtLogin: this.openAtLogin, ...this.extra };
  }
}

function linuxDeps(overrides: Partial<LoginItemDeps> = {}): LoginItemDeps {
  return {
    platform: 'linux',
    app: new FakeApp(),
    execPath: '/opt/Tsunagi/tsunagi',
    isPackaged: true,
    appPath: '/opt/Tsunagi/resources/app.asar',
    env: { XDG_CONFIG_HOME: configHome, HOME: path.join(dir, 'home') },
    homedir: path.join(dir, 'homedir'),
    ...overrides,
  };
}

// ------------------------------------------------------------------ an independent .desktop reader
// Written from the Desktop Entry Specification 1.5, not from the module: string-value escapes
// first, then the Exec quoting rules, then `%%`.

function parseDesktopEntry(text: string): { group: string; entries: Map<string, string> } {
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe(''); // ends with a newline
  const [header, ...body] = lines.slice(0, -1);
  const entries = new Map<string, string>();
  for (const line of body) {
    const match = /^([A-Za-z0-9-]+)=(.*)$/.exec(line);
    if (!match) throw new Error(`not a key=value line: ${line}`);
    const [, key = '', raw = ''] = match;
    expect(entries.has(key), `duplicate key ${key}`).toBe(false);
    entries.set(key, unescapeString(raw));
  }
  return { group: header ?? '', entries };
}

function unescapeString(raw: string): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    const map: Record<string, string> = { s: ' ', n: '\n', t: '\t', r: '\r', '\\': '\\' };
    const out = map[c];
    if (out === undefined) throw new Error(`invalid escape \\${c} in ${raw}`);
    return out;
  });
}

function splitExec(exec: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < exec.length) {
    if (exec[i] === ' ') {
      i++;
      continue;
    }
    let arg = '';
    if (exec[i] === '"') {
      i++;
      while (exec[i] !== '"') {
        if (i >= exec.length) throw new Error(`unterminated quote in ${exec}`);
        if (exec[i] === '\\') {
          const next = exec[i + 1] ?? '';
          if (!'"`$\\'.includes(next)) throw new Error(`invalid quoted escape \\${next}`);
          arg += next;
          i += 2;
        } else arg += exec[i++];
      }
      i++;
    } else {
      while (i < exec.length && exec[i] !== ' ') {
        const c = exec[i] ?? '';
        if ('"\'\\><~|&;$*?#()`\t'.includes(c))
          throw new Error(`reserved character ${c} outside quotes in ${exec}`);
        arg += c;
        i++;
      }
    }
    if (/%[^%]/.test(arg.replace(/%%/g, ''))) throw new Error(`stray field code in ${arg}`);
    args.push(arg.replace(/%%/g, '%'));
  }
  return args;
}

describe('Linux: XDG autostart entry', () => {
  it('enabling writes exactly this entry to $XDG_CONFIG_HOME/autostart, atomically', async () => {
    const deps = linuxDeps();
    const state = await applyLoginItem(true, deps);
    const file = path.join(configHome, 'autostart', 'tsunagi.desktop');
    expect(state).toEqual({
      status: 'enabled',
      mechanism: 'xdg-autostart',
      file,
      command: ['/opt/Tsunagi/tsunagi', '--hidden'],
    });
    expect(await readFile(file, 'utf8')).toBe(
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.0',
        'Name=Tsunagi',
        'Comment=IKEv2/IPsec VPN client, started in the tray at login',
        'Exec=/opt/Tsunagi/tsunagi --hidden',
        'Icon=tsunagi',
        'Terminal=false',
        'Categories=Network;',
        'X-GNOME-Autostart-enabled=true',
        '',
      ].join('\n'),
    );
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    // no temporary file left beside it
    expect(await readdir(path.dirname(file))).toEqual([AUTOSTART_FILE_NAME]);
    expect(await readLoginItem(deps)).toEqual(state);
    // Electron's login items are not used on Linux
    expect((deps.app as FakeApp).set).toEqual([]);
  });

  it('disabling removes the entry; disabling again is fine', async () => {
    const deps = linuxDeps();
    await applyLoginItem(true, deps);
    const file = autostartFilePath(deps.env, deps.homedir);
    expect(existsSync(file)).toBe(true);
    expect(await applyLoginItem(false, deps)).toEqual({
      status: 'disabled',
      mechanism: 'xdg-autostart',
    });
    expect(existsSync(file)).toBe(false);
    expect(await applyLoginItem(false, deps)).toEqual({
      status: 'disabled',
      mechanism: 'xdg-autostart',
    });
    expect(await readLoginItem(deps)).toEqual({ status: 'disabled', mechanism: 'xdg-autostart' });
  });

  it('re-enabling replaces an entry left by an install at another path', async () => {
    await applyLoginItem(true, linuxDeps({ execPath: '/old/place/tsunagi' }));
    const moved = linuxDeps();
    expect((await readLoginItem(moved)).status).toBe('disabled');
    await applyLoginItem(true, moved);
    const text = await readFile(autostartFilePath(moved.env, moved.homedir), 'utf8');
    expect(text).toContain('Exec=/opt/Tsunagi/tsunagi --hidden\n');
    expect((await readLoginItem(moved)).status).toBe('enabled');
  });

  it('quotes paths with spaces and reserved characters so the entry gives back the same argv', async () => {
    const execPath = path.join(dir, 'My Apps', 'Tsunagi "beta" $HOME `x` 100% \\ (1)', 'tsunagi');
    const deps = linuxDeps({ execPath });
    await applyLoginItem(true, deps);
    const text = await readFile(autostartFilePath(deps.env, deps.homedir), 'utf8');
    const { group, entries } = parseDesktopEntry(text);
    expect(group).toBe('[Desktop Entry]');
    expect(entries.get('Type')).toBe('Application');
    expect(entries.get('Name')).toBe('Tsunagi');
    expect(entries.get('X-GNOME-Autostart-enabled')).toBe('true');
    expect(splitExec(entries.get('Exec') ?? '')).toEqual([execPath, '--hidden']);
    // the raw line, written out by hand from the spec's rules
    expect(text).toContain(
      `Exec="${path.join(dir, 'My Apps')}/Tsunagi \\\\"beta\\\\" \\\\$HOME \\\\\`x\\\\\` 100%% \\\\\\\\ (1)/tsunagi" --hidden\n`,
    );
  });

  it('the entry passes desktop-file-validate when that tool is installed', async (ctx) => {
    let validator: string;
    try {
      validator = execFileSync('sh', ['-c', 'command -v desktop-file-validate'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      ctx.skip('desktop-file-validate is not installed (apt-get install desktop-file-utils)');
      return;
    }
    const deps = linuxDeps({ execPath: path.join(dir, 'with space', 'tsunagi') });
    await applyLoginItem(true, deps);
    const out = execFileSync(validator, [autostartFilePath(deps.env, deps.homedir)], {
      encoding: 'utf8',
    });
    expect(out).toBe('');
  });

  it('an AppImage starts the AppImage file, not its temporary mount', async () => {
    const deps = linuxDeps({
      execPath: '/tmp/.mount_TsunagXYZ/tsunagi',
      env: { XDG_CONFIG_HOME: configHome, APPIMAGE: '/home/a/Apps/Tsunagi-0.1.0.AppImage' },
    });
    expect((await applyLoginItem(true, deps)).status).toBe('enabled');
    const text = await readFile(autostartFilePath(deps.env, deps.homedir), 'utf8');
    expect(text).toContain('Exec=/home/a/Apps/Tsunagi-0.1.0.AppImage --hidden\n');
  });

  it('a development run names the Electron binary and the app directory', () => {
    expect(
      launchCommand({
        platform: 'linux',
        execPath: '/repo/node_modules/electron/dist/electron',
        isPackaged: false,
        appPath: '/repo',
        env: {},
      }),
    ).toEqual(['/repo/node_modules/electron/dist/electron', '/repo']);
  });

  it('XDG_CONFIG_HOME unset or relative (invalid per the spec) falls back to $HOME/.config', () => {
    expect(autostartFilePath({ HOME: '/home/a' }, '/nothome')).toBe(
      '/home/a/.config/autostart/tsunagi.desktop',
    );
    expect(autostartFilePath({ XDG_CONFIG_HOME: 'rel/dir', HOME: '/home/a' }, '/x')).toBe(
      '/home/a/.config/autostart/tsunagi.desktop',
    );
    expect(autostartFilePath({}, '/home/b')).toBe('/home/b/.config/autostart/tsunagi.desktop');
    expect(() => autostartFilePath({}, '')).toThrow(/neither XDG_CONFIG_HOME nor HOME/);
  });

  it('a directory that cannot be written gives a clear error and leaves no temporary file', async () => {
    const autostart = path.join(configHome, 'autostart');
    await mkdir(autostart, { recursive: true });
    const asRoot = process.getuid?.() === 0;
    // root ignores permission bits: then put a directory where the entry goes, so rename fails
    if (asRoot)
      await mkdir(path.join(autostart, AUTOSTART_FILE_NAME, 'occupied'), { recursive: true });
    else await chmod(autostart, 0o555);
    try {
      const error = await applyLoginItem(true, linuxDeps()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoginItemError);
      expect((error as Error).message).toMatch(
        /^cannot write the autostart entry .*tsunagi\.desktop: .*; check that .*autostart is writable$/,
      );
    } finally {
      await chmod(autostart, 0o755);
    }
    expect(await readdir(autostart)).toEqual(asRoot ? [AUTOSTART_FILE_NAME] : []);
  });

  it('refuses a path with a line break rather than write a broken entry', async () => {
    await expect(
      applyLoginItem(true, linuxDeps({ execPath: '/opt/a\nb/tsunagi' })),
    ).rejects.toThrow(/cannot hold a line break/);
    expect(existsSync(path.join(configHome, 'autostart', AUTOSTART_FILE_NAME))).toBe(false);
  });

  it('desktopExec leaves plain arguments bare and quotes an empty one', () => {
    expect(desktopExec(['/usr/bin/x', '--a=b', ''])).toBe('/usr/bin/x --a=b ""');
    expect(() => desktopExec([])).toThrow(/empty/);
  });
});

describe('macOS and Windows: Electron login items', () => {
  it('macOS sets openAtLogin only (login items carry no arguments) and reports approval', async () => {
    const app = new FakeApp({ status: 'requires-approval' });
    const deps = linuxDeps({ platform: 'darwin', app });
    expect(await applyLoginItem(true, deps)).toEqual({
      status: 'enabled',
      mechanism: 'login-item',
      requiresApproval: true,
    });
    expect(app.set).toEqual([{ openAtLogin: true }]);
    expect(await applyLoginItem(false, deps)).toEqual({
      status: 'disabled',
      mechanism: 'login-item',
    });
    expect(app.set).toEqual([{ openAtLogin: true }, { openAtLogin: false }]);
    // no file is written on macOS
    expect(existsSync(configHome)).toBe(false);
  });

  it('Windows registers the executable with --hidden and queries with the same path and args', async () => {
    const app = new FakeApp();
    const execPath = 'C:\\Users\\a b\\AppData\\Local\\Programs\\Tsunagi\\Tsunagi.exe';
    const deps = linuxDeps({ platform: 'win32', app, execPath });
    expect(await applyLoginItem(true, deps)).toEqual({
      status: 'enabled',
      mechanism: 'login-item',
      requiresApproval: false,
    });
    expect(app.set).toEqual([{ openAtLogin: true, path: execPath, args: ['--hidden'] }]);
    expect(app.queried).toEqual([{ path: execPath, args: ['--hidden'] }]);
    await applyLoginItem(false, deps);
    expect(app.set[1]).toEqual({ openAtLogin: false, path: execPath, args: ['--hidden'] });
  });

  it('Windows development run quotes the app directory', async () => {
    const app = new FakeApp();
    await applyLoginItem(
      true,
      linuxDeps({
        platform: 'win32',
        app,
        execPath: 'C:\\r\\electron.exe',
        isPackaged: false,
        appPath: 'C:\\my repo',
      }),
    );
    expect(app.set[0]).toEqual({
      openAtLogin: true,
      path: 'C:\\r\\electron.exe',
      args: ['"C:\\my repo"', '--hidden'],
    });
  });
});

describe('other platforms', () => {
  it('reports "not supported on this platform yet" and changes nothing', async () => {
    const app = new FakeApp();
    for (const platform of ['freebsd', 'openbsd', 'sunos', 'aix'] as const) {
      const deps = linuxDeps({ platform, app });
      const expected = {
        status: 'unsupported',
        message: `launch at login is not supported on this platform yet (${platform})`,
      };
      expect(await applyLoginItem(true, deps)).toEqual(expected);
      expect(await applyLoginItem(false, deps)).toEqual(expected);
      expect(await readLoginItem(deps)).toEqual(expected);
    }
    expect(app.set).toEqual([]);
    expect(existsSync(configHome)).toBe(false);
  });
});

describe('loginItemDeps', () => {
  it('takes the executable, platform and environment from the process and the rest from app', () => {
    const app = Object.assign(new FakeApp(), {
      isPackaged: true,
      getAppPath: () => '/opt/Tsunagi/resources/app.asar',
    });
    const env = { HOME: '/home/a' };
    const deps = loginItemDeps(app, { platform: 'linux', execPath: '/opt/Tsunagi/tsunagi', env });
    expect(deps).toMatchObject({
      platform: 'linux',
      execPath: '/opt/Tsunagi/tsunagi',
      isPackaged: true,
      appPath: '/opt/Tsunagi/resources/app.asar',
      env,
    });
    expect(deps.app).toBe(app);
    expect(path.isAbsolute(deps.homedir)).toBe(true);
  });
});

describe('launchedHidden', () => {
  it('is true with --hidden anywhere in argv, on every platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(launchedHidden(['/opt/Tsunagi/tsunagi', '--hidden'], platform)).toBe(true);
      expect(launchedHidden(['electron', '.', '--hidden', '--x'], platform)).toBe(true);
      expect(launchedHidden(['/opt/Tsunagi/tsunagi'], platform)).toBe(false);
      expect(launchedHidden(['/opt/Tsunagi/tsunagi', '--hidden=no', '-hidden'], platform)).toBe(
        false,
      );
    }
  });

  it('on macOS, a launch as a login item counts as hidden', () => {
    expect(launchedHidden(['/A.app/x'], 'darwin', new FakeApp({ wasOpenedAtLogin: true }))).toBe(
      true,
    );
    expect(launchedHidden(['/A.app/x'], 'darwin', new FakeApp({ wasOpenedAtLogin: false }))).toBe(
      false,
    );
    // the macOS-only flag is not consulted elsewhere
    expect(launchedHidden(['x'], 'linux', new FakeApp({ wasOpenedAtLogin: true }))).toBe(false);
  });
});
