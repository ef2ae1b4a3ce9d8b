/** In-memory doubles for the helper: a firewall that records policies, a scriptable tunnel. */
import type { Firewall } from '../../../../native-helper/firewall/firewall.js';
import type { FirewallPolicy } from '../../../../native-helper/firewall/policy.js';
import type {
  TunnelCallbacks,
  TunnelDriver,
  TunnelStats,
} from '../../../../native-helper/tunnel/state-machine.js';
import type { ConnectTarget, TunnelUp } from '../../../../native-helper/tunnel/states/types.js';

export class MemoryFirewall implements Firewall {
  readonly applied: FirewallPolicy[] = [];
  failNext = 0;
  apply(policy: FirewallPolicy): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('nft: injected failure'));
    }
    this.applied.push(policy);
    return Promise.resolve();
  }
  get last(): FirewallPolicy | undefined {
    return this.applied.at(-1);
  }
}

export interface FakeTunnel {
  target: ConnectTarget;
  callbacks: TunnelCallbacks;
  stopped: boolean;
  stats: TunnelStats;
}

export const UP: TunnelUp = {
  virtualIp: '10.10.10.1',
  dns: ['10.99.0.53'],
  tun: 'tsunagi0',
  ike: 'aes256gcm16-prfsha256-x25519',
  esp: 'aes256gcm16',
  routes: ['0.0.0.0/1', '128.0.0.0/1'],
};

/** Tunnels that do what the test tells them; stop() closes them as disconnected. */
export class FakeDriver {
  readonly tunnels: FakeTunnel[] = [];
  readonly driver: TunnelDriver = (target, callbacks) => {
    const t: FakeTunnel = {
      target,
      callbacks,
      stopped: false,
      stats: { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: 0 },
    };
    this.tunnels.push(t);
    return {
      stop: () => {
        if (t.stopped) return;
        t.stopped = true;
        queueMicrotask(() =>
          callbacks.closed({ kind: 'disconnected', reason: 'deleted-by-us', wasConnected: true }),
        );
      },
      stats: () => t.stats,
    };
  };
  get last(): FakeTunnel {
    const t = this.tunnels.at(-1);
    if (!t) throw new Error('no tunnel started');
    return t;
  }
}

export const target = (secret = 'super-secret-psk'): ConnectTarget => ({
  profile: {
    version: 1,
    name: 'Lab',
    server: 'vpn.lab.test',
    auth: { method: 'psk', secret },
    routes: 'all',
    dns: true,
  } as unknown as ConnectTarget['profile'],
  baseDir: '/',
  files: {},
  gateway: { address: '198.51.100.10' },
  secrets: [secret],
});

export const tick = () => new Promise((r) => setTimeout(r, 0));
