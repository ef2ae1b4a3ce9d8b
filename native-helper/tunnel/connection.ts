/**
 * One VPN connection from a profile to "closed": resolves the profile, runs the IKE session over
 * UDP, brings up the TUN device, routes and DNS once established, and releases everything it
 * acquired (in reverse order) when the session closes. Used by `tsunagi connect` in the
 * foreground and by the helper daemon.
 */
import { IKE_PORT, NATT_PORT } from '../constants.js';
import { ikeErrorMessage, type IkeError } from '../ike/ike-error.js';
import type { IkeCloseReason, IkeTimelineEvent, TunnelConfig } from '../ike/ike-events.js';
import { IkeSession } from '../ike/ike-session.js';
import { IPV6_MIN_MTU, tcpMssFor } from '../esp/esp-overhead.js';
import type { IkeSessionConfig } from '../ike/ike-session-config.js';
import { nodeRandom } from '../platform/crypto/node-crypto-provider.js';
import { applyDns, type AppliedDns } from '../platform/dns/dns-linux.js';
import { planRoutes } from '../platform/routes/route-plan.js';
import { applyRoutes, pathMtuTo, type AppliedRoutes } from '../platform/routes/routes-linux.js';
import { createTunDevice, type TunDevice } from '../platform/tun/index.js';
import {
  localAddressFor,
  openUdpTransport,
  type UdpTransport,
} from '../platform/udp/udp-transport.js';
import { watchNetwork } from '../platform/network/network-monitor.js';
import type { Profile } from '../profile/profile.js';
import type { ProfileFiles } from '../profile/profile-files.js';
import { EspDataPlane, type DataPlaneStats } from './data-plane.js';
import { IkeRunner } from './ike-runner.js';
import { clearJournal, recoverFromJournal, writeJournal, type JournalEntry } from './journal.js';
import { diagnose, type DiagnosisContext } from './diagnosis.js';
import { ConfigError, resolveSessionConfig } from './session-config.js';

/** Failures after which a connection that was up tries again by itself. */
/**
 * Failures that end even a tunnel that was up: our own configuration is broken, so no retry can
 * help. Everything else the gateway says while we re-establish (NO_PROPOSAL_CHOSEN or
 * AUTHENTICATION_FAILED from a gateway whose configuration is still loading after a restart,
 * INTERNAL_ADDRESS_FAILURE while its pool comes back, silence) is retried within keyingTries, as
 * strongSwan's keyingtries does: credentials that worked a minute ago are worth another try, and
 * the state says why each attempt failed.
 */
const FATAL_AFTER_CONNECTED: ReadonlySet<IkeError['code']> = new Set([
  'config-invalid',
  'local-setup-failed',
]);
const RECONNECT_FIRST_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
const WAKE_TICK_MS = 2_000;
const WAKE_JUMP_MS = 10_000;

/**
 * The TUN MTU on an ordinary 1500-byte path: ESP-in-UDP over IPv4 with any supported transform
 * leaves room for ≥ 1406-byte inner packets (AES-CBC + HMAC-SHA2-512), so 1400 also survives
 * some extra encapsulation (PPPoE, another tunnel) on the way. Smaller paths lower it.
 */
export const DEFAULT_TUN_MTU = 1400;
/** Below this IPv4 itself gets impractical (576 is every host's minimum reassembly size). */
const MIN_TUN_MTU = 576;

export type ConnectionState =
  | { state: 'connecting'; server: string; address: string; local: string }
  | {
      state: 'connected';
      server: string;
      virtualIp: string;
      /** The IPv6 address the gateway assigned, when it assigned one. */
      virtualIp6?: string;
      dns: string[];
      /** The TUN MTU: the path MTU to the gateway minus the ESP-in-UDP overhead, at most 1400. */
      mtu: number;
      ike: string;
      esp: string;
      tun: string;
      routes: string[];
      since: number;
    }
  | { state: 'reconnecting'; attempt: number; reason: string; retryInMs: number }
  | { state: 'disconnected'; reason: IkeCloseReason['kind'] | 'not-started'; wasConnected: boolean }
  | { state: 'error'; code: IkeError['code']; message: string; fix: string; error: IkeError };

export interface TunnelOptions {
  /**
   * The gateway address the caller already resolved (the helper's firewall allows exactly this
   * one): the connection uses it instead of resolving the server name again.
   */
  gatewayAddress?: string;
  /** Outbound ESP sequence number that triggers an early Child SA rekey (default: the SA's). */
  softSequenceLimit?: number;
}

