/**
 * `tsunagi up` with a certificate profile, through the real `main()` and a helper socket served
 * in-process: the CLI reads the certificate, key and CA as the invoking user and sends their
 * contents; the helper's tunnel gets exactly those contents (it never opens the paths). A file
 * the user cannot read stops `up` before anything is sent.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../../../../native-helper/cli/main.js';
import { HelperServer } from '../../../../native-helper/daemon/server.js';
import { HelperClient } from '../../../../native-helper/ipc/client.js';
import { TunnelStateMachine } from '../../../../native-helper/tunnel/state-machine.js';
import { FakeDriver, MemoryFirewall, UP } from '../tunnel/doubles.js';

let dir: string;
let server: HelperServer;
let machine: TunnelStateMachine;
let fake: FakeDriver;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  return { cli, text: () => out.join(''), errors: () => err.join('') };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-up-files-'));
  chmodSync(dir, 0o755);
  process.env.TSUNAGI_SOCKET = join(dir, 'helper.sock');
  fake = new FakeDriver();
  const sink: { server?: HelperServer } = {};
  machine = new TunnelStateMachine({
    firewall: new MemoryFirewall(),
    driver: fake.driver,
    settings: { killSwitch: true, lockdown: false, allowLan: false },
    onState: (s) => sink.server?.onState(s),
    onLog: (level, text, component) => sink.server?.log(level, text, component),
    onTimeline: (entry) => sink.server?.onTimeline(entry),
  });
  server = new HelperServer({
    socketPath: process.env.TSUNAGI_SOCKET,
    access: { uids: new Set() },
    machine,
    version: 'test',
    resolve: (h) => Promise.resolve(h === 'vpn.lab.test' ? '198.51.100.10' : h),
    saveSettings: () => Promise.resolve(),
  });
  sink.server = server;
  await machine.start();
  await server.listen();
});

afterEach(async () => {
  machine.dispose();
  await server.close();
  delete process.env.TSUNAGI_SOCKET;
  rmSync(dir, { recursive: true, force: true });
});

const certProfile = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 1,
    name: 'Office',
    server: 'vpn.lab.test',
    auth: { method: 'cert', certificate: 'certs/alice.pem', privateKey: 'certs/alice.key' },
    ca: ['ca.pem'],
    ...extra,
  });

describe('tsunagi up: profile files travel as contents', () => {
  it('reads the certificate, key and CA relative to the profile and sends their contents', async () => {
    const path = join(dir, 'office.json');
    writeFileSync(path, certProfile());
    mkdirSync(join(dir, 'certs'));
    writeFileSync(join(dir, 'certs', 'alice.pem'), 'ALICE-CERT');
    writeFileSync(join(dir, 'certs', 'alice.key'), 'ALICE-KEY', { mode: 0o600 });
    writeFileSync(join(dir, 'ca.pem'), 'LAB-CA');
    const up = io();
    const running = main(['up', path], up.cli);
    for (let i = 0; fake.tunnels.length === 0; i++) {
      if (i > 200) throw new Error(`no tunnel started: ${up.errors()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(fake.last.target.files).toEqual({
      'certs/alice.pem': 'ALICE-CERT',
      'certs/alice.key': 'ALICE-KEY',
      'ca.pem': 'LAB-CA',
    });
    expect(fake.last.target.secrets).toContain('ALICE-KEY');
    fake.last.callbacks.up(UP);
    expect(await running).toBe(0);
  });

  it('a file that cannot be read stops up before the helper is asked', async () => {
    const path = join(dir, 'office.json');
    writeFileSync(path, certProfile());
    const up = io();
    expect(await main(['up', path], up.cli)).toBe(1);
    expect(up.errors()).toBe(
      `tsunagi up: cannot read certs/alice.pem (auth.certificate in ${path}): ENOENT; paths are relative to the profile's folder\n`,
    );
    expect(fake.tunnels).toHaveLength(0);
  });

  it('a client that sends no files is refused by the helper, naming the fields', async () => {
    const c = await HelperClient.open(process.env.TSUNAGI_SOCKET!, 'test');
    try {
      const r = await c
        .request({
          method: 'connect',
          profile: JSON.parse(certProfile()) as Record<string, unknown>,
        })
        .catch((e: Error) => e);
      expect(r).toBeInstanceOf(Error);
      expect((r as Error).message).toContain(
        'auth.privateKey: the contents of "certs/alice.key" were not sent with connect',
      );
    } finally {
      c.close();
    }
    expect(fake.tunnels).toHaveLength(0);
  });
});
