/** The tunnel is up: everything else only through the TUN, DNS only to the tunnel's servers. */
import type { FirewallPolicy, Gateway } from '../../firewall/policy.js';
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import { DisconnectingState } from './disconnecting.js';
import { ReconnectingState } from './reconnecting.js';
import {
  blocks,
  type ConnectTarget,
  type MachineEvent,
  type StateContext,
  type StateNode,
  type TunnelUp,
  assertNever,
  withGateway,
} from './types.js';

function sameUp(a: TunnelUp, b: TunnelUp): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class ConnectedState implements StateNode {
  readonly name = 'connected';
  constructor(
    readonly target: ConnectTarget,
    readonly up: TunnelUp,
    readonly since: number,
  ) {}
  policy(settings: Settings): FirewallPolicy {
    if (!blocks(settings)) return { kind: 'allow-all' };
    return {
      kind: 'connected',
      gateway: this.target.gateway,
      tun: this.up.tun,
      dns: this.up.dns,
      allowLan: settings.allowLan,
    };
  }
  describe(settings: Settings): TunnelState {
    return {
      state: 'connected',
      profile: this.target.profile.name,
      server: this.target.profile.server,
      gateway: this.target.gateway.address,
      virtualIp: this.up.virtualIp,
      ...(this.up.virtualIp6 !== undefined ? { virtualIp6: this.up.virtualIp6 } : {}),
      dns: this.up.dns,
      tun: this.up.tun,
      ike: this.up.ike,
      esp: this.up.esp,
      routes: this.up.routes,
      blocking: blocks(settings),
      since: this.since,
    };
  }
  enter(): void {}
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'tunnel-closed':
        return new ReconnectingState(
          this.target,
          1,
          event.end.kind === 'error' ? event.end.message : `closed: ${event.end.reason}`,
          ctx.now(),
        );
      case 'tunnel-reconnecting':
        return new ReconnectingState(this.target, event.attempt, event.reason, ctx.now());
      case 'disconnect':
        return new DisconnectingState(this.target);
      case 'tunnel-up':
        // the tunnel came back by itself (after a redirect) with another device, address or
        // DNS: the policy must name what is in place now
        return sameUp(this.up, event.up)
          ? undefined
          : new ConnectedState(this.target, event.up, this.since);
      case 'connect':
      case 'retry':
        return undefined;
      default:
        return assertNever(event);
    }
  }
  redirected(gateway: Gateway): StateNode {
    return new ConnectedState(withGateway(this.target, gateway), this.up, this.since);
  }
}