export interface ConnectionEvents {
  state(state: ConnectionState): void;
  timeline(event: IkeTimelineEvent, at: number): void;
  /** Human log lines (no secrets). */
  log(text: string): void;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function errorState(
  error: IkeError,
  context?: DiagnosisContext,
): Extract<ConnectionState, { state: 'error' }> {
  const { message, fix } = diagnose(error, context);
  return { state: 'error', code: error.code, message, fix, error };
}

export class TunnelConnection {
  private transport: UdpTransport | undefined;
  private tun: TunDevice | undefined;
  private routes: AppliedRoutes | undefined;
  private dns: AppliedDns | undefined;
  private runner: IkeRunner | undefined;
  private dataPlane: EspDataPlane | undefined;
  private failure: IkeError | undefined;
  private connected = false;
  private upWith: TunnelConfig | undefined;
  private connectedState: Extract<ConnectionState, { state: 'connected' }> | undefined;
  private stopRequested = false;
  private diagnosis: DiagnosisContext | undefined;

  constructor(
    private readonly profile: Profile,
    private readonly events: ConnectionEvents,
    /**
     * Where the certificate, key and CA contents come from: the profile's folder (a string, for
     * the foreground CLI running as the user), or the contents a client sent (the helper).
     */
    private readonly files: ProfileFiles | string = process.cwd(),
    private readonly options: TunnelOptions = {},
  ) {}

  /** Data-plane counters (zero before the tunnel is up). */
  stats(): DataPlaneStats {
    return (
      this.dataPlane?.stats() ?? { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0, drops: 0 }
    );
  }

  /** TCP SYNs whose MSS the tunnel lowered so far. */
  clampedSyns(): number {
    return this.dataPlane?.clampedSyns ?? 0;
  }

  /** Asks for an orderly delete with the gateway; run() resolves once it is done. */
  stop(): void {
    this.stopRequested = true;
    this.runner?.close();
    this.wakeSleep?.();
  }

  /** Runs the connection to its end and resolves with the final state (disconnected or error). */
  async run(): Promise<Extract<ConnectionState, { state: 'disconnected' | 'error' }>> {
    const repaired = await recoverFromJournal();
    if (repaired)
      this.events.log(`repaired routes/DNS left by an earlier run (pid ${repaired.pid})`);

    let resolved;
    try {
      resolved = await resolveSessionConfig(this.profile, this.files, {
        ...(this.options.gatewayAddress !== undefined
          ? { gatewayAddress: this.options.gatewayAddress }
          : {}),
      });
    } catch (e) {
      if (e instanceof ConfigError) return this.end(errorState(e.error));
      throw e;
    }
    const { config } = resolved;
    const auth = this.profile.auth.method;
    this.diagnosis = {
      method: auth,
      server: this.profile.server,
      localId: config.localId.text,
      localIdFromProfile: this.profile.localId !== undefined,
      remoteId: config.remoteId?.text ?? this.profile.server,
      remoteIdFromProfile: this.profile.remoteId !== undefined,
    };
    this.events.state({
      state: 'connecting',
      server: this.profile.server,
      address: config.server.address,
      local: config.local.address,
    });
    if (this.stopRequested)
      return this.end({ state: 'disconnected', reason: 'not-started', wasConnected: false });

    const server4500 = { address: config.server.address, port: NATT_PORT };
    this.dataPlane = new EspDataPlane(
      (datagrams) => this.transport?.sendMany(datagrams, NATT_PORT, server4500),
      (packets) => void this.tun?.write(packets),
      nodeRandom,
      {
        ...(this.options.softSequenceLimit !== undefined
          ? { softSequenceLimit: this.options.softSequenceLimit }
          : {}),
        rekeyNeeded: (spiIn, reason) => {
          this.events.log(
            `ESP sequence numbers of Child SA ${spiIn.toString(16).padStart(8, '0')} near the limit: rekeying it early`,
          );
          this.runner?.rekeyChild(spiIn, reason);
        },
      },
    );
    try {
      this.transport = await openUdpTransport(
        config.local.address,
        [IKE_PORT, NATT_PORT],
        (d) => this.runner?.onDatagram(d),
        (e) => this.events.log(`UDP error: ${e.message}`),
      );
    } catch (e) {
      return this.end(errorState({ code: 'local-setup-failed', detail: (e as Error).message }));
    }
    const wake = this.watchForWake();
    const monitor = watchNetwork(
      () => void this.checkPath(config),
      (e) => this.events.log(`roaming disabled: ${e.message}`),
    );
    try {
      for (let attempt = 0; ; attempt++) {
        const closed = await this.runSession(config);
        if (this.failure) return this.end(errorState(this.failure, this.diagnosis));
        if (closed.kind === 'deleted-by-us' || this.stopRequested)
          return this.end({
            state: 'disconnected',
            reason: closed.kind,
            wasConnected: this.connected,
          });
        const error: IkeError =
          closed.kind === 'failed'
            ? closed.error
            : { code: 'peer-deleted', detail: 'the gateway deleted the IKE SA' };
        // A tunnel that was up and lost its gateway comes back by itself (keyingTries, 0 = forever);
        // a first connection that fails reports why. Routes, DNS and the TUN stay in place meanwhile,
        // so traffic keeps going into the tunnel (and nowhere else) until it is back.
        const tries = this.profile.keyingTries;
        if (
          !this.connected ||
          FATAL_AFTER_CONNECTED.has(error.code) ||
          (tries > 0 && attempt + 1 >= tries)
        ) {
          if (closed.kind === 'deleted-by-peer' && !this.connected)
            return this.end({ state: 'disconnected', reason: closed.kind, wasConnected: false });
          return this.end(errorState(error, this.diagnosis));
        }
        const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** Math.min(attempt, 10));
        this.events.state({
          state: 'reconnecting',
          attempt: attempt + 1,
          reason: ikeErrorMessage(error),
          retryInMs: delay,
        });
        if (await this.sleepUnlessStopped(delay))
          return this.end({
            state: 'disconnected',
            reason: 'deleted-by-us',
            wasConnected: this.connected,
          });
      }
    } finally {
      clearInterval(wake);
      monitor.dispose();
    }
  }

