/**
 * systemd readiness: sd_notify through the native addon reaches a real datagram socket (path and
 * abstract, as $NOTIFY_SOCKET may be either), and the helper sends READY=1 only after its first
 * firewall policy is applied — with the failure in STATUS when it could not be.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHelper, type RunningHelper } from '../../../../native-helper/daemon/main.js';
import { sdNotify } from '../../../../native-helper/daemon/sd-notify.js';
import type { FirewallPolicy } from '../../../../native-helper/firewall/policy.js';
import { FakeDriver, MemoryFirewall } from '../tunnel/doubles.js';

/** A datagram Unix socket (what systemd listens on) printing each message it gets. */
const RECEIVER = `
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print('bound', flush=True)
while True:
    print(repr(s.recv(4096).decode()), flush=True)
`;

class Receiver {
  out = '';
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on('data', (d: Buffer) => (this.out += d.toString()));
  }
  static async start(address: string): Promise<Receiver> {
    const r = new Receiver(spawn('python3', ['-c', RECEIVER, address]));
    await r.waitFor('bound');
    return r;
  }
  async waitFor(text: string, ms = 5000): Promise<void> {
    const start = Date.now();
    while (!this.out.includes(text)) {
      if (Date.now() - start > ms) throw new Error(`no ${text} in ${this.out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  stop(): void {
    this.proc.kill();
  }
}

let dir: string;
let receiver: Receiver | undefined;
let running: RunningHelper | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsunagi-notify-'));
  chmodSync(dir, 0o755);
  process.env.TSUNAGI_CONFIG_DIR = join(dir, 'config');
  process.env.TSUNAGI_STATE_DIR = join(dir, 'state');
});

afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  receiver?.stop();
  receiver = undefined;
  delete process.env.NOTIFY_SOCKET;
  delete process.env.TSUNAGI_CONFIG_DIR;
  delete process.env.TSUNAGI_STATE_DIR;
  rmSync(dir, { recursive: true, force: true });
});

describe('sdNotify', () => {
  it('sends the fields as one datagram to a path socket and to an abstract one', async () => {
    const path = join(dir, 'notify');
    receiver = await Receiver.start(path);
    expect(sdNotify({ READY: '1', STATUS: 'two\nlines' }, path)).toBe(true);
    await receiver.waitFor(`'READY=1\\nSTATUS=two lines'`);
    receiver.stop();

    const abstract = `@tsunagi-test-${process.pid}`;
    receiver = await Receiver.start(abstract);
    expect(sdNotify({ READY: '1' }, abstract)).toBe(true);
    await receiver.waitFor(`'READY=1'`);
  });

  it('does nothing without $NOTIFY_SOCKET; a socket nobody listens on is an error', () => {
    expect(sdNotify({ READY: '1' }, undefined)).toBe(false);
    expect(() => sdNotify({ READY: '1' }, join(dir, 'nobody'))).toThrow(/sd_notify.*failed/);
    expect(() => sdNotify({ READY: '1' }, 'relative')).toThrow(/absolute or @abstract/);
  });
});

describe('the helper tells systemd it is ready', () => {
  /** Records the order of firewall applies and notifications. */
  const recorder = (fail = 0) => {
    const order: string[] = [];
    const firewall = new MemoryFirewall();
    firewall.failNext = fail;
    const apply = firewall.apply.bind(firewall);
    firewall.apply = async (p: FirewallPolicy) => {
      order.push(`apply ${p.kind}`);
      await new Promise((r) => setTimeout(r, 20)); // nft takes a while
      await apply(p);
      order.push(`applied ${p.kind}`);
    };
    return { order, firewall };
  };

  it('READY=1 only after the first policy is in place (real $NOTIFY_SOCKET)', async () => {
    const path = join(dir, 'notify');
    receiver = await Receiver.start(path);
    process.env.NOTIFY_SOCKET = path;
    const { order, firewall } = recorder();
    running = await startHelper(
      { socketPath: join(dir, 'h.sock'), group: undefined, allowUids: [] },
      't',
      { firewall, driver: new FakeDriver().driver, log: () => undefined },
    );
    await receiver.waitFor('READY=1');
    expect(receiver.out).toContain(`'READY=1\\nSTATUS=disconnected, firewall allow-all'`);
    expect(order).toEqual(['apply allow-all', 'applied allow-all']);
  });

  it('lockdown: the blocking policy comes first; a policy that fails is said in STATUS', async () => {
    const notes: Record<string, string>[] = [];
    const { order, firewall } = recorder();
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(
      join(dir, 'config', 'settings.json'),
      JSON.stringify({ killSwitch: true, lockdown: true, allowLan: false }),
    );
    running = await startHelper(
      { socketPath: join(dir, 'h.sock'), group: undefined, allowUids: [] },
      't',
      {
        firewall,
        driver: new FakeDriver().driver,
        log: () => undefined,
        notify: (f) => notes.push({ ...f, after: order.join(', ') }),
      },
    );
    expect(notes).toEqual([
      {
        READY: '1',
        STATUS: 'disconnected, firewall blocked',
        after: 'apply blocked, applied blocked',
      },
    ]);
    await running.shutdown();

    // nft fails (twice: the state's policy, then error's): still ready (clients must be able to
    // see why), but STATUS and the state say it is not blocking
    const failing = recorder(2);
    notes.length = 0;
    running = await startHelper(
      { socketPath: join(dir, 'h.sock'), group: undefined, allowUids: [] },
      't',
      {
        firewall: failing.firewall,
        driver: new FakeDriver().driver,
        log: () => undefined,
        notify: (f) => notes.push(f),
      },
    );
    expect(notes).toHaveLength(1);
    expect(notes[0]!.STATUS).toMatch(/^kill switch NOT applied: cannot apply .*injected failure/);
    expect(running.machine.describe()).toMatchObject({
      state: 'error',
      code: 'firewall-failed',
      blocking: false,
    });
  });
});
