/**
 * The tunnel state machine: one current state (tunnel/states/*), events applied one at a time.
 * A transition applies the new state's firewall policy first, then announces the state, then
 * runs the state's entry side effects (starting a tunnel, arming a retry) — except that a tunnel
 * starts while its connecting policy is committed when the policy in force already lets IKE
 * reach its gateway (all the tunnel does before the next transition). If a policy cannot
 * be applied the machine goes to `error`, whose policy blocks: nothing fails open. What clients
 * are told follows the kernel: `blocking` is true only while a blocking policy is applied, and a
 * failure is surfaced with its cause (an `error` state, and `firewall()` for status).
 *
 * The firewall is watched (`firewallCheckMs`, and the backend's own change events when it has
 * them): a table that vanished (another firewall manager flushed the ruleset) or a policy that
 * failed to apply is applied again, in turn with events.
 */
import { isIP } from 'node:net';
import type { Firewall } from '../firewall/firewall.js';
import type { FirewallPolicy } from '../firewall/policy.js';
import type {
  FirewallStatus,
  LogComponent,
  LogLevel,
  Settings,
  TimelineEntry,
  TunnelState,
} from '../ipc/protocol.js';
import { ConnectingState } from './states/connecting.js';
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
  /** Epoch ms of the SAs' last rekeys and their next armed ones (when the tunnel knows them). */
  rekey?: TunnelRekeyTimes;
}

export interface TunnelRekeyTimes {
  ike: { last: number | null; next: number | null };
  child: { last: number | null; next: number | null };
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
  /**
   * How often to check that the applied policy is still in the kernel (and retry one that
   * failed), from start() until dispose(); not watched when omitted.
   */
  firewallCheckMs?: number;
}

const FIREWALL_FIX = 'Check that nftables is installed and the nf_tables module can be loaded.';

/** Whether IKE (and ESP) to `gateway` may leave under `policy` (undefined: not known). */
function allowsIke(policy: FirewallPolicy | undefined, gateway: string): boolean {
  if (policy === undefined) return false;
  switch (policy.kind) {
    case 'allow-all':
      return true;
    case 'blocked':
    case 'connected':
      return policy.gateway?.address === gateway;
  }
}

export class TunnelStateMachine {
  private current: StateNode;
  private settingsNow: Settings;
  private handle: TunnelHandle | undefined;
  private generation = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly ctx: StateContext;
  /** The policy the kernel holds as far as we know (undefined: none of ours). */
  private kernelPolicy: FirewallPolicy | undefined;
  /** Timeline entries of a tunnel started before its `connecting` state was announced. */
  private heldTimeline: TimelineEntry[] | undefined;
  /** Why the last apply failed; undefined once one worked. */
  private firewallError: string | undefined;
  private firewallRestored = 0;
  private firewallTimer: NodeJS.Timeout | undefined;
  private stopFirewallWatch: (() => void) | undefined;
  private lastAnnounced = '';

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

  /** The current state; `blocking` says what the kernel does, not what the settings want. */
  describe(): TunnelState {
    const blocking = this.kernelPolicy !== undefined && this.kernelPolicy.kind !== 'allow-all';
    return { ...this.current.describe(this.settingsNow), blocking };
  }

  /** The kill switch as applied, next to what the current state wants. */
  firewall(): FirewallStatus {
    return {
      applied: this.kernelPolicy?.kind ?? 'none',
      wanted: this.current.policy(this.settingsNow).kind,
      ...(this.firewallError !== undefined ? { error: this.firewallError.slice(0, 4096) } : {}),
      restored: this.firewallRestored,
    };
  }

  /** Counters of the running tunnel, if any. */
  stats(): TunnelStats | undefined {
    return this.handle?.stats();
  }

  /** Applies the initial state's policy and announces it; then watches the firewall. */
  async start(): Promise<void> {
    await this.enqueue(() => this.enter(this.current));
    const every = this.options.firewallCheckMs;
    if (every !== undefined && !this.firewallTimer) {
      this.firewallTimer = setInterval(() => void this.checkFirewall(), every);
      this.firewallTimer.unref();
      this.stopFirewallWatch = this.options.firewall.watch?.(() => void this.checkFirewall());
    }
  }

