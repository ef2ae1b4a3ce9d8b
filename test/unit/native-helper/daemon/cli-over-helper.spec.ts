/**
 * The helper-backed CLI commands (up, down, status, events, killswitch, lockdown) through the
 * real `main()` against a helper socket served in-process with doubles for tunnel and firewall.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, type CliIo } from '../../../../native-helper/cli/main.js';
import { HelperServer } from '../../../../native-helper/daemon/server.js';
import { HelperClient } from '../../../../native-helper/ipc/client.js';
import { TunnelStateMachine } from '../../../../native-helper/tunnel/state-machine.js';
import { FakeDriver, MemoryFirewall, UP } from '../tunnel/doubles.js';

let dir: string;
let server: HelperServer;
let machine: TunnelStateMachine;
let firewall: MemoryFirewall;
let fake: FakeDriver;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  return { cli, out, err, text: () => out.join('') };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-cli-'));
  chmodSync(dir, 0o755);
  process.env.TSUNAGI_SOCKET = join(dir, 'helper.sock');
  firewall = new MemoryFirewall();
  fake = new FakeDriver();
  const sink: { server?: HelperServer } = {};
  machine = new TunnelStateMachine({
    firewall,
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

describe('CLI over the helper', () => {
  it('up waits for connected, status shows it, down waits for disconnected', async () => {
    const path = join(dir, 'lab.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        name: 'Lab',
        server: 'vpn.lab.test',
        auth: { method: 'psk', secret: 'cli-secret-1234' },
        ca: ['ca.pem'],
      }),
    );
    const up = io();
    const running = main(['up', path], up.cli);
    for (let i = 0; fake.tunnels.length === 0; i++) {
      if (i > 200) throw new Error('no tunnel started');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(fake.last.target.baseDir).toBe(dir);
    expect(fake.last.target.gateway).toEqual({ address: '198.51.100.10' });
    fake.last.callbacks.up(UP);
    expect(await running).toBe(0);
    expect(up.text()).toMatch(
      /connecting {2}profile=Lab .*\nconnected {2}profile=Lab .*virtualIp=10\.10\.10\.1/,
    );

    const st = io();
    expect(await main(['status', '--json'], st.cli)).toBe(0);
    expect(JSON.parse(st.text())).toMatchObject({
      state: { state: 'connected', tun: 'tsunagi0' },
      settings: { killSwitch: true },
    });

    const down = io();
    expect(await main(['down'], down.cli)).toBe(0);
    expect(down.text()).toContain('disconnected  reason=user');
  });

  it('up exits 1 with the error state when the tunnel fails', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        name: 'L',
        server: '10.0.0.1',
        auth: { method: 'psk', secret: 's' },
      }),
    );
    const up = io();
    const running = main(['up', path], up.cli);
    for (let i = 0; fake.tunnels.length === 0; i++) {
      if (i > 200) throw new Error('no tunnel started');
      await new Promise((r) => setTimeout(r, 10));
    }
    fake.last.callbacks.closed({
      kind: 'error',
      code: 'auth-failed',
      message: 'AUTH failed',
      fix: 'check the PSK',
    });
    expect(await running).toBe(1);
    expect(up.text()).toContain('error  code=auth-failed');
  });

  it('killswitch and lockdown change the settings and the applied policy', async () => {
    const a = io();
    expect(await main(['lockdown', 'on'], a.cli)).toBe(0);
    expect(a.text()).toBe('lockdown on\n');
    expect(firewall.last).toEqual({ kind: 'blocked', allowLan: false });
    expect(await main(['killswitch', 'off'], a.cli)).toBe(0);
    expect(await main(['lockdown', 'off'], a.cli)).toBe(0);
    expect(firewall.last).toEqual({ kind: 'allow-all' });
    const st = io();
    await main(['status'], st.cli);
    expect(st.text()).toContain('kill switch: off  lockdown: off  allow LAN: off');
    expect(await main(['lockdown', 'maybe'], io().cli)).toBe(2);
  });

  it('a profile the helper rejects is reported with the field', async () => {
    const path = join(dir, 'invalid.json');
    writeFileSync(
      path,
      JSON.stringify({ version: 1, name: 'X', server: 'h', auth: { method: 'nope' } }),
    );
    const up = io();
    expect(await main(['up', path], up.cli)).toBe(1);
    expect(up.err.join('')).toContain('auth');
  });

  it('events prints the state and the timeline so far, then timeline, log and state events', async () => {
    const c = await HelperClient.open(process.env.TSUNAGI_SOCKET!);
    await c.request({
      method: 'connect',
      profile: {
        version: 1,
        name: 'Lab',
        server: 'vpn.lab.test',
        auth: { method: 'psk', secret: 'x-secret' },
      },
    });
    fake.last.callbacks.timeline({
      at: Date.now(),
      kind: 'dpd-sent',
      text: 'Dead-peer check sent',
    });
    const ev = io();
    const running = main(['events'], ev.cli);
    await vi.waitFor(() => expect(ev.text()).toContain('timeline'));
    fake.last.callbacks.up(UP);
    fake.last.callbacks.log('replay window moved', 'esp', 'debug');
    await vi.waitFor(() => expect(ev.text()).toContain('replay window moved'));
    c.close();
    await server.close(); // the helper goes away: events ends with 1
    expect(await running).toBe(1);
    const lines = ev.text().split('\n');
    expect(lines[0]).toMatch(/^connecting {2}profile=Lab /);
    expect(lines[1]).toMatch(/^timeline {2}\d\d:\d\d:\d\d Dead-peer check sent$/);
    expect(ev.text()).toMatch(/\nconnected {2}profile=Lab .*virtualIp=10\.10\.10\.1/);
    expect(ev.text()).toMatch(/\ntimeline {2}\d\d:\d\d:\d\d The gateway assigned 10\.10\.10\.1\n/);
    expect(ev.text()).toMatch(/\nlog {2}\d\d:\d\d:\d\d debug \[esp\] replay window moved\n/);
  });

  it('events --json starts with a snapshot that carries the history', async () => {
    server.log('warn', 'something to remember');
    const ev = io();
    const running = main(['events', '--json'], ev.cli);
    await vi.waitFor(() => expect(ev.text()).toContain('\n'));
    await server.close();
    expect(await running).toBe(1);
    const first = JSON.parse(ev.text().split('\n')[0]!);
    expect(first).toMatchObject({
      type: 'snapshot',
      status: { state: { state: 'disconnected' } },
      history: { timeline: [] },
    });
    expect(first.history.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        component: 'helper',
        text: 'something to remember',
      }),
    );
  });

  it('no helper: a clear diagnosis, exit 1', async () => {
    process.env.TSUNAGI_SOCKET = join(dir, 'absent.sock');
    const s = io();
    expect(await main(['status'], s.cli)).toBe(1);
    expect(s.err.join('')).toContain('the helper is not running');
  });
});
