import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Settings, TunnelState } from '../../../../native-helper/ipc/protocol.js';
import { TunnelStateMachine } from '../../../../native-helper/tunnel/state-machine.js';
import {
  MAX_RECONNECT_ATTEMPTS,
  reconnectDelayMs,
} from '../../../../native-helper/tunnel/states/reconnecting.js';
import { FakeDriver, MemoryFirewall, target, tick, UP } from './doubles.js';

const ON: Settings = { killSwitch: true, lockdown: false, allowLan: false };

function setup(settings: Settings = ON) {
  const firewall = new MemoryFirewall();
  const fake = new FakeDriver();
  const states: TunnelState[] = [];
  const machine = new TunnelStateMachine({
    firewall,
    driver: fake.driver,
    settings,
    onState: (s) => states.push(s),
  });
  return { firewall, fake, states, machine };
}

afterEach(() => vi.useRealTimers());

describe('TunnelStateMachine', () => {
  it('connect → connected → disconnect, one policy per state entry', async () => {
    const { firewall, fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await tick();
    await machine.dispatch({ type: 'disconnect' });
    await tick();
    await tick();
    expect(states.map((s) => s.state)).toEqual([
      'disconnected',
      'connecting',
      'connected',
      'disconnecting',
      'disconnected',
    ]);
    expect(firewall.applied).toEqual([
      { kind: 'allow-all' },
      { kind: 'blocked', gateway: { address: '198.51.100.10' }, allowLan: false },
      {
        kind: 'connected',
        gateway: { address: '198.51.100.10' },
        tun: 'tsunagi0',
        dns: ['10.99.0.53'],
        allowLan: false,
      },
      { kind: 'blocked', gateway: { address: '198.51.100.10' }, allowLan: false },
      { kind: 'allow-all' },
    ]);
    expect(fake.last.stopped).toBe(true);
  });

  it('from a policy that already lets IKE reach the gateway, the tunnel starts while the blocking policy is committed', async () => {
    // an nftables commit that replaces rules waits for an RCU grace period (8–16 ms): the tunnel
    // only sends IKE to its gateway meanwhile, which the old policy (allow-all here) allows too
    const firewall = new MemoryFirewall();
    const fake = new FakeDriver();
    let appliedWhenStarted: string | undefined;
    const states: TunnelState[] = [];
    const machine = new TunnelStateMachine({
      firewall,
      settings: ON,
      onState: (s) => states.push(s),
      driver: (t, cb) => {
        appliedWhenStarted = firewall.last?.kind;
        return fake.driver(t, cb);
      },
    });
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    expect(appliedWhenStarted).toBe('allow-all');
    expect(firewall.last).toMatchObject({ kind: 'blocked', gateway: { address: '198.51.100.10' } });
    // announced as connecting (and blocking) only once the blocking policy is in the kernel
    expect(states.at(-1)).toMatchObject({ state: 'connecting', blocking: true });
  });

  it("an early tunnel's timeline reaches clients after its connecting state, in order", async () => {
    // clients start a new connection's timeline at `connecting`: an IKE_SA_INIT reported while
    // the blocking policy was still being committed must not come before it
    const firewall = new MemoryFirewall();
    const fake = new FakeDriver();
    const seen: string[] = [];
    const machine = new TunnelStateMachine({
      firewall,
      settings: ON,
      onState: (s) => seen.push(`state ${s.state}`),
      onTimeline: (e) => seen.push(`timeline ${e.kind}`),
      driver: (t, cb) => {
        const handle = fake.driver(t, cb);
        cb.timeline({ at: 1, kind: 'ike-sa-init-sent', text: 'Contacting the gateway' });
        cb.timeline({ at: 2, kind: 'nat-detected', text: 'NAT detected' });
        return handle;
      },
    });
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.timeline({ at: 3, kind: 'authenticated', text: 'Authenticated' });
    expect(seen).toEqual([
      'state disconnected',
      'state connecting',
      'timeline ike-sa-init-sent',
      'timeline nat-detected',
      'timeline authenticated',
    ]);
  });

  it('in lockdown (blocked without a gateway) the tunnel starts only once its gateway is allowed', async () => {
    const firewall = new MemoryFirewall();
    const fake = new FakeDriver();
    let appliedWhenStarted: unknown;
    const machine = new TunnelStateMachine({
      firewall,
      settings: { killSwitch: true, lockdown: true, allowLan: false },
      driver: (t, cb) => {
        appliedWhenStarted = firewall.last;
        return fake.driver(t, cb);
      },
    });
    await machine.start();
    expect(firewall.last).toEqual({ kind: 'blocked', allowLan: false });
    await machine.dispatch({ type: 'connect', target: target() });
    expect(appliedWhenStarted).toEqual({
      kind: 'blocked',
      gateway: { address: '198.51.100.10' },
      allowLan: false,
    });
  });

  it('a tunnel that comes up while the blocking policy is committed gets the connected policy only after it', async () => {
    const applied: string[] = [];
    let release: () => void = () => undefined;
    const firewall = {
      apply: (p: { kind: string }) => {
        applied.push(`start ${p.kind}`);
        if (p.kind !== 'blocked')
          return Promise.resolve().then(() => {
            applied.push(`done ${p.kind}`);
          });
        return new Promise<void>((r) => (release = r)).then(() => {
          applied.push(`done ${p.kind}`);
        });
      },
    };
    const fake = new FakeDriver();
    const states: TunnelState[] = [];
    const machine = new TunnelStateMachine({
      firewall,
      settings: ON,
      driver: fake.driver,
      onState: (s) => states.push(s),
    });
    await machine.start();
    const connecting = machine.dispatch({ type: 'connect', target: target() });
    await tick();
    expect(fake.tunnels).toHaveLength(1);
    fake.last.callbacks.up(UP);
    await tick();
    expect(applied).toEqual(['start allow-all', 'done allow-all', 'start blocked']);
    release();
    await connecting;
    await tick();
    expect(applied).toEqual([
      'start allow-all',
      'done allow-all',
      'start blocked',
      'done blocked',
      'start connected',
      'done connected',
    ]);
    expect(states.map((s) => s.state)).toEqual(['disconnected', 'connecting', 'connected']);
  });

  it('kill switch off: nothing is blocked in any state', async () => {
    const { firewall, fake, machine } = setup({
      killSwitch: false,
      lockdown: false,
      allowLan: false,
    });
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await tick();
    fake.last.callbacks.closed({ kind: 'error', code: 'x', message: 'dpd', fix: '' });
    await tick();
    expect(firewall.applied.every((p) => p.kind === 'allow-all')).toBe(true);
    machine.dispose();
  });

  it('lockdown blocks while disconnected and after a disconnect', async () => {
    const { firewall, machine } = setup({ killSwitch: false, lockdown: true, allowLan: true });
    await machine.start();
    expect(firewall.last).toEqual({ kind: 'blocked', allowLan: true });
    expect(machine.describe()).toEqual({
      state: 'disconnected',
      reason: 'not-started',
      blocking: true,
    });
    await machine.updateSettings({ killSwitch: false, lockdown: false, allowLan: true });
    expect(firewall.last).toEqual({ kind: 'allow-all' });
  });

  it('a failure while connecting is an error that keeps blocking until dismissed', async () => {
    const { firewall, fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.closed({
      kind: 'error',
      code: 'auth-failed',
      message: 'no',
      fix: 'fix it',
    });
    await tick();
    expect(states.at(-1)).toMatchObject({ state: 'error', code: 'auth-failed', blocking: true });
    expect(firewall.last?.kind).toBe('blocked');
    await machine.dispatch({ type: 'disconnect' });
    expect(states.at(-1)?.state).toBe('disconnected');
    expect(firewall.last?.kind).toBe('allow-all');
  });

  it('a dropped tunnel reconnects with backoff, then gives up into error', async () => {
    vi.useFakeTimers();
    const { fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.advanceTimersByTimeAsync(0);
    for (let attempt = 1; attempt <= MAX_RECONNECT_ATTEMPTS; attempt++) {
      fake.last.callbacks.closed({ kind: 'error', code: 'dpd', message: 'gateway gone', fix: '' });
      await vi.advanceTimersByTimeAsync(0);
      expect(states.at(-1)).toMatchObject({
        state: attempt === 1 ? 'reconnecting' : 'reconnecting',
      });
      const before = fake.tunnels.length;
      await vi.advanceTimersByTimeAsync(reconnectDelayMs(attempt) - 1);
      expect(fake.tunnels.length).toBe(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(fake.tunnels.length).toBe(before + 1);
    }
    fake.last.callbacks.closed({ kind: 'error', code: 'dpd', message: 'gateway gone', fix: '' });
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({
      state: 'error',
      code: 'reconnect-failed',
      blocking: true,
    });
  });

  it('a reconnect that succeeds is connected again', async () => {
    vi.useFakeTimers();
    const { fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.advanceTimersByTimeAsync(0);
    fake.last.callbacks.closed({
      kind: 'disconnected',
      reason: 'deleted-by-peer',
      wasConnected: true,
    });
    await vi.advanceTimersByTimeAsync(reconnectDelayMs(1));
    fake.last.callbacks.up(UP);
    await vi.advanceTimersByTimeAsync(0);
    expect(states.map((s) => s.state).slice(-2)).toEqual(['reconnecting', 'connected']);
  });

  it('a tunnel that re-establishes by itself is reported as reconnecting, blocked, and not restarted', async () => {
    vi.useFakeTimers();
    const { firewall, fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    fake.last.callbacks.up(UP);
    await vi.advanceTimersByTimeAsync(0);
    fake.last.callbacks.reconnecting(1, 'the gateway stopped answering');
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({
      state: 'reconnecting',
      attempt: 1,
      reason: 'the gateway stopped answering',
      blocking: true,
    });
    expect(firewall.last).toMatchObject({ kind: 'blocked' });
    fake.last.callbacks.reconnecting(2, 'no answer');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(states.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 2 });
    // the tunnel is still running and retrying itself: no second tunnel was started
    expect(fake.tunnels).toHaveLength(1);
    fake.last.callbacks.up(UP);
    await vi.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({ state: 'connected' });
    expect(firewall.last).toMatchObject({ kind: 'connected' });
  });

  it('a firewall that cannot be applied leads to error, never to an open state', async () => {
    const { firewall, fake, states, machine } = setup();
    await machine.start();
    firewall.failNext = 1;
    await machine.dispatch({ type: 'connect', target: target() });
    expect(states.at(-1)).toMatchObject({ state: 'error', code: 'firewall-failed' });
    expect(firewall.last?.kind).toBe('blocked');
    // the tunnel that started during the commit (IKE to the gateway only) is stopped again
    expect(fake.tunnels).toHaveLength(1);
    expect(fake.last.stopped).toBe(true);
    expect(states.some((s) => s.state === 'connected' || s.state === 'connecting')).toBe(false);
  });

  it('events from a stale tunnel are ignored', async () => {
    const { fake, states, machine } = setup();
    await machine.start();
    await machine.dispatch({ type: 'connect', target: target() });
    const first = fake.last;
    first.callbacks.closed({ kind: 'error', code: 'x', message: 'm', fix: '' });
    await tick();
    await machine.dispatch({ type: 'connect', target: target() });
    first.callbacks.up(UP);
    await tick();
    expect(states.at(-1)?.state).toBe('connecting');
  });

  describe('redirect (RFC 5685)', () => {
    it('while connecting: the policy names the new gateway before redirect() resolves', async () => {
      const { firewall, fake, states, machine } = setup();
      await machine.start();
      await machine.dispatch({ type: 'connect', target: target() });
      const before = firewall.applied.length;
      let policyWhenResolved: unknown;
      await fake.last.callbacks.redirect('203.0.113.7').then(() => {
        policyWhenResolved = firewall.last;
      });
      // exactly one more policy, the same blocking one with only the gateway changed
      expect(firewall.applied.slice(before)).toEqual([
        { kind: 'blocked', gateway: { address: '203.0.113.7' }, allowLan: false },
      ]);
      expect(policyWhenResolved).toEqual({
        kind: 'blocked',
        gateway: { address: '203.0.113.7' },
        allowLan: false,
      });
      // still connecting (no second tunnel), and clients see the new gateway
      expect(fake.tunnels).toHaveLength(1);
      expect(states.at(-1)).toMatchObject({ state: 'connecting', gateway: '203.0.113.7' });
      // what comes next keeps the new gateway: connected allows exactly it
      fake.last.callbacks.up(UP);
      await tick();
      expect(firewall.last).toEqual({
        kind: 'connected',
        gateway: { address: '203.0.113.7' },
        tun: 'tsunagi0',
        dns: ['10.99.0.53'],
        allowLan: false,
      });
    });

    it('while connected: the connected policy swaps the gateway; a new device re-applies it', async () => {
      const { firewall, fake, states, machine } = setup();
      await machine.start();
      await machine.dispatch({ type: 'connect', target: target() });
      fake.last.callbacks.up(UP);
      await tick();
      await fake.last.callbacks.redirect('2001:db8::7');
      expect(firewall.last).toEqual({
        kind: 'connected',
        gateway: { address: '2001:db8::7' },
        tun: 'tsunagi0',
        dns: ['10.99.0.53'],
        allowLan: false,
      });
      expect(states.at(-1)).toMatchObject({ state: 'connected', gateway: '2001:db8::7' });
      const count = firewall.applied.length;
      // the same up again changes nothing; another address and device does
      fake.last.callbacks.up(UP);
      await tick();
      expect(firewall.applied).toHaveLength(count);
      fake.last.callbacks.up({ ...UP, tun: 'tsunagi1', virtualIp: '10.10.10.2' });
      await tick();
      expect(firewall.last).toMatchObject({ kind: 'connected', tun: 'tsunagi1' });
      expect(states.at(-1)).toMatchObject({ state: 'connected', virtualIp: '10.10.10.2' });
    });

    it('kill switch off: nothing to open, redirect() still resolves', async () => {
      const { firewall, fake, machine } = setup({ ...ON, killSwitch: false });
      await machine.start();
      await machine.dispatch({ type: 'connect', target: target() });
      await fake.last.callbacks.redirect('203.0.113.7');
      expect(firewall.applied.every((p) => p.kind === 'allow-all')).toBe(true);
    });

    it('refused when the tunnel is stopping or stale, or the target is no address', async () => {
      const { firewall, fake, machine } = setup();
      await machine.start();
      await machine.dispatch({ type: 'connect', target: target() });
      const first = fake.last;
      await expect(first.callbacks.redirect('vpn2.lab.test')).rejects.toThrow(
        'is not an IP address',
      );
      await machine.dispatch({ type: 'disconnect' });
      const count = firewall.applied.length;
      // (the double closes at once: disconnecting or already disconnected, never followed)
      await expect(first.callbacks.redirect('203.0.113.7')).rejects.toThrow(
        /a disconnect(ing|ed) tunnel does not follow redirects/,
      );
      await tick();
      await tick();
      await machine.dispatch({ type: 'connect', target: target() });
      await expect(first.callbacks.redirect('203.0.113.7')).rejects.toThrow('replaced');
      // no policy ever named the refused address
      expect(JSON.stringify(firewall.applied)).not.toContain('203.0.113.7');
      expect(firewall.applied.length).toBeGreaterThan(count);
    });

    it('a firewall that fails to allow the new gateway: error (blocking), tunnel stopped', async () => {
      const { firewall, fake, states, machine } = setup();
      await machine.start();
      await machine.dispatch({ type: 'connect', target: target() });
      firewall.failNext = 1;
      await expect(fake.last.callbacks.redirect('203.0.113.7')).rejects.toThrow(
        'could not allow the gateway 203.0.113.7',
      );
      expect(states.at(-1)).toMatchObject({ state: 'error', code: 'firewall-failed' });
      expect(fake.last.stopped).toBe(true);
      expect(firewall.last?.kind).toBe('blocked');
    });
  });
});