  private checking = false;

  /**
   * After a network change: if the kernel now reaches the gateway from another local address,
   * bind there and move the SA (MOBIKE). The old sockets go once the new ones are in use.
   */
  private async checkPath(config: IkeSessionConfig): Promise<void> {
    if (this.checking || !this.transport) return;
    this.checking = true;
    try {
      let address: string;
      try {
        address = await localAddressFor(config.server);
      } catch {
        return; // no route at all right now: DPD and the next change will tell
      }
      const old = this.transport;
      if (!old || address === old.localAddress) return;
      this.events.log(`the path to the gateway moved to ${address}`);
      const next = await openUdpTransport(
        address,
        [IKE_PORT, NATT_PORT],
        (d) => this.runner?.onDatagram(d),
        (e) => this.events.log(`UDP error: ${e.message}`),
      );
      this.transport = next;
      this.runner?.attach(next);
      this.runner?.roam({ address, port: NATT_PORT });
      await old.close().catch(() => undefined);
    } catch (e) {
      this.events.log(`cannot move to the new path: ${(e as Error).message}`);
    } finally {
      this.checking = false;
    }
  }

  /** One IKE SA from IKE_SA_INIT to closed. */
  private runSession(config: IkeSessionConfig): Promise<IkeCloseReason> {
    // after a move, a new IKE SA starts from where we are now
    const local = this.transport
      ? { address: this.transport.localAddress, port: IKE_PORT }
      : config.local;
    const session = new IkeSession({ ...config, local });
    return new Promise<IkeCloseReason>((resolve) => {
      const runner = new IkeRunner(session, this.dataPlane!, {
        timeline: (event, at) => this.events.timeline(event, at),
        established: (tc) => {
          this.bringUp(tc, config.server.address).catch((e: Error) => {
            this.events.log(`cannot bring the tunnel up: ${e.message}`);
            this.failure = { code: 'local-setup-failed', detail: e.message };
            runner.close();
          });
        },
        closed: resolve,
      });
      this.runner = runner;
      runner.attach(this.transport!);
      runner.start();
      if (this.stopRequested) runner.close();
    });
  }

  private wakeSleep: (() => void) | undefined;

