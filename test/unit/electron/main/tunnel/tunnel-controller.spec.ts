// The app's link to the helper against a REAL HelperServer (startHelper over a Unix socket in a
// temp folder) with a recording firewall and a scripted tunnel driver: connect with keychain
// secrets and files, state/timeline/stats flow, settings both ways, helper restart, no helper,
// a helper that refuses us.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHelper, type RunningHelper } from '../../../../../native-helper/daemon/main.js';
import { HelperClient, HelperError } from '../../../../../native-helper/ipc/client.js';
import { JsonFileProfileStore } from '../../../../../electron/main/profile-store.js';
import { MemorySecretStore } from '../../../../../electron/main/secrets/secret-store.js';
import {
  describeLinkFailure,
  helperSocketPath,
  SERVICE_FORBIDDEN,
  SERVICE_NOT_RUNNING,
  TunnelController,
} from '../../../../../electron/main/tunnel/tunnel-controller.js';
import { DEFAULT_SETTINGS } from '../../../../../electron/shared/settings-schema.js';
import type {
  AppSettings,
  ConnectionSnapshot,
  LogEntry,
  SettingsPatch,
} from '../../../../../electron/shared/ipc-schema.js';
import { FakeDriver, MemoryFirewall, UP } from '../../../native-helper/tunnel/doubles.js';

/** Waits for the assertion: generous, the machine runs other suites at the same time. */
const until = <T>(check: () => T) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

const PSK = 'controller-psk-0123456789';

let dir: string;
let socketPath: string;
let helper: RunningHelper | undefined;
let firewall: MemoryFirewall;
let fake: FakeDriver;
let controller: TunnelController | undefined;
let profiles: JsonFileProfileStore;
let secrets: MemorySecretStore;
let appSettings: AppSettings;

function settingsAccess() {
  return {
    get: () => appSettings,
    update: async (patch: SettingsPatch) => (appSettings = { ...appSettings, ...patch }),
  };
}

async function runHelper(deps: Parameters<typeof startHelper>[2] = {}): Promise<RunningHelper> {
  helper = await startHelper({ socketPath, group: undefined, allowUids: [] }, 'test-helper', {
    firewall,
    driver: fake.driver,
    resolve: (h) => Promise.resolve(h === 'vpn.lab.test' ? '198.51.100.10' : h),
    log: () => undefined,
    statsIntervalMs: 40,
    ...deps,
  });
  return helper;
}

function makeController(path = socketPath): TunnelController {
  controller = new TunnelController({
    socketPath: path,
    profiles,
    profileDir: dir,
    secrets,
    settings: settingsAccess(),
    retry: { firstMs: 30, maxMs: 100 },
  });
  return controller;
}

async function ready(c: TunnelController): Promise<void> {
  c.start();
  await until(() => expect(c.snapshot().helper.status).toBe('ready'));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-controller-'));
  chmodSync(dir, 0o755);
  socketPath = join(dir, 'helper.sock');
  process.env.TSUNAGI_CONFIG_DIR = join(dir, 'config');
  process.env.TSUNAGI_STATE_DIR = join(dir, 'state');
  firewall = new MemoryFirewall();
  fake = new FakeDriver();
  secrets = new MemorySecretStore();
  appSettings = { ...DEFAULT_SETTINGS };
  profiles = new JsonFileProfileStore(join(dir, 'profiles.json'));
  await profiles.save({
    id: 'lab',
    profile: {
      version: 1,
      name: 'Lab',
      server: 'vpn.lab.test',
      auth: { method: 'psk', secret: { keychain: 'profile/lab/psk' } },
    } as never,
  });
});

