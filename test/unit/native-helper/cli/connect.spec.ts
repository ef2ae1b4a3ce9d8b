/**
 * `tsunagi connect` with doubles for the profile file, the privilege check, the tunnel and the
 * signals: the --json line shapes, an invalid profile naming its field, missing privileges
 * stopping it before anything is touched, Ctrl-C, and the exit codes (0 / 1 / 2).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectCommand,
  CONNECT_USAGE,
  type ConnectEnv,
  type ConnectTunnel,
} from '../../../../native-helper/cli/connect.js';
import type { CliIo } from '../../../../native-helper/cli/main.js';
import type { PrivilegeProblem } from '../../../../native-helper/cli/privileges.js';
import type { Profile } from '../../../../native-helper/profile/profile.js';
import type {
  ConnectionEvents,
  ConnectionState,
} from '../../../../native-helper/tunnel/connection.js';

const PROFILE = {
  version: 1,
  name: 'Office',
  server: 'vpn.example.com',
  remoteId: 'vpn.example.com',
  auth: { method: 'psk', secret: 's3cret' },
  routes: ['10.1.0.0/16'],
};

const CONNECTED: Extract<ConnectionState, { state: 'connected' }> = {
  state: 'connected',
  server: 'vpn.example.com',
  virtualIp: '10.10.10.1',
  dns: ['10.1.0.53'],
  mtu: 1400,
  ike: 'aes256gcm16-prfsha256-x25519',
  esp: 'aes256gcm16',
  tun: 'tsn0',
  routes: ['10.1.0.0/16'],
  since: 1_700_000_000_000,
};

type Final = Extract<ConnectionState, { state: 'disconnected' | 'error' }>;

interface Harness {
  io: CliIo & { stdout: string; stderr: string };
  env: ConnectEnv;
  /** What the double saw. */
  made: { profile: Profile; baseDir: string }[];
  stops: number;
  signalHandlers: number;
  /** Simulates SIGINT/SIGTERM (the handler the command registered). */
  signal(): void;
  privilegeChecks: number;
}

/**
 * `script` plays the tunnel: it emits through `events` and resolves with the final state; it may
 * wait for `stopped` (the command's stop() after a signal).
 */
function harness(
  opts: {
    file?: string | Error;
    privileges?: PrivilegeProblem;
    script?: (events: ConnectionEvents, stopped: Promise<void>) => Promise<Final>;
  } = {},
): Harness {
  let onStop: (() => void) | undefined;
  let stopResolve: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (stopResolve = r));
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  const h: Harness = {
    io,
    made: [],
    stops: 0,
    signalHandlers: 0,
    privilegeChecks: 0,
    signal: () => onStop?.(),
    env: {
      readFile: async () => {
        const f = opts.file ?? JSON.stringify(PROFILE);
        if (f instanceof Error) throw f;
        return f;
      },
      privileges: async () => {
        h.privilegeChecks++;
        return opts.privileges;
      },
      tunnel: (profile, events, baseDir): ConnectTunnel => {
        h.made.push({ profile, baseDir });
        return {
          run: () =>
            (
              opts.script ??
              (async () =>
                ({ state: 'disconnected', reason: 'deleted-by-us', wasConnected: true }) as Final)
            )(events, stopped),
          stop: () => {
            h.stops++;
            stopResolve();
          },
        };
      },
      onStopSignal: (stop) => {
        onStop = stop;
        h.signalHandlers++;
        return () => {
          onStop = undefined;
          h.signalHandlers--;
        };
      },
    },
  };
  return h;
}

const jsonLines = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** connecting → timeline event → connected, then waits for Ctrl-C → disconnected. */
const happy = async (events: ConnectionEvents, stopped: Promise<void>): Promise<Final> => {
  events.state({
    state: 'connecting',
    server: 'vpn.example.com',
    address: '192.0.2.1',
    local: '10.0.0.2',
  });
  events.timeline({ kind: 'ike-sa-init-sent' } as never, 1234);
  events.log('routes applied');
  events.state(CONNECTED);
  await stopped;
  const end: Final = { state: 'disconnected', reason: 'deleted-by-us', wasConnected: true };
  events.state(end);
  return end;
};