  /** Resolves true when stop() was called during the wait. */
  private sleepUnlessStopped(ms: number): Promise<boolean> {
    if (this.stopRequested) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeSleep = undefined;
        resolve(false);
      }, ms);
      this.wakeSleep = () => {
        clearTimeout(t);
        this.wakeSleep = undefined;
        resolve(true);
      };
    });
  }

  /**
   * Wake from sleep shows up as a jump of the wall clock between two ticks: probe the gateway at
   * once instead of waiting for DPD (MOBIKE or a reconnect follows if the path is gone).
   */
  private watchForWake(): NodeJS.Timeout {
    let last = Date.now();
    const t = setInterval(() => {
      const now = Date.now();
      if (now - last > WAKE_JUMP_MS) {
        this.events.log(
          `the clock jumped ${Math.round((now - last) / 1000)} s (sleep?): checking the gateway`,
        );
        this.runner?.probe();
      }
      last = now;
    }, WAKE_TICK_MS);
    t.unref();
    return t;
  }

  private async bringUp(tc: TunnelConfig, serverAddress: string): Promise<void> {
    if (!tc.virtualIp4) throw new Error('the gateway assigned no virtual IP');
    if (
      this.tun &&
      this.upWith?.virtualIp4 === tc.virtualIp4 &&
      this.upWith.virtualIp6 === tc.virtualIp6 &&
      sameList(this.upWith.dns, tc.dns)
    ) {
      // Reconnected with the same addresses: the device, routes and DNS are still right.
      this.upWith = tc;
      this.events.state({ ...this.connectedState!, ike: tc.ike, esp: tc.esp, since: Date.now() });
      return;
    }
    // First time, or the gateway handed out something else: start from a clean slate.
    await this.dns?.dispose().catch(() => undefined);
    await this.routes?.dispose().catch(() => undefined);
    await this.tun?.close().catch(() => undefined);
    this.dns = this.routes = this.tun = undefined;
    this.upWith = tc;
    const mtu = await this.tunnelMtu(serverAddress, tc.virtualIp6 !== undefined);
    this.dataPlane?.setMss({ v4: tcpMssFor(mtu, 4), v6: tcpMssFor(mtu, 6) });
    this.tun = await createTunDevice({
      name: 'tsunagi%d',
      mtu,
      addresses: [`${tc.virtualIp4}/32`, ...(tc.virtualIp6 ? [`${tc.virtualIp6}/128`] : [])],
    });
    const tun = this.tun;
    tun.onPackets(
      (packets) => this.dataPlane?.outbound(packets),
      (e) => this.events.log(`TUN read failed: ${e.message}`),
    );
    const plan = planRoutes(tc.tsRemote, serverAddress);
    this.routes = await applyRoutes(plan, tun.name, tc.virtualIp4, serverAddress, tc.virtualIp6);
    const journal: JournalEntry = { pid: process.pid, tun: tun.name, routes: this.routes.added };
    await writeJournal(journal);
    if (this.profile.dns && tc.dns.length) {
      this.dns = await applyDns(tc.dns, tun.name);
      if (this.dns.kind === 'resolv-conf')
        journal.dns = { kind: 'resolv-conf', path: this.dns.path, original: this.dns.original };
      if (this.dns.kind === 'resolved')
        journal.dns = { kind: 'resolved', interface: this.dns.interface };
      await writeJournal(journal);
    }
    this.connected = true;
    this.connectedState = {
      state: 'connected',
      server: this.profile.server,
      virtualIp: tc.virtualIp4,
      ...(tc.virtualIp6 ? { virtualIp6: tc.virtualIp6 } : {}),
      dns: tc.dns,
      ike: tc.ike,
      esp: tc.esp,
      tun: tun.name,
      mtu,
      routes: plan.tunnel,
      since: Date.now(),
    };
    this.events.state(this.connectedState);
  }

  /**
   * The TUN MTU: what fits one ESP-in-UDP datagram on the path to the gateway with the
   * negotiated transform, at most DEFAULT_TUN_MTU (and at least IPv6's 1280 when IPv6 runs
   * inside; a smaller path then fragments the outer datagrams rather than breaking IPv6).
   */
  private async tunnelMtu(serverAddress: string, ipv6Inside: boolean): Promise<number> {
    const family = serverAddress.includes(':') ? 6 : 4;
    let pathMtu: number;
    try {
      pathMtu = await pathMtuTo(serverAddress);
    } catch (e) {
      this.events.log(`cannot learn the path MTU (${(e as Error).message}): assuming 1500`);
      pathMtu = 1500;
    }
    const fits = this.dataPlane?.maxInnerLength(pathMtu, family) ?? DEFAULT_TUN_MTU;
    let mtu = Math.min(DEFAULT_TUN_MTU, fits);
    if (mtu < MIN_TUN_MTU) mtu = MIN_TUN_MTU;
    if (ipv6Inside && mtu < IPV6_MIN_MTU) mtu = IPV6_MIN_MTU;
    if (mtu !== DEFAULT_TUN_MTU)
      this.events.log(`path MTU to the gateway ${pathMtu}: tunnel MTU ${mtu}`);
    return mtu;
  }

  /** Releases everything, in reverse order of acquisition, then reports the final state. */
  private async end<S extends Extract<ConnectionState, { state: 'disconnected' | 'error' }>>(
    final: S,
  ): Promise<S> {
    await this.dns?.dispose().catch(() => undefined);
    await this.routes?.dispose().catch(() => undefined);
    await this.tun?.close().catch(() => undefined);
    await this.transport?.close().catch(() => undefined);
    if (this.routes || this.dns) await clearJournal().catch(() => undefined);
    this.dns = this.routes = this.tun = this.transport = undefined;
    this.events.state(final);
    return final;
  }
}
