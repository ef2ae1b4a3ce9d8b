import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../../../electron/main/network/network-debouncer.js';
import type { NetworkInfo } from '../../../../../electron/main/network/network-info.js';
import { TrustAgent } from '../../../../../electron/main/network/trust-agent.js';
import type {
  TrustRules,
  TunnelCommand,
} from '../../../../../electron/main/network/trust-rules.js';

class FakeClock implements Clock {
  time = 0;
  timers = new Map<number, { at: number; run: () => void }>();
  next = 1;
  now = () => this.time;
  setTimeout(run: () => void, ms: number): unknown {
    this.timers.set(this.next, { at: this.time + ms, run });
    return this.next++;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Advances in 1 s steps, letting the async polls settle in between. */
  async advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 1000) {
      this.time += 1000;
      for (const [id, timer] of [...this.timers]) {
        if (timer.at <= this.time) {
          this.timers.delete(id);
          timer.run();
        }
      }
      await new Promise((r) => setImmediate(r));
    }
  }
}

const rules: TrustRules = {
  enabled: true,
  trustedWifi: [{ ssid: 'Home' }],
  trustedWired: [],
  onTrusted: 'disconnect',
  onUntrusted: 'connect',
  alwaysConnectOnOpenWifi: true,
  profileId: 'office',
  killSwitchOnUntrusted: false,
};
const home: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Home', open: false };
const cafe: NetworkInfo = { type: 'wifi', interface: 'wlan0', ssid: 'Cafe', open: true };

describe('TrustAgent', () => {
  it('polls, settles and executes the decided commands once per network', async () => {
    const clock = new FakeClock();
    let network = cafe;
    let tunnel: 'disconnected' | 'connected' = 'disconnected';
    const executed: TunnelCommand[][] = [];
    const agent = new TrustAgent({
      detect: async () => network,
      rules: () => rules,
      tunnel: () => ({ state: tunnel }),
      execute: (commands) => executed.push([...commands]),
      clock,
      pollMs: 1000,
      debounce: { settleMs: 3000, minIntervalMs: 5000 },
    });
    agent.start();
    await clock.advance(5000);
    expect(executed).toEqual([
      [{ command: 'connect', profileId: 'office', reason: 'Open Wi-Fi "Cafe"' }],
    ]);
    tunnel = 'connected';
    network = home;
    await clock.advance(10_000);
    expect(executed).toHaveLength(2);
    expect(executed[1]).toEqual([{ command: 'disconnect', reason: 'Trusted network "Home"' }]);
    agent.stop();
    network = cafe;
    await clock.advance(20_000);
    expect(executed).toHaveLength(2);
    expect(clock.timers.size).toBe(0);
  });

  it('reports a detection failure once, not on every poll', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const agent = new TrustAgent({
      detect: async () => {
        throw new Error('not supported on this platform yet');
      },
      rules: () => rules,
      tunnel: () => ({ state: 'disconnected' }),
      execute: () => {
        throw new Error('must not run');
      },
      onDetectionError: (e) => errors.push(e),
      clock,
      pollMs: 1000,
    });
    agent.start();
    await clock.advance(10_000);
    expect(errors).toHaveLength(1);
    agent.stop();
  });
});