describe('tsunagi connect --json', () => {
  it('prints one JSON object a line: connecting, the timeline, connected with its details, disconnected after Ctrl-C; exit 0', async () => {
    const h = harness({ script: happy });
    const running = connectCommand(['/profiles/office.json', '--json'], h.io, h.env);
    await waitUntil(() => h.io.stdout.includes('"connected"'));
    h.signal();
    expect(await running).toBe(0);
    const lines = jsonLines(h.io.stdout);
    expect(lines).toEqual([
      {
        type: 'state',
        state: 'connecting',
        server: 'vpn.example.com',
        address: '192.0.2.1',
        local: '10.0.0.2',
      },
      { type: 'event', at: 1234, event: { kind: 'ike-sa-init-sent' } },
      { type: 'state', ...CONNECTED },
      { type: 'state', state: 'disconnected', reason: 'deleted-by-us', wasConnected: true },
    ]);
    // the fields the issue names on `connected`
    expect(lines[2]).toMatchObject({
      server: expect.any(String),
      virtualIp: expect.any(String),
      dns: expect.any(Array),
      ike: expect.any(String),
      esp: expect.any(String),
    });
    // log lines are for people: not in --json; nothing on stderr
    expect(h.io.stdout).not.toContain('routes applied');
    expect(h.io.stderr).toBe('');
    expect(h.stops).toBe(1);
    expect(h.signalHandlers).toBe(0); // unsubscribed
    expect(h.made[0]!.baseDir).toBe('/profiles');
    expect(h.made[0]!.profile.name).toBe('Office');
  });

  it('an error carries code, message and fix (and not the raw error object); exit 1', async () => {
    const h = harness({
      script: async (events) => {
        const end: Final = {
          state: 'error',
          code: 'authentication-failed',
          message: 'the gateway rejected our authentication',
          fix: 'check "auth.secret"',
          error: { code: 'authentication-failed', by: 'peer', detail: 'AUTHENTICATION_FAILED' },
        };
        events.state(end);
        return end;
      },
    });
    expect(await connectCommand(['office.json', '--json'], h.io, h.env)).toBe(1);
    expect(jsonLines(h.io.stdout)).toEqual([
      {
        type: 'state',
        state: 'error',
        code: 'authentication-failed',
        message: 'the gateway rejected our authentication',
        fix: 'check "auth.secret"',
      },
    ]);
    expect(h.io.stderr).toBe('');
  });

  it('an invalid profile: config-invalid naming the field, exit 1, no privilege check, no tunnel', async () => {
    const h = harness({
      file: JSON.stringify({ ...PROFILE, routes: ['10.0.0.0/8', '10.0.0.0/33'] }),
    });
    expect(await connectCommand(['office.json', '--json'], h.io, h.env)).toBe(1);
    const [line, ...more] = jsonLines(h.io.stdout);
    expect(more).toEqual([]);
    expect(line).toEqual({
      type: 'state',
      state: 'error',
      code: 'config-invalid',
      message:
        'the profile\'s routes[1] is invalid: "10.0.0.0/33" is not a CIDR like 10.0.0.0/8 or fd00::/8',
      fix: 'correct "routes[1]" in the profile',
    });
    expect(h.made).toEqual([]);
    expect(h.privilegeChecks).toBe(0);
  });

  it('a profile that breaks a rule between fields names it too (rekey time above the lifetime)', async () => {
    const h = harness({
      file: JSON.stringify({ ...PROFILE, childLifetime: 600, childRekeyTime: 700 }),
    });
    expect(await connectCommand(['office.json', '--json'], h.io, h.env)).toBe(1);
    expect(jsonLines(h.io.stdout)[0]).toMatchObject({
      code: 'config-invalid',
      fix: 'correct "childRekeyTime" in the profile',
    });
  });

  it('an unreadable or non-JSON file is config-invalid on the profile', async () => {
    const missing = harness({
      file: new Error("ENOENT: no such file or directory, open 'x.json'"),
    });
    expect(await connectCommand(['x.json', '--json'], missing.io, missing.env)).toBe(1);
    expect(jsonLines(missing.io.stdout)[0]).toMatchObject({
      code: 'config-invalid',
      message: expect.stringContaining('cannot read x.json: ENOENT'),
    });
    const garbage = harness({ file: '{ "version": 1,' });
    expect(await connectCommand(['x.json', '--json'], garbage.io, garbage.env)).toBe(1);
    expect(jsonLines(garbage.io.stdout)[0]).toMatchObject({
      code: 'config-invalid',
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('missing privileges: one error line before any tunnel is made; exit 1', async () => {
    const h = harness({
      privileges: {
        missing: ['CAP_NET_ADMIN (TUN device, routes)'],
        message: 'tsunagi connect needs root: missing CAP_NET_ADMIN (TUN device, routes)',
        fix: 'run it with sudo: sudo tsunagi connect …',
      },
    });
    expect(await connectCommand(['office.json', '--json'], h.io, h.env)).toBe(1);
    expect(jsonLines(h.io.stdout)).toEqual([
      {
        type: 'state',
        state: 'error',
        code: 'local-setup-failed',
        message: 'tsunagi connect needs root: missing CAP_NET_ADMIN (TUN device, routes)',
        fix: 'run it with sudo: sudo tsunagi connect …',
      },
    ]);
    expect(h.made).toEqual([]);
    expect(h.signalHandlers).toBe(0);
  });
});

describe('tsunagi connect (text)', () => {
  it('prints states as "state  key=value", log lines indented, the fix only on stderr', async () => {
    const h = harness({ script: happy });
    const running = connectCommand(['office.json'], h.io, h.env);
    await waitUntil(() => h.io.stdout.includes('connected'));
    h.signal();
    expect(await running).toBe(0);
    const out = h.io.stdout.split('\n');
    expect(out[0]).toBe('connecting  server=vpn.example.com address=192.0.2.1 local=10.0.0.2');
    expect(out).toContain('  · ike-sa-init-sent');
    expect(out).toContain('  routes applied');
    expect(out).toContain(
      'connected  server=vpn.example.com virtualIp=10.10.10.1 dns=10.1.0.53 mtu=1400 ike=aes256gcm16-prfsha256-x25519 esp=aes256gcm16 tun=tsn0 routes=10.1.0.0/16 since=1700000000000',
    );
    expect(out).toContain('  disconnecting…');
  });

  it('an invalid profile lists every issue on stderr and the one-line diagnosis', async () => {
    const h = harness({ file: JSON.stringify({ ...PROFILE, dpdDelay: 'soon', colour: 'blue' }) });
    expect(await connectCommand(['office.json'], h.io, h.env)).toBe(1);
    expect(h.io.stderr).toContain('office.json is invalid:');
    expect(h.io.stderr).toContain('- dpdDelay: must be a number of seconds');
    expect(h.io.stderr).toContain('- colour: unknown field "colour"');
    expect(h.io.stdout).toMatch(/^error {2}code=config-invalid message=the profile's dpdDelay/);
    expect(h.io.stdout).not.toContain('fix=');
  });

  it('missing privileges: the line names what is missing and the fix', async () => {
    const h = harness({
      privileges: {
        missing: ['CAP_NET_BIND_SERVICE (UDP port 500)'],
        message: 'tsunagi connect needs root: missing CAP_NET_BIND_SERVICE (UDP port 500)',
        fix: 'run it with sudo: sudo tsunagi connect …',
      },
    });
    expect(await connectCommand(['office.json'], h.io, h.env)).toBe(1);
    expect(h.io.stderr).toBe(
      'tsunagi: tsunagi connect needs root: missing CAP_NET_BIND_SERVICE (UDP port 500) — run it with sudo: sudo tsunagi connect …\n',
    );
  });
});

describe('tsunagi connect usage errors (exit 2)', () => {
  for (const args of [[], ['a.json', 'b.json'], ['office.json', '--verbose']]) {
    it(`${JSON.stringify(args)}`, async () => {
      const h = harness();
      expect(await connectCommand(args, h.io, h.env)).toBe(2);
      expect(h.io.stderr).toContain(`usage: ${CONNECT_USAGE}`);
      if (args.includes('--verbose')) expect(h.io.stderr).toContain('unknown option --verbose');
      expect(h.io.stdout).toBe('');
      expect(h.made).toEqual([]);
    });
  }
});

const canDropPrivileges =
  process.getuid?.() === 0 &&
  existsSync('dist/native-helper/cli.js') &&
  spawnSync('setpriv', ['--version']).status === 0;

describe.skipIf(!canDropPrivileges)('the built CLI without privileges (setpriv)', () => {
  function run(setpriv: string[]) {
    const dir = mkdtempSync(join(tmpdir(), 'tsunagi-connect-privileges-'));
    try {
      chmodSync(dir, 0o755);
      const path = join(dir, 'office.json');
      writeFileSync(path, JSON.stringify({ ...PROFILE, server: '192.0.2.1' }), { mode: 0o644 });
      return spawnSync(
        'setpriv',
        [...setpriv, process.execPath, 'native-helper/bin/tsunagi.js', 'connect', path, '--json'],
        { encoding: 'utf8', timeout: 30_000 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // nobody must be able to reach the checkout (a clone under a 0700 directory is not)
  const nobodyReaches =
    canDropPrivileges &&
    spawnSync('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'test',
      '-r',
      resolve('dist/native-helper/cli.js'),
    ]).status === 0;
  it.skipIf(!nobodyReaches)('as nobody: one error line naming what is missing, exit 1', () => {
    const r = run(['--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(r.status).toBe(1);
    expect(jsonLines(r.stdout)).toEqual([
      {
        type: 'state',
        state: 'error',
        code: 'local-setup-failed',
        message: expect.stringMatching(
          /^tsunagi connect needs root: missing CAP_NET_ADMIN \(TUN device, routes\), CAP_NET_BIND_SERVICE \(UDP port 500\) and write access to /,
        ),
        fix: 'run it with sudo: sudo tsunagi connect …',
      },
    ]);
  });

  it('as root without CAP_NET_ADMIN in its bounding set: names the capability', () => {
    const r = run(['--bounding-set=-net_admin']);
    expect(r.status).toBe(1);
    expect(jsonLines(r.stdout)).toEqual([
      expect.objectContaining({
        code: 'local-setup-failed',
        message: 'tsunagi connect runs as root but without CAP_NET_ADMIN (TUN device, routes)',
      }),
    ]);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 1));
  }
}