afterEach(async () => {
  controller?.dispose();
  controller = undefined;
  await helper?.shutdown();
  helper = undefined;
  delete process.env.TSUNAGI_CONFIG_DIR;
  delete process.env.TSUNAGI_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('TunnelController against a real helper', () => {
  it('connects with the keychain secret; state, timeline and stats flow into the snapshot', async () => {
    await runHelper();
    await secrets.set('profile/lab/psk', PSK);
    const c = makeController();
    const changes: ConnectionSnapshot[] = [];
    const logs: LogEntry[] = [];
    c.on('changed', (s) => changes.push(s));
    c.on('log', (e) => logs.push(e));
    await ready(c);
    expect(c.snapshot()).toMatchObject({
      helper: { status: 'ready', helperVersion: 'test-helper' },
      tunnel: { state: 'disconnected' },
      profileId: null,
    });

    expect(await c.connect('lab')).toEqual({ accepted: true });
    // the helper got the profile with its reference and the secret beside it
    expect((fake.last.target.profile.auth as { secret: string }).secret).toBe(PSK);
    expect(fake.last.target.baseDir).toBe(dir);
    expect(c.snapshot()).toMatchObject({
      tunnel: { state: 'connecting', profile: 'Lab', gateway: '198.51.100.10' },
      profileId: 'lab',
    });
    // the expected state showed before the helper answered
    expect(changes.some((s) => s.tunnel.state === 'connecting' && s.tunnel.gateway === '')).toBe(
      true,
    );

    fake.last.callbacks.timeline({
      at: 5,
      kind: 'authenticated',
      text: 'Authenticated gateway vpn.lab.test (pre-shared key)',
    });
    fake.last.callbacks.up(UP);
    fake.last.stats.bytesIn = 4242;
    await until(() => expect(c.snapshot().tunnel.state).toBe('connected'));
    await until(() => expect(c.snapshot().stats.bytesIn).toBe(4242));
    expect(c.snapshot().timeline.map((e) => e.kind)).toEqual([
      'authenticated',
      'virtual-ip',
      'routes',
      'dns',
    ]);
    expect(c.snapshot().profileId).toBe('lab');
    // helper log lines arrive with their component; the app's own lines are `app`
    expect(logs.some((l) => l.component === 'helper' && l.text.startsWith('connect Lab'))).toBe(
      true,
    );
    expect(c.logs().some((l) => l.component === 'app' && l.text === 'connect Lab (lab)')).toBe(
      true,
    );
    expect(JSON.stringify(c.logs())).not.toContain(PSK);

    expect(await c.disconnect()).toEqual({ accepted: true });
    await until(() => expect(c.snapshot().tunnel.state).toBe('disconnected'));
    expect(c.snapshot().profileId).toBeNull();
    expect(c.snapshot().timeline.at(-1)).toMatchObject({ kind: 'closed' });
    expect(await c.disconnect()).toMatchObject({ accepted: false });
  });

  it('failures reach the log with their diagnosis: a failed tunnel, a refused connect', async () => {
    await runHelper();
    const c = makeController();
    const logs: LogEntry[] = [];
    c.on('log', (e) => logs.push(e));
    await ready(c);
    // refused before the helper: the keychain has no secret
    await c.connect('lab');
    expect(logs.at(-1)).toMatchObject({
      level: 'error',
      component: 'app',
      diagnosis: { fix: 'Open the profile in the editor and enter the secret again.' },
    });
    // the helper's tunnel fails: one error line with the helper's code, message and fix
    await secrets.set('profile/lab/psk', PSK);
    expect(await c.connect('lab')).toEqual({ accepted: true });
    fake.last.callbacks.closed({
      kind: 'error',
      code: 'auth-failed',
      message: 'The gateway did not accept the pre-shared key',
      fix: 'Check the pre-shared key in the profile against the one configured on the gateway.',
    });
    await until(() => expect(c.snapshot().tunnel.state).toBe('error'));
    await until(() =>
      expect(logs.filter((l) => l.diagnosis?.code === 'auth-failed')).toEqual([
        expect.objectContaining({
          level: 'error',
          component: 'app',
          text: 'connection failed: The gateway did not accept the pre-shared key',
          diagnosis: {
            code: 'auth-failed',
            fix: 'Check the pre-shared key in the profile against the one configured on the gateway.',
          },
        }),
      ]),
    );
    // the same failure announced again (a settings change) is not a second line
    await c.pushSettings({ ...appSettings, allowLan: !appSettings.allowLan });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.logs().filter((l) => l.diagnosis?.code === 'auth-failed')).toHaveLength(1);
    // the renderer gets them in the snapshot too
    expect(c.logs().filter((l) => l.diagnosis !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('a connect asked while the socket is still opening waits for it (app start, auto-connect)', async () => {
    await runHelper();
    await secrets.set('profile/lab/psk', PSK);
    const c = makeController();
    c.start();
    expect(c.snapshot().helper.status).toBe('connecting');
    expect(await c.connect('lab')).toEqual({ accepted: true });
    expect(fake.tunnels).toHaveLength(1);
  });

  it('a missing keychain secret or an unreadable file is a refusal with a fix, not a crash', async () => {
    await runHelper();
    const c = makeController();
    await ready(c);
    const noSecret = await c.connect('lab');
    expect(noSecret).toMatchObject({ accepted: false });
    if (noSecret.accepted) throw new Error('accepted');
    expect(noSecret.message).toContain('is not in the keychain');
    expect(noSecret.fix).toBe('Open the profile in the editor and enter the secret again.');
    expect(fake.tunnels).toHaveLength(0);

    await profiles.save({
      id: 'cert',
      profile: {
        version: 1,
        name: 'Cert',
        server: 'vpn.lab.test',
        auth: { method: 'cert', certificate: 'certs/me.pem', privateKey: 'certs/me.key' },
        ca: ['certs/ca.pem'],
      } as never,
    });
    const noFile = await c.connect('cert');
    if (noFile.accepted) throw new Error('accepted');
    expect(noFile.message).toBe(
      `Cannot read the certificate of "Cert" (${join(dir, 'certs/me.pem')}): it does not exist`,
    );
    expect(noFile.fix).toBe('Put the file back, or choose another one in the profile editor.');
    expect(c.snapshot().tunnel.state).toBe('disconnected');
    expect(c.logs().filter((l) => l.component === 'app' && l.level === 'error')).toHaveLength(2);

    // with the files in place (relative to the profile file's folder) they travel as `files`
    await mkdir(join(dir, 'certs'));
    await writeFile(join(dir, 'certs/me.pem'), 'CERT PEM');
    await writeFile(join(dir, 'certs/me.key'), 'KEY PEM');
    await writeFile(join(dir, 'certs/ca.pem'), 'CA PEM');
    expect(await c.connect('cert')).toEqual({ accepted: true });
    expect(fake.last.target.files).toEqual({
      'certs/me.pem': 'CERT PEM',
      'certs/me.key': 'KEY PEM',
      'certs/ca.pem': 'CA PEM',
    });
    expect(await c.connect('lab')).toMatchObject({
      accepted: false,
      fix: 'Disconnect first, then connect again.',
    });
    expect(await c.connect('nope')).toMatchObject({ accepted: false });
  });

  it("the helper's settings win at connect (a CLI lockdown is never undone by the app starting); the app's changes are pushed", async () => {
    await runHelper();
    const cli = await HelperClient.open(socketPath);
    await cli.request({ method: 'set-settings', settings: { lockdown: true } });
    appSettings = { ...appSettings, killSwitch: false, allowLan: true, lockdown: false };
    const c = makeController();
    const followed: AppSettings[] = [];
    c.on('settingsChanged', (s) => followed.push(s));
    await ready(c);
    await until(() =>
      expect(appSettings).toMatchObject({ killSwitch: true, lockdown: true, allowLan: false }),
    );
    expect(helper!.machine.settings).toEqual({ killSwitch: true, lockdown: true, allowLan: false });
    expect(followed.at(-1)).toMatchObject({ lockdown: true });
    expect(
      c.logs().some((l) => l.component === 'app' && /the app follows the service/.test(l.text)),
    ).toBe(true);

    // the user turns lockdown off and allows the LAN in the app: the helper enforces it
    appSettings = { ...appSettings, lockdown: false, allowLan: true };
    await c.pushSettings(appSettings);
    expect(helper!.machine.settings).toEqual({ killSwitch: true, lockdown: false, allowLan: true });

    // the CLI changes them again: the app follows live
    await cli.request({ method: 'set-settings', settings: { killSwitch: false } });
    cli.close();
    await until(() => expect(appSettings.killSwitch).toBe(false));
    expect(firewall.last).toEqual({ kind: 'allow-all' });
  });

  it('follows a helper restart: unavailable while it is gone, ready again after, settings pushed', async () => {
    await runHelper();
    const c = makeController();
    await ready(c);
    await helper!.shutdown();
    helper = undefined;
    await until(() =>
      expect(c.snapshot().helper).toEqual({ status: 'unavailable', ...SERVICE_NOT_RUNNING }),
    );
    expect(await c.connect('lab')).toEqual({
      accepted: false,
      message: SERVICE_NOT_RUNNING.reason,
      fix: SERVICE_NOT_RUNNING.fix,
    });

    // a change the user makes while the helper is away is kept and pushed when it is back
    appSettings = { ...appSettings, allowLan: true };
    await c.pushSettings(appSettings);
    await runHelper();
    await until(() => expect(c.snapshot().helper.status).toBe('ready'));
    await until(() => expect(helper!.machine.settings.allowLan).toBe(true));
    await secrets.set('profile/lab/psk', PSK);
    expect(await c.connect('lab')).toEqual({ accepted: true });
  });

  it('no socket: unavailable, the service is not running, with the command that starts it', async () => {
    const c = makeController(join(dir, 'absent.sock'));
    c.start();
    await until(() => expect(c.snapshot().helper.status).toBe('unavailable'));
    expect(c.snapshot().helper).toEqual({
      status: 'unavailable',
      reason: 'The Tsunagi service is not running',
      fix: 'Start it: sudo systemctl enable --now tsunagi-helper',
    });
    expect(c.snapshot().tunnel.state).toBe('disconnected');
    expect(c.logs().at(-1)).toMatchObject({ component: 'app', level: 'warn' });
  });

  it('a socket that accepts but never answers: "does not answer", and a connect does not hang', async () => {
    const accepted: Socket[] = [];
    const silent = createServer((socket) => accepted.push(socket));
    const path = join(dir, 'silent.sock');
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      controller = new TunnelController({
        socketPath: path,
        profiles,
        profileDir: dir,
        secrets,
        settings: settingsAccess(),
        retry: { firstMs: 20, maxMs: 20 },
        answerTimeoutMs: 100,
      });
      controller.start();
      expect(await controller.connect('lab')).toEqual({
        accepted: false,
        message: 'The Tsunagi service does not answer',
        fix: 'Restart it: sudo systemctl restart tsunagi-helper',
      });
      // retries while the first attempt still hangs open no further sockets
      await new Promise((r) => setTimeout(r, 300));
      expect(accepted).toHaveLength(1);
      expect(controller.snapshot().helper).toMatchObject({
        reason: 'The Tsunagi service does not answer',
      });
    } finally {
      controller?.dispose();
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  });

  it('a helper that refuses our uid: the tsunagi group advice', async () => {
    await runHelper({ peerCredentials: () => ({ pid: 1, uid: 4242, gid: 4242 }) });
    const c = makeController();
    c.start();
    await until(() => expect(c.snapshot().helper.status).toBe('unavailable'));
    expect(c.snapshot().helper).toEqual({ status: 'unavailable', ...SERVICE_FORBIDDEN });
    expect(SERVICE_FORBIDDEN.fix).toBe(
      'Add yourself to the tsunagi group: sudo usermod -aG tsunagi $USER, then log out and in',
    );
  });
});

describe('describeLinkFailure and the socket path', () => {
  it('names the cause and the fix for each failure', () => {
    const errno = (code: string) => Object.assign(new Error(code), { code });
    expect(describeLinkFailure(errno('ECONNREFUSED'), '/x')).toMatchObject(SERVICE_NOT_RUNNING);
    expect(describeLinkFailure(errno('EACCES'), '/x')).toMatchObject(SERVICE_FORBIDDEN);
    const version = describeLinkFailure(
      new HelperError('unsupported-version', 'this helper speaks protocol version 2, not 1'),
      '/x',
    );
    expect(version).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('different version'),
      fix: expect.stringContaining('Update Tsunagi'),
    });
    expect(describeLinkFailure(new Error('boom'), '/x')).toMatchObject({
      reason: 'Cannot talk to the Tsunagi service at /x: boom',
    });
  });

  it('TSUNAGI_HELPER_SOCKET points the app at another helper', () => {
    expect(helperSocketPath({})).toBe('/run/tsunagi/helper.sock');
    expect(helperSocketPath({ TSUNAGI_HELPER_SOCKET: '/tmp/h.sock' })).toBe('/tmp/h.sock');
  });
});
