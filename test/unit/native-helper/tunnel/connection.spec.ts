/**
 * TunnelConnection's own decisions, with the platform (UDP, TUN, routes, DNS, the network
 * monitor, the journal, the resolver) and the IKE engine replaced by recording doubles: following
 * a redirect (the firewall hook first, then the next session with REDIRECTED_FROM), the DPD
 * timeout and network-change milestones, the profile's MTU, and the MTU after a MOBIKE move.
 * The engine's side of all this is tested in memory against its own responder; strongSwan
 * redirects are in test/interop/tsunagi-redirect*.spec.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  IkeCloseReason,
  IkeInput,
  IkeOutput,
  TunnelConfig,
} from '../../../../native-helper/ike/ike-events.js';
import type { IkeSessionConfig } from '../../../../native-helper/ike/ike-session-config.js';
import type { Profile } from '../../../../native-helper/profile/profile.js';

/** Everything the doubles saw, in order. */
const h = vi.hoisted(() => ({
  order: [] as string[],
  sessions: [] as { config: IkeSessionConfig; inputs: string[] }[],
  /** What each new session does on `start` (by index); the default closes as deleted-by-us. */
  scripts: [] as ((config: IkeSessionConfig) => unknown[])[],
  /** What a session (by index) answers to other inputs ('roam', 'probe', 'close'). */
  reactions: {} as Record<number, Partial<Record<string, () => unknown[]>>>,
  /** Journal writes (as JSON) and the platform calls, in order, for the journal's tests. */
  journal: [] as string[],
  localAddress: '192.0.2.2',
  pathMtu: 1500,
  lookups: {} as Record<string, string>,
  onNetworkChange: undefined as (() => void) | undefined,
  monitorOptions: [] as { startDelayMs?: number }[],
  onWake: undefined as ((sleptMs: number) => void) | undefined,
  /** What pathOutsideTunnel answers (the route part; the source is `localAddress`). */
  outerPath: ['via', '192.0.2.1', 'dev', 'eth0'],
  repins: [] as string[],
  /** Whether repin reports that it moved the pin. */
  repinMoves: false,
  tunMtus: [] as number[],
  linkMtus: [] as [string, number][],
  pins: [] as string[],
  transports: [] as string[],
}));

