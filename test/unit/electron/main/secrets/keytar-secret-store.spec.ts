// The keytar SecretStore against a REAL Secret Service: a private D-Bus session with an unlocked
// gnome-keyring (PLATFORM.md, "Electron, renderer, keychain"), in a child process with a scratch
// HOME and XDG_RUNTIME_DIR so the developer's own keyring is never touched.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const HAVE_KEYRING =
  existsSync('/usr/bin/dbus-run-session') && existsSync('/usr/bin/gnome-keyring-daemon');
const HAVE_KEYTAR = existsSync(path.join(REPO, 'node_modules/keytar/build/Release/keytar.node'));

if (!HAVE_KEYRING || !HAVE_KEYTAR) {
  console.warn(
    `SKIPPING the real-keychain tests: ${!HAVE_KEYRING ? 'dbus-run-session/gnome-keyring-daemon missing (apt-get install gnome-keyring dbus dbus-user-session)' : 'keytar is not built (npm install keytar with libsecret-1-dev)'}`,
  );
}

type Answer = { ok: true; value: unknown } | { ok: false; code: string; message: string };

let scratch: string;
let probe: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'tsunagi-keyring-'));
  for (const dir of ['home', 'run']) {
    await mkdir(path.join(scratch, dir));
    await chmod(path.join(scratch, dir), 0o700);
  }
  // The bundle imports keytar at run time: let it resolve from the repo's node_modules.
  await symlink(path.join(REPO, 'node_modules'), path.join(scratch, 'node_modules'));
  probe = path.join(scratch, 'keychain-probe.cjs');
  await build({
    entryPoints: [path.join(REPO, 'test/support/keychain-probe.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: probe,
    external: ['keytar'],
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function scratchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: path.join(scratch, 'home'),
    XDG_RUNTIME_DIR: path.join(scratch, 'run'),
    ...extra,
  };
  return env;
}

function parseAnswers(stdout: string): Answer[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Answer);
}

/** Runs the probe inside a fresh D-Bus session with an unlocked gnome-keyring. */
function withKeyring(steps: object[]): Answer[] {
  const script =
    'eval "$(printf %s scratch-password | gnome-keyring-daemon --unlock --components=secrets)"; ' +
    'export GNOME_KEYRING_CONTROL; exec node "$0" "$1"';
  const result = spawnSync(
    'dbus-run-session',
    ['--', 'sh', '-c', script, probe, JSON.stringify(steps)],
    {
      env: scratchEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  if (result.status !== 0) {
    throw new Error(`probe failed (${result.status}): ${result.stderr}\n${result.stdout}`);
  }
  return parseAnswers(result.stdout);
}

describe.skipIf(!HAVE_KEYRING || !HAVE_KEYTAR)('KeytarSecretStore with gnome-keyring', () => {
  it('stores, reads back, replaces and deletes a secret', () => {
    const answers = withKeyring([
      { op: 'get', account: 'office/psk' },
      { op: 'set', account: 'office/psk', secret: 'correct horse battery staple' },
      { op: 'get', account: 'office/psk' },
      { op: 'set', account: 'office/psk', secret: 'ünïcødé ✓ secret' },
      { op: 'get', account: 'office/psk' },
      { op: 'get', account: 'home/psk' },
      { op: 'delete', account: 'office/psk' },
      { op: 'get', account: 'office/psk' },
      { op: 'delete', account: 'office/psk' },
    ]);
    expect(answers).toEqual([
      { ok: true, value: null },
      { ok: true, value: null },
      { ok: true, value: 'correct horse battery staple' },
      { ok: true, value: null },
      { ok: true, value: 'ünïcødé ✓ secret' },
      { ok: true, value: null },
      { ok: true, value: true },
      { ok: true, value: null },
      { ok: true, value: false },
    ]);
  });

  it('fails with a typed no-keychain error when no Secret Service can be reached', () => {
    const result = spawnSync('node', [probe, JSON.stringify([{ op: 'get', account: 'x' }])], {
      // A bus address that leads nowhere, and no X display to autolaunch one.
      env: scratchEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(scratch, 'no-bus')}` }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    const [answer] = parseAnswers(result.stdout);
    expect(answer).toMatchObject({ ok: false, code: 'no-keychain' });
    expect((answer as { message: string }).message).toMatch(
      /^no keychain service is running \(Secret Service\/gnome-keyring\): /,
    );
  });
});
