// Ties trusted networks together: polls the current network, lets the debouncer settle it, asks
// the pure decideNetworkAction what to do and hands the commands to `execute` (app-core.ts:
// the TunnelController's connect/disconnect, with a notification and an `app` log line; it runs
// while trusted networks are on). Detection failures are reported, never guessed.

import type { TunnelCommand, TrustRules, CurrentTunnel } from './trust-rules.js';
import { decideNetworkAction } from './trust-rules.js';
import { NetworkDebouncer, type Clock, type DebouncerOptions } from './network-debouncer.js';
import type { NetworkInfo } from './network-info.js';

export interface TrustAgentDeps {
  readonly detect: () => Promise<NetworkInfo>;
  readonly rules: () => TrustRules;
  readonly tunnel: () => CurrentTunnel;
  readonly execute: (commands: readonly TunnelCommand[], network: NetworkInfo) => void;
  readonly onDetectionError?: (error: unknown) => void;
  readonly clock: Clock;
  readonly pollMs?: number;
  readonly debounce?: DebouncerOptions;
}

export class TrustAgent {
  private readonly debouncer: NetworkDebouncer;
  private timer: unknown;
  private running = false;
  private lastError: string | undefined;

  constructor(private readonly deps: TrustAgentDeps) {
    this.debouncer = new NetworkDebouncer(
      (network) => this.decide(network),
      deps.clock,
      deps.debounce,
    );
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.poll();
  }

  /** The user changed the rules: act on the current network again. */
  rulesChanged(): void {
    this.debouncer.reset();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.debouncer.dispose();
  }

  private async poll(): Promise<void> {
    try {
      const network = await this.deps.detect();
      this.lastError = undefined;
      if (this.running) this.debouncer.observe(network);
    } catch (error) {
      // Report each distinct failure once, not every poll.
      const text = error instanceof Error ? error.message : String(error);
      if (text !== this.lastError) this.deps.onDetectionError?.(error);
      this.lastError = text;
    }
    if (this.running) {
      this.timer = this.deps.clock.setTimeout(() => void this.poll(), this.deps.pollMs ?? 5_000);
    }
  }

  private decide(network: NetworkInfo): void {
    const commands = decideNetworkAction(network, this.deps.rules(), this.deps.tunnel());
    if (commands.length > 0) this.deps.execute(commands, network);
  }
}
