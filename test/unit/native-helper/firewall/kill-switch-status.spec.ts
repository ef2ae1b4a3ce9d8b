/**
 * What the helper says about its kill switch follows the kernel: `blocking` is true only while a
 * blocking policy is really applied, a failure is surfaced with its cause, and a table that
 * vanished (another firewall manager flushed the ruleset) is noticed and put back.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NftablesFirewall } from '../../../../native-helper/firewall/nftables.js';
import type { FirewallPolicy } from '../../../../native-helper/firewall/policy.js';
import type { Settings, TunnelState } from '../../../../native-helper/ipc/protocol.js';
import { TunnelStateMachine } from '../../../../native-helper/tunnel/state-machine.js';
import { FakeDriver, MemoryFirewall, target, UP } from '../tunnel/doubles.js';

const ON: Settings = { killSwitch: true, lockdown: false, allowLan: false };

/** A kernel double: apply installs, `flush()` is another firewall manager's `flush ruleset`. */
class KernelFirewall extends MemoryFirewall {
  table: FirewallPolicy | undefined;
  checks = 0;
  override async apply(policy: FirewallPolicy): Promise<void> {
    await super.apply(policy);
    this.table = policy.kind === 'allow-all' ? undefined : policy;
  }
  intact(policy: FirewallPolicy): Promise<boolean> {
    this.checks++;
    return Promise.resolve(policy.kind === 'allow-all' || this.table !== undefined);
  }
  flush(): void {
    this.table = undefined;
  }
  /** The backend's change events (nft monitor), fired by the test. */
  watcher: (() => void) | undefined;
  watch(changed: () => void): () => void {
    this.watcher = changed;
    return () => (this.watcher = undefined);
  }
}

function setup(settings: Settings = ON, firewallCheckMs?: number) {
  const firewall = new KernelFirewall();
  const fake = new FakeDriver();
  const states: TunnelState[] = [];
  const logs: string[] = [];
  const machine = new TunnelStateMachine({
    firewall,
    driver: fake.driver,
    settings,
    onState: (s) => states.push(s),
    onLog: (level, text) => logs.push(`${level}: ${text}`),
    ...(firewallCheckMs !== undefined ? { firewallCheckMs } : {}),
  });
  return { firewall, fake, states, logs, machine };
}

afterEach(() => vi.useRealTimers());

