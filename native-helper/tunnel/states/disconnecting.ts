/** Deleting the SAs with the gateway: still blocking, so nothing leaks while routes come down. */
import type { FirewallPolicy } from '../../firewall/policy.js';
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import { DisconnectedState } from './disconnected.js';
import {
  blockedPolicy,
  blocks,
  type ConnectTarget,
  type MachineEvent,
  type StateContext,
  type StateNode,
  assertNever,
} from './types.js';

export class DisconnectingState implements StateNode {
  readonly name = 'disconnecting';
  constructor(readonly target: ConnectTarget) {}
  policy(settings: Settings): FirewallPolicy {
    return blockedPolicy(settings, this.target);
  }
  describe(settings: Settings): TunnelState {
    return {
      state: 'disconnecting',
      profile: this.target.profile.name,
      blocking: blocks(settings),
    };
  }
  enter(ctx: StateContext): void {
    if (ctx.tunnelRunning()) ctx.stopTunnel();
  }
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'tunnel-closed':
        return new DisconnectedState('user');
      case 'retry':
      case 'tunnel-reconnecting':
        // the stop raced a reconnect timer and no tunnel was running: nothing to wait for
        return ctx.tunnelRunning() ? undefined : new DisconnectedState('user');
      case 'connect':
      case 'disconnect':
      case 'tunnel-up':
        return undefined;
      default:
        return assertNever(event);
    }
  }
  redirected(): undefined {
    return undefined;
  }
}