  /**
   * Puts the current state's policy back when the kernel lost it (our table is gone) or when the
   * last apply failed. Resolves to what it found, in turn with every other event.
   */
  checkFirewall(): Promise<'intact' | 'restored' | 'failed'> {
    return new Promise((resolve) => {
      const job = this.enqueue(async () => {
        const firewall = this.options.firewall;
        if (this.firewallError === undefined) {
          if (!firewall.intact || this.kernelPolicy === undefined) return resolve('intact');
          if (await firewall.intact(this.kernelPolicy)) return resolve('intact');
          this.kernelPolicy = undefined;
          this.firewallRestored++;
          this.options.onLog?.(
            'warn',
            `the kill switch's table is gone from the kernel (another firewall manager flushed the ruleset?): applying the ${this.current.name} policy again`,
            'firewall',
          );
        }
        await this.enter(this.current, false, true);
        if (this.firewallError === undefined)
          this.options.onLog?.('info', `the ${this.current.name} policy is in place`, 'firewall');
        resolve(this.firewallError === undefined ? 'restored' : 'failed');
      });
      // a check that threw (logged by enqueue) settles as failed rather than never
      void job.then(() => resolve('failed'));
    });
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
    clearInterval(this.firewallTimer);
    this.firewallTimer = undefined;
    this.stopFirewallWatch?.();
    this.stopFirewallWatch = undefined;
    this.handle?.stop();
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch((e: Error) =>
      this.options.onLog?.('error', `state machine: ${e.message}`, 'tunnel'),
    );
    return this.queue;
  }

  /**
   * Applies `next`'s policy, then makes it the current state and announces it (`quiet`: only
   * when what clients see changed, for the watcher's re-applies).
   */
  private async enter(next: StateNode, runEntry = true, quiet = false): Promise<void> {
    const policy = next.policy(this.settingsNow);
    // A tunnel that starts only talks IKE to its gateway: when the policy in the kernel already
    // allows that, the tunnel starts while the new policy is committed (an nftables commit that
    // replaces rules waits 8–16 ms for the kernel's RCU grace period). Everything else it does
    // (TUN, routes, the connected policy) comes in turn after this transition.
    const early =
      runEntry &&
      next instanceof ConnectingState &&
      this.firewallError === undefined &&
      allowsIke(this.kernelPolicy, next.target.gateway.address);
    // what the early tunnel reports waits until its state is announced (clients start a new
    // connection's timeline at `connecting`)
    const held: TimelineEntry[] | undefined = early ? [] : undefined;
    if (held) {
      this.heldTimeline = held;
      next.enter(this.ctx);
    }
    try {
      await this.applyAndAnnounce(next, policy, runEntry, quiet, early);
    } finally {
      if (held && this.heldTimeline === held) {
        this.heldTimeline = undefined;
        for (const entry of held) this.options.onTimeline?.(entry);
      }
    }
  }

  private async applyAndAnnounce(
    next: StateNode,
    policy: FirewallPolicy,
    runEntry: boolean,
    quiet: boolean,
    early: boolean,
  ): Promise<void> {
    try {
      await this.options.firewall.apply(policy);
      this.kernelPolicy = policy;
      this.firewallError = undefined;
    } catch (e) {
      const message = `cannot apply the firewall policy (${policy.kind}): ${(e as Error).message}`;
      if (message !== this.firewallError) this.options.onLog?.('error', message, 'firewall');
      this.firewallError = message;
      if (next.name !== 'error') {
        this.handle?.stop();
        await this.enter(new ErrorState('firewall-failed', message, FIREWALL_FIX), runEntry, quiet);
        return;
      }
      // Even the error state's blocking policy failed: the kernel keeps what it had (one nft
      // transaction), which describe() reports. Say why, whatever the error was about.
      if (next instanceof ErrorState && next.code !== 'firewall-failed')
        next = new ErrorState(
          'firewall-failed',
          `${next.message}; then ${message}`,
          FIREWALL_FIX,
          next.target,
        );
    }
    if (next.name !== 'reconnecting' && next.name !== 'disconnecting')
      clearTimeout(this.retryTimer);
    this.current = next;
    const described = this.describe();
    const text = JSON.stringify(described);
    if (!quiet || text !== this.lastAnnounced) this.options.onState?.(described);
    this.lastAnnounced = text;
    if (runEntry && !early) next.enter(this.ctx);
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
        if (!live()) return;
        if (this.heldTimeline) this.heldTimeline.push(entry);
        else this.options.onTimeline?.(entry);
      },
    });
  }
}