describe('blocking says what the kernel does', () => {
  it('a failed connecting policy: error, and blocking only as far as the old policy blocks', async () => {
    const { firewall, fake, states, machine } = setup();
    await machine.start(); // disconnected, allow-all in place
    expect(states.at(-1)).toMatchObject({ state: 'disconnected', blocking: false });
    firewall.failNext = 2; // connecting's policy and then error's
    await machine.dispatch({ type: 'connect', target: target() });
    // the tunnel that started during the commit (IKE to the gateway only) is stopped again
    expect(fake.tunnels).toHaveLength(1);
    expect(fake.last.stopped).toBe(true);
    // before: the state said blocking: true while nothing blocked
    expect(states.at(-1)).toMatchObject({
      state: 'error',
      code: 'firewall-failed',
      blocking: false,
    });
    expect((states.at(-1) as { message: string }).message).toContain('nft: injected failure');
    expect(machine.firewall()).toEqual({
      applied: 'allow-all',
      wanted: 'blocked',
      error: expect.stringContaining('injected failure') as unknown as string,
      restored: 0,
    });
  });

  it('one failure, then error blocks: blocking true, no error left in the status', async () => {
    const { firewall, states, machine } = setup();
    await machine.start();
    firewall.failNext = 1;
    await machine.dispatch({ type: 'connect', target: target() });
    expect(states.at(-1)).toMatchObject({
      state: 'error',
      code: 'firewall-failed',
      blocking: true,
    });
    expect(machine.firewall()).toEqual({ applied: 'blocked', wanted: 'blocked', restored: 0 });
  });

  it('a tunnel error whose blocking policy fails is reported as a firewall failure, with both causes', async () => {
    const { firewall, fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.waitFor(() => expect(states.at(-1)?.state).toBe('connected'));
    expect(states.at(-1)).toMatchObject({ blocking: true });
    firewall.failNext = 1;
    fake.last.callbacks.closed({
      kind: 'error',
      code: 'auth-failed',
      message: 'AUTH refused',
      fix: '',
    });
    await vi.waitFor(() => expect(states.at(-1)?.state).not.toBe('connected'));
    // connected → reconnecting (its policy failed) → error (firewall-failed, applied)
    expect(states.at(-1)).toMatchObject({
      state: 'error',
      code: 'firewall-failed',
      blocking: true,
    });

    // the error state's own policy failing: kernel keeps the blocked table, cause surfaced
    const second = setup();
    await second.machine.start();
    await second.machine.dispatch({ type: 'connect', target: target() });
    second.firewall.failNext = 1;
    second.fake.last.callbacks.closed({
      kind: 'error',
      code: 'auth-failed',
      message: 'AUTH refused',
      fix: 'check the PSK',
    });
    await vi.waitFor(() => expect(second.states.at(-1)?.state).toBe('error'));
    const last = second.states.at(-1) as Extract<TunnelState, { state: 'error' }>;
    expect(last).toMatchObject({ code: 'firewall-failed', blocking: true });
    expect(last.message).toContain('AUTH refused');
    expect(last.message).toContain('injected failure');
  });

  it('kill switch off: connected is not blocking', async () => {
    const { fake, states, machine } = setup({
      killSwitch: false,
      lockdown: false,
      allowLan: false,
    });
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.waitFor(() => expect(states.at(-1)?.state).toBe('connected'));
    expect(states.at(-1)).toMatchObject({ blocking: false });
  });
});

describe('the firewall watch', () => {
  it('a flushed table is put back with the current policy; an intact one is left alone', async () => {
    const { firewall, fake, states, logs, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.waitFor(() => expect(states.at(-1)?.state).toBe('connected'));
    const applied = firewall.applied.length;
    const announced = states.length;
    expect(await machine.checkFirewall()).toBe('intact');
    expect(firewall.applied).toHaveLength(applied);

    firewall.flush();
    expect(await machine.checkFirewall()).toBe('restored');
    expect(firewall.table).toMatchObject({ kind: 'connected', tun: UP.tun });
    expect(firewall.applied).toHaveLength(applied + 1);
    expect(machine.firewall()).toEqual({ applied: 'connected', wanted: 'connected', restored: 1 });
    expect(logs.some((l) => l.startsWith("warn: the kill switch's table is gone"))).toBe(true);
    // the state did not change: nothing new announced, the tunnel kept running
    expect(states).toHaveLength(announced);
    expect(fake.last.stopped).toBe(false);
  });

  it('a policy that failed is retried until it holds', async () => {
    const { firewall, states, machine } = setup({
      killSwitch: true,
      lockdown: true,
      allowLan: false,
    });
    firewall.failNext = 2;
    await machine.start();
    expect(states.at(-1)).toMatchObject({ state: 'error', blocking: false });
    firewall.failNext = 1;
    expect(await machine.checkFirewall()).toBe('failed');
    expect(states).toHaveLength(1); // the same failure again: not announced again
    expect(await machine.checkFirewall()).toBe('restored');
    expect(states.at(-1)).toMatchObject({
      state: 'error',
      code: 'firewall-failed',
      blocking: true,
    });
    expect(machine.firewall()).toEqual({ applied: 'blocked', wanted: 'blocked', restored: 0 });
  });

  it('runs by itself every firewallCheckMs from start() until dispose()', async () => {
    vi.useFakeTimers();
    const { firewall, machine } = setup(
      { killSwitch: true, lockdown: true, allowLan: false },
      2_000,
    );
    await machine.start();
    firewall.flush();
    await vi.advanceTimersByTimeAsync(1_999);
    expect(firewall.table).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(firewall.table).toEqual({ kind: 'blocked', allowLan: false }));
    machine.dispose();
    const checks = firewall.checks;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(firewall.checks).toBe(checks);
  });
});

describe('the firewall watch: change events', () => {
  it('a deleted-table event from the backend re-checks at once, not at the next period', async () => {
    const { firewall, machine } = setup(
      { killSwitch: true, lockdown: true, allowLan: false },
      60_000,
    );
    await machine.start();
    expect(firewall.watcher).toBeDefined();
    firewall.flush();
    firewall.watcher!();
    await vi.waitFor(() => expect(firewall.table).toEqual({ kind: 'blocked', allowLan: false }));
    expect(machine.firewall().restored).toBe(1);
    // our own applies cause such events too: a check then finds the table intact
    firewall.watcher!();
    await vi.waitFor(() => expect(firewall.checks).toBe(2));
    expect(machine.firewall().restored).toBe(1);
    machine.dispose();
    expect(firewall.watcher).toBeUndefined();
  });
});

describe('NftablesFirewall.intact', () => {
  it('asks the kernel for the table only when the policy has one', async () => {
    const asked: string[] = [];
    let exists = true;
    const fw = new NftablesFirewall(
      () => Promise.resolve(),
      () => {
        asked.push('list table');
        return Promise.resolve(exists);
      },
    );
    expect(await fw.intact({ kind: 'allow-all' })).toBe(true);
    expect(asked).toEqual([]);
    expect(await fw.intact({ kind: 'blocked', allowLan: false })).toBe(true);
    exists = false;
    expect(await fw.intact({ kind: 'blocked', allowLan: false })).toBe(false);
    expect(asked).toHaveLength(2);
  });
});

describe('NftablesFirewall.watch (nft monitor tables)', () => {
  let dir: string | undefined;
  afterEach(() => {
    delete process.env.TSUNAGI_NFT;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  /** A stand-in `nft` that prints monitor lines, then stays (or exits when `exit`). */
  const fakeNft = (lines: string[], exit: boolean) => {
    dir = mkdtempSync(join(tmpdir(), 'tsunagi-nft-'));
    const path = join(dir, 'nft');
    const out = lines.map((l) => `echo '${l}'`).join('\n');
    writeFileSync(
      path,
      `#!/bin/sh\n[ "$1" = monitor ] || exit 9\n${out}\n${exit ? '' : 'exec sleep 30'}\n`,
    );
    chmodSync(path, 0o755);
    process.env.TSUNAGI_NFT = path;
  };

  it('reports only our table being deleted', async () => {
    fakeNft(
      ['add table inet other', 'delete table inet other', 'delete table inet tsunagi'],
      false,
    );
    let changed = 0;
    const stop = new NftablesFirewall().watch(() => changed++);
    await vi.waitFor(() => expect(changed).toBe(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(changed).toBe(1);
    stop();
  });

  it('a monitor that exits is started again; stopping ends it for good', async () => {
    fakeNft(['delete table inet tsunagi'], true);
    let changed = 0;
    const stop = new NftablesFirewall().watch(() => changed++);
    await vi.waitFor(() => expect(changed).toBe(2), { timeout: 3_000 });
    stop();
    const seen = changed;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(changed).toBe(seen);
  });
});
