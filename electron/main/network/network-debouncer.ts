// Networks flap: Wi-Fi roams, a dock reconnects, DHCP renews. The debouncer passes a network on
// only once it has stayed the same for `settleMs`, and never the same network twice in a row, so
// a flapping link cannot cause connect/disconnect storms. Time is injected (tests use a fake clock).

import { networkKey, type NetworkInfo } from './network-info.js';

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface DebouncerOptions {
  /** How long a network must stay unchanged before it counts (ms). */
  readonly settleMs: number;
  /**
   * The least time between two settled networks (ms): a link that keeps changing slower than
   * settleMs still cannot trigger actions more often than this.
   */
  readonly minIntervalMs: number;
}

export const DEFAULT_DEBOUNCE: DebouncerOptions = { settleMs: 3_000, minIntervalMs: 10_000 };

export class NetworkDebouncer {
  private pending: { network: NetworkInfo; key: string } | undefined;
  private timer: unknown;
  private lastKey: string | undefined;
  private lastEmitAt = -Infinity;

  constructor(
    private readonly onSettled: (network: NetworkInfo) => void,
    private readonly clock: Clock = systemClock,
    private readonly options: DebouncerOptions = DEFAULT_DEBOUNCE,
  ) {}

  /** Reports an observation of the current network (may repeat the same one). */
  observe(network: NetworkInfo): void {
    const key = networkKey(network);
    if (this.pending?.key === key) return;
    this.cancelTimer();
    if (key === this.lastKey) {
      // Back to the network we already acted on before the blip settled: nothing to do.
      this.pending = undefined;
      return;
    }
    this.pending = { network, key };
    const sinceLast = this.clock.now() - this.lastEmitAt;
    const wait = Math.max(this.options.settleMs, this.options.minIntervalMs - sinceLast);
    this.timer = this.clock.setTimeout(() => this.settle(), wait);
  }

  /** Forgets the last network so the next observation acts again (e.g. after the rules change). */
  reset(): void {
    this.lastKey = undefined;
  }

  dispose(): void {
    this.cancelTimer();
    this.pending = undefined;
  }

  private settle(): void {
    this.timer = undefined;
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.lastKey = pending.key;
    this.lastEmitAt = this.clock.now();
    this.onSettled(pending.network);
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
