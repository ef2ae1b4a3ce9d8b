/**
 * The tunnel state machine: one current state (tunnel/states/*), events applied one at a time.
 * A transition applies the new state's firewall policy first, then announces the state, then
 * runs the state's entry side effects (starting a tunnel, arming a retry). If a policy cannot
 * be applied the machine goes to `error`, whose policy blocks: nothing fails open.
 */
import { isIP } from 'node:net';
import type { Firewall } from '../firewall/firewall.js';
import type {
  LogComponent,
  LogLevel,
  Settings,
  TimelineEntry,
  TunnelState,
} from '../ipc/protocol.js';
import { DisconnectedState } from './states/disconnected.js';
import { ErrorState } from './states/error.js';
import type {
  ConnectTarget,
  MachineEvent,
  StateContext,
  StateNode,
  TunnelEnd,
  TunnelUp,
} from './states/types.js';

export interface TunnelStats {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  drops: number;
}

export interface TunnelHandle {
  stop(): void;
  stats(): TunnelStats;
}

export interface TunnelCallbacks {
  up(up: TunnelUp): void;
  closed(end: TunnelEnd): void;
  /** The tunnel lost its gateway and is re-establishing by itself (it stays running). */
  reconnecting(attempt: number, reason: string): void;
  /**
   * The gateway redirected the tunnel (RFC 5685) to `address`: resolves once the firewall allows
   * IKE/ESP to that address (instead of the old gateway), rejects when it may not go there. The
   * tunnel sends nothing to the new gateway before this resolves.
   */
  redirect(address: string): Promise<void>;
  /** A log line of the tunnel; `tunnel` (and `info`) unless the driver knows better. */
  log(text: string, component?: LogComponent, level?: LogLevel): void;
  /** A milestone of the connection (the timeline the app shows). */
  timeline(entry: TimelineEntry): void;
}

/** Starts one tunnel (TunnelConnection in the helper, a double in unit tests). */
export type TunnelDriver = (target: ConnectTarget, callbacks: TunnelCallbacks) => TunnelHandle;

export interface MachineOptions {
  firewall: Firewall;
  driver: TunnelDriver;
  settings: Settings;
  now?: () => number;
  onState?: (state: TunnelState) => void;
  onLog?: (level: LogLevel, text: string, component?: LogComponent) => void;
  /** Milestones reported by the running tunnel. */
  onTimeline?: (entry: TimelineEntry) => void;
  /** The state to start in (e.g. `error` after a crash); disconnected by default. */
  initial?: StateNode;
}

export class TunnelStateMachine {
  private current: StateNode;
  private settingsNow: Settings;
  private handle: TunnelHandle | undefined;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly ctx: StateContext;

  constructor(private readonly options: MachineOptions) {
    this.current = options.initial ?? new DisconnectedState();
    this.settingsNow = options.settings;
    const now = options.now ?? Date.now;
    this.ctx = {
      now,
      startTunnel: (target) => this.startTunnel(target),
      stopTunnel: () => this.handle?.stop(),
      tunnelRunning: () => this.handle !== undefined,
      scheduleRetry: (ms) => {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.dispatch({ type: 'retry' }), ms);
        this.retryTimer.unref?.();
      },
    };
  }

  get state(): StateNode {
    return this.current;
  }

  get settings(): Settings {
    return this.settingsNow;
  }

  describe(): TunnelState {
    return this.current.describe(this.settingsNow);
  }

  /** Counters of the running tunnel, if any. */
  stats(): TunnelStats | undefined {
    return this.handle?.stats();
  }

  /** Applies the initial state's policy and announces it. */
  start(): Promise<void> {
    return this.enqueue(() => this.enter(this.current));
  }

  /** Feeds one event; resolves once it (and everything queued before it) is handled. */
  dispatch(event: MachineEvent): Promise<void> {
    return this.enqueue(async () => {
      const next = this.current.handle(event, this.ctx);
      if (next) await this.enter(next);
    });
  }

  /** New settings: the current state's policy is applied again under them. */
  updateSettings(settings: Settings): Promise<void> {
    return this.enqueue(async () => {
      this.settingsNow = settings;
      await this.enter(this.current, false);
    });
  }

  /** Stops timers and the tunnel (helper shutdown); the firewall is left as it is. */
  dispose(): void {
    clearTimeout(this.retryTimer);
    this.handle?.stop();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch((e: Error) =>
      this.options.onLog?.('error', `state machine: ${e.message}`, 'tunnel'),
    );
    return this.queue;
  }

  private async enter(next: StateNode, runEntry = true): Promise<void> {
    const policy = next.policy(this.settingsNow);
    try {
      await this.options.firewall.apply(policy);
    } catch (e) {
      const message = `cannot apply the firewall policy (${policy.kind}): ${(e as Error).message}`;
      this.options.onLog?.('error', message, 'firewall');
      if (next.name !== 'error') {
        this.handle?.stop();
        await this.enter(
          new ErrorState('firewall-failed', message, 'Check that nftables is installed.'),
        );
        return;
      }
    }
    if (next.name !== 'reconnecting' && next.name !== 'disconnecting')
      clearTimeout(this.retryTimer);
    this.current = next;
    this.options.onState?.(next.describe(this.settingsNow));
    if (runEntry) next.enter(this.ctx);
  }

  /**
   * Re-applies the current state's policy with the redirect's gateway in its target (the only
   * address the policy changes), in turn with every other event. Rejects, leaving the policy as it
   * was, when the tunnel is stale or the state runs no tunnel that may follow; if the firewall
   * fails the machine is in `error` (blocking) and the tunnel is stopped.
   */
  private redirectTunnel(address: string, live: () => boolean): Promise<void> {
    if (isIP(address) === 0)
      return Promise.reject(new Error(`the redirect target ${address} is not an IP address`));
    return new Promise<void>((resolve, reject) => {
      void this.enqueue(async () => {
        if (!live()) return reject(new Error('the tunnel was replaced meanwhile'));
        const next = this.current.redirected({ address });
        if (!next)
          return reject(new Error(`a ${this.current.name} tunnel does not follow redirects`));
        await this.enter(next, false);
        if (this.current !== next)
          return reject(new Error(`the firewall could not allow the gateway ${address}`));
        this.options.onLog?.('info', `redirected: the firewall now allows ${address}`, 'firewall');
        resolve();
      });
    });
  }

  private startTunnel(target: ConnectTarget): void {
    const generation = ++this.generation;
    const live = () => generation === this.generation;
    this.handle = this.options.driver(target, {
      up: (up) => {
        if (live()) void this.dispatch({ type: 'tunnel-up', up });
      },
      reconnecting: (attempt, reason) => {
        if (live()) void this.dispatch({ type: 'tunnel-reconnecting', attempt, reason });
      },
      closed: (end) => {
        if (!live()) return;
        this.handle = undefined;
        void this.dispatch({ type: 'tunnel-closed', end });
      },
      redirect: (address) => this.redirectTunnel(address, live),
      log: (text, component = 'tunnel', level = 'info') =>
        this.options.onLog?.(level, text, component),
      timeline: (entry) => {
        if (live()) this.options.onTimeline?.(entry);
      },
    });
  }
}
