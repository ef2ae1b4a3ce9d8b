/** A failure: blocks (kill switch on) until the user connects again or dismisses it. */
import type { FirewallPolicy } from '../../firewall/policy.js';
import type { Settings, TunnelState } from '../../ipc/protocol.js';
import { ConnectingState } from './connecting.js';
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

export class ErrorState implements StateNode {
  readonly name = 'error';
  constructor(
    readonly code: string,
    readonly message: string,
    readonly fix: string,
    readonly target?: ConnectTarget,
  ) {}
  policy(settings: Settings): FirewallPolicy {
    return blockedPolicy(settings, this.target);
  }
  describe(settings: Settings): TunnelState {
    return {
      state: 'error',
      code: this.code,
      message: this.message,
      fix: this.fix,
      blocking: blocks(settings),
    };
  }
  enter(): void {}
  handle(event: MachineEvent, ctx: StateContext): StateNode | undefined {
    switch (event.type) {
      case 'connect':
        return new ConnectingState(event.target, ctx.now());
      case 'disconnect':
        return new DisconnectedState('user');
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
