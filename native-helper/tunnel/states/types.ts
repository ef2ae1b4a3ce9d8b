/**
 * What every tunnel state file shares: the events the machine feeds states, the context they act
 * through, and the node shape. A state decides its firewall policy (applied once, on entry, and
 * again only when the settings change) and its transitions; the machine does the I/O.
 */
import type { FirewallPolicy, Gateway } from '../../firewall/policy.js';
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import type { Profile } from '../../profile/profile.js';

/** Everything needed to (re)start one tunnel; `secrets` only for redaction, never persisted. */
export interface ConnectTarget {
  profile: Profile;
  /** The profile's folder on the client side (shown in logs; never read by the helper). */
  baseDir: string;
  /**
   * The certificate, key and CA contents the client sent, keyed by the path as written in the
   * profile: the helper runs as root and never opens a file a client named.
   */
  files: Readonly<Record<string, string>>;
  /** The gateway's address, resolved before any firewall policy names it. */
  gateway: Gateway;
  secrets: readonly string[];
}

export interface TunnelUp {
  virtualIp: string;
  /** The IPv6 address the gateway assigned, when it assigned one. */
  virtualIp6?: string;
  dns: string[];
  tun: string;
  ike: string;
  esp: string;
  routes: string[];
}

export type TunnelEnd =
  | { kind: 'disconnected'; reason: string; wasConnected: boolean }
  | { kind: 'error'; code: string; message: string; fix: string };

export type MachineEvent =
  | { type: 'connect'; target: ConnectTarget }
  | { type: 'disconnect' }
  | { type: 'tunnel-up'; up: TunnelUp }
  /** The running tunnel lost its gateway and re-establishes by itself (TUN and routes kept). */
  | { type: 'tunnel-reconnecting'; attempt: number; reason: string }
  | { type: 'tunnel-closed'; end: TunnelEnd }
  | { type: 'retry' };

export interface StateContext {
  now(): number;
  /** Starts a tunnel for the target (the machine owns the handle and tags its events). */
  startTunnel(target: ConnectTarget): void;
  /** Asks the running tunnel for an orderly delete; a tunnel-closed event follows. */
  stopTunnel(): void;
  /** True while a tunnel handle is running. */
  tunnelRunning(): boolean;
  /** Arms the single retry timer (replacing an armed one); fires a `retry` event. */
  scheduleRetry(ms: number): void;
}

export interface StateNode {
  readonly name: TunnelState['state'];
  /** The one firewall policy of this state under these settings. */
  policy(settings: Settings): FirewallPolicy;
  /** The state as clients see it. */
  describe(settings: Settings): TunnelState;
  /** Side effects after the policy is in place. */
  enter(ctx: StateContext): void;
  /** The next state, or undefined when the event does not apply here. */
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined;
  /**
   * The running tunnel follows a gateway's redirect (RFC 5685) to `gateway`: this state with the
   * new gateway in its target (its policy then allows IKE/ESP to that address instead), or
   * undefined where no tunnel may follow one (nothing running, or stopping).
   */
  redirected(gateway: Gateway): StateNode | undefined;
}

/** The target with another gateway (a redirect); everything else stays. */
export function withGateway(target: ConnectTarget, gateway: Gateway): ConnectTarget {
  return { ...target, gateway: { address: gateway.address } };
}

export const blocks = (settings: Settings): boolean => settings.killSwitch || settings.lockdown;

export function blockedPolicy(
  settings: Settings,
  target: ConnectTarget | undefined,
): FirewallPolicy {
  if (!blocks(settings)) return { kind: 'allow-all' };
  return target
    ? { kind: 'blocked', gateway: target.gateway, allowLan: settings.allowLan }
    : { kind: 'blocked', allowLan: settings.allowLan };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