vi.mock('../../../../native-helper/ike/ike-session.js', () => ({
  IkeSession: class {
    private readonly index: number;
    private done = false;
    constructor(readonly config: IkeSessionConfig) {
      this.index = h.sessions.length;
      h.sessions.push({ config, inputs: [] });
      h.order.push(`session ${config.server.address}`);
    }
    handle(input: IkeInput): unknown[] {
      h.sessions[this.index]!.inputs.push(input.type);
      if (this.done) return [];
      const out = ((): unknown[] => {
        const react = h.reactions[this.index]?.[input.type];
        if (react) return react();
        if (input.type === 'start') return (h.scripts[this.index] ?? (() => []))(this.config);
        if (input.type === 'close') return [{ type: 'closed', reason: { kind: 'deleted-by-us' } }];
        return [];
      })();
      if (out.some((o) => (o as { type: string }).type === 'closed')) this.done = true;
      return out;
    }
    noteInboundTraffic(): void {}
  },
}));
vi.mock('../../../../native-helper/platform/udp/udp-transport.js', () => ({
  localAddressFor: () => Promise.resolve(h.localAddress),
  openUdpTransport: (address: string) => {
    h.transports.push(address);
    return Promise.resolve({
      localAddress: address,
      send: () => undefined,
      sendMany: () => undefined,
      close: () => Promise.resolve(),
    });
  },
}));
vi.mock('../../../../native-helper/platform/tun/index.js', () => ({
  createTunDevice: (o: { mtu: number }) => {
    h.tunMtus.push(o.mtu);
    return Promise.resolve({
      name: 'tsunagi0',
      mtu: o.mtu,
      onPackets: () => undefined,
      write: () => undefined,
      close: () => Promise.resolve(),
    });
  },
}));
vi.mock('../../../../native-helper/platform/routes/routes-linux.js', () => ({
  pathMtuTo: () => Promise.resolve(h.pathMtu),
  setLinkMtu: (dev: string, mtu: number) => {
    h.linkMtus.push([dev, mtu]);
    return Promise.resolve();
  },
  addTunnelAddress: (dev: string, cidr: string) => {
    h.journal.push(`address add ${cidr} dev ${dev}`);
    return Promise.resolve();
  },
  removeTunnelAddress: (dev: string, cidr: string) => {
    h.journal.push(`address del ${cidr} dev ${dev}`);
    return Promise.resolve();
  },
  pathOutsideTunnel: () => Promise.resolve({ source: h.localAddress, path: [...h.outerPath] }),
  applyRoutes: async (
    _plan: unknown,
    tun: string,
    _ip: unknown,
    _server: unknown,
    _ip6: unknown,
    intent: (routes: string[][]) => Promise<void>,
  ) => {
    const route = ['0.0.0.0/1', 'dev', tun];
    await intent([route]);
    h.journal.push(`route add ${route.join(' ')}`);
    return {
      added: [route],
      resource: (ip4: string) => {
        h.journal.push(`routes src ${ip4}`);
        return Promise.resolve();
      },
      repin: (a: string, path: string[]) => {
        h.repins.push(`${a} ${path.join(' ')}`);
        return Promise.resolve(h.repinMoves);
      },
      pin: (a: string) => {
        h.pins.push(a);
        h.order.push(`pin ${a}`);
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    };
  },
}));
vi.mock('../../../../native-helper/platform/dns/dns-linux.js', () => ({
  RESOLV_CONF: '/nonexistent/resolv.conf',
  readOrUndefined: () => undefined,
  applyDns: () => {
    h.journal.push('dns apply');
    return Promise.resolve({
      kind: 'resolv-conf',
      path: '/nonexistent/resolv.conf',
      original: '',
      dispose: () => Promise.resolve(),
    });
  },
}));
vi.mock('../../../../native-helper/platform/network/network-monitor.js', () => ({
  watchNetwork: (
    events: { change(): void; wake(sleptMs: number): void },
    options: { startDelayMs?: number },
  ) => {
    h.monitorOptions.push(options);
    h.onNetworkChange = () => events.change();
    h.onWake = (ms) => events.wake(ms);
    return { dispose: () => undefined };
  },
}));
vi.mock('../../../../native-helper/tunnel/journal.js', () => ({
  recoverFromJournal: () => Promise.resolve(undefined),
  writeJournal: (entry: unknown) => {
    h.journal.push(`journal ${JSON.stringify(entry)}`);
    return Promise.resolve();
  },
  clearJournal: () => Promise.resolve(),
}));
vi.mock('node:dns/promises', () => ({
  lookup: (name: string) => {
    const address = h.lookups[name];
    h.order.push(`lookup ${name}`);
    return address
      ? Promise.resolve({ address, family: address.includes(':') ? 6 : 4 })
      : Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
  },
}));

const { MONITOR_DELAY_MS, reconnectDelayMs, TunnelConnection } =
  await import('../../../../native-helper/tunnel/connection.js');
type Events = ConstructorParameters<typeof TunnelConnection>[1];

const any4 = {
  family: 4 as const,
  protocol: 0,
  startPort: 0,
  endPort: 65535,
  startAddress: '10.99.0.0',
  endAddress: '10.99.0.255',
};

function established(
  config: IkeSessionConfig,
  virtualIp4 = '10.10.10.1',
  extra: Partial<TunnelConfig> = {},
): IkeOutput {
  const tc: TunnelConfig = {
    virtualIp4,
    dns: [],
    subnets: [],
    tsLocal: [],
    tsRemote: [any4],
    ike: 'aes256gcm16-prfsha256-x25519',
    esp: 'aes256gcm16',
    natDetected: { local: false, remote: false },
    peerSupportsMobike: true,
    server: config.server,
    local: config.local,
    ...extra,
  };
  return { type: 'established', config: tc };
}

/** An AES-GCM Child SA, so the data plane knows its overhead (1500-byte path → 1438 fits). */
const childSaWith = (n: number): IkeOutput => ({
  type: 'install-child-sa',
  sa: {
    spiIn: 0xc0000000 + n,
    spiOut: 0x50000000 + n,
    encr: 20,
    encrKeyBits: 256,
    integ: 0,
    encrKeyIn: new Uint8Array(36).fill(1),
    integKeyIn: new Uint8Array(0),
    encrKeyOut: new Uint8Array(36).fill(2),
    integKeyOut: new Uint8Array(0),
    tsLocal: [],
    tsRemote: [any4],
    local: { address: '192.0.2.2', port: 4500 },
    remote: { address: '198.51.100.10', port: 4500 },
    proposal: 'aes256gcm16',
  },
});
const childSa = childSaWith(1);

const closed = (reason: IkeCloseReason): IkeOutput => ({ type: 'closed', reason });

const profile = (extra: Partial<Profile> = {}): Profile =>
  ({
    version: 1,
    name: 'Lab',
    server: '198.51.100.10',
    port: 500,
    remoteId: 'vpn.lab.test',
    localId: 'client1@psk.lab.test',
    auth: { method: 'psk', secret: 'lab-psk-0123456789abcdef' },
    ca: [],
    routes: ['10.99.0.0/24'],
    dns: true,
    mobike: true,
    dpdDelay: 30,
    fragmentation: true,
    retransmit: { timeout: 4, base: 1.8, tries: 5 },
    keyingTries: 0,
    ikeLifetime: 14_400,
    childLifetime: 3_600,
    replayWindow: 128,
    ...extra,
  }) as Profile;

function recorder(redirect?: (address: string) => Promise<void>) {
  const states: string[] = [];
  const full: Record<string, unknown>[] = [];
  const timeline: Record<string, unknown>[] = [];
  const logs: string[] = [];
  const events: Events = {
    state: (s) => {
      states.push(s.state === 'error' ? `error ${s.code}` : s.state);
      full.push(s as unknown as Record<string, unknown>);
    },
    timeline: (e) => timeline.push(e as unknown as Record<string, unknown>),
    log: (t) => logs.push(t),
    ...(redirect ? { redirect } : {}),
  };
  return { events, states, full, timeline, logs };
}

const until = async (what: string, f: () => boolean) => {
  for (let i = 0; !f(); i++) {
    if (i > 200) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeEach(() => {
  h.order.length = 0;
  h.sessions.length = 0;
  h.scripts.length = 0;
  h.reactions = {};
  h.journal.length = 0;
  h.localAddress = '192.0.2.2';
  h.pathMtu = 1500;
  h.lookups = {};
  h.onNetworkChange = undefined;
  h.monitorOptions.length = 0;
  h.onWake = undefined;
  h.outerPath = ['via', '192.0.2.1', 'dev', 'eth0'];
  h.repins.length = 0;
  h.repinMoves = false;
  h.tunMtus.length = 0;
  h.linkMtus.length = 0;
  h.pins.length = 0;
  h.transports.length = 0;
});
afterEach(() => vi.useRealTimers());

const REDIRECT_FROM = { address: '198.51.100.10', port: 500 };

/** The network monitor at once (the helper starts it MONITOR_DELAY_MS after IKE_SA_INIT). */
const NOW = { monitorDelayMs: 0 };

describe('TunnelConnection: redirects (RFC 5685)', () => {
  it('a name is resolved, the firewall hook answers before the next session exists, REDIRECTED_FROM goes with it', async () => {
    h.lookups['vpn2.lab.test'] = '203.0.113.9';
    h.scripts.push(() => [
      closed({
        kind: 'redirected',
        to: { kind: 'fqdn', name: 'vpn2.lab.test' },
        from: REDIRECT_FROM,
        stage: 'ike-sa-init',
        redirects: [1000],
      }),
    ]);
    h.scripts.push((c) => [established(c)]);
    const r = recorder(async (address) => {
      h.order.push(`firewall ${address}`);
      await new Promise((res) => setTimeout(res, 10)); // the machine's queue takes a while
      h.order.push(`firewall ${address} done`);
    });
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    expect(h.order).toEqual([
      'session 198.51.100.10',
      'lookup vpn2.lab.test',
      'firewall 203.0.113.9',
      'firewall 203.0.113.9 done',
      'session 203.0.113.9',
    ]);
    const next = h.sessions[1]!.config;
    expect(next.server).toEqual({ address: '203.0.113.9', port: 500 });
    expect(next.redirectedFrom).toEqual(REDIRECT_FROM);
    expect(next.redirects).toEqual([1000]);
    // the redirect is no failure: no reconnecting, no error in between
    expect(r.states).toEqual(['connecting', 'connected']);
    expect(r.logs).toContain(
      'the gateway 198.51.100.10 redirected us to vpn2.lab.test (203.0.113.9) during ike-sa-init',
    );
    conn.stop();
    expect(await done).toMatchObject({ state: 'disconnected', reason: 'deleted-by-us' });
  });

  it('an established tunnel redirected to an address: the new gateway is pinned outside the tunnel first', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    // (the old inbound SA lingers a moment in the data plane, as after a rekey: new SPIs)
    h.scripts.push((c) => [childSaWith(2), established(c)]);
    const r = recorder(async (address) => {
      h.order.push(`firewall ${address}`);
    });
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    // the gateway redirects the established SA (the engine deleted it with its Child SA, then closed)
    const runner = (conn as unknown as { runner: { perform(o: IkeOutput[]): void } }).runner;
    runner.perform([
      { type: 'remove-child-sa', spiIn: 0xc0000001, spiOut: 0x50000001 },
      closed({
        kind: 'redirected',
        to: { kind: 'ipv4', address: '203.0.113.9' },
        from: REDIRECT_FROM,
        stage: 'established',
        redirects: [5],
      }),
    ]);
    await until('the second session', () => h.sessions.length === 2);
    expect(h.order.slice(1)).toEqual([
      'firewall 203.0.113.9',
      'pin 203.0.113.9',
      'session 203.0.113.9',
    ]);
    await until('connected twice', () => r.states.filter((s) => s === 'connected').length === 2);
    // same path MTU to the new gateway: the device is kept as it was
    expect(h.tunMtus).toEqual([1400]);
    expect(h.linkMtus).toEqual([]);
    conn.stop();
    await done;
  });

  it('redirected to a gateway behind a smaller path MTU: the kept device gets the new MTU', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    // (the old inbound SA lingers a moment in the data plane, as after a rekey: new SPIs)
    h.scripts.push((c) => [childSaWith(2), established(c)]);
    const r = recorder(() => Promise.resolve());
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    h.pathMtu = 1400;
    const runner = (conn as unknown as { runner: { perform(o: IkeOutput[]): void } }).runner;
    runner.perform([
      { type: 'remove-child-sa', spiIn: 0xc0000001, spiOut: 0x50000001 },
      closed({
        kind: 'redirected',
        to: { kind: 'ipv4', address: '203.0.113.9' },
        from: REDIRECT_FROM,
        stage: 'established',
        redirects: [5],
      }),
    ]);
    await until('connected twice', () => r.states.filter((s) => s === 'connected').length === 2);
    expect(h.tunMtus).toEqual([1400]);
    expect(h.linkMtus).toEqual([['tsunagi0', 1338]]);
    conn.stop();
    await done;
  });

  it('the firewall refuses: the connection ends in error and nothing goes to the new gateway', async () => {
    h.scripts.push(() => [
      closed({
        kind: 'redirected',
        to: { kind: 'ipv6', address: '2001:db8::9' },
        from: REDIRECT_FROM,
        stage: 'ike-auth',
        redirects: [1],
      }),
    ]);
    const r = recorder(() =>
      Promise.reject(new Error('a disconnecting tunnel does not follow redirects')),
    );
    const final = await new TunnelConnection(profile(), r.events, '/nowhere', NOW).run();
    expect(final).toMatchObject({ state: 'error', code: 'local-setup-failed' });
    expect(final.state === 'error' && final.error).toMatchObject({
      detail:
        'cannot follow the redirect to 2001:db8::9: a disconnecting tunnel does not follow redirects',
    });
    expect(h.sessions).toHaveLength(1);
  });

  it('a name that does not resolve before the tunnel was ever up: an error naming it', async () => {
    h.scripts.push(() => [
      closed({
        kind: 'redirected',
        to: { kind: 'fqdn', name: 'nowhere.lab.test' },
        from: REDIRECT_FROM,
        stage: 'ike-sa-init',
        redirects: [1],
      }),
    ]);
    const asked: string[] = [];
    const r = recorder(async (a) => void asked.push(a));
    const final = await new TunnelConnection(profile(), r.events, '/nowhere', NOW).run();
    expect(final).toMatchObject({ state: 'error', code: 'peer-unreachable' });
    expect(asked).toEqual([]); // the firewall was never asked to open anything
    expect(h.sessions).toHaveLength(1);
  });

  it('without a firewall hook (the foreground CLI) a redirect is followed at once', async () => {
    h.scripts.push(() => [
      closed({
        kind: 'redirected',
        to: { kind: 'ipv4', address: '203.0.113.9' },
        from: REDIRECT_FROM,
        stage: 'ike-sa-init',
        redirects: [1],
      }),
    ]);
    h.scripts.push((c) => [established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    expect(h.sessions[1]!.config.server.address).toBe('203.0.113.9');
    conn.stop();
    await done;
  });
});

describe('TunnelConnection: milestones and the MTU', () => {
  it('a DPD timeout is a dpd-timeout milestone with how long the gateway was silent', async () => {
    h.scripts.push((c) => [
      established(c),
      closed({
        kind: 'failed',
        error: {
          code: 'peer-unreachable',
          server: '198.51.100.10',
          afterMs: 42_600,
          stage: 'a liveness check',
          fragmentationHint: false,
        },
      }),
    ]);
    const r = recorder();
    const conn = new TunnelConnection(profile({ keyingTries: 1 }), r.events, '/nowhere', NOW);
    await conn.run();
    expect(r.timeline).toContainEqual({ kind: 'dpd-timeout', afterMs: 42_600 });
  });

  it('other failures are no dpd-timeout', async () => {
    h.scripts.push(() => [
      closed({
        kind: 'failed',
        error: {
          code: 'peer-unreachable',
          server: '198.51.100.10',
          afterMs: 30_000,
          stage: 'IKE_SA_INIT',
          fragmentationHint: false,
        },
      }),
    ]);
    const r = recorder();
    await new TunnelConnection(profile(), r.events, '/nowhere', NOW).run();
    expect(r.timeline.filter((e) => e.kind === 'dpd-timeout')).toEqual([]);
  });

  it("the profile's mtu is the TUN MTU, whatever the path (and a move keeps it)", async () => {
    h.pathMtu = 1500;
    h.scripts.push((c) => [childSa, established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile({ mtu: 1200 }), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    expect(h.tunMtus).toEqual([1200]);
    (conn as unknown as { ownChangesUntil: number }).ownChangesUntil = 0;
    h.localAddress = '192.0.2.77';
    h.pathMtu = 1280;
    h.onNetworkChange!();
    await until('the move', () => r.timeline.length > 0);
    expect(r.timeline[0]).not.toHaveProperty('mtu');
    expect(h.linkMtus).toEqual([]);
    conn.stop();
    await done;
  });

  it('`ip monitor` starts MONITOR_DELAY_MS into the connection (wakes are watched at once)', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere');
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    expect(h.monitorOptions).toEqual([{ startDelayMs: MONITOR_DELAY_MS }]);
    expect(MONITOR_DELAY_MS).toBeGreaterThan(100); // past a usual connect (20–60 ms)
    conn.stop();
    await done;
  });

  it('network changes: unchanged path, then a move to a smaller-MTU path (TUN MTU follows)', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    // past the quiet time after our own TUN and routes
    (conn as unknown as { ownChangesUntil: number }).ownChangesUntil = 0;

    h.onNetworkChange!();
    await until('a milestone', () => r.timeline.length > 0);
    expect(r.timeline).toEqual([
      { kind: 'network-changed', path: 'unchanged', local: '192.0.2.2' },
    ]);

    // the second uplink: another source address, a 1400-byte path
    h.localAddress = '192.0.2.77';
    h.pathMtu = 1400;
    h.onNetworkChange!();
    await until('a second milestone', () => r.timeline.length > 1);
    expect(h.tunMtus).toEqual([1400]);
    expect(r.timeline[1]).toEqual({
      kind: 'network-changed',
      path: 'moved',
      local: '192.0.2.77',
      previous: '192.0.2.2',
      via: 'mobike',
      mtu: 1338,
    });
    expect(h.linkMtus).toEqual([['tsunagi0', 1338]]);
    expect((conn as unknown as { dataPlane: { mss: unknown } }).dataPlane.mss).toEqual({
      v4: 1298,
      v6: 1278,
    });
    expect(h.transports).toEqual(['192.0.2.2', '192.0.2.77']);
    expect(h.sessions[0]!.inputs).toContain('roam');

    // the same path again: no new MTU, the milestone says it is unchanged
    h.onNetworkChange!();
    await until('a third milestone', () => r.timeline.length > 2);
    expect(r.timeline[2]).toEqual({
      kind: 'network-changed',
      path: 'unchanged',
      local: '192.0.2.77',
    });
    expect(h.linkMtus).toHaveLength(1);
    conn.stop();
    await done;
  });
});

type Internals = {
  runner: { perform(o: IkeOutput[]): void };
  replacement?: { runner: { perform(o: IkeOutput[]): void } };
  transport?: { localAddress: string };
  ownChangesUntil: number;
};
const internals = (conn: object) => conn as unknown as Internals;

const dpdFailed = closed({
  kind: 'failed',
  error: {
    code: 'peer-unreachable',
    server: '198.51.100.10',
    afterMs: 4_000,
    stage: 'a liveness check',
    fragmentationHint: false,
  },
});
const initFailed = () => [
  closed({
    kind: 'failed',
    error: {
      code: 'peer-unreachable',
      server: '198.51.100.10',
      afterMs: 2_000,
      stage: 'IKE_SA_INIT',
      fragmentationHint: false,
    },
  }),
];

/** Like `until`, under fake timers: advances them in small steps; returns the time it took. */
async function advanceUntil(what: string, f: () => boolean, maxMs = 60_000): Promise<number> {
  let t = 0;
  while (!f()) {
    if (t > maxMs) throw new Error(`timed out waiting for ${what}`);
    await vi.advanceTimersByTimeAsync(5);
    t += 5;
  }
  return t;
}

describe('TunnelConnection: roaming', () => {
  it('a change that leaves the path as it was: a liveness check on the current path, no move', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    internals(conn).ownChangesUntil = 0;
    h.onNetworkChange!();
    await until('a milestone', () => r.timeline.length > 0);
    expect(r.timeline).toEqual([
      { kind: 'network-changed', path: 'unchanged', local: '192.0.2.2' },
    ]);
    expect(h.sessions[0]!.inputs).toEqual(['start', 'probe']);
    // the gateway's route was kept on the path found outside the tunnel
    expect(h.repins).toEqual(['198.51.100.10 via 192.0.2.1 dev eth0']);
    conn.stop();
    await done;
  });

  it('full tunnel: the route to the gateway moved (its pin followed), same source: a liveness check even right after our own changes', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    // (still within the quiet time after our own TUN and routes)
    h.repinMoves = true;
    h.outerPath = ['via', '192.0.2.254', 'dev', 'eth0'];
    h.onNetworkChange!();
    await until('a milestone', () => r.timeline.length > 0);
    expect(h.sessions[0]!.inputs).toEqual(['start', 'probe']);
    // what our own re-pin shows in the monitor is no news
    h.repinMoves = false;
    h.onNetworkChange!();
    await until('the check', () => h.repins.length === 2);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.timeline).toHaveLength(1);
    expect(h.sessions[0]!.inputs).toEqual(['start', 'probe']);
    conn.stop();
    await done;
  });

  it('without MOBIKE: a new IKE SA from the new path while the old one carries the traffic, then the old one is deleted', async () => {
    const noMobike = { peerSupportsMobike: false };
    h.scripts.push((c) => [childSa, established(c, '10.10.10.1', noMobike)]);
    h.scripts.push(() => []); // the replacement: still negotiating until the test says
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    internals(conn).ownChangesUntil = 0;

    h.localAddress = '192.0.2.77';
    h.outerPath = ['via', '192.0.2.1', 'dev', 'wlan0'];
    h.onNetworkChange!();
    await until('the replacement', () => h.sessions.length === 2);
    expect(h.sessions[1]!.config.local).toEqual({ address: '192.0.2.77', port: 500 });
    // the old SA is neither moved nor closed, and ESP still leaves from the old path
    expect(h.sessions[0]!.inputs).toEqual(['start']);
    expect(internals(conn).transport?.localAddress).toBe('192.0.2.2');
    expect(h.transports).toEqual(['192.0.2.2', '192.0.2.77']);
    expect(h.repins).toEqual(['198.51.100.10 via 192.0.2.1 dev wlan0']);

    internals(conn).replacement!.runner.perform([
      childSaWith(2),
      established(h.sessions[1]!.config, '10.10.10.1', noMobike),
    ]);
    // traffic switched at once; the old IKE SA is deleted
    expect(internals(conn).transport?.localAddress).toBe('192.0.2.77');
    expect(h.sessions[0]!.inputs).toEqual(['start', 'close']);
    await until('connected again', () => r.states.length === 3);
    expect(r.states).toEqual(['connecting', 'connected', 'connected']);
    expect(r.timeline.filter((e) => e.kind === 'reestablish')).toEqual([
      { kind: 'reestablish', phase: 'started', local: '192.0.2.77' },
      { kind: 'reestablish', phase: 'switched', local: '192.0.2.77' },
    ]);
    expect(r.timeline.find((e) => e.kind === 'network-changed')).toMatchObject({
      path: 'moved',
      via: 'new-ike-sa',
    });
    // same addresses from the gateway: the device was kept
    expect(h.tunMtus).toEqual([1400]);
    conn.stop();
    expect(await done).toMatchObject({ state: 'disconnected', reason: 'deleted-by-us' });
    expect(h.sessions[1]!.inputs).toContain('close');
  });

  it('the new IKE SA brings another virtual IP: the device and its routes move to it in place', async () => {
    const noMobike = { peerSupportsMobike: false };
    h.scripts.push((c) => [childSa, established(c, '10.10.10.1', noMobike)]);
    h.scripts.push((c) => [childSaWith(2), established(c, '10.10.10.2', noMobike)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    internals(conn).ownChangesUntil = 0;
    h.journal.length = 0;
    h.localAddress = '192.0.2.77';
    h.onNetworkChange!();
    await until('connected again', () => r.states.length === 3);
    // the new address first, then the routes' source, then the old address goes
    expect(h.journal.filter((l) => !l.startsWith('journal'))).toEqual([
      'address add 10.10.10.2/32 dev tsunagi0',
      'routes src 10.10.10.2',
      'address del 10.10.10.1/32 dev tsunagi0',
    ]);
    expect(h.tunMtus).toEqual([1400]); // no second device
    expect(r.full.at(-1)).toMatchObject({ state: 'connected', virtualIp: '10.10.10.2' });
    conn.stop();
    await done;
  });

  it('without MOBIKE, the new IKE SA fails: the old one stays (and is checked), no reconnect', async () => {
    h.scripts.push((c) => [childSa, established(c, '10.10.10.1', { peerSupportsMobike: false })]);
    h.scripts.push(initFailed);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    internals(conn).ownChangesUntil = 0;
    h.localAddress = '192.0.2.77';
    h.onNetworkChange!();
    await until('the failed replacement', () =>
      r.timeline.some((e) => e.kind === 'reestablish' && e.phase === 'failed'),
    );
    expect(h.sessions[0]!.inputs).toEqual(['start', 'probe']);
    expect(internals(conn).transport?.localAddress).toBe('192.0.2.2');
    expect(r.states).toEqual(['connecting', 'connected']);
    conn.stop();
    await done;
  });

  it('a MOBIKE update that fails: re-established at once from the new path, no backoff', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    h.reactions[0] = {
      roam: () => [
        closed({
          kind: 'failed',
          error: {
            code: 'peer-unreachable',
            server: '198.51.100.10',
            afterMs: 2_000,
            stage: 'a MOBIKE address update',
            fragmentationHint: false,
          },
        }),
      ],
    };
    h.scripts.push((c) => [childSaWith(2), established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    internals(conn).ownChangesUntil = 0;
    h.localAddress = '192.0.2.77';
    h.onNetworkChange!();
    await until('connected again', () => r.states.filter((s) => s === 'connected').length === 2);
    expect(r.full.find((s) => s.state === 'reconnecting')).toMatchObject({ retryInMs: 0 });
    expect(h.sessions[1]!.config.local.address).toBe('192.0.2.77');
    conn.stop();
    await done;
  });
});

describe('TunnelConnection: wake from sleep', () => {
  it('a wake checks the gateway at once, and a liveness check failing after it is retried at once', async () => {
    h.scripts.push((c) => [childSa, established(c)]);
    h.scripts.push((c) => [childSaWith(2), established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    h.onWake!(42_000);
    expect(r.timeline).toContainEqual({ kind: 'wake', sleptMs: 42_000 });
    expect(h.sessions[0]!.inputs).toContain('probe');
    // the gateway forgot us while we slept: the check fails
    internals(conn).runner.perform([dpdFailed]);
    await until('connected again', () => r.states.filter((s) => s === 'connected').length === 2);
    expect(r.full.find((s) => s.state === 'reconnecting')).toMatchObject({ retryInMs: 0 });
    conn.stop();
    await done;
  });
});

describe('TunnelConnection: reconnect backoff and keyingTries', () => {
  it('the first attempts go back to back, then 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map(reconnectDelayMs)).toEqual([
      0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });

  it('a network change, then a wake, cut the reconnect backoff short', async () => {
    vi.useFakeTimers();
    h.scripts.push((c) => [childSa, established(c)]);
    for (let i = 0; i < 5; i++) h.scripts.push(initFailed);
    h.scripts.push((c) => [childSaWith(2), established(c)]);
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await advanceUntil('connected', () => r.states.includes('connected'));
    internals(conn).runner.perform([dpdFailed]);
    // three attempts at once (each spaced only by its own retransmissions), then a pause
    await advanceUntil('the first pause', () => r.full.at(-1)?.retryInMs === 1_000);
    expect(h.sessions).toHaveLength(4);
    expect(
      r.full.filter((s) => s.state === 'reconnecting').map((s) => [s.attempt, s.retryInMs]),
    ).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 1_000],
    ]);
    internals(conn).ownChangesUntil = 0;

    // the network changed: the next attempt goes now, not after 1 s
    h.onNetworkChange!();
    const afterChange = await advanceUntil('the fifth attempt', () => h.sessions.length === 5);
    expect(afterChange).toBeLessThan(300); // the monitor's debounce is the double's: none
    await advanceUntil('reconnecting again', () => r.full.at(-1)?.retryInMs === 2_000);

    // a wake from sleep: same
    h.onWake!(45_000);
    const afterWake = await advanceUntil('the sixth attempt', () => h.sessions.length === 6);
    expect(afterWake).toBeLessThan(300);
    expect(r.timeline).toContainEqual({ kind: 'wake', sleptMs: 45_000 });
    await advanceUntil('reconnecting a sixth time', () => r.full.at(-1)?.retryInMs === 4_000);

    // nothing happens: the full backoff
    const waited = await advanceUntil('the seventh attempt', () => h.sessions.length === 7);
    expect(waited).toBeGreaterThan(3_900); // (counted from when the state was seen)
    await advanceUntil('connected again', () => r.states.at(-1) === 'connected');
    conn.stop();
    await vi.advanceTimersByTimeAsync(10);
    await done;
  });

  it('keyingTries 2: counts attempts in a row (a success resets them), then error', async () => {
    vi.useFakeTimers();
    h.scripts.push((c) => [childSa, established(c)]); // 0: up, then its gateway goes silent
    h.scripts.push(initFailed); // 1: attempt 1 fails
    h.scripts.push((c) => [childSaWith(2), established(c)]); // 2: attempt 2 gets it back
    h.scripts.push(initFailed); // 3, 4: two failures in a row
    h.scripts.push(initFailed);
    h.scripts.push((c) => [childSaWith(3), established(c)]); // never reached
    const r = recorder();
    const conn = new TunnelConnection(profile({ keyingTries: 2 }), r.events, '/nowhere', NOW);
    const done = conn.run();
    await advanceUntil('connected', () => r.states.includes('connected'));
    internals(conn).runner.perform([dpdFailed]);
    await advanceUntil('back', () => r.states.filter((s) => s === 'connected').length === 2);
    internals(conn).runner.perform([dpdFailed]);
    let final: Awaited<typeof done> | undefined;
    void done.then((f) => (final = f));
    await advanceUntil('the end', () => final !== undefined);
    expect(final).toMatchObject({ state: 'error', code: 'peer-unreachable' });
    expect(h.sessions).toHaveLength(5);
    expect(r.full.filter((s) => s.state === 'reconnecting').map((s) => s.attempt)).toEqual([
      1, 2, 1, 2,
    ]);
    expect(r.logs).toContain('giving up after 2 attempts to re-establish (keyingTries 2)');
  });
});

describe('TunnelConnection: the crash journal', () => {
  it('records each route and the original resolv.conf before changing them', async () => {
    h.scripts.push((c) => {
      const up = established(c) as Extract<IkeOutput, { type: 'established' }>;
      return [childSa, { ...up, config: { ...up.config, dns: ['10.99.0.53'] } }];
    });
    const r = recorder();
    const conn = new TunnelConnection(profile(), r.events, '/nowhere', NOW);
    const done = conn.run();
    await until('connected', () => r.states.includes('connected'));
    const routeAdded = h.journal.indexOf('route add 0.0.0.0/1 dev tsunagi0');
    const routeJournaled = h.journal.findIndex(
      (l) => l.startsWith('journal') && l.includes('"0.0.0.0/1","dev","tsunagi0"'),
    );
    expect(routeJournaled).toBeGreaterThanOrEqual(0);
    expect(routeJournaled).toBeLessThan(routeAdded);
    const dnsApplied = h.journal.indexOf('dns apply');
    const dnsJournaled = h.journal.findIndex(
      (l) =>
        l.startsWith('journal') &&
        l.includes('"dns":{"kind":"resolv-conf","path":"/nonexistent/resolv.conf","original":""}'),
    );
    expect(dnsJournaled).toBeGreaterThanOrEqual(0);
    expect(dnsJournaled).toBeLessThan(dnsApplied);
    conn.stop();
    await done;
  });
});
