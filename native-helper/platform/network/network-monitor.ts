/**
 * Tells the tunnel that the network changed (an address, a route or a link), so it can check
 * whether its path to the gateway moved, and that the machine woke from sleep (the wall clock
 * jumped between two ticks), so it can check the gateway at once.
 * Linux: `ip monitor link address route`; link events matter because a link going down drops its
 * routes without any route-deleted event. If `ip monitor` exits (killed, OOM, a netlink error),
 * it is started again with backoff and the tunnel is told to check its path, since changes may
 * have been missed meanwhile: roaming must never stop silently.
 * macOS and Windows: not supported yet (they would use SCNetworkReachability /
 * NotifyIpInterfaceChange); wake detection works everywhere.
 */
import { spawn } from 'node:child_process';

export interface NetworkMonitor {
  dispose(): void;
}

export interface NetworkMonitorEvents {
  /** Something changed (debounced). */
  change(): void;
  /** The wall clock jumped `sleptMs` between two ticks: the machine (or the process) slept. */
  wake(sleptMs: number): void;
  /** Human log lines: the monitor stopped, restarts, or cannot run here. */
  log(text: string): void;
}

/** What the monitor needs of a child process (a real `ip monitor`, or a fake in tests). */
export interface MonitorProcess {
  stdout: { on(event: 'data', listener: (chunk: unknown) => void): unknown } | null;
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  kill(): unknown;
  unref(): unknown;
}

export interface NetworkMonitorOptions {
  /** Starts the watcher process (default: `ip monitor link address route`). */
  spawnMonitor?: () => MonitorProcess;
  debounceMs?: number;
  /** Wall clock (default Date.now). */
  now?: () => number;
  platform?: NodeJS.Platform;
  /**
   * Starts the watcher process this much later (wakes are watched from the start): a process
   * start blocks the calling thread for 3–5 ms, which the tunnel keeps off its way to the first
   * packet.
   */
  startDelayMs?: number;
}

/** How often the wall clock is sampled, and what gap between two samples counts as a sleep. */
export const WAKE_TICK_MS = 2_000;
export const WAKE_JUMP_MS = 10_000;
/** Restart delays for a monitor process that exited: doubling from the first, up to the last. */
export const MONITOR_RESTART_FIRST_MS = 500;
export const MONITOR_RESTART_MAX_MS = 30_000;
/** A monitor that ran this long before exiting restarts after the first delay again. */
const MONITOR_HEALTHY_MS = 60_000;

const spawnIpMonitor = (): MonitorProcess =>
  spawn('ip', ['monitor', 'link', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });

export function watchNetwork(
  events: NetworkMonitorEvents,
  options: NetworkMonitorOptions = {},
): NetworkMonitor {
  const now = options.now ?? Date.now;
  const debounceMs = options.debounceMs ?? 150;
  let disposed = false;

  let last = now();
  const wakeTick = setInterval(() => {
    const t = now();
    if (t - last > WAKE_JUMP_MS) events.wake(t - last);
    last = t;
  }, WAKE_TICK_MS);
  wakeTick.unref();

  if ((options.platform ?? process.platform) !== 'linux' && !options.spawnMonitor) {
    events.log(
      `network change detection is not supported on this platform yet (${options.platform ?? process.platform}): roaming disabled`,
    );
    return { dispose: () => clearInterval(wakeTick) };
  }
  const start = options.spawnMonitor ?? spawnIpMonitor;

  let child: MonitorProcess | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let restart: NodeJS.Timeout | undefined;
  let failures = 0;
  const changed = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      if (!disposed) events.change();
    }, debounceMs);
  };

  const run = () => {
    restart = undefined;
    const startedAt = now();
    let gone = false;
    const p = start();
    child = p;
    const lost = (why: string) => {
      if (gone || disposed) return;
      gone = true;
      child = undefined;
      if (now() - startedAt >= MONITOR_HEALTHY_MS) failures = 0;
      const delay = Math.min(MONITOR_RESTART_MAX_MS, MONITOR_RESTART_FIRST_MS * 2 ** failures);
      failures++;
      events.log(
        `the network monitor (ip monitor) ${why}: roaming is paused, restarting it in ${delay} ms`,
      );
      restart = setTimeout(() => {
        if (disposed) return;
        run();
        events.log('the network monitor is running again: checking the path to the gateway');
        changed(); // whatever changed while it was down
      }, delay);
      restart.unref();
    };
    p.stdout?.on('data', changed);
    p.on('exit', (code, signal) =>
      lost(signal ? `was stopped by ${signal}` : `exited with code ${code}`),
    );
    p.on('error', (e) => lost(`failed: ${e.message}`));
    p.unref();
  };
  if (options.startDelayMs) {
    restart = setTimeout(run, options.startDelayMs);
    restart.unref();
  } else run();

  return {
    dispose() {
      disposed = true;
      clearInterval(wakeTick);
      clearTimeout(debounce);
      clearTimeout(restart);
      child?.kill();
      child = undefined;
    },
  };
}
