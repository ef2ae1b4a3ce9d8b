/**
 * The network monitor with a fake `ip monitor` process and fake timers: changes are debounced,
 * a monitor that exits is started again with backoff (and the tunnel told to check its path),
 * wall-clock jumps are reported as wakes, and dispose stops everything.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const spawned = vi.hoisted(() => ({ argv: [] as string[][] }));
vi.mock('node:child_process', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  return {
    spawn: (cmd: string, args: string[]) => {
      spawned.argv.push([cmd, ...args]);
      const p = Object.assign(new Emitter(), {
        stdout: new Emitter(),
        kill: () => undefined,
        unref: () => undefined,
      });
      return p;
    },
  };
});

const { watchNetwork, MONITOR_RESTART_FIRST_MS, WAKE_TICK_MS, WAKE_JUMP_MS } =
  await import('../../../../../native-helper/platform/network/network-monitor.js');

class FakeProcess extends EventEmitter {
  readonly stdout = new EventEmitter();
  killed = false;
  kill(): void {
    this.killed = true;
  }
  unref(): void {}
}

function recorder() {
  const changes: number[] = [];
  const wakes: number[] = [];
  const logs: string[] = [];
  return {
    changes,
    wakes,
    logs,
    events: {
      change: () => changes.push(Date.now()),
      wake: (ms: number) => wakes.push(ms),
      log: (t: string) => logs.push(t),
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  spawned.argv.length = 0;
});
afterEach(() => vi.useRealTimers());

describe('network monitor', () => {
  it('on Linux runs `ip monitor link address route` (links too: link down drops routes silently)', () => {
    const r = recorder();
    const m = watchNetwork(r.events, { platform: 'linux' });
    expect(spawned.argv).toEqual([['ip', 'monitor', 'link', 'address', 'route']]);
    m.dispose();
  });

  it('debounces a burst of lines into one change', async () => {
    const procs: FakeProcess[] = [];
    const r = recorder();
    const m = watchNetwork(r.events, {
      spawnMonitor: () => procs[procs.push(new FakeProcess()) - 1]!,
      debounceMs: 150,
    });
    for (let i = 0; i < 5; i++) {
      procs[0]!.stdout.emit('data', 'Deleted default via 203.0.113.1 dev eth0\n');
      await vi.advanceTimersByTimeAsync(20);
    }
    expect(r.changes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(r.changes).toHaveLength(1);
    m.dispose();
  });

  it('a monitor that exits is restarted with backoff, logged, and the path checked after', async () => {
    const procs: FakeProcess[] = [];
    const r = recorder();
    const m = watchNetwork(r.events, {
      spawnMonitor: () => procs[procs.push(new FakeProcess()) - 1]!,
      debounceMs: 10,
    });
    procs[0]!.emit('exit', 1, null);
    expect(r.logs).toEqual([
      `the network monitor (ip monitor) exited with code 1: roaming is paused, restarting it in ${MONITOR_RESTART_FIRST_MS} ms`,
    ]);
    await vi.advanceTimersByTimeAsync(MONITOR_RESTART_FIRST_MS - 1);
    expect(procs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(procs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(r.changes).toHaveLength(1); // whatever changed while it was down
    // the new one works like the first
    procs[1]!.stdout.emit('data', 'x\n');
    await vi.advanceTimersByTimeAsync(10);
    expect(r.changes).toHaveLength(2);

    // killed again right away: twice the delay; a spawn error counts the same
    procs[1]!.emit('exit', null, 'SIGKILL');
    expect(r.logs.at(-1)).toContain(
      `was stopped by SIGKILL: roaming is paused, restarting it in ${2 * MONITOR_RESTART_FIRST_MS} ms`,
    );
    await vi.advanceTimersByTimeAsync(2 * MONITOR_RESTART_FIRST_MS);
    expect(procs).toHaveLength(3);
    procs[2]!.emit('error', new Error('spawn ip ENOENT'));
    procs[2]!.emit('exit', -2, null); // (one loss, not two)
    expect(r.logs.filter((l) => l.includes('restarting'))).toHaveLength(3);
    expect(r.logs.at(-1)).toContain(`failed: spawn ip ENOENT`);
    expect(r.logs.at(-1)).toContain(`restarting it in ${4 * MONITOR_RESTART_FIRST_MS} ms`);

    // disposed while waiting: no restart, nothing more
    m.dispose();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(procs).toHaveLength(3);
  });

  it('a monitor that ran for a while before exiting restarts after the first delay again', async () => {
    const procs: FakeProcess[] = [];
    const r = recorder();
    const m = watchNetwork(r.events, {
      spawnMonitor: () => procs[procs.push(new FakeProcess()) - 1]!,
    });
    procs[0]!.emit('exit', 1, null);
    await vi.advanceTimersByTimeAsync(MONITOR_RESTART_FIRST_MS);
    await vi.advanceTimersByTimeAsync(120_000);
    procs[1]!.emit('exit', 1, null);
    expect(r.logs.at(-1)).toContain(`restarting it in ${MONITOR_RESTART_FIRST_MS} ms`);
    m.dispose();
  });

  it('startDelayMs: the process starts that much later, wakes are watched at once', async () => {
    const r = recorder();
    const procs: FakeProcess[] = [];
    const m = watchNetwork(r.events, {
      spawnMonitor: () => (procs.push(new FakeProcess()), procs.at(-1)!),
      startDelayMs: 250,
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(procs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(procs).toHaveLength(1);
    procs[0]!.stdout.emit('data', 'Deleted default via 203.0.113.1 dev eth0\n');
    await vi.advanceTimersByTimeAsync(200);
    expect(r.changes).toHaveLength(1);
    m.dispose();
    expect(procs[0]!.killed).toBe(true);

    // suspended before the process started: the wake is still seen
    const r2 = recorder();
    const m2 = watchNetwork(r2.events, {
      spawnMonitor: () => new FakeProcess(),
      startDelayMs: 250,
    });
    vi.setSystemTime(Date.now() + 60_000);
    await vi.advanceTimersByTimeAsync(WAKE_TICK_MS);
    expect(r2.wakes).toHaveLength(1);
    m2.dispose();

    // disposed before the delay: never started
    let started = 0;
    const m3 = watchNetwork(recorder().events, {
      spawnMonitor: () => (started++, new FakeProcess()),
      startDelayMs: 250,
    });
    m3.dispose();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(started).toBe(0);
  });

  it('dispose kills the running monitor', () => {
    const p = new FakeProcess();
    const m = watchNetwork(recorder().events, { spawnMonitor: () => p });
    m.dispose();
    expect(p.killed).toBe(true);
  });

  it('a wall-clock jump between two ticks is a wake with how long it was', async () => {
    const r = recorder();
    const m = watchNetwork(r.events, { spawnMonitor: () => new FakeProcess() });
    await vi.advanceTimersByTimeAsync(3 * WAKE_TICK_MS);
    expect(r.wakes).toEqual([]);
    // suspended: the clock moves on, no timer runs
    vi.setSystemTime(Date.now() + 60_000);
    await vi.advanceTimersByTimeAsync(WAKE_TICK_MS);
    expect(r.wakes).toHaveLength(1);
    expect(r.wakes[0]).toBeGreaterThan(WAKE_JUMP_MS);
    expect(r.wakes[0]).toBe(60_000 + WAKE_TICK_MS);
    m.dispose();
  });

  it('elsewhere: says roaming is not supported, still reports wakes', async () => {
    const r = recorder();
    const m = watchNetwork(r.events, { platform: 'darwin' });
    expect(spawned.argv).toEqual([]);
    expect(r.logs[0]).toContain('not supported on this platform yet (darwin)');
    vi.setSystemTime(Date.now() + 30_000);
    await vi.advanceTimersByTimeAsync(WAKE_TICK_MS);
    expect(r.wakes).toHaveLength(1);
    m.dispose();
  });
});
