/** The tunnel dropped unexpectedly: retry with backoff while blocking as in connecting. */
import type { FirewallPolicy, Gateway } from '../../firewall/policy.js';
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import { ConnectedState } from './connected.js';
import { DisconnectingState } from './disconnecting.js';
import { ErrorState } from './error.js';
import {
  blockedPolicy,
  blocks,
  type ConnectTarget,
  type MachineEvent,
  type StateContext,
  type StateNode,
  assertNever,
  withGateway,
} from './types.js';

export const MAX_RECONNECT_ATTEMPTS = 5;
/** 1 s, 2 s, 4 s, 8 s, 8 s. */
export const reconnectDelayMs = (attempt: number): number =>
  1000 * 2 ** Math.min(Math.max(attempt - 1, 0), 3);

export class ReconnectingState implements StateNode {
  readonly name = 'reconnecting';
  constructor(
    readonly target: ConnectTarget,
    readonly attempt: number,
    readonly reason: string,
    readonly since: number,
  ) {}
  policy(settings: Settings): FirewallPolicy {
    return blockedPolicy(settings, this.target);
  }
  describe(settings: Settings): TunnelState {
    return {
      state: 'reconnecting',
      profile: this.target.profile.name,
      server: this.target.profile.server,
      gateway: this.target.gateway.address,
      attempt: this.attempt,
      reason: this.reason,
      blocking: blocks(settings),
      since: this.since,
    };
  }
  enter(ctx: StateContext): void {
    // a tunnel that re-establishes by itself (TUN and routes kept) needs no restart from here
    if (!ctx.tunnelRunning()) ctx.scheduleRetry(reconnectDelayMs(this.attempt));
  }
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'retry':
        if (!ctx.tunnelRunning()) ctx.startTunnel(this.target);
        return undefined;
      case 'tunnel-up':
        return new ConnectedState(this.target, event.up, ctx.now());
      case 'tunnel-reconnecting':
        return new ReconnectingState(this.target, event.attempt, event.reason, this.since);
      case 'tunnel-closed': {
        const why = event.end.kind === 'error' ? event.end.message : `closed: ${event.end.reason}`;
        if (this.attempt >= MAX_RECONNECT_ATTEMPTS)
          return new ErrorState(
            'reconnect-failed',
            `gave up reconnecting after ${this.attempt} attempts: ${why}`,
            'Check that the gateway is reachable, then connect again.',
            this.target,
          );
        return new ReconnectingState(this.target, this.attempt + 1, why, ctx.now());
      }
      case 'disconnect':
        return new DisconnectingState(this.target);
      case 'connect':
        return undefined;
      default:
        return assertNever(event);
    }
  }
  redirected(gateway: Gateway): StateNode {
    return new ReconnectingState(
      withGateway(this.target, gateway),
      this.attempt,
      this.reason,
      this.since,
    );
  }
}
