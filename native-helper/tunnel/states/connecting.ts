/** IKE in progress: only IKE/ESP to the gateway may leave (kill switch on). */
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

export class ConnectingState implements StateNode {
  readonly name = 'connecting';
  constructor(
    readonly target: ConnectTarget,
    readonly since: number,
  ) {}
  policy(settings: Settings): FirewallPolicy {
    return blockedPolicy(settings, this.target);
  }
  describe(settings: Settings): TunnelState {
    return {
      state: 'connecting',
      profile: this.target.profile.name,
      server: this.target.profile.server,
      gateway: this.target.gateway.address,
      blocking: blocks(settings),
      since: this.since,
    };
  }
  enter(ctx: StateContext): void {
    ctx.startTunnel(this.target);
  }
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'tunnel-up':
        return new ConnectedState(this.target, event.up, ctx.now());
      case 'tunnel-closed':
        return event.end.kind === 'error'
          ? new ErrorState(event.end.code, event.end.message, event.end.fix, this.target)
          : new ErrorState(
              'closed-by-peer',
              `the gateway closed the connection before it was up (${event.end.reason})`,
              'Check the gateway log for why it refused the connection.',
              this.target,
            );
      case 'disconnect':
        return new DisconnectingState(this.target);
      case 'connect':
      case 'retry':
      case 'tunnel-reconnecting':
        return undefined;
      default:
        return assertNever(event);
    }
  }
  redirected(gateway: Gateway): StateNode {
    return new ConnectingState(withGateway(this.target, gateway), this.since);
  }
}
