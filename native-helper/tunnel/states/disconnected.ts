/** No tunnel. Blocks only under lockdown (which survives helper restarts). */
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import { ConnectingState } from './connecting.js';
import { assertNever, type MachineEvent, type StateContext, type StateNode } from './types.js';
import type { FirewallPolicy } from '../../firewall/policy.js';

export class DisconnectedState implements StateNode {
  readonly name = 'disconnected';
  constructor(readonly reason: string = 'not-started') {}
  policy(settings: Settings): FirewallPolicy {
    return settings.lockdown
      ? { kind: 'blocked', allowLan: settings.allowLan }
      : { kind: 'allow-all' };
  }
  describe(settings: Settings): TunnelState {
    return { state: 'disconnected', reason: this.reason, blocking: settings.lockdown };
  }
  enter(): void {}
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'connect':
        return new ConnectingState(event.target, ctx.now());
      case 'disconnect':
      case 'tunnel-up':
      case 'tunnel-closed':
      case 'retry':
      case 'tunnel-reconnecting':
        return undefined;
      default:
        return assertNever(event);
    }
  }
  redirected(): undefined {
    return undefined;
  }
}
